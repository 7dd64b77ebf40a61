"""OKX v5 order cancellation and order queries (normal and algo). OKX has no cancel-all endpoint."""

from __future__ import annotations

from aiohttp import web

from .models import Order
from .okx_http import (
    CANCEL_ALGO,
    CANCEL_BATCH,
    CANCEL_ORDER,
    EXCHANGE,
    Call,
    OkxError,
    charge,
    empty_param,
    find_inst,
    inst_type_markets,
    results_response,
)
from .okx_orders import cancel_one, lookup
from .okx_views import algo_state, algo_view, fill_view, order_view

MAX_BATCH = 20
MAX_LIMIT = 100


def _order_not_found() -> OkxError:
    return OkxError("51603", "Order does not exist")


def _charge_cancels(call: Call, rows: list[dict], rule) -> None:
    key = call.account.api_key
    if rule is CANCEL_ALGO:
        charge(call.sim, [(rule, key, 1)])
        return
    per_inst: dict[str, int] = {}
    for raw in rows:
        inst_id = str(raw.get("instId") or "")
        per_inst[inst_id] = per_inst.get(inst_id, 0) + 1
    charge(call.sim, [(rule, f"{key}:{inst_id}", count) for inst_id, count in per_inst.items()])


async def post_cancel_order(call: Call) -> web.Response:
    raw = call.body_dict()
    _charge_cancels(call, [raw], CANCEL_ORDER)
    return results_response([cancel_one(call, raw, algo=False)], call.now)


async def post_cancel_batch_orders(call: Call) -> web.Response:
    rows = call.body_list()
    if len(rows) > MAX_BATCH:
        raise OkxError("51000", "Parameter orders error: at most 20 orders per request")
    _charge_cancels(call, rows, CANCEL_ORDER if len(rows) == 1 else CANCEL_BATCH)
    return results_response([cancel_one(call, raw, algo=False) for raw in rows], call.now)


async def post_cancel_algos(call: Call) -> web.Response:
    rows = call.body_list()
    if len(rows) > MAX_BATCH:
        raise OkxError("51000", "Parameter orders error: at most 20 orders per request")
    _charge_cancels(call, rows, CANCEL_ALGO)
    return results_response([cancel_one(call, raw, algo=True) for raw in rows])


# ---- single orders -------------------------------------------------------------------------------


def _inst_of_query(call: Call, required: bool = True):
    inst_id = call.require("instId") if required else call.get("instId")
    if inst_id is None:
        return None
    inst = find_inst(call.sim, inst_id)
    if inst is None:
        raise OkxError("51001", "Instrument ID, Instrument ID code, or Spread ID doesn't exist.")
    return inst


async def get_order(call: Call) -> list:
    inst = _inst_of_query(call)
    order_id, client_id = call.get("ordId"), call.get("clOrdId")
    if order_id is None and client_id is None:
        raise OkxError("51003", "Either client order ID or order ID is required.")
    order = lookup(call, inst, order_id, client_id, algo=False)
    if order is None:
        raise _order_not_found()
    return [order_view(call.engine, inst, order)]


async def get_order_algo(call: Call) -> list:
    order_id, client_id = call.get("algoId"), call.get("algoClOrdId")
    if order_id is None and client_id is None:
        raise OkxError("51000", "Parameter algoId error")
    inst = _inst_of_query(call, required=False)
    insts = [inst] if inst else [i for i in call.engine.instruments(EXCHANGE)]
    for candidate in insts:
        order = lookup(call, candidate, order_id, client_id, algo=True)
        if order is not None:
            return [algo_view(call.engine, candidate, order)]
    raise _order_not_found()


# ---- lists ---------------------------------------------------------------------------------------


def _limit(call: Call) -> int:
    raw = call.get("limit")
    if raw is None:
        return MAX_LIMIT
    if not raw.isdigit():
        raise OkxError("51000", "Parameter limit error")
    return max(1, min(int(raw), MAX_LIMIT))


def _scope(call: Call, inst_type_required: bool = False):
    """(markets, symbol) to list from the instType / instId query parameters."""
    inst_type = call.require("instType") if inst_type_required else call.get("instType")
    markets = inst_type_markets(inst_type)
    inst = _inst_of_query(call, required=False)
    if inst is not None:
        markets = tuple(m for m in markets if m == inst.market)
    return markets, (inst.symbol if inst else None)


