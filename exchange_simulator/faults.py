"""Injected latency and failures (POST /_sim/faults), applied by the app's middleware.

A rule matches requests of one exchange (or all) whose path contains `path_contains` (or any),
and, when `api_key` is given, only that account's requests.
For each matching request: sleep `latency_ms`; then fail if `fail_next_n` > 0 (decremented) or
with probability `error_rate`. Kinds:
- "5xx": answer the exchange's 5xx without processing the request;
- "429": answer the exchange's rate-limit error without processing;
- "auth": answer the exchange's invalid-API-key error without processing (a definite refusal:
  nothing was done, e.g. a key revoked for a while and restored);
- "timeout": process the request, then answer after `timeout_s` (default 30 s: longer than a
  client's timeout, so the client gives up while the order exists);
- "lost_response": process the request (the order IS placed), then answer 504 or, with
  `lost_mode: "close"`, drop the connection.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

from .models import dec

KINDS = ("timeout", "5xx", "429", "auth", "lost_response")
ANSWERED_WITHOUT_PROCESSING = ("5xx", "429", "auth")


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

    @property
    def inert(self) -> bool:
        return not self.latency_ms and not self.error_rate and not self.fail_next_n

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
    )


class FaultBook:
    def __init__(self, rng: random.Random | None = None) -> None:
        self._rules: dict[tuple, Fault] = {}
        self._rng = rng or random.Random()

    def set(self, fault: Fault) -> None:
        """Add or replace the rule for (exchange, path_contains); an inert rule removes it."""
        key = (fault.exchange, fault.path_contains, fault.api_key)
        if fault.inert:
            self._rules.pop(key, None)
        else:
            self._rules[key] = fault

    def clear(self) -> None:
        self._rules.clear()

    def rules(self) -> list[Fault]:
        return list(self._rules.values())

    def match(self, exchange: str, path: str, api_key: str | None = None) -> Fault | None:
        if not self._rules:
            return None
        for fault in self._rules.values():
            if fault.exchange not in (None, exchange):
                continue
            if fault.api_key is not None and fault.api_key != api_key:
                continue
            if fault.path_contains is not None and fault.path_contains not in path:
                continue
            return fault
        return None

    def decide(self, fault: Fault) -> str | None:
        """The failure kind to apply to this request, or None."""
        if fault.fail_next_n > 0:
            fault.fail_next_n -= 1
            return fault.error
        if fault.error_rate and self._rng.random() < fault.error_rate:
            return fault.error
        return None
