"""Bybit v5 /v5/execution/list: an account's trades, with the fee each one paid.

ccxt's `fetch_my_trades` / `fetch_order_trades` read these; a spot buy's fee is in the base coin
(`feeCurrency`), a linear one's in USDT.
"""

from __future__ import annotations

from .bybit_http import EXCHANGE, Call
from .bybit_market import instrument_of, plain
from .fees import Rates
from .models import MARKET, STOP_MARKET, Order, fmt

MAX_PAGE = 100
DEFAULT_PAGE = 50


def _row(order: Order, fill, inst, rates: Rates, category: str) -> dict:
    return {
        "symbol": order.symbol,
        "orderId": order.id,
        "orderLinkId": order.client_order_id or "",
        "side": order.side.capitalize(),
        "orderPrice": plain(order.price) if order.price is not None else "0",
        "orderQty": fmt(order.quantity),
        "leavesQty": fmt(order.remaining if order.is_open else 0),
        "createType": "CreateByUser",
        "orderType": "Market" if order.type in (MARKET, STOP_MARKET) else "Limit",
        "stopOrderType": "Stop" if order.is_trigger else "",
        "execFee": fmt(fill.fee),
        "execFeeV2": "",
        "execId": fill.id,
        "execPrice": plain(fill.price),
        "execQty": fmt(fill.qty),
        "execType": "Trade",
        "execValue": fmt(fill.qty * inst.contract_size * fill.price),
        "execTime": str(int(fill.time * 1000)),
        "feeCurrency": fill.fee_asset,
        "isMaker": fill.maker,
        "feeRate": fmt(rates.of(fill.maker)),
        "tradeIv": "",
        "markIv": "",
        "markPrice": plain(fill.price),
        "indexPrice": "" if category == "spot" else plain(fill.price),
        "underlyingPrice": "",
        "blockTradeId": "",
        "closedSize": "0" if category == "spot" else fmt(fill.qty if order.reduce_only else 0),
        "seq": int(fill.id),
        "extraFees": "",
    }


async def execution_list(call: Call) -> object:
    category = call.category()
    market = call.market()
    symbol = call.get("symbol")
    if symbol is not None:
        instrument_of(call, market, symbol)
    engine = call.sim.engine
    rates = engine.fees.rates(EXCHANGE, market)
    order_id, link_id = call.get("orderId"), call.get("orderLinkId")
    start, end = call.get("startTime"), call.get("endTime")
    rows = []
    for order in engine.list_orders(EXCHANGE, call.account.api_key, symbol, market):
        if order_id not in (None, order.id) or link_id not in (None, order.client_order_id):
            continue
        inst = engine.instrument(EXCHANGE, market, order.symbol)
        for fill in order.fills:
            if start is not None and start.isdigit() and fill.time * 1000 < int(start):
                continue
            if end is not None and end.isdigit() and fill.time * 1000 > int(end):
                continue
            rows.append(_row(order, fill, inst, rates, category))
    rows.sort(key=lambda r: int(r["execTime"]), reverse=True)  # newest first, as Bybit lists them
    limit = call.get("limit")
    size = min(MAX_PAGE, int(limit)) if limit and limit.isdigit() and int(limit) > 0 else DEFAULT_PAGE
    cursor = call.get("cursor")
    first = int(cursor) if cursor and cursor.isdigit() else 0
    page = rows[first : first + size]
    more = first + size < len(rows)
    return {"list": page, "nextPageCursor": str(first + size) if more else "", "category": category}
