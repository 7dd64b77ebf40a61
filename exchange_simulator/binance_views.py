"""Binance response bodies: exchangeInfo, orders (spot, USDT-M, algo), accounts, positions, tickers."""

from __future__ import annotations

from decimal import Decimal

from .engine import Engine
from .models import (
    CANCELLED,
    EXPIRED,
    FILLED,
    FUTURES,
    LIMIT,
    MARKET,
    NEW,
    PARTIALLY_FILLED,
    REJECTED,
    SPOT,
    STOP_LIMIT,
    STOP_MARKET,
    ZERO,
    Account,
    Instrument,
    Order,
    fmt,
)

STATUS = {
    NEW: "NEW",
    PARTIALLY_FILLED: "PARTIALLY_FILLED",
    FILLED: "FILLED",
    CANCELLED: "CANCELED",
    REJECTED: "REJECTED",
    EXPIRED: "EXPIRED",
}
# Native type used when the order carries none (orders placed by the engine's own tests).
SPOT_TYPES = {MARKET: "MARKET", LIMIT: "LIMIT", STOP_MARKET: "STOP_LOSS", STOP_LIMIT: "STOP_LOSS_LIMIT"}
FUTURES_TYPES = {MARKET: "MARKET", LIMIT: "LIMIT", STOP_MARKET: "STOP_MARKET", STOP_LIMIT: "STOP"}

ACCOUNT_POSITION_FIELDS = (
    "symbol",
    "positionSide",
    "positionAmt",
    "isolatedMargin",
    "notional",
    "isolatedWallet",
    "initialMargin",
    "maintMargin",
    "updateTime",
)


def f8(value: Decimal | None) -> str:
    """Spot numbers: always eight decimals ("0.00100000")."""
    return f"{(value or ZERO):.8f}"


def ms(seconds: float | None) -> int:
    return int((seconds or 0) * 1000)


# ---- orders -------------------------------------------------------------------------------------


def native_type(order: Order) -> str:
    default = (SPOT_TYPES if order.market == SPOT else FUTURES_TYPES)[order.type]
    return order.extra.get("native_type", default)


def spot_order(order: Order, *, full: bool = False) -> dict:
    """GET /api/v3/order shape; `full` adds the create-response fields (transactTime, fills)."""
    body = {
        "symbol": order.symbol,
        "orderId": int(order.id),
        "orderListId": -1,
        "clientOrderId": order.client_order_id,
        "price": f8(order.price),
        "origQty": f8(order.quantity),
        "executedQty": f8(order.filled),
        "cummulativeQuoteQty": f8(order.cost),
        "status": STATUS[order.status],
        "timeInForce": order.time_in_force,
        "type": native_type(order),
        "side": order.side.upper(),
        "workingTime": ms(order.created_at) if not order.waiting_for_trigger else -1,
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }
    if order.trigger_price is not None:
        body["stopPrice"] = f8(order.trigger_price)
    if full:
        body["transactTime"] = ms(order.created_at)
        body["origQuoteOrderQty"] = f8(order.extra.get("quote_quantity"))
        # One row per trade, with the commission it paid (a buy pays in the coin received).
        body["fills"] = [
            {
                "price": f8(fill.price),
                "qty": f8(fill.qty),
                "commission": f8(fill.fee),
                "commissionAsset": fill.fee_asset,
                "tradeId": int(fill.id),
            }
            for fill in order.fills
        ]
    else:
        body.update(
            {
                "stopPrice": f8(order.trigger_price),
                "icebergQty": f8(ZERO),
                "time": ms(order.created_at),
                "updateTime": ms(order.updated_at),
                "isWorking": not order.waiting_for_trigger,
                "origQuoteOrderQty": f8(order.extra.get("quote_quantity")),
            }
        )
    return body


def spot_cancel(order: Order, cancel_client_id: str) -> dict:
    body = spot_order(order)
    for key in ("time", "updateTime", "isWorking", "icebergQty", "workingTime"):
        body.pop(key, None)
    body["origClientOrderId"] = order.client_order_id
    body["clientOrderId"] = cancel_client_id
    body["transactTime"] = ms(order.updated_at)
    return body


