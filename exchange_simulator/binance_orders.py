"""Binance order endpoints: spot /api/v3/order*, USDT-M /fapi/v1/order* and the algo service.

USDT-M conditional (stop / take-profit) orders live in the algo service (`/fapi/v1/algoOrder`,
`algoType=CONDITIONAL`, client id `clientAlgoId`), in their own client-id namespace; once fired
they show up as normal orders under `actualOrderId`. Spot stops are ordinary orders
(STOP_LOSS / STOP_LOSS_LIMIT). Client ids are unique among *open* orders, as Binance documents.
"""

from __future__ import annotations

import secrets

from . import binance_views as views
from .binance_account import check_position_side
from .binance_filters import check_order
from .binance_http import CLIENT_ID, BinanceError, Call, missing
from .context import RECEIVED_AT
from .errors import NotFound, Reject
from .models import (
    FALL,
    FUTURES,
    LIMIT,
    MARKET,
    RISE,
    SPOT,
    STOP_LIMIT,
    STOP_MARKET,
    Order,
    OrderRequest,
    fmt,
)

EXCHANGE = "binance"
ALGO = "algo"  # client-id namespace of USDT-M algo orders

# Native type -> (engine type, fires on the side's "stop" direction (True) or take-profit (False)).
SPOT_TYPES = {
    "MARKET": (MARKET, None),
    "LIMIT": (LIMIT, None),
    "LIMIT_MAKER": (LIMIT, None),
    "STOP_LOSS": (STOP_MARKET, True),
    "STOP_LOSS_LIMIT": (STOP_LIMIT, True),
    "TAKE_PROFIT": (STOP_MARKET, False),
    "TAKE_PROFIT_LIMIT": (STOP_LIMIT, False),
}
FUTURES_TYPES = {"MARKET": (MARKET, None), "LIMIT": (LIMIT, None)}
ALGO_TYPES = {
    "STOP_MARKET": (STOP_MARKET, True),
    "STOP": (STOP_LIMIT, True),
    "TAKE_PROFIT_MARKET": (STOP_MARKET, False),
    "TAKE_PROFIT": (STOP_LIMIT, False),
}

UNKNOWN_ORDER = BinanceError(-2011, "Unknown order sent.")
NO_SUCH_ORDER = BinanceError(-2013, "Order does not exist.")
ALL_CANCELLED = {"code": 200, "msg": "The operation of cancel all open order is done."}


def _spot_reject(exc: Reject) -> BinanceError:
    reason = exc.reason
    if reason in ("invalid_quantity", "below_min_qty", "above_max_qty"):
        return BinanceError(-1013, "Filter failure: LOT_SIZE")
    if reason in ("invalid_price", "invalid_trigger_price"):
        return BinanceError(-1013, "Filter failure: PRICE_FILTER")
    if reason in ("below_min_notional", "above_max_notional"):
        return BinanceError(-1013, "Filter failure: NOTIONAL")
    messages = {
        "insufficient_balance": "Account has insufficient balance for requested action.",
        "duplicate_client_order_id": "Duplicate order sent.",
        "would_trigger_immediately": "Stop price would trigger immediately.",
        "reduce_only_rejected": "Reduce only order is not supported for spot.",
    }
    if reason in messages:
        return BinanceError(-2010, messages[reason])
    return _common_reject(exc)


