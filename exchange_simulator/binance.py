"""Binance adapter: spot (/api/v3) and USDT-M futures (/fapi) as ccxt 4.5.90's `binance` calls them.

Routes and weights are registered in ROUTES; the plumbing (limits, signatures, errors) is in
binance_http.py, the bodies in binance_views.py, the order endpoints in binance_orders.py.
"""

from __future__ import annotations

import time
from decimal import Decimal

from aiohttp import web

from . import binance_account as settings
from . import binance_markets as markets
from . import binance_orders as orders
from . import binance_trades as trades
from . import binance_views as views
from .binance_http import EXCHANGE, BinanceError, Call, Endpoint, endpoint, fault_response
from .context import Simulator
from .models import FUTURES, fmt


def _now_ms() -> int:
    return int(time.time() * 1000)


def _instrument(call: Call):
    inst = call.sim.engine.find_instrument(EXCHANGE, call.market, call.require("symbol"))
    if inst is None:
        raise BinanceError(-1121, "Invalid symbol.")
    return inst


def _instruments(call: Call) -> list:
    """The symbol's instrument, or all of the market's when no symbol is given."""
    if call.get("symbol"):
        return [_instrument(call)]
    return call.sim.engine.instruments(EXCHANGE, call.market)


# ---- public -------------------------------------------------------------------------------------


async def ping(call: Call) -> object:
    return {}


async def server_time(call: Call) -> object:
    return {"serverTime": _now_ms()}


async def exchange_info(call: Call) -> object:
    return markets.exchange_info(call.sim.engine, call.market, _now_ms())


def _one_or_all(call: Call, rows: list) -> object:
    return rows[0] if call.get("symbol") else rows


async def ticker_24hr(call: Call) -> object:
    engine = call.sim.engine
    now = _now_ms()
    return _one_or_all(
        call, [views.ticker_24hr(i, engine.mark_of(i) or Decimal(0), now) for i in _instruments(call)]
    )


async def ticker_price(call: Call) -> object:
    engine = call.sim.engine
    rows = []
    for inst in _instruments(call):
        mark = engine.mark_of(inst) or Decimal(0)
        row = {"symbol": inst.symbol, "price": fmt(mark) if call.market == FUTURES else views.f8(mark)}
        if call.market == FUTURES:
            row["time"] = _now_ms()
        rows.append(row)
    return _one_or_all(call, rows)


async def book_ticker(call: Call) -> object:
    engine = call.sim.engine
    rows = []
    for inst in _instruments(call):
        price = fmt(engine.mark_of(inst) or Decimal(0))
        rows.append(
            {"symbol": inst.symbol, "bidPrice": price, "bidQty": "1", "askPrice": price, "askQty": "1"}
        )
    return _one_or_all(call, rows)


