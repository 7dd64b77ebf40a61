"""Computing the hourly rollup from the signal tables, and keeping it filled.

Hours that ended more than FINAL_AFTER ago are stored once (their jobs are long finished: the
sweeper closes any job older than ORDER_STUCK_AFTER_SECONDS); the current hour and the one just
closed are computed live on every read. A retry re-opens its signal's hour (`hour_invalidate`).
"""

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from dashboard.models import LATENCY_BUCKETS_MS, LATENCY_FIELDS, HourlyError, HourlyStat, RolledHour
from orders.error_kinds import error_kind
from orders.models import AccountJob, Order, OrderStatus
from webhooks.models import WebhookLog
from webhooks.reports import SUCCESSFUL

FINAL_AFTER = timedelta(minutes=10)
HOUR = timedelta(hours=1)


def hour_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass
class Stat:
    signals: set = field(default_factory=set)
    runs: int = 0
    succeeded: int = 0
    failed: int = 0
    refused_requests: int = 0
    latency_counts: list = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS_MS) + 1))
    errors: dict = field(default_factory=dict)

    def add_latency(self, ms: float) -> None:
        self.latency_counts[bisect.bisect_left(LATENCY_BUCKETS_MS, ms)] += 1

    def add_error(self, key: str, count: int = 1) -> None:
        self.errors[key] = self.errors.get(key, 0) + count


Key = tuple  # (hour, owner_id, exchange, strategy_id)


def stats_compute(*, start: datetime, end: datetime) -> dict[Key, Stat]:
    """The rollup of signals that arrived in [start, end), per hour, owner, exchange, strategy.
    Three queries, each bounded by the indexed arrival time."""
    stats: dict[Key, Stat] = defaultdict(Stat)
    window = {"webhook_log__received_at__gte": start, "webhook_log__received_at__lt": end}
    outcome: dict[tuple, list] = defaultdict(list)  # (log, account) -> [statuses]
    errors: dict[tuple, list] = defaultdict(list)
    for log_id, account_id, status, error in Order.objects.filter(**window).values_list(
        "webhook_log_id", "account_id", "status", "error"
    ):
        outcome[(log_id, account_id)].append(status)
        kind = error_kind(error)
        if kind:
            errors[(log_id, account_id)].append(kind)
    jobs = AccountJob.objects.filter(kind=AccountJob.Kind.ORDERS, **window).values_list(
        "webhook_log_id",
        "account_id",
        "account__exchange",
        "strategy_id",
        "strategy__owner_id",
        "webhook_log__received_at",
        "sent_at",
    )
    for log_id, account_id, exchange, strategy_id, owner_id, received_at, sent_at in jobs:
        stat = stats[(hour_of(received_at), owner_id, exchange, strategy_id)]
        stat.signals.add(log_id)
        stat.runs += 1
        statuses = outcome.get((log_id, account_id), [])
        if statuses and all(s in SUCCESSFUL for s in statuses):
            stat.succeeded += 1
        elif statuses and OrderStatus.PROCESSING not in statuses:
            stat.failed += 1
        if sent_at is not None:
            stat.add_latency((sent_at - received_at).total_seconds() * 1000)
        for kind in errors.get((log_id, account_id), []):
            stat.add_error(f"order:{kind}")
    refused = WebhookLog.objects.filter(
        status=WebhookLog.Status.REJECTED, received_at__gte=start, received_at__lt=end
    ).values_list("received_at", "owner_id", "strategy_id", "error_code")
    for received_at, owner_id, strategy_id, code in refused:
        stat = stats[(hour_of(received_at), owner_id, "", strategy_id)]
        stat.refused_requests += 1
        stat.add_error(f"code:{code or 'unknown'}")
    return stats


def hours_roll(*, start: datetime, end: datetime) -> int:
    """Store the rollup of the whole hours in [start, end) (replacing what was there); returns
    how many hours were rolled."""
    hours = []
    hour = hour_of(start)
    while hour < end:
        hours.append(hour)
        hour += HOUR
    if not hours:
        return 0
    end = hours[-1] + HOUR
    stats = stats_compute(start=hours[0], end=end)
    errors: dict[tuple, int] = defaultdict(int)
    for (hour, owner_id, _exchange, _strategy), stat in stats.items():
        for key, count in stat.errors.items():
            errors[(hour, owner_id, key)] += count
    with transaction.atomic():
        # Claim the hours first: a second rollup of the same hours at the same moment (the
        # schedule and a page) waits on the unique hour, then fails here and writes nothing,
        # so no hour is ever counted twice.
        RolledHour.objects.filter(hour__in=hours).delete()
        try:
            with transaction.atomic():
                RolledHour.objects.bulk_create(RolledHour(hour=h) for h in hours)
        except IntegrityError:
            return 0
        HourlyStat.objects.filter(hour__gte=hours[0], hour__lt=end).delete()
        HourlyError.objects.filter(hour__gte=hours[0], hour__lt=end).delete()
        HourlyStat.objects.bulk_create(
            (
                HourlyStat(
                    hour=key[0],
                    owner_id=key[1],
                    exchange=key[2],
                    strategy_id=key[3],
                    signals=len(stat.signals),
                    runs=stat.runs,
                    succeeded=stat.succeeded,
                    failed=stat.failed,
                    refused_requests=stat.refused_requests,
                    **dict(zip(LATENCY_FIELDS, stat.latency_counts, strict=True)),
                )
                for key, stat in stats.items()
            ),
            batch_size=500,
        )
        HourlyError.objects.bulk_create(
            (HourlyError(hour=h, owner_id=o, key=k[:60], count=n) for (h, o, k), n in errors.items()),
            batch_size=500,
        )
    return len(hours)


def rollup_missing(*, since: datetime, now: datetime | None = None) -> int:
    """Roll up every final hour since `since` that is not rolled yet (one compute for the span
    from the first missing hour to the last); returns how many hours were rolled."""
    now = now or timezone.now()
    last_final = hour_of(now - FINAL_AFTER)  # hours before this one are final
    expected = []
    hour = hour_of(since)
    while hour < last_final:
        expected.append(hour)
        hour += HOUR
    if not expected:
        return 0
    done = set(
        RolledHour.objects.filter(hour__gte=expected[0], hour__lt=last_final).values_list("hour", flat=True)
    )
    missing = [h for h in expected if h not in done]
    if not missing:
        return 0
    return hours_roll(start=missing[0], end=missing[-1] + HOUR)


def hour_invalidate(*, at: datetime) -> None:
    """The hour of `at` is computed again on the next read (a retried signal changed it)."""
    RolledHour.objects.filter(hour=hour_of(at)).delete()
