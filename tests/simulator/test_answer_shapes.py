"""Answer shapes (issue 11): every field the real exchange sends on the endpoints the project
uses, with its JSON type. The references are real answers recorded by ccxt (its
`ts/src/test/static/response/*.json` and the v5 examples in ccxt 4.5.90's own source)."""

from __future__ import annotations

import pytest

from tests.simulator.strict_support import PERP, funded

BALANCES = {"spot": {"USDT": "100000", "BTC": "1"}, "futures": {"USDT": "100000"}}
S, N, B, D, L = str, int, bool, dict, list

# Bybit v5 linear order (ccxt bybit.parse_order's recorded v5 example).
BYBIT_LINEAR_ORDER = {
    "symbol": S, "orderType": S, "orderLinkId": S, "slLimitPrice": S, "orderId": S,
    "cancelType": S, "avgPrice": S, "stopOrderType": S, "lastPriceOnCreated": S,
    "orderStatus": S, "createType": S, "takeProfit": S, "cumExecValue": S, "tpslMode": S,
    "smpType": S, "triggerDirection": N, "blockTradeId": S, "cumFeeDetail": D,
    "rejectReason": S, "isLeverage": S, "price": S, "orderIv": S, "createdTime": S,
    "tpTriggerBy": S, "positionIdx": N, "timeInForce": S, "leavesValue": S, "updatedTime": S,
    "side": S, "smpGroup": N, "triggerPrice": S, "tpLimitPrice": S, "cumExecFee": S,
    "slTriggerBy": S, "leavesQty": S, "closeOnTrigger": B, "slippageToleranceType": S,
    "placeType": S, "cumExecQty": S, "reduceOnly": B, "qty": S, "stopLoss": S,
    "smpOrderId": S, "slippageTolerance": S, "triggerBy": S, "extraFees": S,
}  # fmt: skip
# OKX trading balance (static/response/okx.json, fetchBalance "spot balance").
OKX_BALANCE = {
    "adjEq": S, "availEq": S, "borrowFroz": S, "details": L, "imr": S, "isoEq": S,
    "mgnRatio": S, "mmr": S, "notionalUsd": S, "notionalUsdForBorrow": S,
    "notionalUsdForFutures": S, "notionalUsdForOption": S, "notionalUsdForSwap": S,
    "ordFroz": S, "totalEq": S, "uTime": S, "upl": S,
}  # fmt: skip
OKX_BALANCE_DETAIL = {
    "accAvgPx": S, "availBal": S, "availEq": S, "borrowFroz": S, "cashBal": S, "ccy": S,
    "clSpotInUseAmt": S, "colBorrAutoConversion": S, "collateralEnabled": B,
    "collateralRestrict": B, "crossLiab": S, "disEq": S, "eq": S, "eqUsd": S, "fixedBal": S,
    "frozenBal": S, "imr": S, "interest": S, "isoEq": S, "isoLiab": S, "isoUpl": S, "liab": S,
    "maxLoan": S, "maxSpotInUse": S, "mgnRatio": S, "mmr": S, "notionalLever": S,
    "openAvgPx": S, "ordFrozen": S, "rewardBal": S, "smtSyncEq": S, "spotBal": S,
    "spotCopyTradingEq": S, "spotInUseAmt": S, "spotIsoBal": S, "spotUpl": S,
    "spotUplRatio": S, "stgyEq": S, "totalPnl": S, "totalPnlRatio": S, "twap": S, "uTime": S,
    "upl": S, "uplLiab": S,
}  # fmt: skip
# OKX position (the v5 docs' GET /account/positions example, as ccxt okx.parse_position reads it).
OKX_POSITION = {
    "adl": S, "availPos": S, "avgPx": S, "baseBal": S, "baseBorrowed": S, "baseInterest": S,
    "bePx": S, "bizRefId": S, "bizRefType": S, "cTime": S, "ccy": S, "clSpotInUseAmt": S,
    "closeOrderAlgo": L, "deltaBS": S, "deltaPA": S, "fee": S, "fundingFee": S, "gammaBS": S,
    "gammaPA": S, "idxPx": S, "imr": S, "instId": S, "instType": S, "interest": S, "last": S,
    "lever": S, "liab": S, "liabCcy": S, "liqPenalty": S, "liqPx": S, "margin": S, "markPx": S,
    "maxSpotInUseAmt": S, "mgnMode": S, "mgnRatio": S, "mmr": S, "notionalUsd": S,
    "optVal": S, "pendingCloseOrdLiabVal": S, "pnl": S, "pos": S, "posCcy": S, "posId": S,
    "posSide": S, "quoteBal": S, "quoteBorrowed": S, "quoteInterest": S, "realizedPnl": S,
    "spotInUseAmt": S, "spotInUseCcy": S, "thetaBS": S, "thetaPA": S, "tradeId": S,
    "uTime": S, "upl": S, "uplLastPx": S, "uplRatio": S, "uplRatioLastPx": S, "usdPx": S,
    "vegaBS": S, "vegaPA": S,
}  # fmt: skip
# Binance USDT-M order (ccxt binance.fetch_open_orders' recorded example).
BINANCE_FUTURES_ORDER = {
    "orderId": N, "symbol": S, "status": S, "clientOrderId": S, "price": S, "avgPrice": S,
    "origQty": S, "executedQty": S, "cumQty": S, "cumQuote": S, "timeInForce": S, "type": S,
    "reduceOnly": B, "closePosition": B, "side": S, "positionSide": S, "stopPrice": S,
    "workingType": S, "priceProtect": B, "origType": S, "priceMatch": S,
    "selfTradePreventionMode": S, "goodTillDate": N, "updateTime": N,
}  # fmt: skip


