"""What the dashboard shows, read from the rollup (final hours) and computed live (the last ones).
A fixed number of queries whatever the number of signals; every one bounded by an index."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.db.models import Count, Max, Sum
from django.urls import reverse
from django.utils import timezone

from accounts.exchange import ratelimit
from accounts.exchange.ratelimit_rules import ip_limit_key
from accounts.models import ExchangeAccount
from dashboard.models import COUNT_FIELDS, LATENCY_BUCKETS_MS, LATENCY_FIELDS, HourlyError, HourlyStat
from dashboard.rollup import FINAL_AFTER, HOUR, hour_of, rollup_missing, stats_compute
from orders.error_kinds import LABELS, error_kind_q
from orders.models import Order, OrderStatus
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
    latency_counts: list = field(default_factory=lambda: [0] * len(LATENCY_FIELDS))

    def add(self, sums: dict) -> None:
        for name in COUNT_FIELDS:
            setattr(self, name, getattr(self, name) + (sums.get(name) or 0))
        for bucket, name in enumerate(LATENCY_FIELDS):
            self.latency_counts[bucket] += sums.get(name) or 0

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
class _Window:
    """What the groups are built from: sums per (exchange, strategy), signals per hour per
    exchange and per strategy, error counts."""

    totals: list = field(default_factory=list)  # dicts with exchange, strategy_id and SUMS
    hourly: list = field(default_factory=list)  # (hour, exchange or None, strategy_id or None, signals)
    errors: dict = field(default_factory=dict)


SUMS = [*COUNT_FIELDS, *LATENCY_FIELDS]


def _stored(*, start: datetime, end: datetime, user) -> _Window:
    """The rollup's final hours in [start, end), summed by the database: four queries on the
    hour index, whatever the number of signals."""
    stats = HourlyStat.objects.filter(hour__gte=start, hour__lt=end)
    errors = HourlyError.objects.filter(hour__gte=start, hour__lt=end)
    if not user.is_superuser:
        stats, errors = stats.filter(owner=user), errors.filter(owner=user)
    window = _Window()
    window.totals = list(
        stats.values("exchange", "strategy_id").annotate(**{name: Sum(name) for name in SUMS}).order_by()
    )
    by_exchange = stats.exclude(exchange="").values_list("hour", "exchange").annotate(n=Sum("signals"))
    window.hourly += [(hour, exchange, None, n) for hour, exchange, n in by_exchange.order_by()]
    by_strategy = stats.exclude(strategy=None).values_list("hour", "strategy_id").annotate(n=Sum("signals"))
    window.hourly += [(hour, None, strategy, n) for hour, strategy, n in by_strategy.order_by()]
    window.errors = dict(errors.values_list("key").annotate(n=Sum("count")).order_by())
    return window


def _live(*, start: datetime, end: datetime, user, window: _Window) -> None:
    """The hours not final yet, computed from the signal tables and added to `window`."""
    for (hour, owner_id, exchange, strategy_id), stat in stats_compute(start=start, end=end).items():
        if not (user.is_superuser or owner_id == user.pk):
            continue
        sums = {
            "signals": len(stat.signals),
            "runs": stat.runs,
            "succeeded": stat.succeeded,
            "failed": stat.failed,
            "refused_requests": stat.refused_requests,
            **dict(zip(LATENCY_FIELDS, stat.latency_counts, strict=True)),
        }
        window.totals.append({"exchange": exchange, "strategy_id": strategy_id, **sums})
        if exchange:
            window.hourly.append((hour, exchange, None, sums["signals"]))
        if strategy_id:
            window.hourly.append((hour, None, strategy_id, sums["signals"]))
        for key, count in stat.errors.items():
            window.errors[key] = window.errors.get(key, 0) + count


def dashboard_data(*, user, window: str = "24h", now: datetime | None = None) -> dict:
    """Everything the dashboard page shows for the window ("24h" or "7d")."""
    now = now or timezone.now()
    hours = WINDOWS.get(window, 24)
    start = hour_of(now) - (hours - 1) * HOUR
    rollup_missing(since=start, now=now)
    live_from = hour_of(now - FINAL_AFTER)
    data = _stored(start=start, end=live_from, user=user)
    _live(start=live_from, end=now, user=user, window=data)
    total = Group("all", [0] * hours)
    exchanges: dict[str, Group] = {}
    strategies: dict[int, Group] = {}
    for sums in data.totals:
        total.add(sums)
        if sums["exchange"]:
            exchanges.setdefault(sums["exchange"], Group(sums["exchange"], [0] * hours)).add(sums)
        if sums["strategy_id"]:
            strategy = sums["strategy_id"]
            strategies.setdefault(strategy, Group(str(strategy), [0] * hours)).add(sums)
    for hour, exchange, strategy, signals in data.hourly:
        index = int((hour - start) / HOUR)
        if not 0 <= index < hours:
            continue
        if exchange:
            exchanges[exchange].per_hour[index] += signals
            total.per_hour[index] += signals  # every routed signal has its exchange
        if strategy and strategy in strategies:
            strategies[strategy].per_hour[index] += signals
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
        "errors": _errors(data.errors, start),
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
    connection test failed; the exchanges' IP limits under a block."""
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
    return {"trouble": trouble, "failed_checks": failed_checks, "ip_blocks": _ip_blocks()}


def _ip_blocks() -> list[dict]:
    """The exchanges' per-IP limits under a block now (Retry-After, Binance 418, Bybit 403), read
    from the shared limiter whichever backend it uses (Redis or the database)."""
    markets: dict[str, list] = {}  # one key may hold several markets (Bybit's IP limit is shared)
    for exchange in ("BINANCE", "BYBIT", "OKX"):
        for market_type in ("SPOT", "FUTURES"):
            markets.setdefault(ip_limit_key(exchange, market_type), []).append((exchange, market_type))
    blocks = []
    for key, pairs in markets.items():
        seconds = ratelimit.blocked_for(key=key)
        if seconds > 0:
            label = f"{pairs[0][0]} " + "+".join(market for _exchange, market in pairs)
            blocks.append({"key": label, "seconds": round(seconds)})
    return blocks


def _stuck(*, user, now: datetime) -> dict:
    stuck = Order.objects.filter(status=OrderStatus.PROCESSING, updated_at__lt=now - STUCK_AFTER)
    if not user.is_superuser:
        stuck = stuck.filter(account__owner=user)
    return {
        "stuck_count": stuck.count(),
        "stuck": list(stuck.select_related("account").order_by("updated_at")[:20]),
    }
