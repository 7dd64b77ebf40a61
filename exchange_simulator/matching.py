"""Fills and triggers: how a price move or a fill changes orders, balances and positions.

Fees are charged on every fill at the engine's `fees` rates (fees.py): a spot buy's fee comes off
the coin received, a spot sell's off the quote received, a futures fee off the settle wallet. A
fill on arrival is a taker fill, a resting limit filled later a maker fill.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from .models import (
    EXPIRED,
    FALL,
    FILLED,
    FUTURES,
    PARTIALLY_FILLED,
    REJECTED,
    RISE,
    SPOT,
    ZERO,
    Account,
    Fill,
    Instrument,
    Order,
)

if TYPE_CHECKING:
    from .engine import Engine


def trigger_crossed(direction: str | None, trigger: Decimal, mark: Decimal) -> bool:
    if direction == RISE:
        return mark >= trigger
    if direction == FALL:
        return mark <= trigger
    return False


def limit_marketable(side: str, price: Decimal, mark: Decimal) -> bool:
    return mark <= price if side == "buy" else mark >= price


def release_lock(account: Account, order: Order, amount: Decimal | None = None) -> None:
    """Give back reserved funds of `order` (all of them by default) to the free balance."""
    amount = order.locked if amount is None else amount
    if amount == 0 or order.lock_asset is None:
        return
    balance = account.balance(order.market, order.lock_asset)
    balance.locked -= amount
    balance.free += amount
    order.locked -= amount


def close_order(
    engine: Engine, account: Account, order: Order, status: str, reason: str | None = None
) -> None:
    """Move an open order to a final status other than filled, returning its reserved funds."""
    release_lock(account, order)
    order.status = status
    order.reject_reason = reason
    order.updated_at = engine.now()
    engine.forget_open(order)


def run_matching(engine: Engine, inst: Instrument, mark: Decimal) -> list[Order]:
    """Trigger and fill the open orders of one instrument against a new mark price."""
    touched: list[Order] = []
    for order in engine.open_orders_of(inst):
        if order.waiting_for_trigger:
            if trigger_crossed(order.trigger_direction, order.trigger_price, mark):
                fire_trigger(engine, inst, order, mark)
                touched.append(order)
            continue
        if order.executes_as_market:
            execute_fill(engine, inst, order, order.remaining, mark)
            touched.append(order)
        elif limit_marketable(order.side, order.price, mark):
            # A resting limit is filled at its own price when the market comes through it: maker.
            execute_fill(engine, inst, order, order.remaining, order.price, maker=True)
            touched.append(order)
    return touched


def fire_trigger(engine: Engine, inst: Instrument, order: Order, mark: Decimal) -> None:
    """The mark crossed the trigger: the order becomes its market or limit order."""
    account = engine.account_of(order)
    engine.mark_triggered(order)
    if inst.market == FUTURES:
        position = engine.position(account, inst)
        if order.reduce_only and not reduces(position.qty, order.side):
            close_order(engine, account, order, EXPIRED, "reduce_only_rejected")
            return
        if not order.reduce_only:
            price = mark if order.executes_as_market else order.price
            needed = futures_order_cost(
                engine, account, inst, order.side, order.remaining, price, position.qty
            )
            balance = account.balance(FUTURES, inst.settle)
            if balance.free < needed:
                close_order(engine, account, order, REJECTED, "insufficient_margin")
                return
            if not order.executes_as_market:
                lock(account, order, FUTURES, inst.settle, needed)
    if order.executes_as_market or limit_marketable(order.side, order.price, mark):
        execute_fill(engine, inst, order, order.remaining, mark)


def reduces(position_qty: Decimal, side: str) -> bool:
    return (position_qty > 0 and side == "sell") or (position_qty < 0 and side == "buy")


def futures_margin(
    engine: Engine,
    account: Account,
    inst: Instrument,
    side: str,
    qty: Decimal,
    price: Decimal,
    position_qty: Decimal,
) -> Decimal:
    """Initial margin for the part of an order that opens or increases a position."""
    opening = qty - abs(position_qty) if reduces(position_qty, side) else qty
    if opening <= 0:
        return ZERO
    leverage = engine.get_leverage(account, inst)
    return opening * inst.contract_size * price / leverage


def futures_order_cost(
    engine: Engine,
    account: Account,
    inst: Instrument,
    side: str,
    qty: Decimal,
    price: Decimal,
    position_qty: Decimal,
) -> Decimal:
    """What a futures margin check needs: the initial margin plus the exchange's fee allowance
    (fee to open; on Bybit also the fee to close), for the opening part of the order."""
    opening = qty - abs(position_qty) if reduces(position_qty, side) else qty
    if opening <= 0:
        return ZERO
    leverage = engine.get_leverage(account, inst)
    notional = opening * inst.contract_size * price
    return notional / leverage + engine.fees.order_cost_fee(inst.exchange, notional, leverage, side)


def lock(account: Account, order: Order, wallet: str, asset: str, amount: Decimal) -> None:
    balance = account.balance(wallet, asset)
    balance.free -= amount
    balance.locked += amount
    order.lock_asset = asset
    order.locked += amount


def execute_fill(
    engine: Engine, inst: Instrument, order: Order, qty: Decimal, price: Decimal, maker: bool = False
) -> Decimal:
    """Fill up to `qty` of `order` at `price`, charging the maker or taker fee; returns the
    quantity actually filled."""
    account = engine.account_of(order)
    qty = min(qty, order.remaining)
    if inst.market == FUTURES and order.reduce_only:
        position = engine.position(account, inst)
        qty = min(qty, abs(position.qty)) if reduces(position.qty, order.side) else ZERO
        if qty <= 0:
            close_order(engine, account, order, EXPIRED, "reduce_only_rejected")
            return ZERO
    if qty <= 0:
        return ZERO
    remaining_before = order.remaining
    # The share of the reservation that belongs to the filled part.
    consumed = order.locked * qty / remaining_before if order.locked else ZERO
    rate = engine.fees.rate(inst.exchange, inst.market, maker)
    if inst.market == SPOT:
        fee, fee_asset = _fill_spot(account, inst, order, qty, price, consumed, rate)
        pnl = ZERO
    else:
        release_lock(account, order, consumed)
        fee, fee_asset = qty * inst.contract_size * price * rate, inst.settle
        account.balance(FUTURES, inst.settle).free -= fee
        engine.position(account, inst).fees += fee  # before the fill: a closed position resets it
        pnl = _fill_futures(engine, account, inst, order, qty, price)
    order.fee += fee
    order.fee_asset = fee_asset
    order.fills.append(
        Fill(engine.new_trade_id(inst.exchange), qty, price, fee, fee_asset, maker, engine.now(), pnl)
    )
    order.filled += qty
    order.cost += qty * inst.contract_size * price
    order.updated_at = engine.now()
    if order.remaining <= 0:
        order.status = FILLED
        release_lock(account, order)
        engine.forget_open(order)
    else:
        order.status = PARTIALLY_FILLED
        if inst.market == FUTURES and order.reduce_only and engine.position(account, inst).qty == 0:
            close_order(engine, account, order, EXPIRED, "reduce_only_rejected")
    return qty


def _fill_spot(
    account: Account,
    inst: Instrument,
    order: Order,
    qty: Decimal,
    price: Decimal,
    consumed: Decimal,
    rate: Decimal,
) -> tuple[Decimal, str]:
    """Move the coins of a spot fill; the fee comes off what the order receives."""
    base_amount = qty * inst.contract_size
    quote_amount = base_amount * price
    base = account.balance(SPOT, inst.base)
    quote = account.balance(SPOT, inst.quote)
    if order.side == "buy":
        fee = base_amount * rate
        quote.locked -= consumed
        order.locked -= consumed
        quote.free += consumed - quote_amount
        base.free += base_amount - fee
        return fee, inst.base
    fee = quote_amount * rate
    base.locked -= consumed
    order.locked -= consumed
    base.free += consumed - base_amount
    quote.free += quote_amount - fee
    return fee, inst.quote


def _fill_futures(
    engine: Engine, account: Account, inst: Instrument, order: Order, qty: Decimal, price: Decimal
) -> Decimal:
    """Move the position and margin of a futures fill; returns the realised PnL (before fees)."""
    pnl = ZERO
    position = engine.position(account, inst)
    balance = account.balance(FUTURES, inst.settle)
    signed = qty if order.side == "buy" else -qty
    closing = min(qty, abs(position.qty)) if reduces(position.qty, order.side) else ZERO
    if closing:
        direction = 1 if position.qty > 0 else -1
        pnl = closing * inst.contract_size * (price - position.entry_price) * direction
        released = position.margin * closing / abs(position.qty)
        position.margin -= released
        balance.locked -= released
        balance.free += released + pnl
        position.realized_pnl += pnl
        position.qty -= direction * closing
        if position.qty == 0:
            balance.locked -= position.margin
            balance.free += position.margin
            position.margin = ZERO
            position.entry_price = ZERO
            position.fees = ZERO
    opening = qty - closing
    if opening:
        size = abs(position.qty)
        position.entry_price = (size * position.entry_price + opening * price) / (size + opening)
        margin = opening * inst.contract_size * price / engine.get_leverage(account, inst)
        balance.free -= margin
        balance.locked += margin
        position.margin += margin
        position.qty += opening if signed > 0 else -opening
    position.updated_at = engine.now()
    return pnl