def _newest_first(orders: list[Order], key) -> list[Order]:
    return sorted(orders, key=key, reverse=True)


def _inst(call: Call, order: Order):
    return call.engine.instrument(EXCHANGE, order.market, order.symbol)


async def get_orders_pending(call: Call) -> list:
    markets, symbol = _scope(call)
    orders = []
    for market in markets:
        orders += call.engine.open_orders(call.account, market, symbol=symbol, triggers=False)
    views = [order_view(call.engine, _inst(call, o), o) for o in orders]
    return _filtered(call, views)


def _filtered(call: Call, views: list[dict]) -> list[dict]:
    """ordType / state / begin / end filters, newest first, at most `limit` rows."""
    ord_types = call.get("ordType")
    state = call.get("state")
    begin, end = call.get("begin"), call.get("end")
    result = []
    for view in views:
        created = int(view["cTime"] or 0)
        if ord_types is not None and view["ordType"] not in ord_types.split(","):
            continue
        if state is not None and view["state"] != state:
            continue
        if begin is not None and begin.isdigit() and created < int(begin):
            continue
        if end is not None and end.isdigit() and created > int(end):
            continue
        result.append(view)
    result.sort(key=lambda v: int(v["cTime"] or 0), reverse=True)
    return result[: _limit(call)]


def _algo_types(call: Call) -> bool:
    """True if the ordType filter asks for trigger orders (the only algo type simulated)."""
    ord_type = call.get("ordType")
    if ord_type is None:
        raise empty_param("ordType")
    return "trigger" in ord_type.split(",")


async def get_orders_algo_pending(call: Call) -> list:
    if not _algo_types(call):
        return []
    markets, symbol = _scope(call)
    algo_id = call.get("algoId")
    orders = []
    for market in markets:
        orders += call.engine.open_orders(call.account, market, symbol=symbol, triggers=True)
    orders = [o for o in orders if algo_id in (None, o.id)]
    return [algo_view(call.engine, _inst(call, o), o) for o in _newest_first(orders, lambda o: o.created_at)][
        : _limit(call)
    ]


def _normal_history(call: Call, markets, symbol) -> list[Order]:
    result = []
    for market in markets:
        for order in call.engine.list_orders(EXCHANGE, call.account.api_key, symbol=symbol, market=market):
            if order.is_open:
                continue
            if order.is_trigger and (order.triggered_at is None or algo_state(order) == "order_failed"):
                continue  # never became a normal order
            result.append(order)
    return result


async def get_orders_history(call: Call) -> list:
    markets, symbol = _scope(call, inst_type_required=True)
    views = [order_view(call.engine, _inst(call, o), o) for o in _normal_history(call, markets, symbol)]
    return _filtered(call, views)


async def get_orders_algo_history(call: Call) -> list:
    if not _algo_types(call):
        return []
    state, algo_id = call.get("state"), call.get("algoId")
    if state is None and algo_id is None:
        raise empty_param("state")
    markets, symbol = _scope(call)
    result = []
    for market in markets:
        for order in call.engine.list_orders(EXCHANGE, call.account.api_key, symbol=symbol, market=market):
            if not order.is_trigger or order.waiting_for_trigger:
                continue
            if algo_id is not None and order.id != algo_id:
                continue
            if state is not None and algo_state(order) != state:
                continue
            result.append(order)
    return [algo_view(call.engine, _inst(call, o), o) for o in _newest_first(result, lambda o: o.updated_at)][
        : _limit(call)
    ]


async def get_fills(call: Call) -> list:
    """/trade/fills and /trade/fills-history: one fill per order at its average price.

    The engine keeps no per-fill records, so an order filled in several steps shows as one fill.
    """
    inst_type = call.get("instType")
    if call.request.path.endswith("fills-history") and inst_type is None:
        raise empty_param("instType")
    markets, symbol = _scope(call)
    order_id = call.get("ordId")
    fills = []
    for order in _normal_history(call, markets, symbol) + [
        o
        for market in markets
        for o in call.engine.open_orders(call.account, market, symbol=symbol, triggers=False)
    ]:
        if order.filled == 0:
            continue
        view = fill_view(_inst(call, order), order)
        if order_id is None or view["ordId"] == order_id:
            fills.append(view)
    fills.sort(key=lambda f: int(f["ts"]), reverse=True)
    return fills[: _limit(call)]
