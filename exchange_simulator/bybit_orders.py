"""Bybit v5 order endpoints: create, cancel and cancel-all, and Bybit's rejection codes.

Conditional orders: linear ones carry `triggerPrice` + `triggerDirection` (1 rises to it, 2 falls
to it; a trigger the last price has already crossed is refused with 110092/110093, as Bybit does);
spot ones carry `triggerPrice` with `orderFilter: StopOrder` (or tpslOrder) and their direction is
taken from the price at placement. A conditional order keeps its orderId when it fires. Filters
(`orderFilter` Order / StopOrder) select orders by how they were placed; spot cancel and cancel-all
default to `Order`, linear ones and the queries default to every kind (UTA behaviour).
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, Decimal

from .bybit_http import EXCHANGE, BybitError, Call, params_error
from .bybit_market import missing_scope, plain
from .context import RECEIVED_AT
from .errors import NotFound, Reject
from .models import (
    FALL,
    HEDGE,
    LIMIT,
    MARKET,
    RISE,
    SPOT,
    STOP_LIMIT,
    STOP_MARKET,
    ZERO,
    Instrument,
    Order,
    OrderRequest,
)

ORDER_LINK_ID = re.compile(r"^[A-Za-z0-9_-]{1,36}$")
CONDITIONAL_FILTERS = ("StopOrder", "tpslOrder")


def _mark_code(price: Decimal | None) -> int:
    """Bybit prints prices scaled by 10^4 in its trigger messages (trigger_price[633023000])."""
    return int((price or ZERO) * 10_000)


def _price_error(spot: bool, detail: str, what: str) -> BybitError:
    if spot:
        if "multiple" in detail:
            return BybitError(170134, "Order price has too many decimals.")
        if ">" in detail:
            return BybitError(170132, "Order price too high.")
        return BybitError(170133, "Order price lower than the minimum.")
    if "multiple" in detail:
        return params_error(f"{what} has too many decimals")
    if "<" in detail or ">" in detail:
        return BybitError(110003, "Order price is out of permissible range")
    return params_error(f"{what} invalid")


def _position_is_zero(detail: str) -> bool:
    """The engine's reduce-only detail is "position <signed qty>"."""
    found = re.fullmatch(r"position (-?[0-9.]+)", detail)
    return found is None or Decimal(found.group(1)) == 0


def reject_error(exc: Reject, inst: Instrument, req: OrderRequest, mark: Decimal | None) -> BybitError:
    """The retCode Bybit answers for an engine rejection (spot 170xxx, linear 10001/110xxx)."""
    spot = inst.market == SPOT
    reason = exc.reason
    if reason in ("invalid_price", "invalid_trigger_price"):
        return _price_error(
            spot, exc.detail, "triggerPrice" if reason == "invalid_trigger_price" else "price"
        )
    if reason == "would_trigger_immediately":
        if req.trigger_direction == RISE:
            return BybitError(
                110092,
                f"expect Rising, but trigger_price[{_mark_code(req.trigger_price)}] <= "
                f"current[{_mark_code(mark)}]??LastPrice",
            )
        return BybitError(
            110093,
            f"expect Falling, but trigger_price[{_mark_code(req.trigger_price)}] >= "
            f"current[{_mark_code(mark)}]??LastPrice",
        )
    if reason == "reduce_only_rejected":
        if _position_is_zero(exc.detail):
            return BybitError(110017, "current position is zero, cannot fix reduce-only order qty")
        return BybitError(110017, "reduce-only order has same side with current position")
    if reason == "invalid_quantity" and "positive" in exc.detail:
        return (
            BybitError(170136, "Order quantity lower than the minimum.")
            if spot
            else params_error("qty invalid")
        )
    table = SPOT_CODES if spot else LINEAR_CODES
    code, msg = table.get(reason, (10001, f"params error: {reason}"))
    if reason == "below_min_notional" and not spot:
        msg = f"Order does not meet minimum order value {plain(inst.min_notional)}{inst.settle}"
    return BybitError(code, msg)


SPOT_CODES = {
    "unknown_symbol": (170121, "Invalid symbol."),
    "invalid_order_type": (170116, "Invalid orderType."),
    "invalid_quantity": (170137, "Order quantity has too many decimals."),
    "below_min_qty": (170136, "Order quantity lower than the minimum."),
    "above_max_qty": (170135, "Order quantity too large."),
    "below_min_notional": (170140, "Order value exceeded lower limit."),
    "above_max_notional": (170124, "Order amount too large."),
    "insufficient_balance": (170131, "Insufficient balance."),
    "insufficient_margin": (170131, "Insufficient balance."),
    "duplicate_client_order_id": (170141, "Duplicate clientOrderId."),
}

