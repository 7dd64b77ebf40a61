"""Binance trade lists: spot /api/v3/myTrades and USDT-M /fapi/v1/userTrades.

Binance shows fees only on trades (order answers carry none, except the spot FULL answer's
`fills`), so these are where ccxt's `fetch_my_trades` / `fetch_order_trades` find them.
"""

from __future__ import annotations

from .binance_http import BinanceError, Call
from .binance_views import f8, ms
from .models import FUTURES, SPOT, Order, fmt

EXCHANGE = "binance"
MAX_LIMIT = 1000


def _instrument(call: Call):
    inst = call.sim.engine.find_instrument(EXCHANGE, call.market, call.require("symbol"))
    if inst is None:
        raise BinanceError(-1121, "Invalid symbol.")
    return inst


def _shown_id(order: Order) -> str:
    """A fired USDT-M algo order trades under its actual order id."""
    return order.triggered_id if order.market == FUTURES and order.is_trigger else order.id


def _rows(call: Call) -> list[tuple[Order, object]]:
    inst = _instrument(call)
    orders = call.sim.engine.list_orders(EXCHANGE, call.account.api_key, inst.symbol, call.market)
    wanted = call.get("orderId")
    rows = [
        (order, fill)
        for order in orders
        for fill in order.fills
        if wanted is None or wanted == _shown_id(order)
    ]
    start, end, from_id = call.get("startTime"), call.get("endTime"), call.get("fromId")
    if start is not None and start.isdigit():
        rows = [r for r in rows if ms(r[1].time) >= int(start)]
    if end is not None and end.isdigit():
        rows = [r for r in rows if ms(r[1].time) <= int(end)]
    if from_id is not None and from_id.isdigit():
        rows = [r for r in rows if int(r[1].id) >= int(from_id)]
    rows.sort(key=lambda r: int(r[1].id))
    limit = min(MAX_LIMIT, int(call.get("limit") or 500))
    return rows[:limit] if from_id is not None else rows[-limit:]


async def spot_my_trades(call: Call) -> object:
    return [
        {
            "symbol": order.symbol,
            "id": int(fill.id),
            "orderId": int(order.id),
            "orderListId": -1,
            "price": f8(fill.price),
            "qty": f8(fill.qty),
            "quoteQty": f8(fill.qty * fill.price),
            "commission": f8(fill.fee),
            "commissionAsset": fill.fee_asset,
            "time": ms(fill.time),
            "isBuyer": order.side == "buy",
            "isMaker": fill.maker,
            "isBestMatch": True,
        }
        for order, fill in _rows(call)
        if order.market == SPOT
    ]


async def futures_user_trades(call: Call) -> object:
    return [
        {
            "buyer": order.side == "buy",
            "commission": fmt(fill.fee),
            "commissionAsset": fill.fee_asset,
            "id": int(fill.id),
            "maker": fill.maker,
            "orderId": int(_shown_id(order)),
            "price": fmt(fill.price),
            "qty": fmt(fill.qty),
            "quoteQty": fmt(fill.qty * fill.price),
            "realizedPnl": fmt(fill.realized_pnl),
            "side": order.side.upper(),
            "positionSide": "BOTH",
            "symbol": order.symbol,
            "time": ms(fill.time),
        }
        for order, fill in _rows(call)
    ]
