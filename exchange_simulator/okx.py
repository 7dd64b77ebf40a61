"""OKX v5 adapter (spot and USDT-margined SWAP) for ccxt 4.5.90's `okx` class.

Routes under /api/v5/ (context.EXCHANGE_PREFIXES). Plumbing (envelope, signatures, errors, rate
limits) is in okx_http.py, renderings in okx_views.py, order placement in okx_orders.py,
cancellation and order queries in okx_trade.py, market data and account endpoints in
okx_account.py.
"""

from __future__ import annotations

from aiohttp import web

from . import okx_account as account
from . import okx_orders as orders
from . import okx_trade as trade
from .context import Simulator
from .okx_http import EXCHANGE, OKX_STATE, endpoint, fault_response

PUBLIC_GET = {
    "/api/v5/public/instruments": account.get_instruments,
    "/api/v5/public/time": account.get_time,
    "/api/v5/public/mark-price": account.get_mark_price,
    "/api/v5/market/ticker": account.get_ticker,
    "/api/v5/market/tickers": account.get_tickers,
    "/api/v5/market/books": account.get_books,
}

PRIVATE_GET = {
    "/api/v5/account/balance": account.get_balance,
    "/api/v5/asset/balances": account.get_asset_balances,
    "/api/v5/account/positions": account.get_positions,
    "/api/v5/account/leverage-info": account.get_leverage_info,
    "/api/v5/account/config": account.get_config,
    "/api/v5/trade/order": trade.get_order,
    "/api/v5/trade/order-algo": trade.get_order_algo,
    "/api/v5/trade/orders-pending": trade.get_orders_pending,
    "/api/v5/trade/orders-algo-pending": trade.get_orders_algo_pending,
    "/api/v5/trade/orders-history": trade.get_orders_history,
    "/api/v5/trade/orders-history-archive": trade.get_orders_history,
    "/api/v5/trade/orders-algo-history": trade.get_orders_algo_history,
    "/api/v5/trade/fills": trade.get_fills,
    "/api/v5/trade/fills-history": trade.get_fills,
}

PRIVATE_POST = {
    "/api/v5/account/set-leverage": account.post_set_leverage,
    "/api/v5/trade/order": orders.post_order,
    "/api/v5/trade/batch-orders": orders.post_batch_orders,
    "/api/v5/trade/order-algo": orders.post_order_algo,
    "/api/v5/trade/cancel-order": trade.post_cancel_order,
    "/api/v5/trade/cancel-batch-orders": trade.post_cancel_batch_orders,
    "/api/v5/trade/cancel-algos": trade.post_cancel_algos,
}


def add_routes(app: web.Application, sim: Simulator) -> None:
    sim.register_exchange(EXCHANGE, fault_responder=fault_response)
    app[OKX_STATE] = {}
    for path, handler in PUBLIC_GET.items():
        app.router.add_get(path, endpoint(handler, private=False))
    for path, handler in PRIVATE_GET.items():
        app.router.add_get(path, endpoint(handler))
    for path, handler in PRIVATE_POST.items():
        app.router.add_post(path, endpoint(handler))
