"""Request/order counters shared by every connection, keyed by (rule, key).

A `Rule` names an exchange, a scope ("ip_weight", "orders_10s", ...) and a limit per window.
Fixed windows are aligned to the epoch (Binance resets its 1-minute weight at each minute);
sliding windows count the last `window` seconds (Bybit, OKX). `hit` charges a cost and says
whether it fits. With the limiter disabled (`--rate-limits off`) every hit is allowed but still
counted, so usage headers stay meaningful.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rule:
    exchange: str
    scope: str
    limit: float
    window: float  # seconds
    sliding: bool = False


@dataclass(slots=True)
class Decision:
    allowed: bool
    used: float  # usage in the current window after this hit (or before it, when refused)
    retry_after: float  # seconds until the window has room again (0 when allowed)


class RateLimiter:
    def __init__(self, enabled: bool = True, clock: Callable[[], float] = time.time) -> None:
        self.enabled = enabled
        self.clock = clock
        self._fixed: dict[tuple, list] = {}  # key -> [window_index, used]
        self._sliding: dict[tuple, deque] = {}  # key -> deque[(t, cost)]
        self._bans: dict[tuple[str, str], float] = {}  # (exchange, key) -> banned until
        self._strikes: dict[tuple[str, str], int] = {}  # refused hits since the last allowed one

    def reset(self) -> None:
        self._fixed.clear()
        self._sliding.clear()
        self._bans.clear()
        self._strikes.clear()

    def hit(self, rule: Rule, key: str, cost: float = 1.0) -> Decision:
        """Charge `cost` to (rule, key) if it fits (always, when disabled)."""
        now = self.clock()
        if rule.sliding:
            return self._hit_sliding(rule, key, cost, now)
        return self._hit_fixed(rule, key, cost, now)

    def used(self, rule: Rule, key: str) -> float:
        """Usage of (rule, key) in the current window."""
        now = self.clock()
        if rule.sliding:
            events = self._sliding.get((rule, key))
            if not events:
                return 0.0
            self._expire(events, now - rule.window)
            return sum(cost for _, cost in events)
        entry = self._fixed.get((rule, key))
        if entry is None or entry[0] != math.floor(now / rule.window):
            return 0.0
        return entry[1]

    def _hit_fixed(self, rule: Rule, key: str, cost: float, now: float) -> Decision:
        index = math.floor(now / rule.window)
        entry = self._fixed.get((rule, key))
        if entry is None or entry[0] != index:
            entry = self._fixed[(rule, key)] = [index, 0.0]
        if self.enabled and entry[1] + cost > rule.limit:
            return Decision(False, entry[1], (index + 1) * rule.window - now)
        entry[1] += cost
        return Decision(True, entry[1], 0.0)

    def _hit_sliding(self, rule: Rule, key: str, cost: float, now: float) -> Decision:
        events = self._sliding.setdefault((rule, key), deque())
        self._expire(events, now - rule.window)
        used = sum(c for _, c in events)
        if self.enabled and used + cost > rule.limit:
            retry = events[0][0] + rule.window - now if events else rule.window
            return Decision(False, used, max(retry, 0.0))
        events.append((now, cost))
        return Decision(True, used + cost, 0.0)

    @staticmethod
    def _expire(events: deque, horizon: float) -> None:
        while events and events[0][0] <= horizon:
            events.popleft()

    # ---- bans (Binance 418, Bybit 403 IP block) --------------------------------------------------

    def banned_for(self, exchange: str, key: str) -> float:
        """Seconds left on a ban of `key` (an IP) on `exchange`, 0 when not banned."""
        until = self._bans.get((exchange, key))
        if until is None:
            return 0.0
        left = until - self.clock()
        if left <= 0:
            del self._bans[(exchange, key)]
            return 0.0
        return left

    def ban(self, exchange: str, key: str, seconds: float) -> float:
        until = self.clock() + seconds
        self._bans[(exchange, key)] = until
        self._strikes.pop((exchange, key), None)
        return until

    def strike(self, exchange: str, key: str) -> int:
        """Count a refused request; returns how many in a row (for "ban after repeated abuse")."""
        count = self._strikes.get((exchange, key), 0) + 1
        self._strikes[(exchange, key)] = count
        return count

    def clear_strikes(self, exchange: str, key: str) -> None:
        self._strikes.pop((exchange, key), None)
