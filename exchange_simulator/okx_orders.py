"""OKX v5 order placement: /trade/order, /trade/batch-orders (ccxt's default, even for one order)
and /trade/order-algo (trigger orders), with OKX's parameter checks and sCodes.

Normal orders and algo (trigger) orders are separate on OKX: their own ids, client ids
(`clOrdId` / `algoClOrdId`) and endpoints. Here both are engine orders; algo orders live in the
client-id namespace "algo", and a fired algo order shows up among normal orders under its
`triggered_id`.
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, Decimal

from aiohttp import web

from .errors import NotFound, Reject
from .matching import limit_marketable, reduces
from .models import (
    FUTURES,
    HEDGE,
    LIMIT,
    MARKET,
    SPOT,
    STOP_LIMIT,
    STOP_MARKET,
    Instrument,
    OrderRequest,
    fmt,
)
from .okx_http import (
    PLACE_ALGO,
    PLACE_BATCH,
    PLACE_ORDER,
    SUB_ACCOUNT_ORDERS,
    Call,
    OkxError,
    OrderError,
    bool_param,
    charge,
    decimal_param,
    find_inst,
    param_error,
    remember_margin_mode,
    results_response,
    unknown_instrument,
)

CLIENT_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")
ALGO_NAMESPACE = "algo"
MAX_BATCH = 20

NORMAL_TYPES = ("market", "limit", "post_only", "fok", "ioc", "optimal_limit_ioc")
ALGO_TYPES = ("trigger",)  # conditional / oco / move_order_stop / iceberg / twap: not simulated

_CCY = {"insufficient_balance": "balance", "insufficient_margin": "margin"}


def no_position_to_reduce() -> OrderError:
    return OrderError(
        "51169",
        "Order failed because you don't have any positions in this direction for this contract "
        "to reduce or close.",
    )


def reject_to_s_code(exc: Reject, inst: Instrument, req: OrderRequest) -> OrderError:
    """The engine's neutral reason as the sCode/sMsg OKX answers (ccxt okx.exceptions maps them)."""
    reason = exc.reason
    if reason == "unknown_symbol":
        return unknown_instrument()
    if reason == "invalid_quantity":
        return OrderError(
            "51121", f"Order quantity must be a multiple of the lot size ({fmt(inst.step_size)})."
        )
    if reason in ("below_min_qty", "below_min_notional"):
        return OrderError(
            "51020", f"Your order should meet or exceed the minimum order amount ({fmt(inst.min_qty)})."
        )
    if reason in ("above_max_qty", "above_max_notional"):
        return OrderError(
            "51203", f"Order amount exceeds the limit {inst.extra.get('maxLmtSz', fmt(inst.max_qty))}."
        )
    if reason in _CCY:
        if inst.market == SPOT:
            ccy = inst.quote if req.side == "buy" else inst.base
        else:
            ccy = inst.settle or inst.quote
        return OrderError("51008", f"Order failed. Insufficient {ccy} {_CCY[reason]} in account.")
    if reason == "reduce_only_rejected":
        if inst.market == SPOT:
            return OrderError("51205", "Reduce Only is not available.")
        return no_position_to_reduce()
    if reason == "duplicate_client_order_id":
        return OrderError("51016", "Duplicated clOrdId")
    if reason == "invalid_price":
        return param_error("px")
    if reason in ("invalid_trigger_price", "would_trigger_immediately"):
        return param_error("triggerPx")
    if reason == "invalid_order_type":
        return param_error("ordType")
    return OrderError("51000", f"Parameter error: {exc.detail or reason}")


def _inst_for(call: Call, raw: dict) -> Instrument:
    inst_id = raw.get("instId")
    if not inst_id:
        raise OrderError("50014", "Parameter instId can not be empty.")
    inst = find_inst(call.sim, str(inst_id))
    if inst is None:
        raise unknown_instrument()
    return inst


