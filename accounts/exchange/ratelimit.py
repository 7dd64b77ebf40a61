"""A rate limiter shared by every worker process: exact sliding-window logs, in Redis or the database.

A request is allowed when, for every limit it names, the costs recorded in (now - window, now]
plus its own cost fit in the capacity; the hits of all its limits are then recorded at once. The
exchanges count windows, so a token bucket (burst, then a steady rate) would overshoot them.

The window is lengthened rather than the capacity lowered: by RATE_LIMIT_WINDOW_MARGIN seconds
(default 0.05) or by RATE_LIMIT_WINDOW_MARGIN_FRACTION of the window (default 5 %), whichever is
longer. A hit is recorded when it is granted and the exchange counts the request when it arrives;
the two differ by milliseconds on a quiet machine, but by a hundred or more when fifty workers
share two cores (a 100-account fan-out: Bybit's simulator then saw 601 requests in 5 s, and an
HTTP 403 bans the IP for ten minutes). The margin keeps a paced burst within 5 % of the fastest
the exchange allows.

The backend is chosen at first use: Redis when settings.REDIS_URL is set, else the database.
The published limits of each exchange are in `accounts.exchange.ratelimit_rules`.
"""

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from accounts.exchange.ratelimit_backends import MAX_WINDOW, Backend, DatabaseBackend, RedisBackend

logger = logging.getLogger(__name__)

DEFAULT_WINDOW_MARGIN = 0.05
DEFAULT_WINDOW_MARGIN_FRACTION = 0.05
_MIN_SLEEP = 0.001  # never spin: a computed wait that rounds to 0 still sleeps

__all__ = [
    "Backend",
    "DatabaseBackend",
    "Limit",
    "RateLimitTimeout",
    "RedisBackend",
    "acquire",
    "block",
    "blocked_for",
    "get_backend",
    "reset",
    "set_backend",
    "window_margin",
]


@dataclass(frozen=True)
class Limit:
    """At most `capacity` cost units under `key` in any `window` seconds. A key has one window."""

    key: str
    capacity: int
    window: float

    def __post_init__(self) -> None:
        if not self.key or len(self.key) > 120:
            raise ValueError(f"Limit key must be 1..120 characters: {self.key!r}")
        if self.capacity < 1:
            raise ValueError(f"Limit {self.key}: capacity must be at least 1")
        if not 0 < self.window <= MAX_WINDOW:
            raise ValueError(f"Limit {self.key}: window must be in (0, {MAX_WINDOW}] seconds")


class RateLimitTimeout(Exception):
    """No room for the request within the timeout; `key` is the limit or block that said no."""

    def __init__(self, message: str, *, key: str, wait: float) -> None:
        super().__init__(message)
        self.key = key
        self.wait = wait


_backend: Backend | None = None
_backend_lock = threading.Lock()


def get_backend() -> Backend:
    """The process's backend, made at first use from settings (Redis if REDIS_URL is set)."""
    global _backend
    if _backend is None:
        with _backend_lock:
            if _backend is None:
                url = getattr(settings, "REDIS_URL", "")
                namespace = getattr(settings, "RATE_LIMIT_NAMESPACE", "rl:")
                _backend = RedisBackend(url=url, namespace=namespace) if url else DatabaseBackend()
                logger.info("rate limiter backend: %s", type(_backend).__name__)
    return _backend


def set_backend(backend: Backend | None) -> None:
    """Use `backend` from now on in this process; None chooses again from settings (tests)."""
    global _backend
    with _backend_lock:
        _backend = backend


def window_margin(window: float) -> float:
    """Seconds added to a window of `window` seconds: RATE_LIMIT_WINDOW_MARGIN (default 0.05) or
    RATE_LIMIT_WINDOW_MARGIN_FRACTION of the window (default 0.05), whichever is longer."""
    margin = float(getattr(settings, "RATE_LIMIT_WINDOW_MARGIN", DEFAULT_WINDOW_MARGIN))
    fraction = float(getattr(settings, "RATE_LIMIT_WINDOW_MARGIN_FRACTION", DEFAULT_WINDOW_MARGIN_FRACTION))
    if margin < 0 or fraction < 0:
        raise ValueError("RATE_LIMIT_WINDOW_MARGIN and its _FRACTION must not be negative")
    return max(margin, fraction * window)