def _futures_reject(exc: Reject, call: Call) -> BinanceError:
    reason, detail = exc.reason, exc.detail
    if reason in ("invalid_price", "invalid_trigger_price"):
        if "multiple" in detail:
            return BinanceError(-4014, "Price not increased by tick size.")
        if ">" in detail:
            return BinanceError(-4002, "Price greater than max price.")
        return BinanceError(-4013, "Price less than min price.")
    if reason == "invalid_quantity":
        if "positive" in detail:
            return BinanceError(-4003, "Quantity less than or equal to zero.")
        return BinanceError(-1111, "Precision is over the maximum defined for this asset.")
    if reason == "below_min_notional":
        inst = call.sim.engine.instrument(EXCHANGE, FUTURES, call.require("symbol"))
        return BinanceError(
            -4164,
            f"Order's notional must be no smaller than {fmt(inst.min_notional)} "
            "(unless you choose reduce only).",
        )
    codes = {
        "below_min_qty": (-4004, "Quantity less than min quantity."),
        "above_max_qty": (-4005, "Quantity greater than max quantity."),
        "above_max_notional": (-2027, "Exceeded the maximum allowable position at current leverage."),
        "insufficient_margin": (-2019, "Margin is insufficient."),
        "insufficient_balance": (-2019, "Margin is insufficient."),
        "reduce_only_rejected": (-2022, "ReduceOnly Order is rejected."),
        "duplicate_client_order_id": (-4116, "ClientOrderId is duplicated."),
        "would_trigger_immediately": (-2021, "Order would immediately trigger."),
    }
    if reason in codes:
        return BinanceError(*codes[reason])
    return _common_reject(exc)


def _common_reject(exc: Reject) -> BinanceError:
    if exc.reason == "unknown_symbol":
        return BinanceError(-1121, "Invalid symbol.")
    if exc.reason == "invalid_order_type":
        return BinanceError(-1116, "Invalid orderType.")
    if exc.reason == "order_not_open":
        return UNKNOWN_ORDER
    return BinanceError(-1013, f"Invalid order: {exc.detail or exc.reason}.")


def _instrument(call: Call):
    inst = call.sim.engine.find_instrument(EXCHANGE, call.market, call.require("symbol"))
    if inst is None:
        raise BinanceError(-1121, "Invalid symbol.")
    return inst


def _side(call: Call) -> str:
    side = call.require("side").upper()
    if side not in ("BUY", "SELL"):
        raise BinanceError(-1117, "Invalid side.")
    return side.lower()


def _client_id(call: Call, name: str) -> str:
    value = call.get(name)
    if value is None:
        return "web_" + secrets.token_hex(10)
    if not CLIENT_ID.match(value):
        raise BinanceError(
            -1100,
            f"Illegal characters found in parameter '{name}'; "
            "legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.",
        )
    return value


def _direction(side: str, is_stop: bool | None) -> str | None:
    """Binance stops fire in the order's direction (buy: price rises to it), take-profits against it."""
    if is_stop is None:
        return None
    rises = side == "buy"
    return RISE if rises == is_stop else FALL


def _request(
    call: Call, native: str, kind: str, is_stop: bool | None, namespace: str, client_key: str
) -> OrderRequest:
    side = _side(call)
    needs_price = kind in (LIMIT, STOP_LIMIT)
    if native in ("LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT") and call.get("timeInForce") is None:
        raise missing("timeInForce")
    quantity = call.decimal("quantity")
    quote_quantity = call.decimal("quoteOrderQty") if call.market == SPOT and native == "MARKET" else None
    if quantity is None and quote_quantity is None:
        if native == "MARKET" and call.market == SPOT:
            raise BinanceError(
                -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"
            )
        raise missing("quantity")
    price = call.decimal("price", required=needs_price)
    trigger_name = "triggerPrice" if namespace == ALGO else "stopPrice"
    trigger = call.decimal(trigger_name, required=is_stop is not None)
    return OrderRequest(
        market=call.market,
        symbol=call.require("symbol"),
        side=side,
        type=kind,
        quantity=quantity,
        price=price if needs_price else None,
        trigger_price=trigger if is_stop is not None else None,
        trigger_direction=_direction(side, is_stop),
        reject_immediate_trigger=True,
        reduce_only=call.flag("reduceOnly"),
        client_order_id=_client_id(call, client_key),
        time_in_force=call.get("timeInForce") or "GTC",
        quote_quantity=quote_quantity if quantity is None else None,
        duplicate_scope="open",
        id_namespace=namespace,
        received_at=call.request[RECEIVED_AT],
        extra={"native_type": native, "quote_quantity": quote_quantity},
    )


