"""Every change of an order goes through here: saved, audited (OrderEvent), and its fills
applied to the position exactly once."""

from django.utils import timezone

from accounts.exchange.types import ExchangeOrder
from orders.models import FINAL_STATUSES, Order, OrderEvent
from orders.positions import position_apply_fills
from tradingsite.rows import row_refresh, row_update, row_update_then_insert

_GUARDED_FIELDS = {"position_applied_quantity", "position_applied_cost"}


def order_stage(*, order: Order, **fields) -> Order:
    """Set `fields` on the order now and write them with its next order_update, not before.

    What a worker decides just before a create (size, rounded prices, `submitted_at`) is staged:
    a write there would sit between the webhook and the exchange for no safety. A worker that
    dies after its create but before any write leaves the order PROCESSING with no
    `submitted_at`; the job's next attempt treats every such order as possibly sent (it looks
    it up by client order id before anything else), and so does the order sweeper."""
    for name, value in fields.items():
        setattr(order, name, value)
    order._staged = {**getattr(order, "_staged", {}), **fields}
    return order


def order_update(
    *, order: Order, source: str, status: str | None = None, detail: str = "", hold: bool = False, **fields
) -> Order:
    """Save `fields` and `status` on the order (with what order_stage staged); record an event
    when status or fill changed. `hold`: the caller sends no exchange request after this write
    in its job, so the write may go out with the job's closing statement (tradingsite/write_behind.py)."""
    before_status, before_filled = order.status, order.filled_quantity
    fields = {**getattr(order, "_staged", {}), **fields}
    order._staged = {}
    if status:
        order.status = status
    for name, value in fields.items():
        setattr(order, name, value)
    if order.status in FINAL_STATUSES and order.closed_at is None:
        order.closed_at = timezone.now()
    # Write only what changed here: a concurrent writer's columns survive, and position_applied_*
    # (moved only by position_apply_fills, under a row lock) can never be overwritten by a stale copy.
    if _GUARDED_FIELDS & set(fields):
        raise ValueError("position_applied_* are moved by position_apply_fills only")
    names = [*fields, "status", "closed_at", "updated_at"]
    if order.status != before_status or order.filled_quantity != before_filled:
        event = OrderEvent(
            order=order,
            source=source,
            from_status=before_status,
            to_status=order.status,
            filled_quantity=order.filled_quantity,
            detail=detail[:1000],
        )
        # save(update_fields=…) and OrderEvent.objects.create(…): one statement on PostgreSQL.
        row_update_then_insert(order, names, event, hold=hold)
    else:
        row_update(order, names)  # save(update_fields=…)
    if order.net_filled_quantity > order.position_applied_quantity:
        position_apply_fills(order_id=order.pk)
        row_refresh(order)  # order.refresh_from_db()
    return order


def order_record_exchange_state(
    *, order: Order, state: ExchangeOrder, source: str, detail: str = "", hold: bool = False
) -> Order:
    """Adopt what the exchange reports; fills never go backwards. `hold`: as for order_update."""
    fields = {}
    if state.id and state.id != order.exchange_order_id:
        fields["exchange_order_id"] = state.id
    if state.filled is not None and state.filled > order.filled_quantity:
        fields["filled_quantity"] = state.filled
        if state.average:
            fields["average_price"] = state.average
    if state.fee_base is not None and state.fee_base > order.fee_base_quantity:
        fields["fee_base_quantity"] = state.fee_base
    return order_update(order=order, source=source, status=state.status, detail=detail, hold=hold, **fields)
