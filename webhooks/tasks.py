"""django-q2 tasks of the webhooks app: thin, they call services."""

from webhooks.finalize import logs_finalize_pending


def finalize_logs() -> str:
    """Scheduled: the final status of logs answered 202 whose jobs have since finished."""
    return f"finalized {logs_finalize_pending()} log(s)"
