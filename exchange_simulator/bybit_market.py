"""Bybit v5 public market data (server time, instruments, tickers) and shared helpers."""

from __future__ import annotations

import time
from decimal import Decimal

from .bybit_http import EXCHANGE, BybitError, Call, now_ms, params_error
from .models import SPOT, ZERO, Instrument


def plain(value: Decimal | None) -> str:
    """A decimal as written in the data file ("0.10" stays "0.10"); "" for None."""
    return "" if value is None else format(value, "f")


def symbol_invalid() -> BybitError:
    return params_error("symbol invalid")


def instrument_of(call: Call, market: str, symbol: str) -> Instrument:
    inst = call.sim.engine.find_instrument(EXCHANGE, market, symbol)
    if inst is None:
        raise symbol_invalid()
    return inst


# ---- public -------------------------------------------------------------------------------------


async def server_time(call: Call) -> object:
    now = time.time()
    return {"timeSecond": str(int(now)), "timeNano": str(int(now * 1_000_000_000))}


def _spot_instrument(inst: Instrument) -> dict:
    return {
        "symbol": inst.symbol,
        "baseCoin": inst.base,
        "quoteCoin": inst.quote,
        "innovation": "0",
        "status": "Trading",
        "marginTrading": inst.extra.get("marginTrading", "utaOnly"),
        "stTag": "0",
        "lotSizeFilter": {
            "basePrecision": plain(inst.step_size),
            "quotePrecision": inst.extra.get("quotePrecision", "0.00000001"),
            "minOrderQty": plain(inst.min_qty),
            "maxOrderQty": plain(inst.max_qty),
            "minOrderAmt": plain(inst.min_notional),
            "maxOrderAmt": plain(inst.max_notional),
        },
        "priceFilter": {"tickSize": plain(inst.tick_size)},
        "riskParameters": {"priceLimitRatioX": "0.05", "priceLimitRatioY": "0.05"},
    }


def _linear_instrument(inst: Instrument) -> dict:
    extra = inst.extra
    return {
        "symbol": inst.symbol,
        "contractType": "LinearPerpetual",
        "status": "Trading",
        "baseCoin": inst.base,
        "quoteCoin": inst.quote,
        "launchTime": extra.get("launchTime", "1584230400000"),
        "deliveryTime": "0",
        "deliveryFeeRate": "",
        "priceScale": extra.get("priceScale", "2"),
        "leverageFilter": {
            "minLeverage": "1",
            "maxLeverage": extra.get("maxLeverage", f"{inst.max_leverage}.00"),
            "leverageStep": extra.get("leverageStep", "0.01"),
        },
        "priceFilter": {
            "minPrice": plain(inst.min_price),
            "maxPrice": plain(inst.max_price),
            "tickSize": plain(inst.tick_size),
        },
        "lotSizeFilter": {
            "maxOrderQty": plain(inst.max_qty),
            "maxMktOrderQty": extra.get("maxMktOrderQty", plain(inst.max_qty)),
            "minOrderQty": plain(inst.min_qty),
            "qtyStep": plain(inst.step_size),
            "postOnlyMaxOrderQty": plain(inst.max_qty),
            "minNotionalValue": plain(inst.min_notional),
        },
        "unifiedMarginTrade": True,
        "fundingInterval": 480,
        "settleCoin": inst.settle,
        "copyTrading": "both",
        "upperFundingRate": "0.005",
        "lowerFundingRate": "-0.005",
        "isPreListing": False,
        "preListingInfo": None,
        "riskParameters": {"priceLimitRatioX": "0.01", "priceLimitRatioY": "0.02"},
        "displayName": "",
    }


async def instruments_info(call: Call) -> object:
    category = call.category()
    engine = call.sim.engine
    symbol = call.get("symbol")
    if symbol is not None:
        instruments = [instrument_of(call, call.market(), symbol)]
    else:
        instruments = engine.instruments(EXCHANGE, call.market())
    if call.get("status") not in (None, "Trading"):
        instruments = []  # PreLaunch / Delivering / Closed: none here
    if category == "spot":
        return {"category": category, "list": [_spot_instrument(i) for i in instruments]}
    return {"category": category, "list": [_linear_instrument(i) for i in instruments], "nextPageCursor": ""}


def _ticker(inst: Instrument, mark: Decimal) -> dict:
    price = plain(mark)
    row = {
        "symbol": inst.symbol,
        "bid1Price": price,
        "bid1Size": "1",
        "ask1Price": price,
        "ask1Size": "1",
        "lastPrice": price,
        "prevPrice24h": price,
        "price24hPcnt": "0",
        "highPrice24h": price,
        "lowPrice24h": price,
        "turnover24h": "0",
        "volume24h": "0",
    }
    if inst.market == SPOT:
        row["usdIndexPrice"] = price
        return row
    row.update(
        {
            "indexPrice": price,
            "markPrice": price,
            "prevPrice1h": price,
            "openInterest": "0",
            "openInterestValue": "0",
            "fundingRate": "0.0001",
            "nextFundingTime": str((now_ms() // 28_800_000 + 1) * 28_800_000),
            "predictedDeliveryPrice": "",
            "basisRate": "",
            "deliveryFeeRate": "",
            "deliveryTime": "0",
            "basis": "",
        }
    )
    return row


async def tickers(call: Call) -> object:
    category = call.category()
    engine = call.sim.engine
    symbol = call.get("symbol")
    if symbol is not None:
        inst = engine.find_instrument(EXCHANGE, call.market(), symbol)
        if inst is None:
            raise params_error("Not supported symbols")
        instruments = [inst]
    else:
        instruments = engine.instruments(EXCHANGE, call.market())
    rows = [_ticker(i, engine.mark_of(i) or ZERO) for i in instruments]
    return {"category": category, "list": rows}


def missing_scope() -> BybitError:
    return BybitError(
        10001, "Missing some parameters that must be filled in, symbol or settleCoin or baseCoin"
    )
