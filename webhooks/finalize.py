"""A webhook log's final status, once its last account job has finished. The webhook's answer
sets it when every job finished within the deadline; for a log answered 202 this does, on the
scheduled pass (`webhooks.tasks.finalize_logs`)."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from orders.models import AccountJob, Order
from webhooks import reports
from webhooks.models import WebhookLog

UNFINISHED = [AccountJob.State.QUEUED, AccountJob.State.RUNNING]
# A job that ends this soon after it was written (in the webhook's transaction) ends before the
# webhook's deadline, with a second to spare: the webhook reads it and answers with it.
WAITING_MARGIN_SECONDS = 1.0


def log_finalize(*, log_id: int) -> None:
    """When the log's last job has finished, set the log's final status from its orders."""
    if AccountJob.objects.filter(webhook_log_id=log_id, state__in=UNFINISHED).exists():
        return
    jobs = list(AccountJob.objects.filter(webhook_log_id=log_id))
    if not jobs:
        return
    log = WebhookLog.objects.get(pk=log_id)
    if log.status != WebhookLog.Status.RECEIVED:
        return
    if jobs[0].kind == AccountJob.Kind.CANCEL:
        status = reports.cancel_report(log=log, jobs=jobs)[2]
    else:
        orders = list(Order.objects.filter(webhook_log_id=log_id))
        successes = sum(1 for o in orders if o.status in reports.SUCCESSFUL)
        status = reports.log_status(successes, len(orders) - successes, running=False)
    WebhookLog.objects.filter(pk=log_id, status=WebhookLog.Status.RECEIVED).update(status=status)


def logs_finalize_pending() -> int:
    """Give a final status to logs still `received` whose jobs have all finished (answered 202)."""
    pending = (
        WebhookLog.objects.filter(
            status=WebhookLog.Status.RECEIVED,
            jobs__isnull=False,
            received_at__gte=timezone.now() - timedelta(days=2),
        )
        .exclude(jobs__state__in=UNFINISHED)
        .values_list("pk", flat=True)
        .distinct()
    )
    ids = list(pending)
    for log_id in ids:
        log_finalize(log_id=log_id)
    return len(ids)


def on_job_finished(sender, *, webhook_log_id=None, created_at=None, **kwargs) -> None:
    """`orders.events.job_finished`: close the log when the webhook has answered 202 (or died
    before answering, its deadline long past); otherwise its answer sets the status."""
    if webhook_log_id is None:
        return
    waiting = timedelta(seconds=settings.WEBHOOK_RESPONSE_DEADLINE - WAITING_MARGIN_SECONDS)
    if created_at is not None and timezone.now() < created_at + waiting:
        return  # the webhook is still waiting for its jobs: its answer sets the status (no query)
    gone_before = timezone.now() - timedelta(seconds=settings.WEBHOOK_RESPONSE_DEADLINE + 5)
    answered = Q(http_status=202) | Q(http_status__isnull=True, received_at__lt=gone_before)
    if WebhookLog.objects.filter(answered, pk=webhook_log_id, status=WebhookLog.Status.RECEIVED).exists():
        log_finalize(log_id=webhook_log_id)
