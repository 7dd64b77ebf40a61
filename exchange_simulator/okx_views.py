"""OKX v5 renderings of engine state: instruments, tickers, orders, algo orders (balances and
positions: okx_account_views.py).

Field names and string formats are OKX's (numbers as strings, "" for absent values, epoch ms), so
ccxt 4.5.90's parse_market / parse_ticker / parse_order / parse_trading_balance / parse_position
read them unchanged.
"""

from __future__ import annotations

from decimal import Decimal

from .models import (
    CANCELLED,
    EXPIRED,
    FILLED,
    FUTURES,
    NEW,
    PARTIALLY_FILLED,
    REJECTED,
    SPOT,
    ZERO,
    Instrument,
    Order,
    fmt,
)
from .okx_http import ms

INST_TYPE = {SPOT: "SPOT", FUTURES: "SWAP"}

ORDER_STATE = {
    NEW: "live",
    PARTIALLY_FILLED: "partially_filled",
    FILLED: "filled",
    CANCELLED: "canceled",
    REJECTED: "canceled",
    EXPIRED: "canceled",
}

# Why a triggered algo order could not place its order (algo `failCode`).
FAIL_CODES = {"insufficient_margin": "51008", "reduce_only_rejected": "51169"}


def s(value: Decimal | None) -> str:
    return fmt(value) or ""


def instrument_view(inst: Instrument) -> dict:
    x = inst.extra
    swap = inst.market == FUTURES
    return {
        "alias": "",
        "auctionEndTime": "",
        "baseCcy": "" if swap else inst.base,
        "category": "1",
        "ctMult": x.get("ctMult", "1") if swap else "",
        "ctType": x.get("ctType", "linear") if swap else "",
        "ctVal": s(inst.contract_size) if swap else "",
        "ctValCcy": x.get("ctValCcy", inst.base) if swap else "",
        "expTime": "",
        "instFamily": x.get("instFamily", f"{inst.base}-{inst.quote}") if swap else "",
        "instId": inst.symbol,
        "instType": INST_TYPE[inst.market],
        "lever": x.get("lever", str(inst.max_leverage)),
        "listTime": x.get("listTime", ""),
        "lotSz": x.get("lotSz", s(inst.step_size)),
        "maxIcebergSz": x.get("maxLmtSz", ""),
        "maxLmtAmt": x.get("maxLmtAmt", ""),
        "maxLmtSz": x.get("maxLmtSz", s(inst.max_qty)),
        "maxMktAmt": x.get("maxMktAmt", ""),
        "maxMktSz": x.get("maxMktSz", ""),
        "maxStopSz": x.get("maxMktSz", ""),
        "maxTriggerSz": x.get("maxLmtSz", ""),
        "maxTwapSz": x.get("maxLmtSz", ""),
        "minSz": x.get("minSz", s(inst.min_qty)),
        "optType": "",
        "quoteCcy": "" if swap else inst.quote,
        "ruleType": "normal",
        "settleCcy": (inst.settle or inst.quote) if swap else "",
        "state": "live",
        "stk": "",
        "tickSz": x.get("tickSz", s(inst.tick_size)),
        "uly": x.get("uly", f"{inst.base}-{inst.quote}") if swap else "",
    }


def ticker_view(inst: Instrument, mark: Decimal | None, now: float) -> dict:
    price = s(mark)
    return {
        "instType": INST_TYPE[inst.market],
        "instId": inst.symbol,
        "last": price,
        "lastSz": "0",
        "askPx": price,
        "askSz": "0",
        "bidPx": price,
        "bidSz": "0",
        "open24h": price,
        "high24h": price,
        "low24h": price,
        "volCcy24h": "0",
        "vol24h": "0",
        "ts": ms(now),
        "sodUtc0": price,
        "sodUtc8": price,
    }


def _fee_ccy(inst: Instrument, order: Order) -> str:
    if inst.market == FUTURES:
        return inst.settle or inst.quote
    return inst.base if order.side == "buy" else inst.quote


def _common(engine, inst: Instrument, order: Order) -> dict:
    swap = inst.market == FUTURES
    return {
        "instType": INST_TYPE[inst.market],
        "instId": inst.symbol,
        "ccy": "",
        "side": order.side,
        "posSide": "net",
        "tdMode": order.extra.get("tdMode", "cross" if swap else "cash"),
        "tgtCcy": order.extra.get("tgtCcy", ""),
        "lever": str(engine.get_leverage(engine.account_of(order), inst)) if swap else "",
        "reduceOnly": "true" if order.reduce_only else "false",
        "tag": order.extra.get("tag", ""),
        "uTime": ms(order.updated_at),
    }