def missing_or_mistyped(row: dict, shape: dict) -> dict:
    return {
        key: (kind.__name__, type(row.get(key)).__name__)
        for key, kind in shape.items()
        if key not in row or type(row[key]) is not kind
    }


def test_bybit_linear_order_rows_have_every_field_of_the_real_answer(sim, sim_url):
    client, _ = funded(sim, sim_url, "bybit", BALANCES)
    client.create_order(PERP, "market", "buy", 0.01)
    rows = client.privateGetV5OrderHistory({"category": "linear", "symbol": "BTCUSDT"})["result"]["list"]
    assert missing_or_mistyped(rows[0], BYBIT_LINEAR_ORDER) == {}
    assert rows[0]["cumFeeDetail"] == {"USDT": rows[0]["cumExecFee"]}


def test_okx_balance_has_every_field_of_the_real_answer(sim, sim_url):
    client, _ = funded(sim, sim_url, "okx", BALANCES)
    (balance,) = client.privateGetAccountBalance()["data"]
    assert missing_or_mistyped(balance, OKX_BALANCE) == {}
    for detail in balance["details"]:
        assert missing_or_mistyped(detail, OKX_BALANCE_DETAIL) == {}


def test_okx_position_has_every_field_of_the_real_answer(sim, sim_url):
    client, _ = funded(sim, sim_url, "okx", BALANCES)
    client.create_order(PERP, "market", "buy", 1)
    (position,) = client.privateGetAccountPositions()["data"]
    assert missing_or_mistyped(position, OKX_POSITION) == {}
    assert position["fee"] == "-0.3"  # 600 USDT at 0.05 %, negative as OKX reports a charge


@pytest.mark.parametrize("path", ["order", "batch-orders"])
def test_okx_order_answers_carry_in_and_out_times(sim, sim_url, path):
    client, _ = funded(sim, sim_url, "okx", BALANCES)
    body = {"instId": "BTC-USDT-SWAP", "tdMode": "cross", "side": "buy", "ordType": "market", "sz": "1"}
    place = client.privatePostTradeOrder if path == "order" else client.privatePostTradeBatchOrders
    answer = place(body if path == "order" else [body])
    assert answer["inTime"].isdigit() and answer["outTime"].isdigit()
    assert int(answer["inTime"]) <= int(answer["outTime"])


def test_binance_futures_order_has_every_field_of_the_real_answer(sim, sim_url):
    client, _ = funded(sim, sim_url, "binance", BALANCES)
    client.create_order(PERP, "limit", "buy", 0.01, 59000)
    (row,) = client.fapiPrivateGetOpenOrders({"symbol": "BTCUSDT"})
    assert missing_or_mistyped(row, BINANCE_FUTURES_ORDER) == {}
