"""Cancel-all for one strategy on one account (CONTRACT.md "Cancel-all").

Only the orders this strategy placed, trigger orders included, optionally filtered by market
type and symbol. An order the exchange reports as already filled or cancelled is reconciled,
not counted as a failure.
"""

import logging

from django.db.models import Q

from orders import exchange
from orders.exchange_types import ExchangeError, OrderNotFound
from orders.lifecycle import order_record_exchange_state, order_update
from orders.models import OPEN_STATUSES, Order, OrderEvent, OrderStatus

logger = logging.getLogger(__name__)


def cancellable_orders(*, strategy_id: int | None, account_id: int, filters: dict):
    """This strategy's (or, without one, every strategy's) open orders on the account, matching
    the filters."""
    queryset = Order.objects.filter(account_id=account_id, status__in=OPEN_STATUSES)
    if strategy_id is not None:
        queryset = queryset.filter(strategy_id=strategy_id)
    if filters.get("market_type"):
        queryset = queryset.filter(market_type=filters["market_type"])
    if filters.get("base"):
        pair = f"{filters['base']}/{filters.get('quote') or 'USDT'}"
        queryset = queryset.filter(Q(symbol=pair) | Q(symbol__startswith=pair + ":"))
    return queryset.order_by("id")


CANCELLED, ALREADY_CLOSED, FAILED = "cancelled", "already_closed", "failed"


def account_cancel_execute(*, job, source: str = OrderEvent.Source.WEBHOOK) -> dict:
    """Cancel the job's orders one by one; returns the per-account counts of the response."""
    client = exchange.client_for(job.account)
    counts = {CANCELLED: 0, ALREADY_CLOSED: 0, FAILED: 0}
    details = []
    for order in cancellable_orders(
        strategy_id=job.strategy_id, account_id=job.account_id, filters=job.filters
    ):
        outcome, order = order_cancel(client=client, order=order, source=source)
        counts[outcome] += 1
        details.append(
            {
                "client_order_id": order.client_order_id,
                "order_id": order.exchange_order_id or None,
                "symbol": order.symbol,
                "status": order.status,
                "outcome": outcome,
            }
        )
    return {
        "cancelled_orders": counts[CANCELLED],
        "failed_orders": counts[FAILED],
        "already_closed_orders": counts[ALREADY_CLOSED],
        "orders": details,
    }


def order_cancel(*, client, order: Order, source: str) -> tuple[str, Order]:
    """Cancel one order on the exchange and record the result; returns (outcome, order). Never
    raises for exchange errors: a failed cancel leaves the order open with the error noted."""
    is_trigger = order.order_type in ("STOP_LIMIT", "STOP_MARKET")
    try:
        client.cancel_order(
            symbol=order.symbol,
            market_type=order.market_type,
            order_id=order.exchange_order_id,
            is_trigger=is_trigger,
        )
    except OrderNotFound:
        return _reconcile(client, order, is_trigger, source)
    except ExchangeError as error:
        logger.warning("cancel %s failed: %s", order.client_order_id, error)
        order.error = f"취소 실패: {error}"
        order.save(update_fields=["error", "updated_at"])
        return FAILED, order
    state = _fetch_state(client, order, is_trigger)
    if state is None:
        return CANCELLED, order_update(
            order=order, source=source, status=OrderStatus.CANCELLED, detail="cancelled"
        )
    if state.status in OPEN_STATUSES:  # the exchange has not caught up with its own cancel yet
        state.status = OrderStatus.CANCELLED
    order = order_record_exchange_state(order=order, state=state, source=source, detail="cancelled")
    return (CANCELLED if order.status == OrderStatus.CANCELLED else ALREADY_CLOSED), order


def _fetch_state(client, order: Order, is_trigger: bool):
    try:
        return client.find_order(
            symbol=order.symbol,
            market_type=order.market_type,
            client_order_id=order.client_order_id,
            is_trigger=is_trigger,
        )
    except ExchangeError:
        return None


def _reconcile(client, order: Order, is_trigger: bool, source: str) -> tuple[str, Order]:
    """The exchange says there is nothing to cancel: learn why instead of assuming. A fired stop
    order lives on as the order it became; that one is cancelled instead."""
    try:
        state = client.order_state(
            symbol=order.symbol,
            market_type=order.market_type,
            order_id=order.exchange_order_id or None,
            client_order_id=order.client_order_id,
            is_trigger=is_trigger,
        )
    except ExchangeError:
        state = None
    if state is not None and state.status in OPEN_STATUSES and state.triggered_order_id:
        try:
            client.cancel_order(
                symbol=order.symbol,
                market_type=order.market_type,
                order_id=state.triggered_order_id,
                is_trigger=False,
            )
        except ExchangeError as error:
            order.error = f"취소 실패: {error}"
            order.save(update_fields=["error", "updated_at"])
            return FAILED, order
        state.status = OrderStatus.CANCELLED
        return CANCELLED, order_record_exchange_state(
            order=order, state=state, source=source, detail="cancelled the order its trigger became"
        )
    if state is None:
        return ALREADY_CLOSED, order_update(
            order=order,
            source=source,
            status=OrderStatus.NOT_FOUND,
            error="거래소에서 주문을 찾을 수 없습니다",
            detail="not found while cancelling",
        )
    return ALREADY_CLOSED, order_record_exchange_state(
        order=order, state=state, source=source, detail="already closed"
    )