def _client_id(raw: dict, *names: str) -> str | None:
    for name in names:
        value = raw.get(name)
        if value not in (None, ""):
            value = str(value)
            if not CLIENT_ID.match(value):
                raise param_error(name)
            return value
    return None


def _check_price_limit(inst: Instrument, side: str, price: Decimal, mark: Decimal | None) -> None:
    """OKX's price limit: buys no higher, sells no lower than a band around the mark (51006)."""
    ratio = inst.extra.get("priceLimitRatio")
    if mark is None or not ratio:
        return
    band = Decimal(ratio)
    highest = (mark * (1 + band) / inst.tick_size).to_integral_value(ROUND_DOWN) * inst.tick_size
    lowest = -((-mark * (1 - band) / inst.tick_size).to_integral_value(ROUND_DOWN)) * inst.tick_size
    if (side == "buy" and price > highest) or (side == "sell" and price < lowest):
        raise OrderError(
            "51006",
            f"Order price is not within the price limit (max buy price: {fmt(highest)}; "
            f"min sell price: {fmt(lowest)})",
        )


def _build_request(call: Call, inst: Instrument, raw: dict, algo: bool) -> OrderRequest:
    side = raw.get("side")
    if side in (None, ""):
        raise OrderError("50014", "Parameter side can not be empty.")
    if side not in ("buy", "sell"):
        raise param_error("side")
    ord_type = raw.get("ordType")
    if ord_type in (None, ""):
        raise OrderError("50014", "Parameter ordType can not be empty.")
    if ord_type not in (ALGO_TYPES if algo else NORMAL_TYPES) or ord_type not in inst.order_types:
        raise param_error("ordType")
    td_mode = raw.get("tdMode")
    if td_mode in (None, ""):
        raise OrderError("50014", "Parameter tdMode can not be empty.")
    if td_mode not in (("cash",) if inst.market == SPOT else ("cross", "isolated")):
        raise param_error("tdMode")
    if inst.market == FUTURES:
        # Net mode takes no posSide (or "net"); long/short mode needs long / short, whose
        # two-sided positions the simulator does not trade, so those orders are refused.
        if call.account.position_mode == HEDGE or raw.get("posSide") not in (None, "", "net"):
            raise param_error("posSide")
    if raw.get("attachAlgoOrds") or raw.get("slTriggerPx") or raw.get("tpTriggerPx"):
        raise param_error("attachAlgoOrds")  # attached TP/SL are not simulated
    if raw.get("sz") in (None, ""):
        raise OrderError("50014", "Parameter sz can not be empty.")
    size = decimal_param(raw.get("sz"), "sz")
    if size <= 0:
        raise param_error("sz")
    reduce_only = bool_param(raw.get("reduceOnly", False))
    tgt_ccy = str(raw.get("tgtCcy") or "")
    if tgt_ccy not in ("", "base_ccy", "quote_ccy") or (tgt_ccy and inst.market != SPOT):
        raise param_error("tgtCcy")
    mark = call.engine.mark_of(inst)
    price = trigger = None
    if algo:
        if raw.get("triggerPx") in (None, ""):
            raise OrderError("50014", "Parameter triggerPx can not be empty.")
        trigger = decimal_param(raw.get("triggerPx"), "triggerPx")
        if raw.get("orderPx") in (None, ""):
            raise OrderError("50014", "Parameter orderPx can not be empty.")
        order_px = decimal_param(raw.get("orderPx"), "orderPx")
        kind = STOP_MARKET if order_px == -1 else STOP_LIMIT
        price = None if kind == STOP_MARKET else order_px
        # order-algo's client id is `algoClOrdId`; OKX takes a `clOrdId` (what ccxt sends) for it:
        # ccxt's recorded real answer (test/static/response/okx.json, createOrder with
        # triggerPrice) echoes the clOrdId sent as both algoClOrdId and clOrdId.
        client_id = _client_id(raw, "algoClOrdId", "clOrdId")
    else:
        kind = MARKET if ord_type in ("market", "optimal_limit_ioc") else LIMIT
        if kind == LIMIT:
            if raw.get("px") in (None, ""):
                raise param_error("px")
            price = decimal_param(raw.get("px"), "px")
            if price <= 0:
                raise param_error("px")
            _check_price_limit(inst, side, price, mark)
            if ord_type == "post_only" and mark is not None and limit_marketable(side, price, mark):
                raise OrderError("51000", "Parameter px error: a post_only order would take liquidity")
        client_id = _client_id(raw, "clOrdId")
    if reduce_only and kind in (MARKET, LIMIT) and inst.market == FUTURES:
        position = call.engine.position(call.account, inst)
        if position.qty == 0:
            raise no_position_to_reduce()
        if not reduces(position.qty, side):
            raise OrderError(
                "51170",
                "Failed to place order. A reduce-only order can't be in the same direction as "
                "your existing position.",
            )
    quantity, quote_quantity = size, None
    if kind == MARKET and tgt_ccy == "quote_ccy":
        quantity, quote_quantity = None, size
    extra = {"ordType": ord_type, "tdMode": td_mode, "tag": str(raw.get("tag") or "")}
    if inst.market == SPOT:
        extra["tgtCcy"] = tgt_ccy or "base_ccy"
        extra["sz"] = fmt(size)
    return OrderRequest(
        market=inst.market,
        symbol=inst.symbol,
        side=side,
        type=kind,
        quantity=quantity,
        quote_quantity=quote_quantity,
        price=price,
        trigger_price=trigger,
        reduce_only=reduce_only,
        client_order_id=client_id,
        time_in_force={"ioc": "IOC", "fok": "FOK", "post_only": "GTX"}.get(ord_type, "GTC"),
        duplicate_scope="open",  # OKX: a clOrdId may be reused once its order is complete
        id_namespace=ALGO_NAMESPACE if algo else "",
        received_at=call.now,
        extra=extra,
    )


