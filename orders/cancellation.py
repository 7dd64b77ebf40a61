"""Cancel-all for one strategy on one account (CONTRACT.md "Cancel-all").

Only the orders this strategy placed, trigger orders included, optionally filtered by exchange,
market type and symbol. An order the exchange reports as already filled or cancelled is
reconciled, not counted as a failure.
"""

import logging

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.exchange import client as exchange
from accounts.exchange.types import ExchangeError, OrderNotFound, OrderRejected
from orders.lifecycle import order_record_exchange_state, order_update
from orders.models import OPEN_STATUSES, Order, OrderEvent, OrderStatus

logger = logging.getLogger(__name__)

CANCELLED, ALREADY_CLOSED, FAILED = "cancelled", "already_closed", "failed"
NOT_FOUND_MESSAGE = gettext_noop("거래소에서 주문을 찾을 수 없습니다")


def cancellable_orders(*, strategy_id: int | None, account_id: int, filters: dict):
    """This strategy's (or, without one, every strategy's) open orders on the account, filtered."""
    queryset = Order.objects.filter(account_id=account_id, status__in=OPEN_STATUSES)
    if strategy_id is not None:
        queryset = queryset.filter(strategy_id=strategy_id)
    if filters.get("exchange"):
        queryset = queryset.filter(account__exchange=filters["exchange"])
    if filters.get("market_type"):
        queryset = queryset.filter(market_type=filters["market_type"])
    if filters.get("base"):
        pair = f"{filters['base']}/{filters.get('quote') or 'USDT'}"
        queryset = queryset.filter(Q(symbol=pair) | Q(symbol__startswith=pair + ":"))
    return queryset.order_by("id")


def account_cancel_execute(*, job) -> dict:
    """A webhook's cancel job: cancel the job's strategy's orders on its account."""
    return account_cancel(
        account=job.account,
        strategy_id=job.strategy_id,
        filters=job.filters,
        source=OrderEvent.Source.WEBHOOK,
    )


def account_cancel(
    *, account, strategy_id: int | None, filters: dict, source: str, include_untracked: bool = False
) -> dict:
    """Cancel the matching tracked orders (and, with include_untracked, foreign orders on the
    symbol); returns the response's per-account counts. Raises only if no client can be built."""
    counts = {CANCELLED: 0, ALREADY_CLOSED: 0, FAILED: 0}
    details = []
    orders = list(cancellable_orders(strategy_id=strategy_id, account_id=account.pk, filters=filters))
    client = exchange.client_for(account) if orders or include_untracked else None
    for order in orders:
        outcome, order = order_cancel(client=client, order=order, source=source)
        counts[outcome] += 1
        details.append(
            {
                "client_order_id": order.client_order_id,
                "order_id": order.exchange_order_id or None,
                "symbol": order.symbol,
                "status": order.status,
                "outcome": outcome,
                **({"error": order.error} if outcome == FAILED else {}),
            }
        )
    result = {
        "cancelled_orders": counts[CANCELLED],
        "failed_orders": counts[FAILED],
        "already_closed_orders": counts[ALREADY_CLOSED],
        "orders": details,
    }
    if include_untracked:
        untracked, untracked_failed = untracked_cancel(client=client, account=account, filters=filters)
        result["untracked_cancelled_orders"] = untracked
        result["failed_orders"] += untracked_failed
    return result


def order_cancel(*, client, order: Order, source: str) -> tuple[str, Order]:
    """Cancel one order and record the result; returns (outcome, order). Never raises for exchange
    errors: a failed cancel leaves the order open with the error noted."""
    is_trigger = order.is_trigger
    if not order.exchange_order_id:  # its create answer was lost: find it by client order id
        return _reconcile(client, order, is_trigger, source, refusal=OrderNotFound("no exchange order id"))
    try:
        client.cancel_order(
            symbol=order.symbol,
            market_type=order.market_type,
            order_id=order.exchange_order_id,
            is_trigger=is_trigger,
        )
    except (OrderNotFound, OrderRejected) as error:
        # Refused: often because it is no longer open (filled, cancelled, or a fired trigger
        # order whose live part is the order it became). Ask before calling it a failure.
        return _reconcile(client, order, is_trigger, source, refusal=error)
    except ExchangeError as error:
        return _failed(order, error)
    try:
        state = _state(client, order, is_trigger)
    except ExchangeError as error:
        # Cancelled, but with fills we cannot see now: leave the order to the next sync, which
        # records its final state and fills, rather than close it here without them.
        logger.warning(
            "cancel %s accepted; state unknown until the next sync: %s", order.client_order_id, error
        )
        return CANCELLED, order
    if state is not None and state.status in OPEN_STATUSES and state.triggered_order_id:
        return _cancel_fired(client, order, state, source)  # only the trigger part was cancelled
    if state is None:
        return CANCELLED, order_update(
            order=order, source=source, status=OrderStatus.CANCELLED, detail="cancelled"
        )
    if state.status in OPEN_STATUSES:  # the exchange accepted the cancel but lists it a moment longer
        state.status = OrderStatus.CANCELLED
    order = order_record_exchange_state(order=order, state=state, source=source, detail="cancelled")
    return (CANCELLED if order.status == OrderStatus.CANCELLED else ALREADY_CLOSED), order


