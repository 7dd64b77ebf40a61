"""Bybit v5 order queries: /v5/order/realtime (open, or one order by id in any status) and
/v5/order/history (closed), with the order rows as Bybit lists them (newest first, cursor pages)."""

from __future__ import annotations

from .bybit_http import EXCHANGE, Call
from .bybit_market import instrument_of, missing_scope, plain
from .bybit_orders import filter_matches
from .models import (
    CANCELLED,
    EXPIRED,
    FALL,
    FILLED,
    FUTURES,
    MARKET,
    NEW,
    PARTIALLY_FILLED,
    REJECTED,
    RISE,
    SPOT,
    STOP_MARKET,
    ZERO,
    Instrument,
    Order,
    fmt,
)

MAX_PAGE = 50
DEFAULT_PAGE = 20
RECENT_CLOSED = 500  # realtime with openOnly=1: the last 500 closed orders

_STATUS = {NEW: "New", PARTIALLY_FILLED: "PartiallyFilled", FILLED: "Filled", REJECTED: "Rejected"}


def order_status(order: Order) -> str:
    if order.waiting_for_trigger:
        return "Untriggered"
    if order.status in (CANCELLED, EXPIRED):
        if order.is_trigger and order.triggered_at is None:
            return "Deactivated"
        return "PartiallyFilledCanceled" if order.filled > 0 else "Cancelled"
    return _STATUS.get(order.status, "New")


def render_order(order: Order, inst: Instrument) -> dict:
    """An order as /v5/order/realtime and /v5/order/history list it."""
    spot = inst.market == SPOT
    extra = order.extra
    is_market = order.type in (MARKET, STOP_MARKET)
    average = order.average(inst.contract_size)
    qty = extra.get("qty", order.quantity) if extra.get("marketUnit") == "quoteCoin" else order.quantity
    leaves = order.remaining if order.is_open else ZERO
    reference = order.price if order.price is not None else (order.trigger_price or ZERO)
    direction = {RISE: 1, FALL: 2}.get(order.trigger_direction, 0) if order.is_trigger else 0
    row = {
        "orderId": order.id,
        "orderLinkId": order.client_order_id or "",
        "blockTradeId": "",
        "symbol": order.symbol,
        "price": plain(order.price) if order.price is not None else "0",
        "qty": fmt(qty),
        "side": order.side.capitalize(),
        "isLeverage": "0" if spot else "",
        "positionIdx": 0,
        "orderStatus": order_status(order),
        "createType": "CreateByUser",
        "cancelType": extra.get("cancelType", "UNKNOWN") if order.status == CANCELLED else "UNKNOWN",
        "rejectReason": "EC_NoError",
        "avgPrice": fmt(average) if average is not None else ("" if spot else "0"),
        "leavesQty": fmt(leaves),
        "leavesValue": fmt(leaves * inst.contract_size * reference),
        "cumExecQty": fmt(order.filled),
        "cumExecValue": fmt(order.cost),
        "cumExecFee": fmt(order.fee),
        # The fee per coin (spot buys: the base coin); ccxt reads the order's fee from here.
        "cumFeeDetail": {order.fee_asset: fmt(order.fee)} if order.fills else {},
        "timeInForce": order.time_in_force,
        "orderType": "Market" if is_market else "Limit",
        "stopOrderType": "Stop" if order.is_trigger else "",
        "orderIv": "",
        "triggerPrice": plain(order.trigger_price) if order.is_trigger else "",
        "takeProfit": "",
        "stopLoss": "",
        "tpTriggerBy": "",
        "slTriggerBy": "",
        "triggerDirection": direction,
        "triggerBy": extra.get("triggerBy", "LastPrice") if order.is_trigger else "",
        "lastPriceOnCreated": plain(extra.get("lastPriceOnCreated")),
        "reduceOnly": order.reduce_only,
        "closeOnTrigger": False,
        "smpType": "None",
        "smpGroup": 0,
        "smpOrderId": "",
        "placeType": "",
        "slLimitPrice": "0",
        "tpLimitPrice": "0",
        "createdTime": str(int(order.created_at * 1000)),
        "updatedTime": str(int(order.updated_at * 1000)),
        "marketUnit": extra.get("marketUnit") or "",
        "slippageToleranceType": "UNKNOWN",
        "slippageTolerance": "0",
        "extraFees": "",
    }
    if not spot:
        row["tpslMode"] = ""  # ccxt tells contract orders from spot ones by this key
    return row


