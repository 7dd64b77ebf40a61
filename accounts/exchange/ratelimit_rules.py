"""The exchanges' published rate limits as data, and which of them one request consumes.

Sources: /work/shared/docs/EXCHANGES.md ("Rate limits") for the limits, and ccxt 4.5.90's api cost
tables (`describe()['api']` in ccxt/binance.py, bybit.py, okx.py) for what one endpoint costs.

Every request of an exchange also names that exchange's per-IP key (with cost 0 where the IP budget
is not consumed), so `block(key=ip_limit_key(...))` after an HTTP 418/403/429 stops every request
that would go out from this IP.
"""

from dataclasses import dataclass

from accounts.exchange.ratelimit import Limit

EXCHANGES = ("BINANCE", "BYBIT", "OKX")
MARKET_TYPES = ("SPOT", "FUTURES")
# The actions callers name. "query" is the conservative catch-all (fetch order, open orders,
# balance, positions, ticker); the finer ones cost what that one call costs.
QUERY_ACTIONS = ("fetch_order", "open_orders", "balance", "positions", "ticker")
# "algo_query": look-ups of trigger orders, where an exchange counts them apart (OKX order-algo,
# orders-algo-pending: 20 / 2 s); elsewhere they cost what the plain look-up costs.
ACTIONS = ("order", "algo_order", "query", "markets", "leverage", "algo_query", *QUERY_ACTIONS)


@dataclass(frozen=True)
class Rule:
    """One published limit; `key` is a template with `{account}` and `{symbol}` fields."""

    key: str
    capacity: int
    window: float


RULES: dict[str, dict[str, Rule]] = {
    "BINANCE": {
        # Spot (api.binance.com) and USDT-M (fapi.binance.com) count weight separately.
        "spot_ip": Rule("binance:spot:ip:weight", 6000, 60),
        "spot_orders_10s": Rule("binance:spot:acct:{account}:orders:10s", 100, 10),
        "spot_orders_1d": Rule("binance:spot:acct:{account}:orders:1d", 200_000, 86_400),
        "futures_ip": Rule("binance:futures:ip:weight", 2400, 60),
        "futures_orders_10s": Rule("binance:futures:acct:{account}:orders:10s", 300, 10),
        "futures_orders_1m": Rule("binance:futures:acct:{account}:orders:1m", 1200, 60),
    },
    "BYBIT": {
        # One IP budget for every category; order limits per account and category (v5 "UID" limits).
        "ip": Rule("bybit:ip:requests", 600, 5),
        "spot_orders": Rule("bybit:spot:acct:{account}:orders:1s", 20, 1),
        "futures_orders": Rule("bybit:futures:acct:{account}:orders:1s", 10, 1),
        # ccxt spaces order/realtime, order/history, position/list and set-leverage at 10/s.
        "query": Rule("bybit:acct:{account}:query:1s", 10, 1),
    },
    "OKX": {
        # OKX limits public market data per IP (ticker, instruments: 20 / 2 s) and the rest per user.
        "ip": Rule("okx:ip:public", 20, 2),
        "instrument_orders": Rule("okx:acct:{account}:inst:{symbol}:orders:2s", 60, 2),
        "account_orders": Rule("okx:acct:{account}:orders:2s", 1000, 2),
        "algo_orders": Rule("okx:acct:{account}:algo:2s", 20, 2),
        "algo_queries": Rule("okx:acct:{account}:algo-query:2s", 20, 2),
        # In thirds of ccxt's unit (20 per 2 s): order / orders-pending cost 1 (60 / 2 s),
        # set-leverage 3 (20 / 2 s), balance and positions 6 (10 / 2 s).
        "query": Rule("okx:acct:{account}:query:2s", 60, 2),
    },
}