def place_one(call: Call, raw: dict, algo: bool) -> dict:
    """Place one order of a request body; returns its result row (sCode "0" or the failure)."""
    tag = str(raw.get("tag") or "")
    client_id = (
        str(raw.get("algoClOrdId") or raw.get("clOrdId") or "") if algo else str(raw.get("clOrdId") or "")
    )
    try:
        inst = _inst_for(call, raw)
        req = _build_request(call, inst, raw, algo)
        try:
            order = call.engine.place_order(call.account, req)
        except Reject as exc:
            raise reject_to_s_code(exc, inst, req) from None
        if inst.market == FUTURES:
            remember_margin_mode(call, inst, req.extra["tdMode"])
        if req.time_in_force in ("IOC", "FOK") and order.is_open:
            call.engine.cancel_order(call.account, inst.market, order_id=order.id)
    except OrderError as exc:
        row = {
            "clOrdId": client_id,
            "sCode": exc.s_code,
            "sMsg": exc.s_msg,
            "tag": tag,
            "ts": str(call.now_ms),
        }
        if algo:
            return {"algoId": "", "algoClOrdId": client_id, **row}
        return {"ordId": "", **row}
    if algo:
        return {
            "algoId": order.id,
            "algoClOrdId": client_id,
            "clOrdId": client_id,
            "sCode": "0",
            "sMsg": "",
            "tag": tag,
        }
    return {
        "clOrdId": client_id,
        "ordId": order.id,
        "sCode": "0",
        "sMsg": "Order placed",
        "tag": tag,
        "ts": str(call.now_ms),
    }


def _charge_orders(call: Call, orders: list[dict], rule) -> None:
    """Per instrument (rule) and per account (1000 new orders / 2 s) limits for one request."""
    per_inst: dict[str, int] = {}
    for raw in orders:
        inst_id = str(raw.get("instId") or "")
        per_inst[inst_id] = per_inst.get(inst_id, 0) + 1
    key = call.account.api_key
    hits = [(rule, f"{key}:{inst_id}", count) for inst_id, count in per_inst.items()]
    hits.append((SUB_ACCOUNT_ORDERS, key, len(orders)))
    charge(call.sim, hits)