async def premium_index(call: Call) -> object:
    engine = call.sim.engine
    now = _now_ms()
    rows = []
    for inst in _instruments(call):
        price = fmt(engine.mark_of(inst) or Decimal(0))
        rows.append(
            {
                "symbol": inst.symbol,
                "markPrice": price,
                "indexPrice": price,
                "estimatedSettlePrice": price,
                "lastFundingRate": "0.00010000",
                "interestRate": "0.00010000",
                "nextFundingTime": (now // 28_800_000 + 1) * 28_800_000,
                "time": now,
            }
        )
    return _one_or_all(call, rows)


# ---- account ------------------------------------------------------------------------------------


async def spot_account(call: Call) -> object:
    return views.spot_account(call.account, _now_ms())


async def futures_account(call: Call) -> object:
    return views.futures_account(call.sim.engine, call.account, _now_ms())


async def futures_balance(call: Call) -> object:
    account = views.futures_account(call.sim.engine, call.account, _now_ms())
    return [
        {
            "accountAlias": "SgsR",
            "asset": a["asset"],
            "balance": a["walletBalance"],
            "crossWalletBalance": a["crossWalletBalance"],
            "crossUnPnl": a["crossUnPnl"],
            "availableBalance": a["availableBalance"],
            "maxWithdrawAmount": a["maxWithdrawAmount"],
            "marginAvailable": True,
            "updateTime": a["updateTime"],
        }
        for a in account["assets"]
    ]


async def position_risk_v3(call: Call) -> object:
    """v3 lists only symbols with a position (or open orders)."""
    engine = call.sim.engine
    rows = []
    for inst in _instruments(call):
        if engine.position(call.account, inst).qty != 0:
            rows.append(views.position_risk(engine, call.account, inst))
    return rows


async def position_risk_v2(call: Call) -> object:
    engine = call.sim.engine
    rows = []
    for inst in _instruments(call):
        row = views.position_risk(engine, call.account, inst)
        row.update(
            {
                "leverage": str(engine.get_leverage(call.account, inst)),
                "marginType": settings.margin_mode(call.account, inst.symbol),
            }
        )
        rows.append(row)
    return rows


# ---- routes -------------------------------------------------------------------------------------

PUBLIC, SIGNED = False, True
# (method, path, weight, weight without symbol, signed, places orders, handler)
ROUTES = [
    ("GET", "/api/v3/ping", 1, None, PUBLIC, False, ping),
    ("GET", "/api/v3/time", 1, None, PUBLIC, False, server_time),
    ("GET", "/api/v3/exchangeInfo", 20, None, PUBLIC, False, exchange_info),
    ("GET", "/api/v3/ticker/24hr", 2, 80, PUBLIC, False, ticker_24hr),
    ("GET", "/api/v3/ticker/price", 2, 4, PUBLIC, False, ticker_price),
    ("GET", "/api/v3/ticker/bookTicker", 2, 4, PUBLIC, False, book_ticker),
    ("GET", "/api/v3/account", 20, None, SIGNED, False, spot_account),
    ("POST", "/api/v3/order", 1, None, SIGNED, True, orders.spot_new_order),
    ("GET", "/api/v3/order", 4, None, SIGNED, False, orders.get_order),
    ("DELETE", "/api/v3/order", 1, None, SIGNED, False, orders.cancel_order),
    ("GET", "/api/v3/openOrders", 6, 80, SIGNED, False, orders.open_orders),
    ("DELETE", "/api/v3/openOrders", 1, None, SIGNED, False, orders.cancel_open_orders),
    ("GET", "/api/v3/allOrders", 20, None, SIGNED, False, orders.all_orders),
    ("GET", "/api/v3/myTrades", 20, None, SIGNED, False, trades.spot_my_trades),
    ("GET", "/fapi/v1/ping", 1, None, PUBLIC, False, ping),
    ("GET", "/fapi/v1/time", 1, None, PUBLIC, False, server_time),
    ("GET", "/fapi/v1/exchangeInfo", 1, None, PUBLIC, False, exchange_info),
    ("GET", "/fapi/v1/ticker/24hr", 1, 40, PUBLIC, False, ticker_24hr),
    ("GET", "/fapi/v1/ticker/price", 1, 2, PUBLIC, False, ticker_price),
    ("GET", "/fapi/v2/ticker/price", 1, 2, PUBLIC, False, ticker_price),
    ("GET", "/fapi/v1/ticker/bookTicker", 2, 5, PUBLIC, False, book_ticker),
    ("GET", "/fapi/v1/premiumIndex", 1, 10, PUBLIC, False, premium_index),
    ("GET", "/fapi/v2/account", 1, None, SIGNED, False, futures_account),
    ("GET", "/fapi/v3/account", 1, None, SIGNED, False, futures_account),
    ("GET", "/fapi/v2/balance", 1, None, SIGNED, False, futures_balance),
    ("GET", "/fapi/v3/balance", 1, None, SIGNED, False, futures_balance),
    ("GET", "/fapi/v2/positionRisk", 1, None, SIGNED, False, position_risk_v2),
    ("GET", "/fapi/v3/positionRisk", 1, None, SIGNED, False, position_risk_v3),
    ("GET", "/fapi/v1/leverageBracket", 1, None, SIGNED, False, settings.leverage_bracket),
    ("POST", "/fapi/v1/leverage", 1, None, SIGNED, False, settings.set_leverage),
    ("POST", "/fapi/v1/marginType", 1, None, SIGNED, False, settings.set_margin_type),
    ("GET", "/fapi/v1/positionSide/dual", 30, None, SIGNED, False, settings.position_mode),
    ("POST", "/fapi/v1/order", 4, None, SIGNED, True, orders.futures_new_order),
    ("GET", "/fapi/v1/order", 1, None, SIGNED, False, orders.get_order),
    ("DELETE", "/fapi/v1/order", 1, None, SIGNED, False, orders.cancel_order),
    ("GET", "/fapi/v1/openOrders", 1, 40, SIGNED, False, orders.open_orders),
    ("DELETE", "/fapi/v1/allOpenOrders", 1, None, SIGNED, False, orders.cancel_open_orders),
    ("GET", "/fapi/v1/allOrders", 5, None, SIGNED, False, orders.all_orders),
    ("GET", "/fapi/v1/userTrades", 5, None, SIGNED, False, trades.futures_user_trades),
    ("POST", "/fapi/v1/algoOrder", 1, None, SIGNED, True, orders.futures_new_algo_order),
    ("GET", "/fapi/v1/algoOrder", 1, None, SIGNED, False, orders.get_algo_order),
    ("DELETE", "/fapi/v1/algoOrder", 1, None, SIGNED, False, orders.cancel_algo_order),
    ("GET", "/fapi/v1/openAlgoOrders", 1, 40, SIGNED, False, orders.open_algo_orders),
    ("DELETE", "/fapi/v1/algoOpenOrders", 1, None, SIGNED, False, orders.cancel_open_algo_orders),
    ("GET", "/fapi/v1/allAlgoOrders", 5, None, SIGNED, False, orders.all_algo_orders),
]


def add_routes(app: web.Application, sim: Simulator) -> None:
    sim.register_exchange(EXCHANGE, fault_responder=fault_response)
    for method, path, weight, weight_no_symbol, signed, places, handler in ROUTES:
        spec = Endpoint(weight=weight, weight_no_symbol=weight_no_symbol, signed=signed, places_orders=places)
        app.router.add_route(method, path, endpoint(spec, handler))
