"""Running one account job (a django-q2 task's body), and the sweep of jobs that never finished."""

import contextlib
import logging
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from django.utils.translation import gettext as _
from django_q.conf import Conf
from django_q.tasks import async_task

from accounts.exchange import client as exchange
from orders import notices
from orders.cancellation import account_cancel_execute
from orders.events import job_finished
from orders.execution import account_orders_execute
from orders.guard import order_expire
from orders.leases import LeaseKeeper, job_claim_with_orders, lease_lapsed
from orders.lifecycle import order_record_exchange_state
from orders.models import AccountJob, Order, OrderEvent, OrderStatus
from tradingsite.rows import rows_update_where
from tradingsite.write_behind import write_behind

logger = logging.getLogger(__name__)


def job_run(*, job_id: int) -> dict:
    """Run the job, or resume it when its last worker died (orders/leases.py). A job that is
    running elsewhere or finished is left alone, so a task delivered twice does nothing more."""
    # One conditional UPDATE (only one delivery can win it) that, on PostgreSQL, also reads the
    # job's orders: the worker goes from claiming to sizing in one round trip.
    claimed = job_claim_with_orders(job_id=job_id)
    if claimed is None:
        logger.warning("job %s was already claimed; not running it again", job_id)
        return {"skipped": True}
    job, orders = claimed
    attempt = job.attempts
    # The job row is written in the webhook's own transaction: its age is the queueing delay. A
    # first start is routine and its row keeps the stage times (started_at, sent_at, …): a line
    # per job at INFO cost a fan-out's workers ~4 % of their CPU. A resume is worth a line.
    logger.log(
        logging.DEBUG if attempt == 1 else logging.INFO,
        "job %s (%s, account %s) %s %.1f ms after its webhook arrived",
        job_id,
        job.kind,
        job.account_id,
        "started" if attempt == 1 else f"resumed (attempt {attempt})",
        (timezone.now() - job.created_at).total_seconds() * 1000,
    )
    # The job's last order write waits for the job's close and goes out in the same statement
    # (tradingsite/write_behind.py): one round trip less before the webhook hears of the end.
    with write_behind():
        state, error, result, stages = AccountJob.State.DONE, "", None, {}
        with _lease(job_id, attempt) as lease:
            try:
                if job.kind == AccountJob.Kind.ORDERS:
                    stages = account_orders_execute(job=job, orders=orders, still_ours=lease.still_ours) or {}
                else:
                    result = account_cancel_execute(job=job)
            except (OperationalError, InterfaceError):  # the database went away: the job stays
                logger.exception("job %s interrupted by the database; it resumes", job_id)  # RUNNING
                raise  # and its lease lapses, so the sweeper resumes it instead of failing it
            except Exception as exc:  # the job's own failure is recorded, never re-run by the broker
                logger.exception("job %s failed", job_id)
                state, error = AccountJob.State.FAILED, f"{type(exc).__name__}: {str(exc)[:500]}"
        if lease.lost:  # another worker resumed it meanwhile: that one records the end
            return {"state": "handed over"}
        # filter(pk=…, attempts=…).update(…) without the ORM's compile: ~1 ms of CPU on every job.
        rows_update_where(
            AccountJob,
            {
                "state": state,
                "error": error,
                "result": result,
                "finished_at": timezone.now(),
                "lease_until": None,
                **stages,
            },
            {"id": job_id, "attempts": attempt},
        )
    # The webhook request waiting for it wakes; whoever follows the job's signal hears that it
    # ended (webhooks closes a log answered 202).
    notices.job_finished_notify(log_id=job.webhook_log_id, job_id=job_id)
    job_finished.send(
        sender=AccountJob, job_id=job_id, webhook_log_id=job.webhook_log_id, created_at=job.created_at
    )
    return result or {"state": state}


def _lease(job_id: int, attempt: int):
    """Renewed from a thread by a worker; tasks run inline (sync mode) cannot die on their own."""
    if Conf.SYNC:
        return contextlib.nullcontext(LeaseKeeper(job_id=job_id, attempt=attempt))
    return LeaseKeeper(job_id=job_id, attempt=attempt)


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
    return {"resumed": len(resumed), "requeued": len(requeued), "closed": len(exhausted)}


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
    notices.job_finished_notify(log_id=job.webhook_log_id, job_id=job.pk)
    job_finished.send(
        sender=AccountJob, job_id=job.pk, webhook_log_id=job.webhook_log_id, created_at=job.created_at
    )
    # Creates are not written before they leave (lifecycle.order_stage): an order with no
    # `submitted_at` may still have reached the exchange, so it is looked up before it expires.
    # Every attempt's lease has lapsed, so any create is old enough for "no such order" to hold.
    maybe_unsent = Order.objects.filter(
        webhook_log_id=job.webhook_log_id,
        account_id=job.account_id,
        status=OrderStatus.PROCESSING,
        submitted_at__isnull=True,
    ).select_related("account")
    for order in maybe_unsent:
        _settle_unsent(order, message)


def _settle_unsent(order: Order, message: str) -> None:
    try:
        state = exchange.client_for(order.account).find_order(
            symbol=order.symbol,
            market_type=order.market_type,
            client_order_id=order.client_order_id,
            is_trigger=order.is_trigger,
        )
    except Exception as error:  # cannot tell: the order sweeper looks again, by client id
        logger.warning("order %s: lookup before closing failed: %s", order.client_order_id, error)
        return
    if state is None:
        order_expire(order=order, message=message, source=OrderEvent.Source.SWEEPER)
    else:
        order_record_exchange_state(
            order=order, state=state, source=OrderEvent.Source.SWEEPER, detail="found by client order id"
        )
