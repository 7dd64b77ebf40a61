"""The control and inspection API under /_sim/ (SIMULATOR.md's table, plus /_sim/fill and /_sim/health).

Numbers are accepted as strings or numbers and returned as decimal strings.
"""

from __future__ import annotations

from decimal import InvalidOperation

from aiohttp import web

from .context import SIM, Simulator, json_response, read_json
from .errors import NotFound, Reject
from .faults import parse_fault
from .fees import DEFAULT_RATES
from .models import FUTURES, HEDGE, ONE_WAY, Order, dec, fmt


def order_view(order: Order, engine=None) -> dict:
    view = {
        "id": order.id,
        "exchange": order.exchange,
        "market": order.market,
        "symbol": order.symbol,
        "side": order.side,
        "type": order.type,
        "price": fmt(order.price),
        "trigger_price": fmt(order.trigger_price),
        "quantity": fmt(order.quantity),
        "reduce_only": order.reduce_only,
        "client_order_id": order.client_order_id,
        "status": order.status,
        "api_key": order.api_key,
        "received_at": order.received_at,
        "filled": fmt(order.filled),
        "average": None,
        "triggered_at": order.triggered_at,
        "triggered_id": order.triggered_id,
        "reject_reason": order.reject_reason,
        "fee": fmt(order.fee),
        "fee_asset": order.fee_asset,
    }
    if order.filled and engine is not None:
        inst = engine.instrument(order.exchange, order.market, order.symbol)
        view["average"] = fmt(order.average(inst.contract_size))
    return view


def _bad(message: str) -> web.Response:
    return json_response({"error": message}, status=400)


async def post_accounts(request: web.Request) -> web.Response:
    sim: Simulator = request.app[SIM]
    try:
        body = await read_json(request)
        apply_account(sim, body)
    except (KeyError, ValueError, InvalidOperation) as exc:
        return _bad(f"bad account: {exc!r}")
    return json_response({"ok": True, "exchange": body["exchange"], "api_key": body["api_key"]})


def apply_account(sim: Simulator, body: dict) -> None:
    exchange = body["exchange"]
    if exchange not in ("binance", "bybit", "okx"):
        raise ValueError(f"unknown exchange {exchange!r}")
    sim.engine.upsert_account(
        exchange=exchange,
        api_key=body["api_key"],
        secret=body["secret"],
        passphrase=body.get("passphrase"),
        balances=body.get("balances") or {},
    )
    mode = body.get("position_mode")
    if mode is not None:
        if mode not in (ONE_WAY, HEDGE):
            raise ValueError(f"position_mode must be {ONE_WAY!r} or {HEDGE!r}")
        sim.engine.account(exchange, body["api_key"]).position_mode = mode


async def post_prices(request: web.Request) -> web.Response:
    sim: Simulator = request.app[SIM]
    try:
        body = await read_json(request)
        touched = sim.engine.set_price(body["symbol"], body["price"], body.get("exchange") or None)
    except (KeyError, ValueError, InvalidOperation) as exc:
        return _bad(f"bad price: {exc!r}")
    return json_response(
        {
            "symbol": body["symbol"],
            "price": fmt(dec(body["price"])),
            "exchange": body.get("exchange"),
            "touched": [order_view(o, sim.engine) for o in touched],
        }
    )


async def get_orders(request: web.Request) -> web.Response:
    sim: Simulator = request.app[SIM]
    q = request.query
    orders = sim.engine.list_orders(
        exchange=q.get("exchange") or None,
        api_key=q.get("api_key") or None,
        symbol=q.get("symbol") or None,
        market=q.get("market") or None,
        include_hidden=True,
    )
    return json_response([order_view(o, sim.engine) for o in orders])


async def get_requests(request: web.Request) -> web.Response:
    sim: Simulator = request.app[SIM]
    q = request.query
    limit = int(q.get("limit", 500))
    rows = [
        r
        for r in sim.requests
        if q.get("exchange") in (None, "", r["exchange"])
        and q.get("api_key") in (None, "", r["api_key"])
        and (not q.get("path_contains") or q["path_contains"] in r["path"])
        and (not q.get("method") or q["method"].upper() == r["method"])
    ]
    return json_response(rows[-limit:] if limit > 0 else [])


async def get_positions(request: web.Request) -> web.Response:
    sim: Simulator = request.app[SIM]
    engine = sim.engine
    q = request.query
    rows = []
    for p in engine.positions(q.get("exchange") or None, q.get("api_key") or None):
        inst = engine.instrument(p.exchange, FUTURES, p.symbol)
        account = engine.account(p.exchange, p.api_key)
        rows.append(
            {
                "exchange": p.exchange,
                "api_key": p.api_key,
                "market": FUTURES,
                "symbol": p.symbol,
                "side": "long" if p.qty > 0 else "short",
                "quantity": fmt(p.qty),
                "entry_price": fmt(p.entry_price),
                "mark_price": fmt(engine.mark_of(inst)),
                "unrealized_pnl": fmt(engine.unrealized_pnl(p)),
                "realized_pnl": fmt(p.realized_pnl),
                "margin": fmt(p.margin),
                "leverage": engine.get_leverage(account, inst),
            }
        )
    return json_response(rows)


