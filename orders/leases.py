"""Who runs an account job: a lease its worker renews while it works.

A worker that dies (SIGKILL, OOM, a machine lost) stops renewing; once the lease has lapsed, the
next delivery of the job (the broker's, or the sweeper's) claims it and resumes it where it
stopped. Claims and renewals are single conditional UPDATEs, so two workers never both hold a
job, and a worker that lost its lease notices before its next order.
"""

import logging
import os
import threading
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from orders.models import AccountJob, Order
from orders.reads import claimed_job_orders, job_orders
from tradingsite.rows import columns_of, instance_from_row
from tradingsite.statements import statement_cursor

logger = logging.getLogger(__name__)


def lease_lapsed(now):
    """Running jobs whose worker stopped renewing (rows from before leases: by their start)."""
    lapse = timedelta(seconds=settings.JOB_LEASE_SECONDS)
    return Q(state=AccountJob.State.RUNNING) & (
        Q(lease_until__lt=now) | Q(lease_until__isnull=True, started_at__lt=now - lapse)
    )


def job_claim(*, job_id: int) -> AccountJob | None:
    """Claim a queued job, or a running one whose lease lapsed, while attempts remain. Returns
    the job as claimed (its `attempts` is the attempt now held), or None when the job is someone
    else's or finished.

    One statement, UPDATE … RETURNING: the claim is the first thing every job does, on the path
    between a webhook and its order, and the ORM's update() returns a count only (a second query
    would read back what the UPDATE already had)."""
    sql, params = _claim_update(job_id=job_id)
    with statement_cursor(params) as cursor:
        cursor.execute(f"{sql} RETURNING {columns_of(AccountJob)}", params)
        row = cursor.fetchone()
    return instance_from_row(AccountJob, row) if row else None


def job_claim_with_orders(*, job_id: int) -> tuple[AccountJob, list[Order] | None] | None:
    """job_claim(), and for an orders job its orders as reads.job_orders() gives them (None for
    other kinds); the job's `account` comes with them. On PostgreSQL one round trip: the claim is a
    data-modifying CTE that the read of the orders joins, so a worker goes from claiming to
    sizing without waiting on the database twice; elsewhere (SQLite) the two statements."""
    if connection.vendor != "postgresql":
        job = job_claim(job_id=job_id)
        if job is None:
            return None
        if job.kind != AccountJob.Kind.ORDERS:
            return job, None
        orders = job_orders(webhook_log_id=job.webhook_log_id, account_id=job.account_id)
        if orders:
            job.account = orders[0].account
        return job, orders
    sql, params = _claim_update(job_id=job_id)
    return claimed_job_orders(claim=f"{sql} RETURNING {columns_of(AccountJob)}", params=params)


def _claim_update(*, job_id: int) -> tuple[str, list]:
    """The claim's conditional UPDATE (without RETURNING) and its parameters: only one delivery
    can win it; a lapsed lease is resumable (lease_lapsed() in SQL); attempts are capped."""
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    table = connection.ops.quote_name(AccountJob._meta.db_table)
    State = AccountJob.State
    # lease_lapsed() in SQL: queued, or running with a lapsed lease.
    # The table and column names come from the model, never from input; the values are parameters.
    sql = (
        f"UPDATE {table} SET state = %s, lease_until = %s, attempts = attempts + 1, "  # noqa: S608
        "started_at = COALESCE(started_at, %s) "
        "WHERE id = %s AND attempts < %s AND (state = %s OR (state = %s AND "
        "(lease_until < %s OR (lease_until IS NULL AND started_at < %s))))"
    )
    lapse = timedelta(seconds=settings.JOB_LEASE_SECONDS)
    params = [
        State.RUNNING,
        adapt(now + lapse),
        adapt(now),
        job_id,
        settings.JOB_MAX_ATTEMPTS,
        State.QUEUED,
        State.RUNNING,
        adapt(now),
        adapt(now - lapse),
    ]
    return sql, params


