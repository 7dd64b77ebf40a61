"""Following orders to their end: resting orders to fills and cancellations, and orders left in
PROCESSING (a worker died, an answer was lost) settled by their client order id."""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.exchange import client as exchange
from accounts.exchange.types import ExchangeError
from orders.lifecycle import order_record_exchange_state, order_update
from orders.models import OPEN_STATUSES, AccountJob, Order, OrderEvent, OrderStatus

logger = logging.getLogger(__name__)


@dataclass
class SyncSummary:
    checked: int = 0
    changed: int = 0
    not_found: int = 0
    errors: int = 0
    changes: list = field(default_factory=list)  # (client order id, status before, status after)
    missing: list = field(default_factory=list)  # orders newly marked NOT_FOUND, to report

    def line(self) -> str:
        return (
            f"checked {self.checked} orders: {self.changed} changed, {self.not_found} not found on the "
            f"exchange, {self.errors} errors"
        )


def orders_to_follow(*, account_ids=None):
    """Open orders, and orders stuck in PROCESSING past ORDER_STUCK_AFTER_SECONDS whose job has
    ended (a queued or running job, resumed after a crash, still owns its orders)."""
    stuck_before = timezone.now() - timedelta(seconds=settings.ORDER_STUCK_AFTER_SECONDS)
    job_alive = AccountJob.objects.filter(
        webhook_log_id=OuterRef("webhook_log_id"),
        account_id=OuterRef("account_id"),
        state__in=[AccountJob.State.QUEUED, AccountJob.State.RUNNING],
    )
    queryset = Order.objects.filter(
        Q(status__in=OPEN_STATUSES)
        | (Q(status=OrderStatus.PROCESSING, updated_at__lt=stuck_before) & ~Exists(job_alive))
    ).select_related("account", "link")
    if account_ids:
        queryset = queryset.filter(account_id__in=account_ids)
    return queryset.order_by("account_id", "id")


def orders_sync(*, source: str = OrderEvent.Source.SYNC, account_ids=None, progress=None) -> SyncSummary:
    """One pass over every order to follow; each order's change is committed on its own."""
    summary = SyncSummary()
    clients = {}
    for order in orders_to_follow(account_ids=account_ids):
        summary.checked += 1
        before = (order.status, order.filled_quantity)
        try:
            if order.account_id not in clients:
                clients[order.account_id] = exchange.client_for(order.account)
            order = order_sync(client=clients[order.account_id], order=order, source=source)
        except Exception as error:  # one order's (or account's) trouble must not stop the pass
            summary.errors += 1
            log = logger.warning if isinstance(error, ExchangeError) else logger.exception
            log("sync %s: %s", order.client_order_id, error)
            continue
        finally:
            if progress:
                progress()
        if (order.status, order.filled_quantity) != before:
            summary.changed += 1
            summary.changes.append((order.client_order_id, before[0], order.status))
        if order.status == OrderStatus.NOT_FOUND:
            summary.not_found += 1
            summary.missing.append(order)
            logger.warning(
                "order %s (%s on account %s) not found on the exchange",
                order.client_order_id,
                order.symbol,
                order.account_id,
            )
    if summary.checked:
        logger.info("order sync: %s", summary.line())
    return summary


def _may_exist(order: Order) -> bool:
    """The execution's rule (CONTRACT.md): "no such order" proves absence only when it comes at
    least ORDER_RESEND_AFTER_SECONDS after the create, and never for an order whose client id the
    exchange refused as a duplicate. `updated_at` is no earlier than the create's outcome."""
    if order.known_on_exchange:
        return True
    settled_after = order.updated_at + timedelta(seconds=settings.ORDER_RESEND_AFTER_SECONDS)
    return timezone.now() < settled_after


def order_sync(*, client, order: Order, source: str) -> Order:
    """Adopt what the exchange says of one order, following a fired stop order to the order it
    became; an order it has no trace of is NOT_FOUND (or, never placed, REJECTED), never filled.
    Raises ExchangeError when the exchange cannot answer."""
    is_trigger = order.is_trigger
    state = client.order_state(
        symbol=order.symbol,
        market_type=order.market_type,
        order_id=order.exchange_order_id or None,
        client_order_id=order.client_order_id,
        is_trigger=is_trigger,
    )
    if state is None:
        if order.status == OrderStatus.PROCESSING and order.submitted_at is None:  # never sent
            return order_update(
                order=order,
                source=OrderEvent.Source.SWEEPER,
                status=OrderStatus.EXPIRED,
                error=_("보내지 못한 주문입니다: 작업이 보내기 전에 끝났습니다 (client id로 확인)"),
                detail="never sent, not on the exchange after the stuck period",
            )
        if order.status == OrderStatus.PROCESSING and _may_exist(order):
            logger.warning("order %s: not visible yet; looking again next pass", order.client_order_id)
            return order
        if order.status == OrderStatus.PROCESSING:  # sent, but never reached the exchange
            return order_update(
                order=order,
                source=OrderEvent.Source.SWEEPER,
                status=OrderStatus.REJECTED,
                error=_("거래소에 도달하지 않은 주문입니다 (client id로 확인)"),
                detail="not on the exchange after the stuck period",
            )
        return order_update(
            order=order,
            source=source,
            status=OrderStatus.NOT_FOUND,
            error=_("거래소에서 주문을 찾을 수 없습니다"),
            detail="not found by id or client id",
        )
    if (
        state.status == order.status
        and state.filled <= order.filled_quantity
        and state.id == order.exchange_order_id
    ):
        return order  # nothing new: a second pass changes nothing
    if order.status == OrderStatus.PROCESSING:
        source = OrderEvent.Source.SWEEPER
        if order.quantity is None and state.amount:  # it died before recording its size
            order.quantity = state.amount
    return order_record_exchange_state(order=order, state=state, source=source, detail="synced")