async def get_balances(request: web.Request) -> web.Response:
    sim: Simulator = request.app[SIM]
    q = request.query
    rows = []
    for (exchange, api_key), account in sim.engine.accounts.items():
        if q.get("exchange") not in (None, "", exchange) or q.get("api_key") not in (None, "", api_key):
            continue
        wallets = {
            wallet: {
                asset: {"free": fmt(b.free), "locked": fmt(b.locked), "total": fmt(b.total)}
                for asset, b in assets.items()
            }
            for wallet, assets in account.wallets.items()
        }
        rows.append({"exchange": exchange, "api_key": api_key, "balances": wallets})
    return json_response(rows)


async def post_faults(request: web.Request) -> web.Response:
    sim: Simulator = request.app[SIM]
    try:
        sim.faults.set(parse_fault(await read_json(request)))
    except (ValueError, InvalidOperation) as exc:
        return _bad(str(exc))
    return json_response({"faults": [f.as_dict() for f in sim.faults.rules()]})


async def get_faults(request: web.Request) -> web.Response:
    return json_response({"faults": [f.as_dict() for f in request.app[SIM].faults.rules()]})


async def post_fees(request: web.Request) -> web.Response:
    """{exchange?, market?, maker, taker} sets rates (all exchanges / markets when left out);
    {"preset": "zero" | "default"} sets them all. /_sim/reset restores the start-up rates."""
    fees = request.app[SIM].engine.fees
    try:
        body = await read_json(request)
        preset = body.get("preset")
        if preset is not None:
            if preset not in ("zero", "default"):
                raise ValueError('preset must be "zero" or "default"')
            for (exchange, market), rates in DEFAULT_RATES.items():
                if preset == "zero":
                    fees.set(exchange, market, 0, 0)
                else:
                    fees.set(exchange, market, rates.maker, rates.taker)
        else:
            maker, taker = body["maker"], body["taker"]
            for exchange, market in DEFAULT_RATES:
                if body.get("exchange") in (None, exchange) and body.get("market") in (None, market):
                    fees.set(exchange, market, maker, taker)
    except (KeyError, ValueError, InvalidOperation) as exc:
        return _bad(f"bad fees: {exc!r}")
    return json_response({"fees": fees.as_list()})


async def get_fees(request: web.Request) -> web.Response:
    return json_response({"fees": request.app[SIM].engine.fees.as_list()})


async def post_reset(request: web.Request) -> web.Response:
    sim: Simulator = request.app[SIM]
    sim.engine.reset()
    sim.limiter.reset()
    sim.faults.clear()
    sim.requests.clear()
    return json_response({"ok": True})


async def post_fill(request: web.Request) -> web.Response:
    """Fill part of an order now: {exchange, order_id | client_order_id, quantity, price?, api_key?}."""
    sim: Simulator = request.app[SIM]
    engine = sim.engine
    try:
        body = await read_json(request)
        exchange = body["exchange"]
        order = None
        if body.get("order_id") is not None:
            order = engine.order_by_id(exchange, str(body["order_id"]))
        elif body.get("client_order_id"):
            candidates = [
                o
                for o in engine.list_orders(
                    exchange=exchange, api_key=body.get("api_key"), include_hidden=True
                )
                if o.client_order_id == body["client_order_id"]
            ]
            order = candidates[-1] if candidates else None
        if order is None:
            raise NotFound("order")
        engine.fill(order, body["quantity"], body.get("price"))
    except NotFound:
        return json_response({"error": "order not found"}, status=404)
    except Reject as exc:
        return _bad(str(exc))
    except (KeyError, ValueError, InvalidOperation) as exc:
        return _bad(f"bad fill: {exc!r}")
    return json_response(order_view(order, engine))


async def get_health(request: web.Request) -> web.Response:
    return json_response({"ok": True})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/_sim/accounts", post_accounts)
    app.router.add_post("/_sim/prices", post_prices)
    app.router.add_get("/_sim/orders", get_orders)
    app.router.add_get("/_sim/requests", get_requests)
    app.router.add_get("/_sim/positions", get_positions)
    app.router.add_get("/_sim/balances", get_balances)
    app.router.add_post("/_sim/faults", post_faults)
    app.router.add_get("/_sim/faults", get_faults)
    app.router.add_post("/_sim/fees", post_fees)
    app.router.add_get("/_sim/fees", get_fees)
    app.router.add_post("/_sim/reset", post_reset)
    app.router.add_post("/_sim/fill", post_fill)
    app.router.add_get("/_sim/health", get_health)
