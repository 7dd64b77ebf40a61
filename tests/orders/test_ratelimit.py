"""The shared rate limiter, against real Redis and the real database (SQLite or PostgreSQL)."""

import multiprocessing
import os
import time
import uuid
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction

from accounts.exchange import ratelimit
from accounts.exchange.ratelimit import Limit, RateLimitTimeout, acquire, block, blocked_for
from accounts.exchange.ratelimit_backends import DatabaseBackend, RedisBackend
from accounts.exchange.ratelimit_rules import ACTIONS, COSTS, ip_limit_key, limits_for

# Every test may use the database backend. A marker, not a fixture asked for at run time: pytest-django
# sets up the test database only for tests it can see need one, and a lone database test would
# otherwise reach the development database.
pytestmark = pytest.mark.django_db

MARGIN = 0.05  # the default RATE_LIMIT_WINDOW_MARGIN, which the child processes use too

# Grants are judged by the times the backend recorded for them on its shared clock (Redis TIME,
# PostgreSQL clock_timestamp()), not by when this process got round to noting them: on a busy
# machine a stall after a grant would make a correct limiter look wrong. How closely a burst keeps
# pace with the exchange's fastest rate is a figure of bench/ratelimit_accuracy.py.


def _redis_url() -> str:
    return django_settings.REDIS_URL or "redis://127.0.0.1:6379/15"


class Recording:
    """The backend, with every attempt's answer kept."""

    def __init__(self, backend):
        self.backend, self.attempts = backend, []

    def __getattr__(self, name):
        return getattr(self.backend, name)

    def attempt(self, entries):
        answer = self.backend.attempt(entries)
        self.attempts.append(answer)
        return answer

    def grants(self) -> list[float]:
        return [answer.at for answer in self.attempts if answer.granted]

    def refusals(self) -> list:
        return [answer for answer in self.attempts if not answer.granted]


def _make_backend(kind: str, namespace: str) -> Recording:
    backend = RedisBackend(url=_redis_url(), namespace=namespace) if kind == "redis" else DatabaseBackend()
    return Recording(backend)


class Installed:
    def __init__(self, kind: str, namespace: str, backend: Recording):
        self.kind, self.namespace, self.backend = kind, namespace, backend


@pytest.fixture(params=["redis", "database"])
def limiter(request, settings):
    """Force one backend for the test; Redis keys live under a namespace of their own."""
    settings.RATE_LIMIT_WINDOW_MARGIN = MARGIN
    kind, namespace = request.param, f"rl:test:{uuid.uuid4().hex[:12]}:"
    backend = _make_backend(kind, namespace)
    ratelimit.set_backend(backend)
    yield Installed(kind, namespace, backend)
    backend.reset("")
    ratelimit.set_backend(None)


def _take(limit: Limit, count: int, cost: int = 1) -> None:
    for _ in range(count):
        acquire(limits=[(limit, cost)], timeout=5)


def _most_in_any_window(grants: list[tuple[float, int]], window: float) -> int:
    """The largest sum of costs granted in any (t - window, t]."""
    grants = sorted(grants)
    return max(sum(c for s, c in grants if t - window < s <= t) for t, _ in grants)


def _costed(times: list[float], cost: int = 1) -> list[tuple[float, int]]:
    return [(t, cost) for t in times]


# --- the limiter ------------------------------------------------------------------------------
def test_under_capacity_nobody_waits(limiter):
    limit = Limit(key="t:under", capacity=5, window=1.0)
    _take(limit, 5)
    assert len(limiter.backend.grants()) == 5 and limiter.backend.refusals() == []


def test_past_capacity_it_waits_until_the_oldest_hit_leaves_the_window(limiter):
    limit = Limit(key="t:past", capacity=3, window=0.3)
    _take(limit, 4)
    first, *_, fourth = limiter.backend.grants()
    assert fourth - first >= 0.3 + MARGIN
    # told how long to wait, never longer than a window (a slow machine may not have needed to)
    assert all(r.key == "t:past" and 0 < r.wait <= 0.3 + MARGIN for r in limiter.backend.refusals())


