"""Binance market metadata bodies: /api/v3/exchangeInfo and /fapi/v1/exchangeInfo."""

from __future__ import annotations

from decimal import Decimal

from .binance_views import f8
from .engine import Engine
from .models import SPOT, ZERO, Instrument, fmt

SPOT_RATE_LIMITS = [
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
    {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
    {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
]
FUTURES_RATE_LIMITS = [
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 2400},
    {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
]
STP_MODES = ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT"]


def spot_symbol(inst: Instrument) -> dict:
    market_max = inst.extra.get("market_max_qty", inst.max_qty)
    return {
        "symbol": inst.symbol,
        "status": "TRADING",
        "baseAsset": inst.base,
        "baseAssetPrecision": inst.extra.get("baseAssetPrecision", 8),
        "quoteAsset": inst.quote,
        "quotePrecision": inst.extra.get("quoteAssetPrecision", 8),
        "quoteAssetPrecision": inst.extra.get("quoteAssetPrecision", 8),
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": inst.order_types,
        "icebergAllowed": True,
        "ocoAllowed": True,
        "otoAllowed": True,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": True,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": True,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": f8(inst.min_price),
                "maxPrice": f8(inst.max_price),
                "tickSize": f8(inst.tick_size),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": f8(inst.min_qty),
                "maxQty": f8(inst.max_qty),
                "stepSize": f8(inst.step_size),
            },
            {"filterType": "ICEBERG_PARTS", "limit": 10},
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": f8(ZERO),
                "maxQty": f8(Decimal(market_max)),
                "stepSize": f8(ZERO),
            },
            {
                "filterType": "TRAILING_DELTA",
                "minTrailingAboveDelta": 10,
                "maxTrailingAboveDelta": 2000,
                "minTrailingBelowDelta": 10,
                "maxTrailingBelowDelta": 2000,
            },
            {
                "filterType": "PERCENT_PRICE_BY_SIDE",
                "bidMultiplierUp": "5",
                "bidMultiplierDown": "0.2",
                "askMultiplierUp": "5",
                "askMultiplierDown": "0.2",
                "avgPriceMins": 5,
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": f8(inst.min_notional),
                "applyMinToMarket": True,
                "maxNotional": f8(inst.max_notional),
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5},
        ],
        "permissions": [],
        "permissionSets": [["SPOT", "MARGIN"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": STP_MODES,
    }


def futures_symbol(inst: Instrument) -> dict:
    market_max = inst.extra.get("market_max_qty", inst.max_qty)
    return {
        "symbol": inst.symbol,
        "pair": inst.pair,
        "contractType": "PERPETUAL",
        "deliveryDate": 4133404800000,
        "onboardDate": inst.extra.get("onboardDate", 1569398400000),
        "status": "TRADING",
        "maintMarginPercent": "2.5000",
        "requiredMarginPercent": "5.0000",
        "baseAsset": inst.base,
        "quoteAsset": inst.quote,
        "marginAsset": inst.settle,
        "pricePrecision": inst.extra.get("pricePrecision", 2),
        "quantityPrecision": inst.extra.get("quantityPrecision", 3),
        "baseAssetPrecision": 8,
        "quotePrecision": 8,
        "underlyingType": "COIN",
        "underlyingSubType": [],
        "triggerProtect": "0.0500",
        "liquidationFee": "0.012500",
        "marketTakeBound": "0.05",
        "maxMoveOrderLimit": 10000,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": fmt(inst.min_price),
                "maxPrice": fmt(inst.max_price),
                "tickSize": str(inst.tick_size),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": fmt(inst.min_qty),
                "maxQty": fmt(inst.max_qty),
                "stepSize": fmt(inst.step_size),
            },
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": fmt(inst.min_qty),
                "maxQty": str(market_max),
                "stepSize": fmt(inst.step_size),
            },
            {"filterType": "MAX_NUM_ORDERS", "limit": 200},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 10},
            {"filterType": "MIN_NOTIONAL", "notional": fmt(inst.min_notional)},
            {
                "filterType": "PERCENT_PRICE",
                "multiplierUp": "1.0500",
                "multiplierDown": "0.9500",
                "multiplierDecimal": "4",
            },
        ],
        "orderTypes": inst.order_types,
        "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"],
        "permissionSets": ["GRID", "COPY"],
    }


def exchange_info(engine: Engine, market: str, now_ms: int) -> dict:
    instruments = engine.instruments("binance", market)
    if market == SPOT:
        return {
            "timezone": "UTC",
            "serverTime": now_ms,
            "rateLimits": SPOT_RATE_LIMITS,
            "exchangeFilters": [],
            "symbols": [spot_symbol(i) for i in instruments],
        }
    return {
        "timezone": "UTC",
        "serverTime": now_ms,
        "futuresType": "U_MARGINED",
        "rateLimits": FUTURES_RATE_LIMITS,
        "exchangeFilters": [],
        "assets": [{"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-10000"}],
        "symbols": [futures_symbol(i) for i in instruments],
    }
