"""Turning an accepted intent into account jobs, and waiting for them within the deadline."""

import contextlib
import logging
import time

from django.db import DatabaseError, connection, transaction
from django_q.brokers.redis_broker import Redis as RedisBroker
from django_q.tasks import async_task

from orders import guard, notices, reads
from orders.client_ids import client_order_id
from orders.intent import CancelIntent, OrderIntent
from orders.models import AccountJob, Order, OrderEvent
from strategies.models import Strategy, StrategyAccount
from tradingsite.rows import database, insert_sql, rows_insert
from tradingsite.statements import statement_cursor

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.01
FEW_ACCOUNTS = 5


def orders_create(
    *, log_id: int, strategy: Strategy, links: list[StrategyAccount], intent: OrderIntent
) -> list[AccountJob]:
    """Within the caller's transaction: one job per linked account and one PROCESSING Order per
    account × leg of the intent. The jobs are enqueued when the transaction commits."""
    jobs, orders = _orders_build(log_id=log_id, strategy=strategy, links=links, intent=intent)
    # bulk_create without the ORM's compile (tradingsite/rows.py): the webhook's hot path.
    rows_insert(jobs)
    rows_insert(orders)
    rows_insert(_first_events(orders, log_id))
    _enqueue_on_commit(jobs, log_id)
    return jobs


def orders_create_with_log(
    *, log, strategy: Strategy, links: list[StrategyAccount], intent: OrderIntent
) -> list[AccountJob]:
    """PostgreSQL: the webhook's log row (its primary key already drawn from its sequence), its
    jobs, orders and their first events as ONE statement, atomic on its own: on this machine
    each round trip costs ~0.3 ms and the transaction's BEGIN, five INSERTs and COMMIT were half
    of the time between a webhook's arrival and its commit. Raises IntegrityError, having
    written nothing, when the log row's signal_id was claimed first. The jobs are enqueued once
    it is committed (at once outside a transaction)."""
    jobs, orders = _orders_build(log_id=log.pk, strategy=strategy, links=links, intent=intent)
    quote = connection.ops.quote_name
    log_insert, log_values = insert_sql([log], with_pk=True)
    jobs_insert, jobs_values = insert_sql(jobs)
    orders_insert, orders_values = insert_sql(orders)
    event = _first_events(orders[:1], log.pk)[0]
    event_fields = [f for f in OrderEvent._meta.concrete_fields if not f.primary_key and f.name != "order"]
    event_columns = ", ".join(quote(f.column) for f in event_fields)
    db = database()
    event_values = [f.get_db_prep_save(f.pre_save(event, True), db) for f in event_fields]
    # Every order's first event is the same but for its order: written from the orders' RETURNING.
    # Names come from the models' metadata; every value is a parameter.
    sql = (
        f"WITH lg AS ({log_insert} RETURNING 1), "  # noqa: S608
        f"jb AS ({jobs_insert} RETURNING {quote('id')}, {quote('account_id')}), "
        f"od AS ({orders_insert} RETURNING {quote('id')}, {quote('client_order_id')}), "
        f"ev AS (INSERT INTO {quote(OrderEvent._meta.db_table)} ({quote('order_id')}, {event_columns}) "
        f"SELECT {quote('id')}, {', '.join(['%s'] * len(event_fields))} FROM od) "
        "SELECT 'j', id, account_id::text FROM jb UNION ALL SELECT 'o', id, client_order_id FROM od"
    )
    # Inside a caller's transaction (tests), a savepoint keeps that transaction usable after a
    # refused claim; on its own the statement is atomic and needs no BEGIN or COMMIT.
    scope = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    params = [*log_values, *jobs_values, *orders_values, *event_values]
    with scope, statement_cursor(params) as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    job_ids = {int(key): pk for kind, pk, key in returned if kind == "j"}
    order_ids = {key: pk for kind, pk, key in returned if kind == "o"}
    if len(job_ids) != len(jobs) or len(order_ids) != len(orders):  # one job per account, unique ids
        raise DatabaseError("the signal's rows did not come back one for one")
    log._state.adding = False
    for job in jobs:
        job.pk, job._state.adding = job_ids[job.account_id], False
    for order in orders:
        order.pk, order._state.adding = order_ids[order.client_order_id], False
    _enqueue_on_commit(jobs, log.pk)
    return jobs


def _orders_build(*, log_id: int, strategy: Strategy, links: list[StrategyAccount], intent: OrderIntent):
    """The signal's account jobs and PROCESSING orders, not yet written."""
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
    return jobs, orders


def _first_events(orders: list[Order], log_id: int) -> list[OrderEvent]:
    return [
        OrderEvent(
            order=order,
            source=OrderEvent.Source.WEBHOOK,
            to_status=order.status,
            detail=f"webhook log {log_id}",
        )
        for order in orders
    ]


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
    """Read the jobs once every job has sent its notice, or after each silence of CHECK_SECONDS (a
    notice can be lost: the database decides), until they are all finished."""
    heard = popped = 0
    while True:
        remaining = deadline - time.monotonic()
        if heard >= len(job_ids) or remaining <= 0:
            jobs = _jobs_load(job_ids, log_id)
            if remaining <= 0 or all(job.finished for job in jobs):
                if popped != len(job_ids):  # one notice per job, each popped: the list is gone
                    notices.notices_forget(log_id=log_id)
                return jobs
            heard = sum(1 for job in jobs if job.finished)  # a stale notice: count anew
        if notices.notice_wait(log_id=log_id, timeout=min(remaining, notices.CHECK_SECONDS)):
            heard, popped = heard + 1, popped + 1
        else:  # no notice for a while: look in the database
            heard = len(job_ids)


def _jobs_load(job_ids: list[int], log_id: int | None = None) -> list[AccountJob]:
    if log_id is not None:  # the log's jobs are these jobs: one precompiled read (orders/reads.py)
        return reads.log_jobs(webhook_log_id=log_id)
    return list(AccountJob.objects.filter(pk__in=job_ids).select_related("account").order_by("id"))