# ---- placing ------------------------------------------------------------------------------------


async def spot_new_order(call: Call) -> object:
    inst = _instrument(call)
    native = call.require("type").upper()
    if native not in SPOT_TYPES or native not in inst.order_types:
        raise BinanceError(-1116, "Invalid orderType.")
    if "reduceOnly" in call.params:
        sent = len(call.params) - 1  # the signature is not a parameter
        raise BinanceError(
            -1104, f"Not all sent parameters were read; read '{sent - 1}' parameter(s) but was sent '{sent}'."
        )
    kind, is_stop = SPOT_TYPES[native]
    req = _request(call, native, kind, is_stop, "", "newClientOrderId")
    engine = call.sim.engine
    if native == "LIMIT_MAKER":
        mark = engine.mark_of(inst)
        if mark is not None and (mark <= req.price if req.side == "buy" else mark >= req.price):
            raise BinanceError(-2010, "Order would immediately match and take.")
    check_order(engine, call.account, inst, req)
    try:
        order = engine.place_order(call.account, req)
    except Reject as exc:
        raise _spot_reject(exc) from None
    resp_type = (call.get("newOrderRespType") or ("FULL" if native in ("MARKET", "LIMIT") else "ACK")).upper()
    if resp_type == "ACK":
        return {
            "symbol": order.symbol,
            "orderId": int(order.id),
            "orderListId": -1,
            "clientOrderId": order.client_order_id,
            "transactTime": views.ms(order.created_at),
        }
    body = views.spot_order(order, full=True)
    if resp_type == "RESULT":
        body.pop("fills")
    return body


async def futures_new_order(call: Call) -> object:
    inst = _instrument(call)
    native = call.require("type").upper()
    if native in ALGO_TYPES or native == "TRAILING_STOP_MARKET":
        raise BinanceError(
            -4120,
            "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.",
        )
    if native not in FUTURES_TYPES:
        raise BinanceError(-1116, "Invalid orderType.")
    check_position_side(call)
    kind, _ = FUTURES_TYPES[native]
    req = _request(call, native, kind, None, "", "newClientOrderId")
    check_order(call.sim.engine, call.account, inst, req)
    try:
        order = call.sim.engine.place_order(call.account, req)
    except Reject as exc:
        raise _futures_reject(exc, call) from None
    return views.futures_order(order, inst)


async def futures_new_algo_order(call: Call) -> object:
    inst = _instrument(call)
    if (call.get("algoType") or "").upper() != "CONDITIONAL":
        raise BinanceError(-1130, "Data sent for parameter 'algoType' is not valid.")
    native = call.require("type").upper()
    if native not in ALGO_TYPES:
        raise BinanceError(-1116, "Invalid orderType.")
    check_position_side(call)
    kind, is_stop = ALGO_TYPES[native]
    req = _request(call, native, kind, is_stop, ALGO, "clientAlgoId")
    check_order(call.sim.engine, call.account, inst, req)
    try:
        order = call.sim.engine.place_order(call.account, req)
    except Reject as exc:
        raise _futures_reject(exc, call) from None
    return views.algo_order(order)


# ---- finding ------------------------------------------------------------------------------------


def _find(call: Call, *, algo: bool, missing_error: BinanceError) -> Order:
    _instrument(call)
    engine = call.sim.engine
    symbol = call.require("symbol")
    if algo:
        order_id, client_id = call.get("algoId"), call.get("clientAlgoId")
        names = ("algoId", "clientAlgoId")
    else:
        order_id, client_id = call.get("orderId"), call.get("origClientOrderId")
        names = ("orderId", "origClientOrderId")
    if order_id is None and client_id is None:
        raise BinanceError(
            -1102, f"Param '{names[1]}' or '{names[0]}' must be sent, but both were empty/null!"
        )
    namespace = ALGO if algo and call.market == FUTURES else ""
    order = engine.find_order(
        call.account,
        call.market,
        order_id=order_id,
        client_order_id=client_id,
        namespace=namespace,
        symbol=symbol,
    )
    if order is None:
        raise missing_error
    if call.market == FUTURES:
        is_algo_view = order.is_trigger and (order_id is None or order_id == order.id)
        if is_algo_view != algo:
            raise missing_error
    return order


