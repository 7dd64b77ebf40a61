"""Control calls that change the markets and account settings while the simulator runs:

- `POST /_sim/instruments` lists a new symbol: an instrument as in `data/<exchange>.json` plus
  `exchange` and an optional start `price` (the pair's mark on that exchange);
- `POST /_sim/instruments/update` changes a listed symbol's `tick_size`, `step_size`, `min_qty`,
  `max_qty`, `min_notional` (what an exchange changes under a running client);
- `POST /_sim/position-mode` `{exchange, api_key, mode: "one_way" | "hedge"}` puts an account in
  hedge (two-way) mode; the adapters then refuse one-way orders as the exchange does.

`/_sim/reset` returns to the start-up markets and one-way mode.
"""

from __future__ import annotations

import json
from decimal import InvalidOperation

from aiohttp import web

from .context import SIM, Simulator, json_response, read_json
from .instruments import DATA_DIR, parse_instrument
from .models import HEDGE, ONE_WAY, dec, fmt

# Exchange-specific copies of a precision that the adapters prefer over the instrument's own
# field (OKX's instrument strings): dropped on change so the new value shows.
_EXTRA_COPIES = {"tick_size": ("tickSz",), "step_size": ("lotSz",), "min_qty": ("minSz",)}
CHANGEABLE = ("tick_size", "step_size", "min_qty", "max_qty", "min_notional")


def _bad(message: str) -> web.Response:
    return json_response({"error": message}, status=400)


def _default_leverage(exchange: str) -> int:
    path = DATA_DIR / f"{exchange}.json"
    return int(json.loads(path.read_text()).get("default_leverage", 10)) if path.exists() else 10


def instrument_view(inst) -> dict:
    return {
        "exchange": inst.exchange,
        "market": inst.market,
        "symbol": inst.symbol,
        "tick_size": fmt(inst.tick_size),
        "step_size": fmt(inst.step_size),
        "min_qty": fmt(inst.min_qty),
        "max_qty": fmt(inst.max_qty),
        "min_notional": fmt(inst.min_notional),
    }


async def post_instrument(request: web.Request) -> web.Response:
    sim: Simulator = request.app[SIM]
    try:
        body = await read_json(request)
        exchange = body["exchange"]
        if exchange not in ("binance", "bybit", "okx"):
            raise ValueError(f"unknown exchange {exchange!r}")
        inst = parse_instrument(exchange, body, _default_leverage(exchange))
        sim.engine.add_instrument(inst)
        if body.get("price") is not None:
            sim.engine.set_price(inst.pair, body["price"], exchange)
    except (KeyError, ValueError, InvalidOperation) as exc:
        return _bad(f"bad instrument: {exc!r}")
    return json_response(instrument_view(inst))


async def post_instrument_update(request: web.Request) -> web.Response:
    sim: Simulator = request.app[SIM]
    try:
        body = await read_json(request)
        inst = sim.engine.find_instrument(body["exchange"], body["market"], body["symbol"])
        if inst is None:
            raise ValueError("no such instrument")
        changes = {name: dec(body[name]) for name in CHANGEABLE if body.get(name) is not None}
        if not changes:
            raise ValueError(f"nothing to change: give one of {CHANGEABLE}")
        for name, value in changes.items():
            if value <= 0 and name != "min_notional":
                raise ValueError(f"{name} must be positive")
        for name, value in changes.items():
            setattr(inst, name, value)
            for key in _EXTRA_COPIES.get(name, ()):
                inst.extra.pop(key, None)
    except (KeyError, ValueError, InvalidOperation) as exc:
        return _bad(f"bad update: {exc!r}")
    return json_response(instrument_view(inst))


async def post_position_mode(request: web.Request) -> web.Response:
    sim: Simulator = request.app[SIM]
    try:
        body = await read_json(request)
        account = sim.engine.account(body["exchange"], body["api_key"])
        if account is None:
            raise ValueError("no such account")
        mode = body["mode"]
        if mode not in (ONE_WAY, HEDGE):
            raise ValueError(f"mode must be {ONE_WAY!r} or {HEDGE!r}")
        account.position_mode = mode
    except (KeyError, ValueError) as exc:
        return _bad(f"bad position mode: {exc!r}")
    return json_response({"exchange": account.exchange, "api_key": account.api_key, "mode": mode})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/_sim/instruments", post_instrument)
    app.router.add_post("/_sim/instruments/update", post_instrument_update)
    app.router.add_post("/_sim/position-mode", post_position_mode)
