"""What the dashboard shows, read from the rollup (final hours) and computed live (the last ones).
A fixed number of queries whatever the number of signals; every one bounded by an index."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.db.models import Count, Max
from django.urls import reverse
from django.utils import timezone

from accounts.models import ExchangeAccount
from dashboard.models import HourlyStat
from dashboard.rollup import FINAL_AFTER, HOUR, LATENCY_BUCKETS_MS, hour_of, rollup_missing, stats_compute
from orders.error_kinds import LABELS, error_kind_q
from orders.models import Order, OrderStatus, RateLimitBlock
from strategies.models import Strategy

WINDOWS = {"24h": 24, "7d": 24 * 7}
STUCK_AFTER = timedelta(seconds=60)


@dataclass
class Group:
    """One exchange's, one strategy's or everyone's numbers over the window."""

    label: str
    per_hour: list  # signals per hour, oldest first
    signals: int = 0
    runs: int = 0
    succeeded: int = 0
    failed: int = 0
    refused_requests: int = 0
    latency_counts: list = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS_MS) + 1))

    def add(self, index: int, row) -> None:
        self.per_hour[index] += row.signals
        self.signals += row.signals
        self.runs += row.runs
        self.succeeded += row.succeeded
        self.failed += row.failed
        self.refused_requests += row.refused_requests
        for bucket, count in enumerate(row.latency_counts):
            self.latency_counts[bucket] += count

    @property
    def success_rate(self) -> float | None:
        finished = self.succeeded + self.failed
        return round(100 * self.succeeded / finished, 1) if finished else None

    def percentile(self, q: float) -> str:
        """The bucket the q-quantile falls in, as its upper bound ("≤ 30 ms")."""
        total = sum(self.latency_counts)
        if not total:
            return "—"
        running = 0
        for bucket, count in enumerate(self.latency_counts):
            running += count
            if running >= q * total:
                if bucket < len(LATENCY_BUCKETS_MS):
                    return f"≤ {LATENCY_BUCKETS_MS[bucket]} ms"
                return f"> {LATENCY_BUCKETS_MS[-1]} ms"
        return "—"

    @property
    def median(self) -> str:
        return self.percentile(0.5)

    @property
    def p95(self) -> str:
        return self.percentile(0.95)


@dataclass
class _Row:  # a live Stat shaped like a HourlyStat row
    hour: datetime
    owner_id: int | None
    exchange: str
    strategy_id: int | None
    signals: int
    runs: int
    succeeded: int
    failed: int
    refused_requests: int
    latency_counts: list
    errors: dict


def _rows(*, start: datetime, now: datetime, user) -> list:
    """Rollup rows of the final hours, and live rows of the hours after them."""
    rollup_missing(since=start, now=now)
    live_from = hour_of(now - FINAL_AFTER)
    stored = HourlyStat.objects.filter(hour__gte=start, hour__lt=live_from)
    if not user.is_superuser:
        stored = stored.filter(owner=user)
    rows = list(stored)
    for (hour, owner_id, exchange, strategy_id), stat in stats_compute(start=live_from, end=now).items():
        if user.is_superuser or owner_id == user.pk:
            rows.append(
                _Row(
                    hour,
                    owner_id,
                    exchange,
                    strategy_id,
                    len(stat.signals),
                    stat.runs,
                    stat.succeeded,
                    stat.failed,
                    stat.refused_requests,
                    stat.latency_counts,
                    stat.errors,
                )
            )
    return rows


def dashboard_data(*, user, window: str = "24h", now: datetime | None = None) -> dict:
    """Everything the dashboard page shows for the window ("24h" or "7d")."""
    now = now or timezone.now()
    hours = WINDOWS.get(window, 24)
    start = hour_of(now) - (hours - 1) * HOUR
    rows = _rows(start=start, now=now, user=user)
    total = Group("all", [0] * hours)
    exchanges: dict[str, Group] = {}
    strategies: dict[int, Group] = {}
    errors: dict[str, int] = {}
    for row in rows:
        index = int((row.hour - start) / HOUR)
        if not 0 <= index < hours:
            continue
        total.add(index, row)
        if row.exchange:
            exchanges.setdefault(row.exchange, Group(row.exchange, [0] * hours)).add(index, row)
        if row.strategy_id:
            strategies.setdefault(row.strategy_id, Group(str(row.strategy_id), [0] * hours)).add(index, row)
        for key, count in row.errors.items():
            errors[key] = errors.get(key, 0) + count
    names = dict(Strategy.objects.filter(pk__in=strategies).values_list("pk", "group_name"))
    for pk, group in strategies.items():
        group.label = names.get(pk, f"#{pk}")
    return {
        "window": window,
        "hours": hours,
        "start": start,
        "now": now,
        "total": total,
        "by_exchange": sorted(exchanges.values(), key=lambda g: g.label),
        "by_strategy": sorted(strategies.values(), key=lambda g: -g.signals),
        "errors": _errors(errors, start),
        **_accounts_in_trouble(user=user, now=now),
        **_stuck(user=user, now=now),
    }


def _errors(counts: dict, start: datetime) -> list[dict]:
    since = {"received_at__gte": start.isoformat()}
    out = []
    for key, count in sorted(counts.items(), key=lambda item: -item[1])[:10]:
        source, value = key.split(":", 1)
        if source == "order":
            label = LABELS.get(value, value)
            query = {"error_kind": value, "created_at__gte": start.isoformat()}
            link = reverse("admin:orders_order_changelist") + "?" + urlencode(query)
        else:
            label = value
            link = (
                reverse("admin:webhooks_webhooklog_changelist")
                + "?"
                + urlencode({"error_code": value, **since})
            )
        out.append({"label": label, "source": source, "count": count, "link": link})
    return out


def _accounts_in_trouble(*, user, now: datetime) -> dict:
    """Accounts with an authentication or rate-limit failure in the last 24 hours, or whose last
    connection test failed; the database limiter's active IP blocks."""
    recent = Order.objects.filter(status=OrderStatus.REJECTED, updated_at__gte=now - timedelta(hours=24))
    accounts = ExchangeAccount.objects.all()
    if not user.is_superuser:
        recent, accounts = recent.filter(account__owner=user), accounts.filter(owner=user)
    trouble = []
    for kind in ("auth", "rate_limit"):
        found = (
            recent.filter(error_kind_q(kind))
            .values("account_id", "account__label", "account__exchange")
            .annotate(count=Count("id"), last=Max("updated_at"))
            .order_by("-last")[:20]
        )
        trouble += [{**row, "kind": LABELS[kind]} for row in found]
    failed_checks = list(
        accounts.filter(last_checked_at__gte=now - timedelta(hours=24), last_check__ok=False)
        .values("pk", "label", "exchange", "last_checked_at")
        .order_by("-last_checked_at")[:20]
    )
    blocks = list(RateLimitBlock.objects.filter(until__gt=now.timestamp()).values("key", "until")[:20])
    return {"trouble": trouble, "failed_checks": failed_checks, "ip_blocks": blocks}


def _stuck(*, user, now: datetime) -> dict:
    stuck = Order.objects.filter(status=OrderStatus.PROCESSING, updated_at__lt=now - STUCK_AFTER)
    if not user.is_superuser:
        stuck = stuck.filter(account__owner=user)
    return {
        "stuck_count": stuck.count(),
        "stuck": list(stuck.select_related("account").order_by("updated_at")[:20]),
    }
