"""Running one account job (a django-q2 task's body), and the sweep of jobs that never finished."""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from orders.cancellation import account_cancel_execute
from orders.execution import account_orders_execute
from orders.models import AccountJob

logger = logging.getLogger(__name__)


def job_run(*, job_id: int) -> dict:
    """Run the job once. A job that is already running or finished is left alone, so a task
    delivered twice does nothing the second time."""
    claimed = AccountJob.objects.filter(pk=job_id, state=AccountJob.State.QUEUED).update(
        state=AccountJob.State.RUNNING, started_at=timezone.now()
    )  # one conditional UPDATE: atomic by itself, and only one delivery can win it
    if not claimed:
        logger.warning("job %s was already claimed; not running it again", job_id)
        return {"skipped": True}
    job = AccountJob.objects.select_related("account", "strategy").get(pk=job_id)
    # The job row is written in the webhook's own transaction: its age is the queueing delay.
    logger.info(
        "job %s (%s, account %s) started %.1f ms after its webhook arrived",
        job_id,
        job.kind,
        job.account_id,
        (timezone.now() - job.created_at).total_seconds() * 1000,
    )
    state, error, result, stages = AccountJob.State.DONE, "", None, {}
    try:
        if job.kind == AccountJob.Kind.ORDERS:
            stages = account_orders_execute(job=job) or {}
        else:
            result = account_cancel_execute(job=job)
    except Exception as exc:  # the job's own failure is recorded, never re-run by the broker
        logger.exception("job %s failed", job_id)
        state, error = AccountJob.State.FAILED, f"{type(exc).__name__}: {str(exc)[:500]}"
    AccountJob.objects.filter(pk=job_id).update(
        state=state, error=error, result=result, finished_at=timezone.now(), **stages
    )
    # The log's final status is set by the webhook's answer, or, when it answered 202 before the
    # jobs finished, by the next sweep: a fan-out's jobs never need to look at each other.
    return result or {"state": state}


def jobs_sweep() -> dict:
    """Jobs the broker lost or a dead worker left behind. A job still QUEUED after
    JOB_REQUEUE_AFTER_SECONDS is enqueued again (claiming makes a double delivery harmless); one
    QUEUED or RUNNING past ORDER_STUCK_AFTER_SECONDS is closed as failed, and its orders are left
    to the order sweeper, which settles them by client order id."""
    now = timezone.now()
    stuck_before = now - timedelta(seconds=settings.ORDER_STUCK_AFTER_SECONDS)
    requeue_before = now - timedelta(seconds=settings.JOB_REQUEUE_AFTER_SECONDS)
    stale = AccountJob.objects.filter(
        state__in=[AccountJob.State.QUEUED, AccountJob.State.RUNNING], created_at__lt=stuck_before
    )
    closed = list(stale.values_list("pk", "webhook_log_id"))
    stale.update(
        state=AccountJob.State.FAILED,
        finished_at=now,
        error=_("작업이 끝나지 않았습니다 (작업자 중단 또는 유실); 주문은 client id로 정리됩니다"),
    )
    for job_id, _log_id in closed:
        logger.warning("job %s closed as failed: never finished", job_id)
    requeued = list(
        AccountJob.objects.filter(state=AccountJob.State.QUEUED, created_at__lt=requeue_before).values_list(
            "pk", "webhook_log_id"
        )
    )
    for job_id, log_id in requeued:
        logger.warning("job %s still queued: enqueued again", job_id)
        async_task("orders.tasks.run_account_job", job_id, group=f"log-{log_id}")
    return {"closed": len(closed), "requeued": len(requeued)}
