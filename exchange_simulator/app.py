"""The aiohttp application: shared state, request log, fault injection and route registration."""

from __future__ import annotations

import asyncio
import importlib
import logging
import time

from aiohttp import web

from . import control, control_markets
from .context import API_KEY, KEY_HEADERS, RECEIVED_AT, SIM, Simulator, exchange_of, json_response
from .engine import Engine
from .faults import EXCHANGE_KINDS, PROCESSING_KINDS, FaultBook
from .fees import parse_fee_spec
from .ratelimit import RateLimiter

log = logging.getLogger(__name__)

# Adapter modules; each exposes add_routes(app, sim). A module not written yet is skipped.
ADAPTERS = ("binance", "bybit", "okx")


def default_fault_response(kind: str) -> web.Response:
    if kind == "429":
        return json_response({"error": "too many requests"}, status=429, headers={"Retry-After": "1"})
    return web.Response(status=503, text="503 Service Temporarily Unavailable")


@web.middleware
async def sim_middleware(request: web.Request, handler):
    """Stamp arrival time, apply injected faults to exchange paths, log every exchange request."""
    received_at = time.time()
    request[RECEIVED_AT] = received_at
    exchange = exchange_of(request.path)
    if exchange is None:
        return await handler(request)
    sim: Simulator = request.app[SIM]
    status = 0
    try:
        header_key = next((request.headers[h] for h in KEY_HEADERS if h in request.headers), None)
        # Every matching rule applies: the longest latency, then the first rule whose failure
        # comes up (so a lost-answer rate and a Bybit 10016 rate can run side by side).
        rules = sim.faults.match_all(exchange, request.path, header_key)
        fault, kind = None, None
        latency = max((rule.latency_ms for rule in rules), default=0)
        if latency:
            await asyncio.sleep(latency / 1000)
        for rule in rules:
            kind = sim.faults.decide(rule)
            if kind is not None:
                fault = rule
                break
        if kind in ("5xx", "429"):
            responder = sim.fault_responders.get(exchange, default_fault_response)
            response = responder(kind)
        elif kind in EXCHANGE_KINDS:
            if kind in PROCESSING_KINDS and fault.process:
                await handler(request)  # the work is done; the answer says it failed
            response = sim.fault_responders.get(exchange, default_fault_response)(kind)
        else:
            response = await handler(request)
            if kind == "timeout":
                await asyncio.sleep(fault.timeout_s)
            elif kind == "lost_response":
                if fault.lost_mode == "close":
                    # The work is done; the client never hears about it.
                    if request.transport is not None:
                        request.transport.close()
                    status = 0
                    return response
                response = web.Response(status=504, text="504 Gateway Time-out", content_type="text/html")
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        api_key = request.get(API_KEY)
        if api_key is None:
            api_key = next((request.headers[h] for h in KEY_HEADERS if h in request.headers), None)
        sim.requests.append(
            {
                "method": request.method,
                "path": request.path,
                "status": status,
                "received_at": received_at,
                "exchange": exchange,
                "api_key": api_key,
            }
        )


def apply_seed(sim: Simulator, seed: dict) -> None:
    """Seed file: {"accounts": [{exchange, api_key, secret, passphrase?, balances}],
    "prices": {"BTCUSDT": "60000"} or [{exchange?, symbol, price}]}."""
    for account in seed.get("accounts", []):
        control.apply_account(sim, account)
    prices = seed.get("prices", {})
    if isinstance(prices, dict):
        prices = [{"symbol": s, "price": p} for s, p in prices.items()]
    for entry in prices:
        sim.engine.set_price(entry["symbol"], entry["price"], entry.get("exchange"))


def create_app(
    seed: dict | None = None,
    rate_limits: str = "real",
    engine: Engine | None = None,
    fees: str = "default",
) -> web.Application:
    """The whole simulator: control API plus every adapter module present. `fees` is a
    fees.parse_fee_spec spec: the start-up rates, which /_sim/reset returns to."""
    if rate_limits not in ("real", "off"):
        raise ValueError("rate_limits must be 'real' or 'off'")
    sim = Simulator(
        engine=engine or Engine(),
        limiter=RateLimiter(enabled=rate_limits == "real"),
        faults=FaultBook(),
        seed=seed,
    )
    sim.engine.history_lag = sim.faults.history_lag
    parse_fee_spec(fees, sim.engine.fees)
    app = web.Application(middlewares=[sim_middleware], client_max_size=4 * 1024 * 1024)
    app[SIM] = sim
    control.add_routes(app)
    control_markets.add_routes(app)
    for name in ADAPTERS:
        try:
            module = importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{name}":
                raise
            log.info("no adapter for %s yet", name)
            continue
        module.add_routes(app, sim)
    if seed:
        apply_seed(sim, seed)
    return app
