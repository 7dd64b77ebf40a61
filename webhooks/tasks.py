"""django-q2 tasks of the webhooks app: thin, they call services."""

from webhooks.finalize import logs_finalize_pending
from webhooks.retention import logs_purge


def finalize_logs() -> str:
    """Scheduled: the final status of logs answered 202 whose jobs have since finished."""
    return f"finalized {logs_finalize_pending()} log(s)"


def purge_old_logs() -> dict:
    """Scheduled: logs and audit rows past their retention."""
    return logs_purge()