LINEAR_CODES = {
    "unknown_symbol": (10001, "params error: symbol invalid"),
    "invalid_order_type": (10001, "params error: orderType invalid"),
    "invalid_quantity": (10001, "params error: Qty invalid"),
    "below_min_qty": (10001, "The number of contracts exceeds minimum limit allowed"),
    "above_max_qty": (10001, "The number of contracts exceeds maximum limit allowed: too large"),
    "below_min_notional": (110094, "Order does not meet minimum order value"),
    "above_max_notional": (10001, "The number of contracts exceeds maximum limit allowed: too large"),
    "insufficient_balance": (110007, "ab not enough for new order"),
    "insufficient_margin": (110007, "ab not enough for new order"),
    "duplicate_client_order_id": (110072, "OrderLinkedID is duplicate"),
}


def _unknown_symbol(spot: bool) -> BybitError:
    return BybitError(*SPOT_CODES["unknown_symbol"]) if spot else params_error("symbol invalid")


def _not_found(spot: bool, late: bool = False) -> BybitError:
    if spot:
        return BybitError(170213, "Order does not exist.")
    return BybitError(110001, "order not exists or too late to cancel" if late else "Order does not exist")


# ---- create -------------------------------------------------------------------------------------


def _side(call: Call, spot: bool) -> str:
    side = call.require("side")
    if side not in ("Buy", "Sell"):
        raise BybitError(170117, "Invalid side.") if spot else params_error("side invalid")
    return side.lower()


def _time_in_force(call: Call, is_market: bool) -> str:
    tif = call.get("timeInForce") or ("IOC" if is_market else "GTC")
    if tif not in ("GTC", "IOC", "FOK", "PostOnly"):
        raise params_error("timeInForce invalid")
    return "IOC" if is_market else tif


def _base_qty(inst: Instrument, quote_qty: Decimal, price: Decimal) -> Decimal:
    steps = (quote_qty / price / inst.step_size).to_integral_value(ROUND_DOWN)
    return steps * inst.step_size


async def create(call: Call) -> object:
    category = call.category()
    market = call.market()
    spot = market == SPOT
    engine = call.sim.engine
    symbol = call.require("symbol")
    inst = engine.find_instrument(EXCHANGE, market, symbol)
    if inst is None:
        raise _unknown_symbol(spot)
    side = _side(call, spot)
    order_type = call.require("orderType")
    if order_type not in inst.order_types:
        raise BybitError(*SPOT_CODES["invalid_order_type"]) if spot else params_error("orderType invalid")
    is_market = order_type == "Market"
    qty = call.decimal("qty", required=True)
    price = None if is_market else call.decimal("price", required=True)
    link_id = call.get("orderLinkId")
    if link_id is not None and not ORDER_LINK_ID.match(link_id):
        raise params_error("orderLinkId invalid")
    # One-way accounts take positionIdx 0; hedge-mode accounts (control API) need 1 / 2, whose
    # two-sided positions the simulator does not trade, so their linear orders are refused too.
    hedge = not spot and call.account.position_mode == HEDGE
    if hedge or (not spot and str(call.get("positionIdx") or "0") != "0"):
        raise BybitError(10001, "position idx not match position mode")
    mark = engine.mark_of(inst)

    trigger_price = call.decimal("triggerPrice")
    if trigger_price is not None and trigger_price <= 0:
        raise _price_error(spot, "must be positive", "triggerPrice")
    order_filter = call.get("orderFilter") or "Order"
    direction = None
    if spot:
        if order_filter not in ("Order", *CONDITIONAL_FILTERS):
            raise BybitError(170202, "Invalid orderFilter parameter.")
        if order_filter == "Order":
            trigger_price = None  # spot: triggerPrice only means something for conditional filters
    elif trigger_price is not None:
        raw_direction = call.get("triggerDirection")
        if raw_direction not in ("1", "2"):
            raise params_error("triggerDirection invalid")
        direction = RISE if raw_direction == "1" else FALL
    conditional = trigger_price is not None
    if conditional:
        kind = STOP_MARKET if is_market else STOP_LIMIT
    else:
        kind = MARKET if is_market else LIMIT

    quantity, quote_quantity, market_unit = qty, None, None
    if spot and is_market:
        market_unit = call.get("marketUnit") or ("quoteCoin" if side == "buy" else "baseCoin")
        if market_unit not in ("baseCoin", "quoteCoin"):
            raise BybitError(170130, "Data sent for paramter 'marketUnit' is not valid.")
        if market_unit == "quoteCoin":
            quantity, quote_quantity = None, qty
            if conditional:  # sized at the trigger price, as the order will be when it fires
                quantity, quote_quantity = _base_qty(inst, qty, trigger_price), None
    if not spot and is_market:
        market_max = inst.extra.get("maxMktOrderQty")
        if market_max is not None and qty > Decimal(market_max):
            raise BybitError(*LINEAR_CODES["above_max_qty"])

    req = OrderRequest(
        market=market,
        symbol=symbol,
        side=side,
        type=kind,
        quantity=quantity,
        quote_quantity=quote_quantity,
        price=price,
        trigger_price=trigger_price,
        trigger_direction=direction,
        reject_immediate_trigger=direction is not None,
        reduce_only=call.flag("reduceOnly") and not spot,  # spot ignores reduceOnly
        client_order_id=link_id,
        time_in_force=_time_in_force(call, is_market),
        duplicate_scope="all",
        received_at=call.request[RECEIVED_AT],
        extra={
            "category": category,
            "qty": qty,
            "marketUnit": market_unit,
            "orderFilter": order_filter if conditional else "Order",
            "lastPriceOnCreated": mark,
            "triggerBy": call.get("triggerBy") or "LastPrice",
        },
    )
    try:
        order = engine.place_order(call.account, req)
    except Reject as exc:
        raise reject_error(exc, inst, req, mark) from None
    if kind == LIMIT and order.is_open and order.time_in_force in ("IOC", "FOK"):
        engine.cancel_order(call.account, market, order_id=order.id)
    return {"orderId": order.id, "orderLinkId": order.client_order_id or ""}