def _state(client, order: Order, is_trigger: bool):
    """Where the order stands, following a fired trigger order to the order it became."""
    return client.order_state(
        symbol=order.symbol,
        market_type=order.market_type,
        order_id=order.exchange_order_id or None,
        client_order_id=order.client_order_id,
        is_trigger=is_trigger,
    )


def _failed(order: Order, error: Exception) -> tuple[str, Order]:
    logger.warning("cancel %s failed: %s", order.client_order_id, error)
    order.error = (_("취소 실패: %(error)s") % {"error": error})[:2000]
    order.save(update_fields=["error", "updated_at"])
    return FAILED, order


def _cancel_fired(client, order: Order, state, source: str) -> tuple[str, Order]:
    """A stop order that fired lives on as a regular order (Binance actualOrderId, OKX ordId;
    Bybit keeps the id): cancel that one."""
    try:
        client.cancel_order(
            symbol=order.symbol,
            market_type=order.market_type,
            order_id=state.triggered_order_id,
            is_trigger=False,
        )
    except ExchangeError as error:
        return _failed(order, error)
    state.status = OrderStatus.CANCELLED
    return CANCELLED, order_record_exchange_state(
        order=order, state=state, source=source, detail="cancelled the order its trigger became"
    )


def _reconcile(client, order: Order, is_trigger: bool, source: str, refusal: Exception) -> tuple[str, Order]:
    """The exchange refused the cancel: learn why instead of assuming."""
    try:
        state = _state(client, order, is_trigger)
    except ExchangeError as error:
        return _failed(order, error)
    if state is None:
        return ALREADY_CLOSED, order_update(
            order=order,
            source=source,
            status=OrderStatus.NOT_FOUND,
            error=_(NOT_FOUND_MESSAGE),
            detail="not found while cancelling",
        )
    if state.status in OPEN_STATUSES and state.triggered_order_id:
        return _cancel_fired(client, order, state, source)
    if state.status in OPEN_STATUSES and state.id and not order.exchange_order_id:
        order = order_record_exchange_state(
            order=order, state=state, source=source, detail="found by client id"
        )
        return order_cancel(client=client, order=order, source=source)  # now with its id
    if state.status in OPEN_STATUSES:  # still open: the refusal was real
        return _failed(order, refusal)
    return ALREADY_CLOSED, order_record_exchange_state(
        order=order, state=state, source=source, detail="already closed when cancelling"
    )


def untracked_cancel(*, client, account, filters: dict) -> tuple[int, int]:
    """Cancel the open orders on the filtered symbol that this system never placed; returns
    (cancelled, failed)."""
    # Listed and cancelled one by one rather than with the exchange's cancel-all, which would also
    # cancel the other strategies' orders on a shared account (the old system's defect).
    if not filters.get("base"):
        return 0, 0
    quote = filters.get("quote") or "USDT"
    symbols = {"SPOT": f"{filters['base']}/{quote}", "FUTURES": f"{filters['base']}/{quote}:{quote}"}
    markets = [filters["market_type"]] if filters.get("market_type") else ["SPOT", "FUTURES"]
    cancelled = failed = 0
    for market_type in markets:
        try:
            open_now = client.open_orders(symbol=symbols[market_type], market_type=market_type)
        except OrderRejected as error:  # e.g. no such market on this exchange: nothing to cancel
            logger.info("account %s: no %s orders to list: %s", account.pk, market_type, error)
            continue
        except ExchangeError as error:
            logger.warning("account %s: cannot list %s orders: %s", account.pk, market_type, error)
            failed += 1
            continue
        ours = set(
            Order.objects.filter(
                client_order_id__in=[o.client_order_id for o in open_now if o.client_order_id]
            ).values_list("client_order_id", flat=True)
        )
        for found in open_now:
            if found.client_order_id and found.client_order_id in ours:
                continue
            try:
                client.cancel_order(
                    symbol=symbols[market_type],
                    market_type=market_type,
                    order_id=found.id,
                    is_trigger=found.is_trigger,
                )
                cancelled += 1
            except ExchangeError as error:
                logger.warning(
                    "account %s: untracked order %s not cancelled: %s", account.pk, found.id, error
                )
                failed += 1
    logger.info("account %s: %s untracked orders cancelled, %s failed", account.pk, cancelled, failed)
    return cancelled, failed
