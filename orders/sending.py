"""Sending one order's create and settling what it did (CONTRACT.md "Execution semantics").

After an unknown outcome (timeout, lost answer, 5xx, Bybit retCode 10000/10016) the order is sent
again only when a look-up has positively answered "no such order" at least
ORDER_RESEND_AFTER_SECONDS after the create: order histories lag, and Binance frees a filled
order's client id, so a blind resend can place a second order. A failed look-up leaves the order
PROCESSING for the sweeper; a duplicate-client-id refusal means the order exists.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.exchange.types import (
    AuthenticationFailed,
    DuplicateOrder,
    ExchangeError,
    ExchangeUnavailable,
    MarketRulesStale,
    OrderRejected,
    OrderRequest,
    RateLimited,
)
from orders.lifecycle import order_record_exchange_state, order_update
from orders.models import Order, OrderEvent, OrderStatus

logger = logging.getLogger(__name__)

ATTEMPTS = 3
BACKOFF_SECONDS = (0.2, 0.5, 1.0)
SOURCE = OrderEvent.Source.WORKER


def order_send(client, order: Order, request: OrderRequest, *, look_first: bool, context=None) -> Order:
    """Send the create; after an unknown outcome, send again only once a look-up has positively
    answered "no such order" ORDER_RESEND_AFTER_SECONDS after the create (CONTRACT.md). Raises
    MarketRulesStale (nothing placed) for the caller to reload markets and size again. `context`
    (the job's AccountContext) gets the stage times stamped, written with the job's end."""
    if look_first:
        settled = _settle_unknown(client, order, request, since=timezone.now(), error=None)
        if settled is not None:
            return settled
    last_error = None
    for attempt in range(ATTEMPTS):
        try:
            state = _create(client, request, context)
        except RateLimited as error:  # refused before anything was done: wait and resend
            last_error = error
            time.sleep(min(error.retry_after or BACKOFF_SECONDS[attempt], 10))
            continue
        except DuplicateOrder as error:  # our client id is taken: the order exists
            return _known_to_exist(client, order, request, error)
        except ExchangeUnavailable as error:  # may or may not have been placed
            last_error = error
            logger.warning("order %s: %s on attempt %s", order.client_order_id, error, attempt + 1)
            settled = _settle_unknown(client, order, request, since=timezone.now(), error=error)
            if settled is not None:
                return settled
            continue  # positively absent, long enough after the create: send again
        except AuthenticationFailed as error:  # refused at the door: nothing was placed
            order_update(
                order=order,
                source=SOURCE,
                status=OrderStatus.REJECTED,
                error=_("인증 실패: %(error)s") % {"error": error},
                detail=str(error),
            )
            raise
        except MarketRulesStale:
            raise
        except OrderRejected as error:
            if last_error is not None:  # a resend refused: perhaps the first create landed after all
                found = _look_up(client, order, request)
                if isinstance(found, Order):
                    return found
            return order_update(
                order=order, source=SOURCE, status=OrderStatus.REJECTED, error=str(error), detail=str(error)
            )
        # The job's last order, and no fill to fetch: nothing follows its write but the job's
        # close, which takes it along (one round trip less before the webhook's answer).
        last = context is not None and context.last_order_id == order.pk and request.order_type != "MARKET"
        return _settle_new(client, order, request, state, hold=last)
    return _leave_processing(order, last_error)


def _create(client, request: OrderRequest, context):
    """create_order, stamping the job's stage times in memory (sent, exchange answered)."""
    if context is not None and context.sent_at is None:
        context.sent_at = timezone.now()
    try:
        return client.create_order(request)
    finally:
        if context is not None:
            context.answered_at = timezone.now()


def _leave_processing(order: Order, error) -> Order:
    """The outcome stays unknown: the order stays PROCESSING for the sweeper, which settles it by
    client order id under the same rule."""
    message = _("거래소 응답 없음, 상태 미확인 (정리 작업이 client id로 확인합니다): %(error)s") % {
        "error": error
    }
    return order_update(order=order, source=SOURCE, error=message, detail=message)


def _settle_unknown(client, order: Order, request: OrderRequest, *, since, error) -> Order | None:
    """After a create with an unknown outcome (sent before `since`): the order as found, or the
    order left PROCESSING when a look-up fails; None only when look-ups positively found no such
    order, the last at least ORDER_RESEND_AFTER_SECONDS after `since`, so it may be sent again."""
    resend_at = since + timedelta(seconds=settings.ORDER_RESEND_AFTER_SECONDS)
    while True:
        outcome = _look_up(client, order, request)
        if isinstance(outcome, Order):
            return outcome
        if outcome is LOOKUP_FAILED:
            return _leave_processing(order, error or _("조회 실패"))
        wait = (resend_at - timezone.now()).total_seconds()
        if wait <= 0:
            return None
        # A just-created order can be missing from look-ups for a moment: ask again soon.
        time.sleep(min(wait, LOOKUP_POLL_SECONDS))


def _known_to_exist(client, order: Order, request: OrderRequest, error) -> Order:
    """A duplicate-id refusal: the exchange has an order with our client id. Never REJECTED; look
    for it while the history may lag, then leave it to the sweeper, which keeps looking."""
    order = order_update(order=order, source=SOURCE, known_on_exchange=True)
    deadline = time.monotonic() + settings.ORDER_RESEND_AFTER_SECONDS
    for delay in (0.0, *BACKOFF_SECONDS, settings.ORDER_RESEND_AFTER_SECONDS):
        time.sleep(max(0.0, min(delay, deadline - time.monotonic())))
        outcome = _look_up(client, order, request)
        if isinstance(outcome, Order):
            return outcome
        if time.monotonic() >= deadline:
            break
    message = _("거래소에 같은 client id의 주문이 있습니다; 정리 작업이 계속 확인합니다: %(error)s") % {
        "error": error
    }
    return order_update(order=order, source=SOURCE, error=message, detail=message)


LOOKUP_FAILED = object()
LOOKUP_ABSENT = object()
LOOKUP_TRIES = 3
LOOKUP_POLL_SECONDS = 1.0


def _look_up(client, order: Order, request: OrderRequest):
    """The order found by client order id (recorded), LOOKUP_ABSENT when the exchange positively
    answered that it has none, or LOOKUP_FAILED when it could not answer (never "absent")."""
    for attempt in range(LOOKUP_TRIES):
        try:
            state = client.find_order(
                symbol=order.symbol,
                market_type=order.market_type,
                client_order_id=order.client_order_id,
                is_trigger=request.is_trigger,
            )
            break
        except RateLimited as error:  # nothing was answered yet: wait, ask again
            logger.warning("order %s: lookup rate limited: %s", order.client_order_id, error)
            time.sleep(min(error.retry_after or BACKOFF_SECONDS[attempt], 10))
        except ExchangeUnavailable as error:  # a look-up changes nothing: asking again is safe
            logger.warning("order %s: lookup failed: %s", order.client_order_id, error)
            time.sleep(BACKOFF_SECONDS[attempt])
        except ExchangeError as error:
            logger.warning("order %s: lookup failed: %s", order.client_order_id, error)
            return LOOKUP_FAILED
    else:
        return LOOKUP_FAILED
    if state is None:
        return LOOKUP_ABSENT
    return order_record_exchange_state(
        order=order, state=state, source=SOURCE, detail="found by client order id"
    )


def _settle_new(client, order: Order, request: OrderRequest, state, *, hold: bool = False) -> Order:
    """Record the create answer; a MARKET order's fill is fetched at once (Bybit and OKX answer a
    create with ids only) so that the very next signal can close what this one opened. `hold`:
    the write may go out with the job's close (never for a MARKET order: a request follows)."""
    order = order_record_exchange_state(order=order, state=state, source=SOURCE, detail="placed", hold=hold)
    if (
        request.order_type == "MARKET"
        and order.status not in (OrderStatus.FILLED, OrderStatus.REJECTED)
        and state.id
    ):
        for delay in (0.0, 0.05, 0.2):
            time.sleep(delay)
            try:
                fetched = client.fetch_order(
                    symbol=order.symbol, market_type=order.market_type, order_id=state.id, is_trigger=False
                )
            except ExchangeError as error:
                logger.warning("order %s: fill fetch failed: %s", order.client_order_id, error)
                continue
            order = order_record_exchange_state(
                order=order, state=fetched, source=SOURCE, detail="fill fetched"
            )
            if order.status == OrderStatus.FILLED:
                break
    return order
