"""Running one account job (a django-q2 task's body) and closing its webhook log."""

import contextlib
import logging
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_q.conf import Conf
from django_q.tasks import async_task

from orders import reports
from orders.guard import order_expire
from orders.leases import LeaseKeeper, job_claim, lease_lapsed
from orders.models import AccountJob, Order, OrderEvent, OrderStatus

logger = logging.getLogger(__name__)


def job_run(*, job_id: int) -> dict:
    """Run the job, or resume it when its last worker died (orders/leases.py). A job that is
    running elsewhere or finished is left alone, so a task delivered twice does nothing more."""
    attempt = job_claim(job_id=job_id)  # one conditional UPDATE: only one delivery can win it
    if attempt is None:
        logger.warning("job %s was already claimed; not running it again", job_id)
        return {"skipped": True}
    job = AccountJob.objects.select_related("account", "strategy").get(pk=job_id)
    # The job row is written in the webhook's own transaction: its age is the queueing delay.
    logger.info(
        "job %s (%s, account %s) %s %.1f ms after its webhook arrived",
        job_id,
        job.kind,
        job.account_id,
        "started" if attempt == 1 else f"resumed (attempt {attempt})",
        (timezone.now() - job.created_at).total_seconds() * 1000,
    )
    state, error, result = AccountJob.State.DONE, "", None
    with _lease(job_id, attempt) as lease:
        try:
            if job.kind == AccountJob.Kind.ORDERS:
                from orders.execution import account_orders_execute

                account_orders_execute(job=job, still_ours=lease.still_ours)
            else:
                from orders.cancellation import account_cancel_execute

                result = account_cancel_execute(job=job)
        except (OperationalError, InterfaceError):  # the database went away: the job stays
            logger.exception("job %s interrupted by the database; it resumes", job_id)  # RUNNING
            raise  # and its lease lapses, so the sweeper resumes it instead of failing it
        except Exception as exc:  # the job's own failure is recorded, never re-run by the broker
            logger.exception("job %s failed", job_id)
            state, error = AccountJob.State.FAILED, f"{type(exc).__name__}: {str(exc)[:500]}"
    if lease.lost:  # another worker resumed it meanwhile: that one records the end
        return {"state": "handed over"}
    AccountJob.objects.filter(pk=job_id, attempts=attempt).update(
        state=state, error=error, result=result, finished_at=timezone.now(), lease_until=None
    )
    # The log's final status is set by the webhook's answer; once it has answered 202, by its last
    # job to finish (and by the sweep, for a job that never finishes here).
    if job.webhook_log_id:
        _finalize_if_answered(job.webhook_log_id)
    return result or {"state": state}


def _finalize_if_answered(log_id: int) -> None:
    """The webhook answered 202, or died before answering (its deadline long past)."""
    from webhooks.models import WebhookLog

    gone_before = timezone.now() - timedelta(seconds=settings.WEBHOOK_RESPONSE_DEADLINE + 5)
    answered = Q(http_status=202) | Q(http_status__isnull=True, received_at__lt=gone_before)
    if WebhookLog.objects.filter(answered, pk=log_id, status=WebhookLog.Status.RECEIVED).exists():
        log_finalize(log_id=log_id)


def _lease(job_id: int, attempt: int):
    """Renewed from a thread by a worker; tasks run inline (sync mode) cannot die on their own."""
    if Conf.SYNC:
        return contextlib.nullcontext(LeaseKeeper(job_id=job_id, attempt=attempt))
    return LeaseKeeper(job_id=job_id, attempt=attempt)


def log_finalize(*, log_id: int) -> None:
    """When the log's last job has finished, set the log's final status from its orders."""
    from webhooks.models import WebhookLog

    unfinished = AccountJob.objects.filter(webhook_log_id=log_id).exclude(
        state__in=[AccountJob.State.DONE, AccountJob.State.FAILED]
    )
    if unfinished.exists():  # only the log's last job does the work: a fan-out stays linear
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


def jobs_sweep() -> dict:
    """Jobs the broker lost or a dead worker left behind. A job still QUEUED after
    JOB_REQUEUE_AFTER_SECONDS, or RUNNING with a lapsed lease, is enqueued again (claiming makes a
    double delivery harmless) and resumes; one that already used its JOB_MAX_ATTEMPTS is closed
    as failed: its unsent orders end EXPIRED, its sent ones are left to the order sweeper."""
    now = timezone.now()
    lapsed = AccountJob.objects.filter(lease_lapsed(now))
    exhausted = list(lapsed.filter(attempts__gte=settings.JOB_MAX_ATTEMPTS))
    for job in exhausted:
        _close_exhausted(job)
    finalized = logs_finalize_pending()
    requeue_before = now - timedelta(seconds=settings.JOB_REQUEUE_AFTER_SECONDS)
    resumed = list(lapsed.filter(attempts__lt=settings.JOB_MAX_ATTEMPTS).values_list("pk", "webhook_log_id"))
    requeued = list(
        AccountJob.objects.filter(state=AccountJob.State.QUEUED, created_at__lt=requeue_before).values_list(
            "pk", "webhook_log_id"
        )
    )
    for job_id, log_id in resumed + requeued:
        logger.warning("job %s lost by the broker or its worker: enqueued again", job_id)
        async_task("orders.tasks.run_account_job", job_id, group=f"log-{log_id}")
    finalized += logs_finalize_pending()  # jobs run inline (sync mode) may have finished just now
    return {
        "resumed": len(resumed),
        "requeued": len(requeued),
        "closed": len(exhausted),
        "finalized": finalized,
    }


def _close_exhausted(job: AccountJob) -> None:
    message = _(
        "작업이 %(n)d번 중단되어 포기했습니다; 보내지 않은 주문은 만료, 보낸 주문은 client id로 정리됩니다"
    ) % {"n": job.attempts}
    closed = AccountJob.objects.filter(
        pk=job.pk, attempts=job.attempts, state=AccountJob.State.RUNNING
    ).update(state=AccountJob.State.FAILED, finished_at=timezone.now(), error=message, lease_until=None)
    if not closed:
        return
    logger.warning("job %s closed as failed after %s attempts", job.pk, job.attempts)
    unsent = Order.objects.filter(
        webhook_log_id=job.webhook_log_id,
        account_id=job.account_id,
        status=OrderStatus.PROCESSING,
        submitted_at__isnull=True,
    )
    for order in unsent:
        order_expire(order=order, message=message, source=OrderEvent.Source.SWEEPER)


def logs_finalize_pending() -> int:
    """Give a final status to logs still `received` whose jobs have all finished (answered 202)."""
    from webhooks.models import WebhookLog

    pending = (
        WebhookLog.objects.filter(
            status=WebhookLog.Status.RECEIVED,
            jobs__isnull=False,
            received_at__gte=timezone.now() - timedelta(days=2),
        )
        .exclude(jobs__state__in=[AccountJob.State.QUEUED, AccountJob.State.RUNNING])
        .values_list("pk", flat=True)
        .distinct()
    )
    ids = list(pending)
    for log_id in ids:
        log_finalize(log_id=log_id)
    return len(ids)