def test_no_window_ever_holds_more_than_the_capacity_and_a_burst_is_paced_not_refused(limiter):
    limit = Limit(key="t:paced", capacity=10, window=0.5)
    _take(limit, 30)  # the exchange would refuse 20 of these if they all went at once
    grants = limiter.backend.grants()
    assert len(grants) == 30
    assert _most_in_any_window(_costed(grants), 0.5 + MARGIN) == 10
    assert grants[-1] - grants[0] >= 2 * (0.5 + MARGIN)  # 10 now, 10 a window later, 10 after that
    assert all(refusal.wait <= 0.5 + MARGIN for refusal in limiter.backend.refusals())


def test_a_long_wait_is_logged_with_the_limit_that_held_it(limiter, caplog):
    limit = Limit(key="t:logged", capacity=1, window=0.6)
    _take(limit, 2)
    waits = [r.getMessage() for r in caplog.records if r.getMessage().startswith("rate limit: waited")]
    assert len(waits) == 1 and waits[0].endswith("for t:logged"), waits


def test_costs_count_by_weight(limiter):
    limit = Limit(key="t:weight", capacity=10, window=0.3)
    _take(limit, 3, cost=4)
    grants = limiter.backend.grants()
    assert _most_in_any_window(_costed(grants, 4), 0.3) <= 10
    assert grants[2] - grants[0] >= 0.3 + MARGIN


def test_a_wait_sleeps_until_room_instead_of_polling(limiter):
    limit = Limit(key="t:sleep", capacity=2, window=0.3)
    _take(limit, 3)
    # 2 granted, 1 refused with the wait, 1 granted (+1 for a rounding)
    assert len(limiter.backend.attempts) <= 5


def test_all_limits_are_taken_or_none(limiter):
    tight = Limit(key="t:tight", capacity=1, window=5)
    roomy = Limit(key="t:roomy", capacity=3, window=5)
    acquire(limits=[(tight, 1)])
    with pytest.raises(RateLimitTimeout) as refused:
        acquire(limits=[(roomy, 1), (tight, 1)], timeout=0)
    assert refused.value.key == "t:tight"
    acquire(limits=[(roomy, 3)], timeout=0)  # the refused request took nothing from roomy


def test_it_waits_until_every_limit_has_room_at_once(limiter):
    short = Limit(key="t:short", capacity=1, window=0.2)
    long = Limit(key="t:long", capacity=1, window=0.4)
    acquire(limits=[(short, 1), (long, 1)])
    waited = acquire(limits=[(short, 1), (long, 1)])
    first, second = limiter.backend.grants()
    assert second - first >= 0.4 + MARGIN and waited > 0
    assert all(r.key == "t:long" for r in limiter.backend.refusals())  # the longer wait decides


def test_it_raises_at_once_when_the_wait_ends_past_the_timeout(limiter):
    limit = Limit(key="t:timeout", capacity=1, window=10)
    acquire(limits=[(limit, 1)])
    with pytest.raises(RateLimitTimeout) as refused:
        acquire(limits=[(limit, 1)], timeout=0.5)
    assert len(limiter.backend.attempts) == 2  # one refusal, no sleeping on the chance of room
    assert refused.value.key == "t:timeout"
    assert 9 < refused.value.wait <= 10 + ratelimit.window_margin(10)  # 0.5 s on a 10 s window


