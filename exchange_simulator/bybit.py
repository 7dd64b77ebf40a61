"""Bybit v5 adapter (spot and linear USDT perpetuals) as ccxt 4.5.90's `bybit` calls it.

Plumbing (IP and per-UID limits, signatures, envelopes) is in bybit_http.py, market data in
bybit_market.py, account / balance / position / leverage in bybit_account.py, order placement and
cancels in bybit_orders.py, order queries in bybit_order_views.py.
Per-UID limits are requests per second per endpoint and category (Bybit's API rate-limit table;
order create 10/s linear and 20/s spot are the numbers EXCHANGES.md checks).
"""

from __future__ import annotations

from aiohttp import web

from . import bybit_account as account
from . import bybit_executions as executions
from . import bybit_market as market
from . import bybit_order_views as views
from . import bybit_orders as orders
from .bybit_http import EXCHANGE, Endpoint, endpoint, fault_response
from .context import Simulator

TRADE = {"linear": 10, "spot": 20}  # create / cancel per UID per second
READ = {"*": 50}

PUBLIC = Endpoint()
PRIVATE = Endpoint(signed=True)

ROUTES = (
    ("GET", "/v5/market/time", PUBLIC, market.server_time),
    ("GET", "/v5/market/instruments-info", PUBLIC, market.instruments_info),
    ("GET", "/v5/market/tickers", PUBLIC, market.tickers),
    ("GET", "/v5/user/query-api", PRIVATE, account.query_api),
    ("GET", "/v5/account/info", PRIVATE, account.account_info),
    ("GET", "/v5/account/wallet-balance", Endpoint(signed=True, uid_limits=READ), account.wallet_balance),
    ("GET", "/v5/position/list", Endpoint(signed=True, uid_limits=READ), account.position_list),
    (
        "POST",
        "/v5/position/set-leverage",
        Endpoint(signed=True, uid_limits={"linear": 10}),
        account.set_leverage,
    ),
    ("POST", "/v5/order/create", Endpoint(signed=True, uid_limits=TRADE), orders.create),
    ("POST", "/v5/order/cancel", Endpoint(signed=True, uid_limits=TRADE), orders.cancel),
    ("POST", "/v5/order/cancel-all", Endpoint(signed=True, uid_limits=TRADE), orders.cancel_all),
    ("GET", "/v5/order/realtime", Endpoint(signed=True, uid_limits=READ), views.realtime),
    ("GET", "/v5/order/history", Endpoint(signed=True, uid_limits=READ), views.history),
    ("GET", "/v5/execution/list", Endpoint(signed=True, uid_limits=READ), executions.execution_list),
)


def add_routes(app: web.Application, sim: Simulator) -> None:
    sim.register_exchange(EXCHANGE, fault_responder=fault_response)
    for method, path, spec, handler in ROUTES:
        app.router.add_route(method, path, endpoint(spec, handler))
