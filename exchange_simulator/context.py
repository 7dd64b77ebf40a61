"""What the app shares with the control API and the exchange adapters (no aiohttp app logic)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson
from aiohttp import web

from .engine import Engine
from .faults import FaultBook
from .ratelimit import RateLimiter

# Which exchange a path belongs to; the first matching prefix wins (OKX's /api/v5 before /api/v3).
EXCHANGE_PREFIXES = (
    ("/api/v5/", "okx"),
    ("/api/v3/", "binance"),
    ("/sapi/", "binance"),
    ("/fapi/", "binance"),
    ("/v5/", "bybit"),
)

# Keys an adapter may read from / write to the aiohttp request.
RECEIVED_AT = "sim.received_at"  # float epoch seconds, set by the middleware on arrival
API_KEY = "sim.api_key"  # set by the adapter once it knows the caller's key (for /_sim/requests)

# Response headers that carry the caller's API key, for /_sim/requests when the adapter set none.
KEY_HEADERS = ("X-MBX-APIKEY", "X-BAPI-API-KEY", "OK-ACCESS-KEY")

FaultResponder = Callable[[str], web.StreamResponse]


@dataclass
class Simulator:
    engine: Engine
    limiter: RateLimiter
    faults: FaultBook
    requests: deque = field(default_factory=lambda: deque(maxlen=20_000))
    # exchange name -> builds the response for an injected "5xx" or "429" fault
    fault_responders: dict[str, FaultResponder] = field(default_factory=dict)
    seed: dict | None = None

    def register_exchange(self, name: str, fault_responder: FaultResponder | None = None) -> None:
        """Called by an adapter's add_routes: how its injected 5xx/429 answers look."""
        if fault_responder is not None:
            self.fault_responders[name] = fault_responder


SIM = web.AppKey("sim", Simulator)


def exchange_of(path: str) -> str | None:
    for prefix, name in EXCHANGE_PREFIXES:
        if path.startswith(prefix):
            return name
    return None


def json_response(data: object, status: int = 200, headers: dict | None = None) -> web.Response:
    """A JSON answer (orjson: the hot path serialises one per order request)."""
    return web.Response(
        body=orjson.dumps(data), status=status, headers=headers, content_type="application/json"
    )


async def read_json(request: web.Request) -> dict:
    raw = await request.read()
    if not raw:
        return {}
    data = orjson.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data