IP_RULES = {
    ("BINANCE", "SPOT"): "spot_ip",
    ("BINANCE", "FUTURES"): "futures_ip",
    ("BYBIT", "SPOT"): "ip",
    ("BYBIT", "FUTURES"): "ip",
    ("OKX", "SPOT"): "ip",
    ("OKX", "FUTURES"): "ip",
}

# A cost is an int, or (with symbol, without symbol) where leaving out the symbol costs more.
Cost = int | tuple[int, int]

# Binance spot weights are ccxt's `api` costs divided by 0.2 (ccxt: "1 IP (api) => cost = 0.2");
# USDT-M (fapi*) costs are the weights themselves. ccxt's fapi POST order cost 4 is kept although
# Binance documents IP weight 0 for it: cheap insurance.
_BINANCE_MARKETS = {"spot_ip": 20, "futures_ip": 1}  # exchangeInfo on both hosts (fetchMarkets types)
_BINANCE_SPOT_ORDER = {"spot_ip": 1, "spot_orders_10s": 1, "spot_orders_1d": 1}  # POST/DELETE order 0.2
_BINANCE_FUTURES_ORDER = {"futures_orders_10s": 1, "futures_orders_1m": 1}

# Bybit: every request counts 1 on the IP. Markets: spot instruments-info + linear (normal and
# PreLaunch) + a page of margin for the linear cursor.
_BYBIT_ORDER = {"ip": 1}
_BYBIT_QUERY = {"ip": 1, "query": 1}

# OKX: ccxt sends single orders to trade/batch-orders; the per-instrument limit is the binding one.
_OKX_ORDER = {"ip": 0, "instrument_orders": 1, "account_orders": 1}

COSTS: dict[tuple[str, str], dict[str, dict[str, Cost]]] = {
    ("BINANCE", "SPOT"): {
        "order": _BINANCE_SPOT_ORDER,
        "algo_order": _BINANCE_SPOT_ORDER,  # spot stop orders are STOP_LOSS(_LIMIT) on /api/v3/order
        "markets": _BINANCE_MARKETS,
        "fetch_order": {"spot_ip": 4},  # GET order 0.8
        "open_orders": {"spot_ip": (6, 80)},  # GET openOrders 1.2, noSymbol 16
        "balance": {"spot_ip": 20},  # GET account 4
        "ticker": {"spot_ip": (2, 4)},  # ticker/price 0.4, noSymbol 0.8
    },
    ("BINANCE", "FUTURES"): {
        "order": {"futures_ip": 4, **_BINANCE_FUTURES_ORDER},  # fapiPrivate POST order 4, DELETE 1
        "algo_order": {"futures_ip": 1, **_BINANCE_FUTURES_ORDER},  # POST/DELETE algoOrder 1
        "markets": _BINANCE_MARKETS,
        "leverage": {"futures_ip": 1},  # POST leverage 1
        "fetch_order": {"futures_ip": 1},  # GET order 1, algoOrder 1
        "open_orders": {"futures_ip": (1, 40)},  # GET openOrders / openAlgoOrders 1, noSymbol 40
        "balance": {"futures_ip": 1},  # fapiPrivateV3 GET account 1
        "positions": {"futures_ip": 1},  # fapiPrivateV3 GET positionRisk / account 1
        "ticker": {"futures_ip": (1, 40)},  # ticker/24hr 1, noSymbol 40
    },
    ("BYBIT", "SPOT"): {
        "order": {**_BYBIT_ORDER, "spot_orders": 1},
        "algo_order": {**_BYBIT_ORDER, "spot_orders": 1},  # trigger orders use order/create too
        "markets": {"ip": 4},
        "fetch_order": _BYBIT_QUERY,
        "open_orders": _BYBIT_QUERY,
        "balance": _BYBIT_QUERY,
        "ticker": {"ip": 1},
    },
    ("BYBIT", "FUTURES"): {
        "order": {**_BYBIT_ORDER, "futures_orders": 1},
        "algo_order": {**_BYBIT_ORDER, "futures_orders": 1},
        "markets": {"ip": 4},
        "leverage": _BYBIT_QUERY,
        "fetch_order": _BYBIT_QUERY,
        "open_orders": _BYBIT_QUERY,
        "balance": _BYBIT_QUERY,
        "positions": _BYBIT_QUERY,
        "ticker": {"ip": 1},
    },
    ("OKX", "SPOT"): {
        "order": _OKX_ORDER,
        # order-algo: 20 / 2 s per user; counted in the account's order requests as well.
        "algo_order": {"ip": 0, "algo_orders": 1, "account_orders": 1},
        "markets": {"ip": 2},  # public/instruments for SPOT and SWAP
        "fetch_order": {"ip": 0, "query": 1},
        "open_orders": {"ip": 0, "query": 1},
        "algo_query": {"ip": 0, "algo_queries": 1},  # order-algo, orders-algo-pending
        "balance": {"ip": 0, "query": 6},
        "ticker": {"ip": 1},
    },
}
COSTS[("OKX", "FUTURES")] = {
    **COSTS[("OKX", "SPOT")],
    "leverage": {"ip": 0, "query": 3},
    "positions": {"ip": 0, "query": 6},
}


