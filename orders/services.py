"""Turning an accepted intent into account jobs, and waiting for them within the deadline."""

import logging
import time

from django.db import transaction
from django_q.brokers.redis_broker import Redis as RedisBroker
from django_q.tasks import async_task

from orders import guard, notices, reads
from orders.client_ids import client_order_id
from orders.intent import CancelIntent, OrderIntent
from orders.models import AccountJob, Order, OrderEvent
from strategies.models import Strategy, StrategyAccount
from tradingsite.rows import rows_insert

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.01
FEW_ACCOUNTS = 5


def orders_create(
    *, log_id: int, strategy: Strategy, links: list[StrategyAccount], intent: OrderIntent
) -> list[AccountJob]:
    """Within the caller's transaction: one job per linked account and one PROCESSING Order per
    account × leg of the intent. The jobs are enqueued when the transaction commits."""
    jobs, orders = [], []
    delay = guard.signal_max_delay(
        signal_delay=intent.max_delay, strategy=strategy, order_type=intent.order_type
    )
    send_by = guard.signal_send_by(received_at=intent.received_at, delay=delay)
    for link in links:
        jobs.append(
            AccountJob(
                webhook_log_id=log_id,
                strategy=strategy,
                account=link.account,
                kind=AccountJob.Kind.ORDERS,
                send_by=send_by,
            )
        )
        for index, leg in enumerate(intent.legs):
            orders.append(
                Order(
                    strategy=strategy,
                    account=link.account,
                    link=link,
                    webhook_log_id=log_id,
                    order_index=index,
                    client_order_id=client_order_id(
                        log_id=log_id, account_id=link.account_id, order_index=index
                    ),
                    symbol=intent.symbol,
                    market_type=intent.market_type,
                    side=intent.side,
                    order_type=intent.order_type,
                    price=leg.price,
                    stop_price=leg.stop_price,
                    qty_per=leg.qty_per,
                )
            )
    # bulk_create without the ORM's compile (tradingsite/rows.py): the webhook's hot path.
    rows_insert(jobs)
    rows_insert(orders)
    rows_insert(
        [
            OrderEvent(
                order=order,
                source=OrderEvent.Source.WEBHOOK,
                to_status=order.status,
                detail=f"webhook log {log_id}",
            )
            for order in orders
        ]
    )
    _enqueue_on_commit(jobs, log_id)
    return jobs


def cancel_jobs_create(
    *, log_id: int, strategy: Strategy, links: list[StrategyAccount], intent: CancelIntent
) -> list[AccountJob]:
    """Within the caller's transaction: one cancel job per linked account (filters kept on the job)."""
    jobs = [
        AccountJob(
            webhook_log_id=log_id,
            strategy=strategy,
            account=link.account,
            kind=AccountJob.Kind.CANCEL,
            filters=intent.as_filters(),
        )
        for link in links
    ]
    rows_insert(jobs)
    _enqueue_on_commit(jobs, log_id)
    return jobs


class _BatchingBroker:
    """Collects what django-q2's async_task would push, so that a fan-out reaches Redis in one
    round trip instead of one per account; async_task still builds and signs every task."""

    def __init__(self, broker):
        self.broker, self.list_key, self.packages = broker, broker.list_key, []

    def enqueue(self, package):
        self.packages.append(package)

    def flush(self) -> None:
        if not self.packages:  # sync mode (tests) ran the tasks inline: nothing to push
            return
        if isinstance(self.broker, RedisBroker):
            self.broker.connection.rpush(self.list_key, *self.packages)
        else:  # the ORM broker: one row per task
            for package in self.packages:
                self.broker.enqueue(package)


def _enqueue_on_commit(jobs: list[AccountJob], log_id: int) -> None:
    job_ids = [job.pk for job in jobs]

    def enqueue():
        started = time.monotonic()
        batch = _BatchingBroker(notices.broker())
        for job_id in job_ids:
            async_task("orders.tasks.run_account_job", job_id, group=f"log-{log_id}", broker=batch)
        batch.flush()
        logger.debug(  # the log row's committed_at and the jobs' started_at tell it in production
            "webhook %s: %s job(s) enqueued in %.1f ms",
            log_id,
            len(job_ids),
            (time.monotonic() - started) * 1000,
        )

    transaction.on_commit(enqueue)


def jobs_wait(
    *, job_ids: list[int], started: float, deadline: float, log_id: int | None = None
) -> list[AccountJob]:
    """Wait until all the jobs have finished or `deadline` (a time.monotonic() value) has come,
    then load them. With Redis the jobs' finished notices wake the wait (orders/notices.py);
    otherwise polling asks only how many are unfinished: a 100-account fan-out must not reload
    100 rows every few milliseconds on the web's CPU."""
    if log_id is not None and notices.available():
        return _wait_for_notices(job_ids, log_id, deadline)
    pending = AccountJob.objects.filter(pk__in=job_ids).exclude(
        state__in=[AccountJob.State.DONE, AccountJob.State.FAILED]
    )
    # A few accounts finish in tens of milliseconds: poll quickly. A fan-out takes longer and its
    # workers need the CPU and the database more than the answer needs the last few milliseconds.
    delay = POLL_SECONDS
    while pending.exists() and time.monotonic() < deadline:
        time.sleep(min(delay, max(deadline - time.monotonic(), 0)))
        if len(job_ids) > FEW_ACCOUNTS or time.monotonic() - started > 0.3:
            delay = min(delay * 1.5, 0.05)
    return _jobs_load(job_ids, log_id)


def _wait_for_notices(job_ids: list[int], log_id: int, deadline: float) -> list[AccountJob]:
    """Read the jobs once every job has sent its notice, or when CHECK_SECONDS pass without
    one (a notice can be lost: the database decides), until they are all finished."""
    heard = 0
    while True:
        remaining = deadline - time.monotonic()
        if heard >= len(job_ids) or remaining <= 0:
            jobs = _jobs_load(job_ids, log_id)
            if remaining <= 0 or all(job.finished for job in jobs):
                notices.notices_forget(log_id=log_id)
                return jobs
            heard = sum(1 for job in jobs if job.finished)  # a stale notice: count anew
        if notices.notice_wait(log_id=log_id, timeout=min(remaining, notices.CHECK_SECONDS)):
            heard += 1
        else:
            heard = len(job_ids)  # no notice for a while: look in the database


def _jobs_load(job_ids: list[int], log_id: int | None = None) -> list[AccountJob]:
    if log_id is not None:  # the log's jobs are these jobs: one precompiled read (orders/reads.py)
        return reads.log_jobs(webhook_log_id=log_id)
    return list(AccountJob.objects.filter(pk__in=job_ids).select_related("account").order_by("id"))