def futures_order(order: Order, inst: Instrument) -> dict:
    """USDT-M order; a fired algo order is shown as its actual (MARKET/LIMIT) order."""
    if order.is_trigger:
        order_id, order_type = order.triggered_id, ("MARKET" if order.executes_as_market else "LIMIT")
        orig_type = native_type(order)
    else:
        order_id, order_type = order.id, native_type(order)
        orig_type = order_type
    average = order.average(inst.contract_size)
    return {
        "orderId": int(order_id),
        "symbol": order.symbol,
        "status": STATUS[order.status],
        "clientOrderId": order.client_order_id,
        "price": fmt(order.price or ZERO),
        "avgPrice": fmt(average or ZERO),
        "origQty": fmt(order.quantity),
        "executedQty": fmt(order.filled),
        "cumQty": fmt(order.filled),
        "cumQuote": fmt(order.cost),
        "timeInForce": order.time_in_force,
        "type": order_type,
        "reduceOnly": order.reduce_only,
        "closePosition": False,
        "side": order.side.upper(),
        "positionSide": "BOTH",
        "stopPrice": "0",
        "workingType": "CONTRACT_PRICE",
        "priceProtect": False,
        "origType": orig_type,
        "priceMatch": "NONE",
        "selfTradePreventionMode": "EXPIRE_MAKER",
        "goodTillDate": 0,
        "time": ms(order.triggered_at or order.created_at),
        "updateTime": ms(order.updated_at),
    }


def algo_status(order: Order) -> str:
    if order.status in (CANCELLED, EXPIRED, REJECTED):
        return STATUS[order.status]
    if order.triggered_at is None:
        return "NEW"
    return "FINISHED" if order.status == FILLED else "TRIGGERED"


def algo_order(order: Order) -> dict:
    return {
        "algoId": int(order.id),
        "clientAlgoId": order.client_order_id,
        "algoType": "CONDITIONAL",
        "orderType": native_type(order),
        "symbol": order.symbol,
        "side": order.side.upper(),
        "positionSide": "BOTH",
        "timeInForce": order.time_in_force,
        "quantity": fmt(order.quantity),
        "algoStatus": algo_status(order),
        "actualOrderId": order.triggered_id or "",
        "actualPrice": fmt(order.average(Decimal(1))) if order.filled else "0",
        "triggerPrice": fmt(order.trigger_price),
        "price": fmt(order.price or ZERO),
        "icebergQuantity": None,
        "selfTradePreventionMode": "EXPIRE_MAKER",
        "workingType": "CONTRACT_PRICE",
        "priceMatch": "NONE",
        "closePosition": False,
        "priceProtect": False,
        "reduceOnly": order.reduce_only,
        "activatePrice": "",
        "callbackRate": "",
        "createTime": ms(order.created_at),
        "updateTime": ms(order.updated_at),
        "triggerTime": ms(order.triggered_at),
        "goodTillDate": 0,
    }


# ---- accounts -----------------------------------------------------------------------------------


def spot_account(account: Account, now_ms: int) -> dict:
    balances = [
        {"asset": asset, "free": f8(b.free), "locked": f8(b.locked)}
        for asset, b in account.wallets.get(SPOT, {}).items()
    ]
    rates = {"maker": "0.00100000", "taker": "0.00100000", "buyer": "0.00000000", "seller": "0.00000000"}
    return {
        "makerCommission": 10,
        "takerCommission": 10,
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": rates,
        "canTrade": True,
        "canWithdraw": True,
        "canDeposit": True,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": now_ms,
        "accountType": "SPOT",
        "balances": balances,
        "permissions": ["SPOT"],
        "uid": abs(hash(account.api_key)) % 10**9,
    }


