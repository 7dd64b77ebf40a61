"""Order validation and fund reservation, in the order exchanges apply their checks."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from . import matching
from .errors import Reject
from .models import (
    FALL,
    FUTURES,
    LIMIT,
    MARKET,
    ORDER_TYPES,
    RISE,
    SPOT,
    STOP_LIMIT,
    STOP_MARKET,
    ZERO,
    Account,
    Instrument,
    Order,
    OrderRequest,
)

if TYPE_CHECKING:
    from .engine import Engine


def trigger_direction(req: OrderRequest, mark: Decimal | None) -> str | None:
    """RISE/FALL as requested or inferred from the mark; refuses an already crossed trigger if asked."""
    if req.type not in (STOP_MARKET, STOP_LIMIT):
        return None
    direction = req.trigger_direction
    if direction is None:
        direction = RISE if mark is None or req.trigger_price > mark else FALL
    if req.reject_immediate_trigger and mark is not None:
        if matching.trigger_crossed(direction, req.trigger_price, mark):
            raise Reject("would_trigger_immediately", f"trigger {req.trigger_price} mark {mark}")
    return direction


def validate(
    engine: Engine, account: Account, inst: Instrument, req: OrderRequest, mark: Decimal | None
) -> Decimal:
    """Checks in the order exchanges apply them; returns the order quantity."""
    if req.type not in ORDER_TYPES or req.side not in ("buy", "sell"):
        raise Reject("invalid_order_type", f"{req.type} {req.side}")
    qty = req.quantity
    if qty is None and req.quote_quantity is not None and req.type == MARKET and mark:
        qty = (req.quote_quantity / mark / inst.step_size).to_integral_value(ROUND_DOWN) * inst.step_size
    if qty is None or qty <= 0:
        raise Reject("invalid_quantity", "quantity must be positive")
    if req.type in (LIMIT, STOP_LIMIT):
        _check_price(inst, req.price, "invalid_price")
    if req.type in (STOP_MARKET, STOP_LIMIT):
        _check_price(inst, req.trigger_price, "invalid_trigger_price")
    if qty % inst.step_size != 0:
        raise Reject("invalid_quantity", f"{qty} not a multiple of {inst.step_size}")
    if qty < inst.min_qty:
        raise Reject("below_min_qty", f"{qty} < {inst.min_qty}")
    if inst.max_qty is not None and qty > inst.max_qty:
        raise Reject("above_max_qty", f"{qty} > {inst.max_qty}")
    ref_price = req.price if req.type in (LIMIT, STOP_LIMIT) else (req.trigger_price or mark)
    notional = qty * inst.contract_size * (ref_price or ZERO)
    exempt = inst.market == FUTURES and req.reduce_only
    if not exempt and ref_price is not None and notional < inst.min_notional:
        raise Reject("below_min_notional", f"{notional} < {inst.min_notional}")
    if inst.max_notional is not None and notional > inst.max_notional:
        raise Reject("above_max_notional", f"{notional} > {inst.max_notional}")
    if req.reduce_only:
        if inst.market == SPOT:
            raise Reject("reduce_only_rejected", "reduce-only is for derivatives")
        if req.type in (MARKET, LIMIT):
            position = engine.position(account, inst)
            if not matching.reduces(position.qty, req.side):
                raise Reject("reduce_only_rejected", f"position {position.qty}")
    if req.client_order_id:
        key = engine.client_key(account, inst.market, req.id_namespace, req.client_order_id)
        previous = engine.client_index.get(key)
        if previous is not None and (req.duplicate_scope == "all" or previous.is_open):
            raise Reject("duplicate_client_order_id", req.client_order_id)
    return qty


def reserve(engine: Engine, account: Account, inst: Instrument, order: Order, mark: Decimal | None) -> None:
    """Check and lock the funds an order needs (spot: the asset it pays; futures: margin)."""
    price = order.price if order.price is not None else (order.trigger_price or mark or ZERO)
    if inst.market == SPOT:
        if order.side == "buy":
            asset, amount = inst.quote, order.quantity * inst.contract_size * price
        else:
            asset, amount = inst.base, order.quantity * inst.contract_size
        free = account.balance(SPOT, asset).free
        if free < amount:
            raise Reject("insufficient_balance", f"{asset} free {free} < {amount}")
        matching.lock(account, order, SPOT, asset, amount)
        return
    # Futures trigger orders reserve nothing until they fire (margin is checked then).
    if order.is_trigger or order.reduce_only:
        order.lock_asset = inst.settle
        return
    position = engine.position(account, inst)
    needed = matching.futures_order_cost(
        engine, account, inst, order.side, order.quantity, price, position.qty
    )
    free = account.balance(FUTURES, inst.settle).free
    if free < needed:
        raise Reject("insufficient_margin", f"{inst.settle} free {free} < {needed}")
    matching.lock(account, order, FUTURES, inst.settle, needed)


def _check_price(inst: Instrument, price: Decimal | None, reason: str) -> None:
    if price is None or price <= 0:
        raise Reject(reason, "price must be positive")
    if price % inst.tick_size != 0:
        raise Reject(reason, f"{price} not a multiple of {inst.tick_size}")
    if inst.min_price is not None and price < inst.min_price:
        raise Reject(reason, f"{price} < {inst.min_price}")
    if inst.max_price is not None and price > inst.max_price:
        raise Reject(reason, f"{price} > {inst.max_price}")