async def post_order(call: Call) -> web.Response:
    raw = call.body_dict()
    _charge_orders(call, [raw], PLACE_ORDER)
    return results_response([place_one(call, raw, algo=False)], call.now)


async def post_batch_orders(call: Call) -> web.Response:
    orders = call.body_list()
    if len(orders) > MAX_BATCH:
        raise OkxError("51111", f"Maximum {MAX_BATCH} orders can be placed in bulk.")
    # "If there is only one order in the request, it will consume the rate limit of Place order."
    _charge_orders(call, orders, PLACE_ORDER if len(orders) == 1 else PLACE_BATCH)
    return results_response([place_one(call, raw, algo=False) for raw in orders], call.now)


async def post_order_algo(call: Call) -> web.Response:
    raw = call.body_dict()
    _charge_orders(call, [raw], PLACE_ALGO)
    return results_response([place_one(call, raw, algo=True)])


def lookup(call: Call, inst: Instrument, order_id: str | None, client_id: str | None, algo: bool):
    """An order visible to the normal (algo=False) or the algo endpoints, or None."""
    engine = call.engine
    if order_id:
        order = engine.find_order(call.account, inst.market, order_id=str(order_id), symbol=inst.symbol)
        if order is None:
            return None
        if algo:
            return order if order.is_trigger and order.id == str(order_id) else None
        if order.is_trigger and order.triggered_id != str(order_id):
            return None  # an algo order is not a normal order until it fired
        return order
    if client_id:
        order = engine.find_order(
            call.account,
            inst.market,
            client_order_id=str(client_id),
            namespace=ALGO_NAMESPACE if algo else "",
            symbol=inst.symbol,
        )
        return order
    return None


def cancel_one(call: Call, raw: dict, algo: bool) -> dict:
    order_id = raw.get("algoId" if algo else "ordId")
    client_id = raw.get("algoClOrdId" if algo else "clOrdId")
    base = (
        {"algoId": str(order_id or ""), "algoClOrdId": str(client_id or "")}
        if algo
        else {
            "ordId": str(order_id or ""),
            "clOrdId": str(client_id or ""),
        }
    )
    try:
        inst = _inst_for(call, raw)
        if not order_id and not client_id:
            raise OrderError("51407", "Either order ID or client order ID is required.")
        order = lookup(call, inst, order_id, client_id, algo)
        if order is None:
            raise OrderError(
                "51400", "Order cancellation failed as the order has been filled, canceled or does not exist."
            )
        if algo and order.triggered_at is not None:
            # The algo order already fired (its placed order, if any, is cancelled as a normal order).
            raise OrderError("51402", "Order cancellation failed as the order has been completed.")
        try:
            call.engine.cancel_order(call.account, inst.market, order_id=order.id)
        except NotFound:
            raise OrderError("51400", "Order cancellation failed as the order does not exist.") from None
        except Reject:
            if order.status == "cancelled":
                raise OrderError(
                    "51401", "Order cancellation failed as the order has been canceled."
                ) from None
            raise OrderError("51402", "Order cancellation failed as the order has been completed.") from None
    except OrderError as exc:
        return {**base, "sCode": exc.s_code, "sMsg": exc.s_msg, "ts": str(call.now_ms)}
    if algo:
        return {
            "algoId": order.id,
            "algoClOrdId": order.client_order_id or "",
            "sCode": "0",
            "sMsg": "",
            "ts": str(call.now_ms),
        }
    return {
        "ordId": order.triggered_id if order.is_trigger else order.id,
        "clOrdId": "" if order.is_trigger else (order.client_order_id or ""),
        "sCode": "0",
        "sMsg": "",
        "ts": str(call.now_ms),
    }