def _refuse_inside_transaction() -> None:
    # A hit written inside the caller's transaction is invisible to other processes until it
    # commits, and sleeping there holds its locks. Test-case wrappers (pytest-django `db`) are fine.
    connection = connections[DEFAULT_DB_ALIAS]
    if any(not getattr(atomic, "_from_testcase", False) for atomic in connection.atomic_blocks):
        raise RuntimeError("Rate limiter called inside a database transaction; call it outside atomic()")


def _entries(limits: list[tuple[Limit, int]]) -> list[tuple[str, float, int, int]]:
    """(key, window with margin, capacity, cost) per key, costs of a repeated limit added."""
    merged: dict[str, tuple[Limit, int]] = {}
    for limit, cost in limits:
        if not isinstance(cost, int) or cost < 0:
            raise ValueError(f"Limit {limit.key}: cost must be a non-negative int, not {cost!r}")
        if limit.key in merged:
            seen, seen_cost = merged[limit.key]
            if seen != limit:
                raise ValueError(f"Limit {limit.key} given twice with different numbers")
            cost += seen_cost
        if cost > limit.capacity:
            raise ValueError(f"Limit {limit.key}: cost {cost} exceeds capacity {limit.capacity}")
        merged[limit.key] = (limit, cost)
    return [
        (lim.key, lim.window + window_margin(lim.window), lim.capacity, cost) for lim, cost in merged.values()
    ]


def acquire(*, limits: list[tuple[Limit, int]], timeout: float = 30.0) -> float:
    """Wait until every limit has room for its cost, record all the hits at once; return seconds waited.

    Also waits out blocks on any of the keys. Raises RateLimitTimeout as soon as the wait is known
    to end past `timeout` (0 = try once), ValueError for a cost above a capacity, and RuntimeError
    inside a database transaction.
    """
    _refuse_inside_transaction()
    entries = _entries(limits)
    if not entries:
        return 0.0
    backend = get_backend()
    started = time.monotonic()
    deadline = started + timeout
    held_by = ""  # the limit or block that made us wait (a granted attempt names none)
    while True:
        attempt = backend.attempt(entries)
        now = time.monotonic()
        if attempt.granted:
            waited = now - started
            if waited > 0.5:
                logger.info("rate limit: waited %.2fs for %s", waited, held_by)
            return waited
        held_by = attempt.key
        if now + attempt.wait > deadline:
            logger.warning(
                "rate limit: %s needs %.2fs more, past the %.1fs timeout", attempt.key, attempt.wait, timeout
            )
            raise RateLimitTimeout(
                f"Rate limit {attempt.key}: no room for {attempt.wait:.3f}s, timeout {timeout}s",
                key=attempt.key,
                wait=attempt.wait,
            )
        time.sleep(max(attempt.wait, _MIN_SLEEP))


def block(*, key: str, seconds: float) -> None:
    """Nobody may acquire a limit named `key` for `seconds` from now; an existing longer block stays.

    For Retry-After, Binance HTTP 418 and Bybit 403 IP bans. Raises ValueError for negative seconds.
    """
    if seconds < 0:
        raise ValueError("block seconds must not be negative")
    _refuse_inside_transaction()
    remaining = get_backend().block(key, seconds)
    logger.warning("rate limit: %s blocked for %.1fs", key, remaining)


def blocked_for(*, key: str) -> float:
    """Seconds left on the block of `key`, 0.0 when there is none."""
    return get_backend().blocked_for(key)


def reset(*, prefix: str = "") -> None:
    """Forget every hit and block whose key starts with `prefix` (all of them by default); for tests."""
    get_backend().reset(prefix)
