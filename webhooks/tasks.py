"""django-q2 entry points of the webhooks app: thin, they call the service."""

from webhooks.retention import logs_purge


def purge_old_logs() -> dict:
    return logs_purge()