def _render(call: Call, order: Order) -> dict:
    if call.market == SPOT:
        return views.spot_order(order)
    inst = call.sim.engine.instrument(EXCHANGE, FUTURES, order.symbol)
    return views.futures_order(order, inst)


async def get_order(call: Call) -> object:
    return _render(call, _find(call, algo=False, missing_error=NO_SUCH_ORDER))


async def get_algo_order(call: Call) -> object:
    return views.algo_order(_find(call, algo=True, missing_error=NO_SUCH_ORDER))


async def open_orders(call: Call) -> object:
    symbol = call.get("symbol")
    if symbol is not None:
        _instrument(call)
    triggers = False if call.market == FUTURES else None
    orders = call.sim.engine.open_orders(call.account, call.market, symbol=symbol, triggers=triggers)
    return [_render(call, o) for o in orders]


async def open_algo_orders(call: Call) -> object:
    symbol = call.get("symbol")
    if symbol is not None:
        _instrument(call)
    orders = call.sim.engine.open_orders(call.account, FUTURES, symbol=symbol, triggers=True)
    return [views.algo_order(o) for o in orders]


async def all_orders(call: Call) -> object:
    inst = _instrument(call)
    orders = [
        o
        for o in call.sim.engine.list_orders(EXCHANGE, call.account.api_key, inst.symbol, call.market)
        if call.market == SPOT or not o.is_trigger or o.triggered_id
    ]
    return [_render(call, o) for o in orders][-int(call.get("limit") or 500) :]


async def all_algo_orders(call: Call) -> object:
    inst = _instrument(call)
    orders = call.sim.engine.list_orders(EXCHANGE, call.account.api_key, inst.symbol, FUTURES)
    return [views.algo_order(o) for o in orders if o.is_trigger][-int(call.get("limit") or 500) :]


# ---- cancelling ---------------------------------------------------------------------------------


def _cancel(call: Call, *, algo: bool) -> Order:
    order = _find(call, algo=algo, missing_error=UNKNOWN_ORDER)
    try:
        return call.sim.engine.cancel_order(call.account, call.market, order_id=order.id)
    except (NotFound, Reject):
        raise UNKNOWN_ORDER from None


async def cancel_order(call: Call) -> object:
    order = _cancel(call, algo=False)
    if call.market == SPOT:
        return views.spot_cancel(order, _client_id(call, "newClientOrderId"))
    return _render(call, order)


async def cancel_algo_order(call: Call) -> object:
    order = _cancel(call, algo=True)
    return {"algoId": int(order.id), "clientAlgoId": order.client_order_id, "code": "200", "msg": "success"}


async def cancel_open_orders(call: Call) -> object:
    inst = _instrument(call)
    engine = call.sim.engine
    if call.market == SPOT:
        cancelled = engine.cancel_all(call.account, SPOT, symbol=inst.symbol)
        if not cancelled:
            raise UNKNOWN_ORDER
        return [views.spot_cancel(o, "web_" + secrets.token_hex(10)) for o in cancelled]
    engine.cancel_all(call.account, FUTURES, symbol=inst.symbol, triggers=False)
    return ALL_CANCELLED


async def cancel_open_algo_orders(call: Call) -> object:
    inst = _instrument(call)
    call.sim.engine.cancel_all(call.account, FUTURES, symbol=inst.symbol, triggers=True)
    return ALL_CANCELLED