def test_a_block_stops_every_limit_with_that_key_and_is_only_extended(limiter):
    limit = Limit(key="t:banned", capacity=100, window=1)
    started = time.monotonic()
    block(key="t:banned", seconds=1.0)
    assert 0 < blocked_for(key="t:banned") <= 1.0
    block(key="t:banned", seconds=0.1)  # shorter: ignored
    assert blocked_for(key="t:banned") > 0.1 or time.monotonic() - started > 0.9
    acquire(limits=[(limit, 0)])  # a cost of 0 still respects the block
    assert time.monotonic() - started >= 1.0 - 0.01  # the shared clock and ours may differ by that
    assert all(r.key == "t:banned" for r in limiter.backend.refusals())
    assert blocked_for(key="t:banned") == 0.0
    block(key="t:banned", seconds=5)
    block(key="t:banned", seconds=60)
    assert blocked_for(key="t:banned") > 59
    with pytest.raises(RateLimitTimeout):
        acquire(limits=[(limit, 1)], timeout=1)


def test_reset_forgets_hits_and_blocks(limiter):
    limit = Limit(key="t:reset:a", capacity=1, window=10)
    acquire(limits=[(limit, 1)])
    block(key="t:reset:b", seconds=10)
    ratelimit.reset(prefix="t:reset:")
    assert blocked_for(key="t:reset:b") == 0.0
    acquire(limits=[(limit, 1)], timeout=0)


def test_impossible_requests_are_errors_not_waits(limiter):
    limit = Limit(key="t:bad", capacity=2, window=1)
    with pytest.raises(ValueError, match="exceeds capacity"):
        acquire(limits=[(limit, 3)])
    with pytest.raises(ValueError, match="exceeds capacity"):
        acquire(limits=[(limit, 2), (limit, 1)])  # one key named twice adds up
    with pytest.raises(ValueError, match="different numbers"):
        acquire(limits=[(limit, 1), (Limit(key="t:bad", capacity=3, window=1), 1)])
    with pytest.raises(ValueError):
        Limit(key="t:bad", capacity=0, window=1)


def test_it_refuses_to_wait_inside_a_transaction(limiter, db):
    with pytest.raises(RuntimeError, match="inside a database transaction"), transaction.atomic():
        acquire(limits=[(Limit(key="t:tx", capacity=1, window=1), 1)])


# --- across processes -------------------------------------------------------------------------
CAPACITY, WINDOW, PROCESSES, EACH = 10, 0.5, 4, 10