def has_action(exchange: str, market_type: str, action: str) -> bool:
    """Whether the exchange counts `action` on its own (else callers name the plain action)."""
    return action in COSTS[(exchange, market_type)]


def _check(exchange: str, market_type: str) -> None:
    if exchange not in EXCHANGES:
        raise ValueError(f"Unknown exchange {exchange!r}; expected one of {EXCHANGES}")
    if market_type not in MARKET_TYPES:
        raise ValueError(f"Unknown market type {market_type!r}; expected one of {MARKET_TYPES}")


def ip_limit_key(exchange: str, market_type: str) -> str:
    """The per-IP key of `exchange` × `market_type`, to `block()` on HTTP 418/403/429; raises ValueError."""
    _check(exchange, market_type)
    return RULES[exchange][IP_RULES[(exchange, market_type)]].key


def _costs_of(table: dict[str, dict[str, Cost]], action: str, has_symbol: bool) -> dict[str, int]:
    """Rule name → cost for one action; "query" takes, per rule, the most any query costs."""
    pick = 0 if has_symbol else 1
    if action == "query":
        merged: dict[str, int] = {}
        for name in (name for name in QUERY_ACTIONS if name in table):
            for rule, cost in _costs_of(table, name, has_symbol).items():
                merged[rule] = max(merged.get(rule, 0), cost)
        return merged
    return {rule: cost[pick] if isinstance(cost, tuple) else cost for rule, cost in table[action].items()}


def limits_for(
    *, exchange: str, market_type: str, account_id: int, action: str, symbol: str | None = None
) -> list[tuple[Limit, int]]:
    """The (limit, cost) pairs one request consumes, for `acquire(limits=...)`.

    `symbol` is the unified symbol; leaving it out of "open_orders"/"ticker"/"query" means the
    all-symbols call, which costs more. Raises ValueError for an unknown exchange, market type or
    action, an action the market does not have (leverage on spot), or an OKX order without symbol.
    """
    _check(exchange, market_type)
    table = COSTS[(exchange, market_type)]
    if action != "query" and action not in table:
        if action in ACTIONS:
            raise ValueError(f"{exchange} {market_type} has no {action!r} requests")
        raise ValueError(f"Unknown action {action!r}; expected one of {ACTIONS}")
    limits: list[tuple[Limit, int]] = []
    for name, cost in sorted(_costs_of(table, action, symbol is not None).items()):
        rule = RULES[exchange][name]
        if "{symbol}" in rule.key and not symbol:
            raise ValueError(f"{exchange} limits {action!r} per instrument: pass symbol")
        key = rule.key.format(account=account_id, symbol=symbol)
        limits.append((Limit(key=key, capacity=rule.capacity, window=rule.window), cost))
    return limits
