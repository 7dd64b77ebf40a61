"""Retention (WEBHOOK_LOG_RETENTION_DAYS): `webhook_logs` rows, their finished account jobs and the
login-failure records older than the limit are deleted by a daily schedule. Orders are kept with
their whole history (`OrderEvent`): their link to the log is SET_NULL."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orders.models import AccountJob
from webhooks.models import WebhookLog

logger = logging.getLogger(__name__)
BATCH = 1000  # rows per transaction: a long purge never holds one huge lock


def logs_purge(*, days: int | None = None, now=None) -> dict:
    """Delete what is older than `days` (default WEBHOOK_LOG_RETENTION_DAYS; 0 keeps all).
    Returns the counts per kind. A log whose jobs are still queued or running is kept."""
    days = settings.WEBHOOK_LOG_RETENTION_DAYS if days is None else days
    counts = {"webhook_logs": 0, "account_jobs": 0, "login_failures": 0}
    if days <= 0:
        return counts
    cutoff = (now or timezone.now()) - timedelta(days=days)
    unfinished = AccountJob.objects.filter(state__in=[AccountJob.State.QUEUED, AccountJob.State.RUNNING])
    old_logs = WebhookLog.objects.filter(received_at__lt=cutoff).exclude(
        pk__in=unfinished.filter(webhook_log__isnull=False).values("webhook_log_id")
    )
    while True:
        ids = list(old_logs.values_list("pk", flat=True)[:BATCH])
        if not ids:
            break
        with transaction.atomic():  # jobs cascade, orders and duplicates keep their rows (SET_NULL)
            _total, per_model = WebhookLog.objects.filter(pk__in=ids).delete()
        counts["webhook_logs"] += per_model.get(WebhookLog._meta.label, 0)
        counts["account_jobs"] += per_model.get(AccountJob._meta.label, 0)
    counts["account_jobs"] += (
        AccountJob.objects.filter(webhook_log__isnull=True, created_at__lt=cutoff)
        .exclude(state__in=[AccountJob.State.QUEUED, AccountJob.State.RUNNING])
        .delete()[0]
    )
    counts["login_failures"] = _login_failures_purge(cutoff)
    logger.info("retention: older than %s days purged %s", days, counts)
    return counts


def _login_failures_purge(cutoff) -> int:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    total = AccessLog.objects.filter(attempt_time__lt=cutoff).delete()[0]
    total += AccessFailureLog.objects.filter(attempt_time__lt=cutoff).delete()[0]
    if settings.AXES_COOLOFF_TIME:  # without a cool-off a lockout lasts until `axes_reset`
        total += AccessAttempt.objects.filter(attempt_time__lt=cutoff).delete()[0]
    return total