def position_risk(engine: Engine, account: Account, inst: Instrument) -> dict:
    position = engine.position(account, inst)
    mark = engine.mark_of(inst) or ZERO
    notional = position.qty * inst.contract_size * mark
    return {
        "symbol": inst.symbol,
        "positionSide": "BOTH",
        "positionAmt": fmt(position.qty),
        "entryPrice": fmt(position.entry_price),
        "breakEvenPrice": fmt(position.entry_price),
        "markPrice": fmt(mark),
        "unRealizedProfit": fmt(engine.unrealized_pnl(position)),
        "liquidationPrice": "0",
        "isolatedMargin": "0",
        "notional": fmt(notional),
        "marginAsset": inst.settle,
        "isolatedWallet": "0",
        "initialMargin": fmt(position.margin),
        "maintMargin": fmt(abs(notional) * Decimal("0.004")),
        "positionInitialMargin": fmt(position.margin),
        "openOrderInitialMargin": "0",
        "adl": 0,
        "bidNotional": "0",
        "askNotional": "0",
        "updateTime": ms(position.updated_at),
    }


def futures_account(engine: Engine, account: Account, now_ms: int) -> dict:
    positions = [p for p in engine.positions("binance", account.api_key)]
    unrealized = sum((engine.unrealized_pnl(p) for p in positions), ZERO)
    assets = []
    for asset, b in account.wallets.get(FUTURES, {}).items():
        upnl = unrealized if asset == "USDT" else ZERO
        assets.append(
            {
                "asset": asset,
                "walletBalance": fmt(b.total),
                "unrealizedProfit": fmt(upnl),
                "marginBalance": fmt(b.total + upnl),
                "maintMargin": "0",
                "initialMargin": fmt(b.locked),
                "positionInitialMargin": fmt(
                    sum((p.margin for p in positions), ZERO) if asset == "USDT" else ZERO
                ),
                "openOrderInitialMargin": "0",
                "crossWalletBalance": fmt(b.total),
                "crossUnPnl": fmt(upnl),
                "availableBalance": fmt(b.free + min(upnl, ZERO)),
                "maxWithdrawAmount": fmt(b.free + min(upnl, ZERO)),
                "updateTime": now_ms,
            }
        )
    usdt = account.wallets.get(FUTURES, {}).get("USDT")
    wallet = usdt.total if usdt else ZERO
    rows = []
    for p in positions:
        inst = engine.instrument("binance", FUTURES, p.symbol)
        risk = position_risk(engine, account, inst)
        row = {k: risk[k] for k in ACCOUNT_POSITION_FIELDS}
        row["unrealizedProfit"] = risk["unRealizedProfit"]
        rows.append(row)
    return {
        "totalInitialMargin": fmt(usdt.locked if usdt else ZERO),
        "totalMaintMargin": "0",
        "totalWalletBalance": fmt(wallet),
        "totalUnrealizedProfit": fmt(unrealized),
        "totalMarginBalance": fmt(wallet + unrealized),
        "totalPositionInitialMargin": fmt(sum((p.margin for p in positions), ZERO)),
        "totalOpenOrderInitialMargin": "0",
        "totalCrossWalletBalance": fmt(wallet),
        "totalCrossUnPnl": fmt(unrealized),
        "availableBalance": fmt((usdt.free if usdt else ZERO) + min(unrealized, ZERO)),
        "maxWithdrawAmount": fmt((usdt.free if usdt else ZERO) + min(unrealized, ZERO)),
        "assets": assets,
        "positions": rows,
    }


def ticker_24hr(inst: Instrument, mark: Decimal, now_ms: int) -> dict:
    price = fmt(mark) if inst.market == FUTURES else f8(mark)
    body = {
        "symbol": inst.symbol,
        "priceChange": "0",
        "priceChangePercent": "0",
        "weightedAvgPrice": price,
        "lastPrice": price,
        "lastQty": "1",
        "openPrice": price,
        "highPrice": price,
        "lowPrice": price,
        "volume": "0",
        "quoteVolume": "0",
        "openTime": now_ms - 86_400_000,
        "closeTime": now_ms,
        "firstId": 1,
        "lastId": 1,
        "count": 1,
    }
    if inst.market == SPOT:
        body.update(
            {"prevClosePrice": price, "bidPrice": price, "bidQty": "1", "askPrice": price, "askQty": "1"}
        )
    return body