def _page(call: Call, orders: list[Order], market: str, category: str) -> dict:
    limit = call.get("limit")
    size = min(MAX_PAGE, int(limit)) if limit and limit.isdigit() and int(limit) > 0 else DEFAULT_PAGE
    cursor = call.get("cursor")
    start = int(cursor) if cursor and cursor.isdigit() else 0
    page = orders[start : start + size]
    engine = call.sim.engine
    rows = [render_order(o, engine.instrument(EXCHANGE, market, o.symbol)) for o in page]
    more = start + size < len(orders)
    return {"list": rows, "nextPageCursor": str(start + size) if more else "", "category": category}


def _select(call: Call, market: str, candidates: list[Order]) -> list[Order]:
    """Filter by symbol / baseCoin / settleCoin / orderId / orderLinkId / orderFilter."""
    engine = call.sim.engine
    symbol, base, settle = call.get("symbol"), call.get("baseCoin"), call.get("settleCoin")
    order_id, link_id = call.get("orderId"), call.get("orderLinkId")
    order_filter = call.get("orderFilter")
    result = []
    for order in candidates:
        inst = engine.find_instrument(EXCHANGE, market, order.symbol)
        if symbol not in (None, order.symbol) or base not in (None, inst.base):
            continue
        if settle not in (None, inst.settle):
            continue
        if order_id not in (None, order.id) or link_id not in (None, order.client_order_id):
            continue
        if not filter_matches(order, order_filter):
            continue
        result.append(order)
    return result


def _account_orders(call: Call, market: str) -> list[Order]:
    account = call.account
    orders = call.sim.engine.list_orders(EXCHANGE, account.api_key, market=market)
    return list(reversed(orders))  # newest first, as Bybit lists them


def _check_scope(call: Call, market: str) -> None:
    symbol = call.get("symbol")
    if symbol is not None:
        instrument_of(call, market, symbol)
    elif market == FUTURES and call.get("baseCoin") is None and call.get("settleCoin") is None:
        raise missing_scope()


async def realtime(call: Call) -> object:
    """Open orders; with orderId / orderLinkId the order in any status; openOnly=1: recent closed."""
    category = call.category()
    market = call.market()
    _check_scope(call, market)
    orders = _account_orders(call, market)
    if call.get("orderId") is None and call.get("orderLinkId") is None:
        if call.get("openOnly") in (None, "0"):
            orders = [o for o in orders if o.is_open]
        else:
            orders = [o for o in orders if not o.is_open][:RECENT_CLOSED]
    return _page(call, _select(call, market, orders), market, category)


async def history(call: Call) -> object:
    """Closed orders (Filled, Cancelled, Rejected, Deactivated, PartiallyFilledCanceled), newest first."""
    category = call.category()
    market = call.market()
    symbol = call.get("symbol")
    if symbol is not None:
        instrument_of(call, market, symbol)
    orders = [o for o in _account_orders(call, market) if not o.is_open]
    status = call.get("orderStatus")
    if status is not None:
        orders = [o for o in orders if order_status(o) == status]
    start, end = call.get("startTime"), call.get("endTime")
    if start is not None and start.isdigit():
        orders = [o for o in orders if o.created_at * 1000 >= int(start)]
    if end is not None and end.isdigit():
        orders = [o for o in orders if o.created_at * 1000 <= int(end)]
    return _page(call, _select(call, market, orders), market, category)