RENEW_EVERY = 1 / 3  # of JOB_LEASE_SECONDS: a lease is renewed once this old
TICK = RENEW_EVERY / 4  # how often the renewing thread looks
MAX_RENEWAL_GAP = RENEW_EVERY + TICK  # between two renewals of a live job's lease


def earlier_attempt_gone_before(claimed_at: datetime) -> datetime:
    """When a job's earlier attempt had stopped at the latest, for a job claimed at `claimed_at`
    because that attempt's lease lapsed: a live attempt's lease is renewed at most
    MAX_RENEWAL_GAP apart, so it stopped no later than (1 - MAX_RENEWAL_GAP) of a lease before
    its lease ran out, which was before the claim. Any create it sent left before then."""
    return claimed_at - timedelta(seconds=settings.JOB_LEASE_SECONDS * (1 - MAX_RENEWAL_GAP))


def job_lease_renew(*, job_id: int, attempt: int) -> bool:
    """Extend the lease if this attempt still holds it; False when another worker took over."""
    until = timezone.now() + timedelta(seconds=settings.JOB_LEASE_SECONDS)
    return bool(
        AccountJob.objects.filter(pk=job_id, attempts=attempt, state=AccountJob.State.RUNNING).update(
            lease_until=until
        )
    )


class LeaseKeeper:
    """Renews a job's lease while the job runs, so that one slow order (a long rate-limit wait,
    an exchange timeout) never lets a live job look dead. One renewing thread per process serves
    every keeper (starting a thread per job cost ~7% of a job's CPU); it dies with its process:
    that is how a killed worker's lease lapses. A job shorter than a renewal interval never
    touches the database from that thread."""

    def __init__(self, *, job_id: int, attempt: int):
        self.job_id, self.attempt = job_id, attempt
        self.lost = False
        self.renewed_at = time.monotonic()

    def __enter__(self) -> "LeaseKeeper":
        _renewer().hold(self)
        return self

    def __exit__(self, *exc) -> None:
        _renewer().release(self)

    def still_ours(self) -> bool:
        return not self.lost


class _Renewer:
    """The process's renewing thread: every TICK of a lease it renews the held leases last
    renewed RENEW_EVERY of a lease ago or more, so renewals are at most MAX_RENEWAL_GAP apart."""

    def __init__(self):
        self.held: dict[int, LeaseKeeper] = {}
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, name="lease-renewer", daemon=True)
        self.thread.start()

    def hold(self, keeper: LeaseKeeper) -> None:
        with self.lock:
            self.held[id(keeper)] = keeper

    def release(self, keeper: LeaseKeeper) -> None:
        with self.lock:
            self.held.pop(id(keeper), None)

    def _run(self) -> None:
        while True:  # it serves every job of the process: nothing may end it but the process
            time.sleep(settings.JOB_LEASE_SECONDS * TICK)
            try:
                self._renew_due()
            except Exception:
                logger.exception("lease renewal pass failed; the next one tries again")

    def _renew_due(self) -> None:
        due_after = settings.JOB_LEASE_SECONDS * RENEW_EVERY
        with self.lock:
            due = [k for k in self.held.values() if time.monotonic() - k.renewed_at >= due_after]
        if not due:
            return
        try:
            for keeper in due:
                self._renew(keeper)
        finally:
            connection.close()  # this thread's own connection: none kept between renewals

    def _renew(self, keeper: LeaseKeeper) -> None:
        try:
            if job_lease_renew(job_id=keeper.job_id, attempt=keeper.attempt):
                keeper.renewed_at = time.monotonic()
                return
            keeper.lost = True
            self.release(keeper)
            logger.warning("job %s: lease taken over by another worker", keeper.job_id)
        except Exception as error:  # a database blip: try again; the lease may lapse meanwhile
            logger.warning("job %s: lease renewal failed: %s", keeper.job_id, error)


_renewers: dict[int, _Renewer] = {}
_renewers_lock = threading.Lock()


def _renewer() -> _Renewer:
    """This process's renewer, started on first use: a forked worker starts its own."""
    with _renewers_lock:
        pid = os.getpid()
        if pid not in _renewers:
            _renewers.clear()
            _renewers[pid] = _Renewer()
        return _renewers[pid]