# ---- cancel -------------------------------------------------------------------------------------


def filter_matches(order: Order, order_filter: str | None) -> bool:
    if order_filter is None:
        return True
    if order_filter in CONDITIONAL_FILTERS:
        return order.is_trigger
    return not order.is_trigger


def _cancel_filter(call: Call, spot: bool) -> str | None:
    """Spot cancels only normal orders unless told otherwise; linear cancels every kind."""
    order_filter = call.get("orderFilter")
    if spot and order_filter is None:
        return "Order"
    return order_filter


async def cancel(call: Call) -> object:
    market = call.market()
    spot = market == SPOT
    engine = call.sim.engine
    symbol = call.require("symbol")
    if engine.find_instrument(EXCHANGE, market, symbol) is None:
        raise _unknown_symbol(spot)
    order_id, link_id = call.get("orderId"), call.get("orderLinkId")
    if order_id is None and link_id is None:
        raise params_error("OrderId or orderLinkId is required")
    found = engine.find_order(
        call.account,
        market,
        order_id=order_id,
        client_order_id=None if order_id is not None else link_id,
        symbol=symbol,
    )
    if found is None or not filter_matches(found, _cancel_filter(call, spot)):
        raise _not_found(spot)
    if link_id is not None and found.client_order_id != link_id:
        raise _not_found(spot)
    try:
        engine.cancel_order(call.account, market, order_id=found.id)
    except (NotFound, Reject):
        raise _not_found(spot, late=True) from None
    found.extra["cancelType"] = "CancelByUser"
    return {"orderId": found.id, "orderLinkId": found.client_order_id or ""}


async def cancel_all(call: Call) -> object:
    market = call.market()
    spot = market == SPOT
    engine = call.sim.engine
    symbol, base, settle = call.get("symbol"), call.get("baseCoin"), call.get("settleCoin")
    if not spot and symbol is None and base is None and settle is None:
        raise missing_scope()
    if symbol is not None and engine.find_instrument(EXCHANGE, market, symbol) is None:
        raise _unknown_symbol(spot)
    order_filter = _cancel_filter(call, spot)
    cancelled = []
    for order in engine.open_orders(call.account, market, symbol=symbol):
        inst = engine.find_instrument(EXCHANGE, market, order.symbol)
        if base not in (None, inst.base) or settle not in (None, inst.settle):
            continue
        if not filter_matches(order, order_filter):
            continue
        engine.cancel_order(call.account, market, order_id=order.id)
        order.extra["cancelType"] = "CancelByUser"
        cancelled.append({"orderId": order.id, "orderLinkId": order.client_order_id or ""})
    return {"list": cancelled, "success": "1"}
