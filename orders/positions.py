"""Positions per strategy and account, built from fills, each fill counted exactly once."""

import logging
from decimal import Decimal

from django.db import connection, transaction

from orders.models import Order, Position
from tradingsite.rows import JoinedSelect, Part, row_refresh, row_update

logger = logging.getLogger(__name__)
ZERO = Decimal("0")


def position_apply_fills(*, order_id: int) -> Decimal:
    """Move the position by the part of the order's fill not yet applied; returns that part.
    Safe to call any number of times: the applied quantity is stored on the order in the same
    transaction as the position."""
    with transaction.atomic():
        # The ORM's select_for_update().get() and saves, without their compile (~3 ms of CPU on
        # every filled order, on the job's path): the same rows locked, read and written.
        order = Order(pk=order_id)
        row_refresh(order, lock=True)
        # Net of fees taken from the coin received: the wallet holds no more than that.
        delta = order.net_filled_quantity - order.position_applied_quantity
        fill_price = order.average_price or order.price
        if delta <= 0 or order.link_id is None or fill_price is None:
            return ZERO
        total_cost = order.filled_quantity * fill_price
        price = (total_cost - order.position_applied_cost) / delta  # the increment's own price
        position = _position_locked(link_id=order.link_id, symbol=order.symbol)
        _move(position, delta if order.side == "buy" else -delta, price)
        row_update(position, [f.name for f in Position._meta.concrete_fields if not f.primary_key])
        order.position_applied_quantity = order.net_filled_quantity
        order.position_applied_cost = total_cost
        row_update(order, ["position_applied_quantity", "position_applied_cost", "updated_at"])
    logger.info(
        "position %s %s moved by %s%s at %s",
        position.link_id,
        position.symbol,
        "+" if order.side == "buy" else "-",
        delta,
        price,
    )
    return delta


_POSITION = JoinedSelect(Part("p", Position), tables="{p} p", where="p.link_id = %s AND p.symbol = %s")


def _position_locked(*, link_id: int, symbol: str) -> Position:
    """The link's position on the symbol, locked for this transaction; created (by the ORM's
    get_or_create, which handles a concurrent create) the first time only."""
    suffix = " FOR UPDATE" if connection.features.has_select_for_update else ""
    rows = _POSITION.fetch([link_id, symbol], suffix=suffix)
    if rows:
        return rows[0]["p"]
    position, _ = Position.objects.select_for_update().get_or_create(link_id=link_id, symbol=symbol)
    return position


def _move(position: Position, signed: Decimal, price: Decimal) -> None:
    old = position.quantity
    new = old + signed
    if old == 0 or (old > 0) == (signed > 0):  # opening or adding: weighted entry price
        entry = position.entry_price or price
        position.entry_price = (abs(old) * entry + abs(signed) * price) / abs(new)
    else:  # reducing, closing or flipping: realise PnL on the closed part
        closed = min(abs(signed), abs(old))
        direction = 1 if old > 0 else -1
        position.realized_pnl += closed * (price - (position.entry_price or price)) * direction
        if new == 0:
            position.entry_price = None
        elif (new > 0) != (old > 0):
            position.entry_price = price  # flipped: the remainder opened at this price
    position.quantity = new


def position_quantity(*, link_id: int, symbol: str) -> Decimal:
    position = Position.objects.filter(link_id=link_id, symbol=symbol).first()
    return position.quantity if position else ZERO


def open_symbols(*, link_id: int) -> set[str]:
    return set(Position.objects.filter(link_id=link_id).exclude(quantity=0).values_list("symbol", flat=True))
