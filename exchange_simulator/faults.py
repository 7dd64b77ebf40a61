"""Injected latency and failures (POST /_sim/faults), applied by the app's middleware.

A rule matches requests of one exchange (or all) whose path contains `path_contains` (or any),
and, when `api_key` is given, only that account's requests.
For each matching request: sleep `latency_ms`; then fail if `fail_next_n` > 0 (decremented) or
with probability `error_rate`. Kinds:
- "5xx": answer the exchange's 5xx without processing the request;
- "429": answer the exchange's rate-limit error without processing;
- "timeout": process the request, then answer after `timeout_s` (default 30 s: longer than a
  client's timeout, so the client gives up while the order exists);
- "lost_response": process the request (the order IS placed), then answer 504 or, with
  `lost_mode: "close"`, drop the connection;
- "retcode_10000" / "retcode_10016" (Bybit only): HTTP 200 with retCode 10000 (server timeout) or
  10016 (system error), as Bybit reports server trouble; with `process: true` (the default) the
  request is carried out first, so the order exists although the answer is an error;
- "binance_1007" (Binance only): HTTP 503 with -1007 "Timeout waiting for response from backend
  server. Send status unknown; execution status unknown."; with `process: true` (the default) the
  order is placed behind it;
- "okx_50061" (OKX only): code 50061, the sub-account order rate limit (nothing is done);
- "binance_2015" (Binance only): -2015 "Invalid API-key, IP, or permissions for action." for a
  key that worked before (give `api_key`): what ccxt turns into DDoSProtection once the same
  client instance has authenticated successfully.
Beside the failures, `history_lag_s` hides every order the matching account creates on that
exchange from look-ups (order queries, open orders, history, trades) for that many seconds, as an
exchange whose order history lags; the order exists and trades meanwhile.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

from .models import dec

# Faults that only one exchange answers, with its own body (its adapter's fault responder).
EXCHANGE_KINDS = {
    "retcode_10000": "bybit",
    "retcode_10016": "bybit",
    "okx_50061": "okx",
    "binance_2015": "binance",
    "binance_1007": "binance",
}
# Of those, the ones that may carry the request out before answering (`process`).
PROCESSING_KINDS = ("retcode_10000", "retcode_10016", "binance_1007")
KINDS = ("timeout", "5xx", "429", "lost_response", *EXCHANGE_KINDS)


@dataclass(slots=True)
class Fault:
    exchange: str | None = None
    path_contains: str | None = None
    api_key: str | None = None
    latency_ms: float = 0.0
    error_rate: float = 0.0
    error: str | None = None
    fail_next_n: int = 0
    timeout_s: float = 30.0
    lost_mode: str = "504"  # "504" or "close"
    process: bool = True  # retcode_* kinds: carry the request out before answering the error
    history_lag_s: float = 0.0

    @property
    def inert(self) -> bool:
        return not self.latency_ms and not self.error_rate and not self.fail_next_n and not self.history_lag_s

    def as_dict(self) -> dict:
        return asdict(self)


def parse_fault(body: dict) -> Fault:
    error = body.get("error")
    if error is not None and error not in KINDS:
        raise ValueError(f"error must be one of {KINDS}, got {error!r}")
    rate = float(dec(body.get("error_rate", 0) or 0))
    if not 0 <= rate <= 1:
        raise ValueError("error_rate must be between 0 and 1")
    fail_next_n = int(body.get("fail_next_n", 0) or 0)
    if (rate or fail_next_n) and error is None:
        raise ValueError("error is required with error_rate or fail_next_n")
    lost_mode = str(body.get("lost_mode", "504"))
    if lost_mode not in ("504", "close"):
        raise ValueError('lost_mode must be "504" or "close"')
    if error in EXCHANGE_KINDS and body.get("exchange") != EXCHANGE_KINDS[error]:
        raise ValueError(f"error {error!r} needs exchange {EXCHANGE_KINDS[error]!r}")
    lag = float(dec(body.get("history_lag_s", 0) or 0))
    if lag < 0:
        raise ValueError("history_lag_s must not be negative")
    return Fault(
        exchange=body.get("exchange") or None,
        path_contains=body.get("path_contains") or None,
        api_key=body.get("api_key") or None,
        latency_ms=float(dec(body.get("latency_ms", 0) or 0)),
        error_rate=rate,
        error=error,
        fail_next_n=fail_next_n,
        timeout_s=float(dec(body.get("timeout_s", 30) or 30)),
        lost_mode=lost_mode,
        process=bool(body.get("process", True)),
        history_lag_s=lag,
    )


class FaultBook:
    def __init__(self, rng: random.Random | None = None) -> None:
        self._rules: dict[tuple, Fault] = {}
        self._rng = rng or random.Random()

    def set(self, fault: Fault) -> None:
        """Add or replace the rule for (exchange, path_contains, api_key, error): rules of
        different kinds for the same requests run side by side. An inert rule removes every
        rule for its (exchange, path_contains, api_key)."""
        where = (fault.exchange, fault.path_contains, fault.api_key)
        if fault.inert:
            for key in [k for k in self._rules if k[:3] == where]:
                del self._rules[key]
        else:
            self._rules[(*where, fault.error)] = fault

    def clear(self) -> None:
        self._rules.clear()

    def rules(self) -> list[Fault]:
        return list(self._rules.values())

    def match(self, exchange: str, path: str, api_key: str | None = None) -> Fault | None:
        """The first rule for this request, or None."""
        found = self.match_all(exchange, path, api_key)
        return found[0] if found else None

    def match_all(self, exchange: str, path: str, api_key: str | None = None) -> list[Fault]:
        """Every rule for this request, in the order they were set."""
        if not self._rules:
            return []
        return [
            fault
            for fault in self._rules.values()
            if fault.exchange in (None, exchange)
            and (fault.api_key is None or fault.api_key == api_key)
            and (fault.path_contains is None or fault.path_contains in path)
        ]

    def history_lag(self, exchange: str, api_key: str) -> float:
        """Seconds a new order of this account stays invisible to look-ups (0: none)."""
        lags = [
            f.history_lag_s
            for f in self._rules.values()
            if f.history_lag_s and f.exchange in (None, exchange) and f.api_key in (None, api_key)
        ]
        return max(lags, default=0.0)

    def decide(self, fault: Fault) -> str | None:
        """The failure kind to apply to this request, or None."""
        if fault.fail_next_n > 0:
            fault.fail_next_n -= 1
            return fault.error
        if fault.error_rate and self._rng.random() < fault.error_rate:
            return fault.error
        return None