def _hammer(kind, namespace, key, barrier, results):
    """Child process: take EACH grants of one shared limit, report the times the backend recorded."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradingsite.settings_test")
    import django

    django.setup()
    from accounts.exchange import ratelimit as limiter

    backend = _make_backend(kind, namespace)
    limiter.set_backend(backend)
    limit = Limit(key=key, capacity=CAPACITY, window=WINDOW)
    try:
        barrier.wait(timeout=30)
        for _ in range(EACH):
            limiter.acquire(limits=[(limit, 1)], timeout=10)
        results.put(backend.grants())
    except Exception as error:  # the parent reports it
        results.put(repr(error))
        raise


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "") + (":" + quote(db["PASSWORD"]) if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)  # other processes see only committed hits
def test_processes_sharing_a_limit_never_overshoot_it_and_all_get_through(limiter, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", _database_url())  # the children use the test database
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    children = [
        context.Process(target=_hammer, args=(limiter.kind, limiter.namespace, "t:shared", barrier, results))
        for _ in range(PROCESSES)
    ]
    for child in children:
        child.start()
    try:
        reports = [results.get(timeout=60) for _ in children]
    finally:
        for child in children:
            child.join(timeout=10)
    failures = [report for report in reports if isinstance(report, str)]
    assert not failures
    grants = [t for report in reports for t in report]
    assert len(grants) == PROCESSES * EACH
    assert _most_in_any_window(_costed(grants), WINDOW + MARGIN) <= CAPACITY
    # 40 grants at 10 per 0.5 s: the last comes three windows after the first at the soonest
    assert max(grants) - min(grants) >= (PROCESSES * EACH / CAPACITY - 1) * (WINDOW + MARGIN)


# --- the exchanges' rules ---------------------------------------------------------------------
def _table(limits):
    return {limit.key: (limit.capacity, limit.window, cost) for limit, cost in limits}


@pytest.mark.parametrize(
    "exchange, market, action, symbol, expected",
    [
        (
            "BINANCE", "SPOT", "order", "BTC/USDT",
            {
                "binance:spot:ip:weight": (6000, 60, 1),
                "binance:spot:acct:42:orders:10s": (100, 10, 1),
                "binance:spot:acct:42:orders:1d": (200_000, 86_400, 1),
            },
        ),
        (
            "BINANCE", "FUTURES", "order", "BTC/USDT:USDT",
            {
                "binance:futures:ip:weight": (2400, 60, 4),
                "binance:futures:acct:42:orders:10s": (300, 10, 1),
                "binance:futures:acct:42:orders:1m": (1200, 60, 1),
            },
        ),
        (
            "BINANCE", "FUTURES", "algo_order", "BTC/USDT:USDT",
            {
                "binance:futures:ip:weight": (2400, 60, 1),
                "binance:futures:acct:42:orders:10s": (300, 10, 1),
                "binance:futures:acct:42:orders:1m": (1200, 60, 1),
            },
        ),
        ("BINANCE", "SPOT", "query", "BTC/USDT", {"binance:spot:ip:weight": (6000, 60, 20)}),
        ("BINANCE", "SPOT", "query", None, {"binance:spot:ip:weight": (6000, 60, 80)}),
        ("BINANCE", "SPOT", "open_orders", "BTC/USDT", {"binance:spot:ip:weight": (6000, 60, 6)}),
        ("BINANCE", "FUTURES", "query", "BTC/USDT:USDT", {"binance:futures:ip:weight": (2400, 60, 1)}),
        ("BINANCE", "FUTURES", "leverage", "BTC/USDT:USDT", {"binance:futures:ip:weight": (2400, 60, 1)}),
        (
            "BINANCE", "SPOT", "markets", None,
            {"binance:spot:ip:weight": (6000, 60, 20), "binance:futures:ip:weight": (2400, 60, 1)},
        ),
        (
            "BYBIT", "FUTURES", "order", "BTC/USDT:USDT",
            {"bybit:ip:requests": (600, 5, 1), "bybit:futures:acct:42:orders:1s": (10, 1, 1)},
        ),
        (
            "BYBIT", "SPOT", "order", "BTC/USDT",
            {"bybit:ip:requests": (600, 5, 1), "bybit:spot:acct:42:orders:1s": (20, 1, 1)},
        ),
        (
            "BYBIT", "FUTURES", "query", None,
            {"bybit:ip:requests": (600, 5, 1), "bybit:acct:42:query:1s": (10, 1, 1)},
        ),
        ("BYBIT", "SPOT", "markets", None, {"bybit:ip:requests": (600, 5, 4)}),
        (
            "OKX", "FUTURES", "order", "BTC/USDT:USDT",
            {
                "okx:ip:public": (20, 2, 0),
                "okx:acct:42:inst:BTC/USDT:USDT:orders:2s": (60, 2, 1),
                "okx:acct:42:orders:2s": (1000, 2, 1),
            },
        ),
        (
            "OKX", "SPOT", "algo_order", "BTC/USDT",
            {
                "okx:ip:public": (20, 2, 0),
                "okx:acct:42:algo:2s": (20, 2, 1),
                "okx:acct:42:orders:2s": (1000, 2, 1),
            },
        ),
        (
            "OKX", "FUTURES", "query", "BTC/USDT:USDT",
            {"okx:ip:public": (20, 2, 1), "okx:acct:42:query:2s": (60, 2, 6)},
        ),
        (
            "OKX", "FUTURES", "fetch_order", "BTC/USDT:USDT",
            {"okx:ip:public": (20, 2, 0), "okx:acct:42:query:2s": (60, 2, 1)},
        ),
        (
            "OKX", "FUTURES", "leverage", "BTC/USDT:USDT",
            {"okx:ip:public": (20, 2, 0), "okx:acct:42:query:2s": (60, 2, 3)},
        ),
        ("OKX", "SPOT", "markets", None, {"okx:ip:public": (20, 2, 2)}),
    ],
)  # fmt: skip
def test_limits_for_gives_the_published_limits(exchange, market, action, symbol, expected):
    limits = limits_for(exchange=exchange, market_type=market, account_id=42, action=action, symbol=symbol)
    assert _table(limits) == expected


ALL_REQUESTS = [
    (exchange, market, action)
    for (exchange, market), table in COSTS.items()
    for action in ACTIONS
    if action in table or action == "query"
]


@pytest.mark.parametrize("exchange, market, action", ALL_REQUESTS)
def test_every_request_names_its_ip_key_and_its_own_account(exchange, market, action):
    symbol = "BTC/USDT:USDT" if market == "FUTURES" else "BTC/USDT"
    one = _table(
        limits_for(exchange=exchange, market_type=market, account_id=1, action=action, symbol=symbol)
    )
    two = _table(
        limits_for(exchange=exchange, market_type=market, account_id=2, action=action, symbol=symbol)
    )
    ip_key = ip_limit_key(exchange, market)
    assert ip_key in one and ip_key in two  # so block(ip key) stops it
    shared = {key for key in one if ":acct:" not in key}
    assert shared == {key for key in two if ":acct:" not in key}
    assert {key for key in one if ":acct:1:" in key} == set(one) - shared
    assert {key for key in two if ":acct:2:" in key} == set(two) - shared
    for limit, cost in limits_for(
        exchange=exchange, market_type=market, account_id=1, action=action, symbol=symbol
    ):
        assert 0 <= cost <= limit.capacity


def test_ip_keys_are_per_market_where_the_exchange_counts_them_so():
    assert ip_limit_key("BINANCE", "SPOT") != ip_limit_key("BINANCE", "FUTURES")
    assert ip_limit_key("BYBIT", "SPOT") == ip_limit_key("BYBIT", "FUTURES")
    assert ip_limit_key("OKX", "SPOT") == ip_limit_key("OKX", "FUTURES")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"exchange": "KRAKEN", "market_type": "SPOT", "action": "order"}, "Unknown exchange"),
        ({"exchange": "BINANCE", "market_type": "MARGIN", "action": "order"}, "Unknown market type"),
        ({"exchange": "BINANCE", "market_type": "SPOT", "action": "withdraw"}, "Unknown action"),
        ({"exchange": "BYBIT", "market_type": "SPOT", "action": "leverage"}, "no 'leverage'"),
        ({"exchange": "OKX", "market_type": "FUTURES", "action": "order"}, "pass symbol"),
    ],
)
def test_limits_for_rejects_what_does_not_exist(kwargs, message):
    with pytest.raises(ValueError, match=message):
        limits_for(account_id=1, **kwargs)


def test_blocking_an_ip_key_holds_requests_that_spend_nothing_on_it(limiter):
    limits = limits_for(exchange="OKX", market_type="SPOT", account_id=7, action="order", symbol="BTC/USDT")
    block(key=ip_limit_key("OKX", "SPOT"), seconds=30)
    with pytest.raises(RateLimitTimeout) as refused:
        acquire(limits=limits, timeout=1)
    assert refused.value.key == "okx:ip:public"


def test_a_long_window_gets_a_margin_in_proportion(settings):
    """A hit is recorded when granted, the exchange counts it on arrival: on a busy machine the two
    are a hundred milliseconds or more apart, which 50 ms on Bybit's 5 s window did not cover."""
    settings.RATE_LIMIT_WINDOW_MARGIN, settings.RATE_LIMIT_WINDOW_MARGIN_FRACTION = 0.05, 0.05
    short, bybit_ip = Limit(key="t:short", capacity=10, window=0.5), Limit(key="t:ip", capacity=600, window=5)
    windows = {key: window for key, window, _, _ in ratelimit._entries([(short, 1), (bybit_ip, 1)])}
    assert windows == {"t:short": pytest.approx(0.55), "t:ip": pytest.approx(5.25)}