def order_view(engine, inst: Instrument, order: Order) -> dict:
    """An order as GET /trade/order, /trade/orders-pending and /trade/orders-history show it.

    A fired trigger order shows up here as the order it placed: its own ordId (`triggered_id`),
    ordType market/limit, created when the trigger fired, with algoId/algoClOrdId pointing back.
    """
    child = order.is_trigger
    average = order.average(inst.contract_size)
    if child:
        ord_type = "market" if order.executes_as_market else "limit"
    else:
        ord_type = order.extra.get("ordType") or ("market" if order.executes_as_market else "limit")
    size = order.extra.get("sz") if order.extra.get("tgtCcy") == "quote_ccy" else None
    view = _common(engine, inst, order)
    view.update(
        {
            "ordId": order.triggered_id if child else order.id,
            "clOrdId": "" if child else (order.client_order_id or ""),
            "algoId": order.id if child else "",
            "algoClOrdId": (order.client_order_id or "") if child else "",
            "ordType": ord_type,
            "px": s(order.price),
            "pxType": "",
            "pxUsd": "",
            "pxVol": "",
            "sz": size or s(order.quantity),
            "state": ORDER_STATE.get(order.status, "canceled"),
            "accFillSz": s(order.filled),
            "avgPx": s(average),
            "fillPx": s(average),
            "fillSz": s(order.filled) if order.filled else "",
            "fillTime": ms(order.updated_at) if order.filled else "",
            "tradeId": order.fills[-1].id if order.fills else "",
            "fee": _okx_fee(order),
            "feeCcy": _fee_ccy(inst, order),
            "rebate": "0",
            "rebateCcy": inst.quote,
            "pnl": "0",
            "category": "normal",
            "source": "",
            "cancelSource": "",
            "cancelSourceReason": "",
            "stpId": "",
            "stpMode": "cancel_maker",
            "isTpLimit": "false",
            "quickMgnType": "",
            "attachAlgoClOrdId": "",
            "attachAlgoOrds": [],
            "linkedAlgoOrd": {"algoId": ""},
            "slOrdPx": "",
            "slTriggerPx": "",
            "slTriggerPxType": "",
            "tpOrdPx": "",
            "tpTriggerPx": "",
            "tpTriggerPxType": "",
            "cTime": ms(order.triggered_at if child else order.created_at),
        }
    )
    return view


def _okx_fee(order: Order) -> str:
    """OKX reports a charged fee as a negative number (a rebate would be positive)."""
    return s(-order.fee) if order.fee else "0"


def fill_view(inst: Instrument, order: Order) -> dict:
    """All of an order's fills as one trade at its average price, with the fees they paid."""
    order_id = order.triggered_id if order.is_trigger else order.id
    return {
        "instType": INST_TYPE[inst.market],
        "instId": inst.symbol,
        "tradeId": order_id,
        "ordId": order_id,
        "clOrdId": "" if order.is_trigger else (order.client_order_id or ""),
        "billId": order_id,
        "subType": "1" if order.side == "buy" else "2",
        "tag": order.extra.get("tag", ""),
        "fillPx": s(order.average(inst.contract_size)),
        "fillSz": s(order.filled),
        "fillIdxPx": "",
        "fillPnl": "0",
        "fillMarkPx": "",
        "side": order.side,
        "posSide": "net",
        "execType": "T" if order.executes_as_market else "M",
        "feeCcy": _fee_ccy(inst, order),
        "fee": _okx_fee(order),
        "ts": ms(order.updated_at),
        "fillTime": ms(order.updated_at),
    }


def algo_state(order: Order) -> str:
    """live (waiting), effective (fired and placed its order), canceled, order_failed."""
    if order.waiting_for_trigger:
        return "live"
    if order.triggered_at is None:
        return "canceled"
    if order.status in (REJECTED, EXPIRED) and order.filled == 0:
        return "order_failed"
    return "effective"


def algo_view(engine, inst: Instrument, order: Order) -> dict:
    """A trigger order as GET /trade/order-algo, /trade/orders-algo-pending and -history show it."""
    state = algo_state(order)
    fired = order.triggered_at is not None
    average = order.average(inst.contract_size)
    mark = engine.mark_of(inst)
    view = _common(engine, inst, order)
    view.update(
        {
            "algoId": order.id,
            "algoClOrdId": order.client_order_id or "",
            "clOrdId": order.client_order_id or "",
            "ordId": order.triggered_id if state == "effective" else "",
            "ordIdList": [order.triggered_id] if state == "effective" else [],
            "ordType": "trigger",
            "sz": s(order.quantity),
            "ordPx": "-1" if order.executes_as_market else s(order.price),
            "triggerPx": s(order.trigger_price),
            "triggerPxType": "last",
            "triggerTime": ms(order.triggered_at),
            "state": state,
            "actualPx": s(average) if fired else "",
            "actualSz": s(order.filled) if fired else "",
            "actualSide": order.side if fired else "",
            "failCode": FAIL_CODES.get(order.reject_reason or "", "") if state == "order_failed" else "",
            "ctVal": s(inst.contract_size) if inst.market == FUTURES else "",
            "last": s(mark),
            "notionalUsd": s(order.quantity * inst.contract_size * (mark or ZERO)),
            "activePx": "",
            "callbackRatio": "",
            "callbackSpread": "",
            "moveTriggerPx": "",
            "pxLimit": "",
            "pxSpread": "",
            "pxVar": "",
            "szLimit": "",
            "timeInterval": "",
            "closeFraction": "",
            "quickMgnType": "",
            "isTradeBorrowMode": "",
            "attachAlgoOrds": [],
            "linkedOrd": {"ordId": ""},
            "slOrdPx": "",
            "slTriggerPx": "",
            "slTriggerPxType": "",
            "tpOrdPx": "",
            "tpTriggerPx": "",
            "tpTriggerPxType": "",
            "cTime": ms(order.created_at),
        }
    )
    return view
