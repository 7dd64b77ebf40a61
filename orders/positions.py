"""Positions per strategy and account, built from fills, each fill counted exactly once."""

import logging
from decimal import Decimal

from django.db import transaction

from orders.models import Order, Position

logger = logging.getLogger(__name__)
ZERO = Decimal("0")


def position_apply_fills(*, order_id: int) -> Decimal:
    """Move the position by the part of the order's fill not yet applied; returns that part.
    Safe to call any number of times: the applied quantity is stored on the order in the same
    transaction as the position."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        # Net of fees taken from the coin received: the wallet holds no more than that.
        delta = order.net_filled_quantity - order.position_applied_quantity
        fill_price = order.average_price or order.price
        if delta <= 0 or order.link_id is None or fill_price is None:
            return ZERO
        total_cost = order.filled_quantity * fill_price
        price = (total_cost - order.position_applied_cost) / delta  # the increment's own price
        position, _ = Position.objects.select_for_update().get_or_create(
            link_id=order.link_id, symbol=order.symbol
        )
        _move(position, delta if order.side == "buy" else -delta, price)
        position.save()
        order.position_applied_quantity = order.net_filled_quantity
        order.position_applied_cost = total_cost
        order.save(update_fields=["position_applied_quantity", "position_applied_cost", "updated_at"])
    logger.info(
        "position %s %s moved by %s%s at %s",
        position.link_id,
        position.symbol,
        "+" if order.side == "buy" else "-",
        delta,
        price,
    )
    return delta


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
