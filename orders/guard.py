"""The stale-signal guard, and what a resumed job does first with each of its orders.

A signal is a decision taken at a price and a moment: an order that could not be sent soon after
its webhook arrived (workers down, a queue backlog) is not sent late. It ends EXPIRED with its
reason; an order that was never sent is never called REJECTED.
"""

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.exchange.types import ExchangeError
from orders.lifecycle import order_record_exchange_state, order_update
from orders.models import Order, OrderEvent, OrderStatus

logger = logging.getLogger(__name__)

SOURCE = OrderEvent.Source.WORKER


def signal_max_delay(*, signal_delay: Decimal | None, strategy, order_type: str) -> Decimal | None:
    """Seconds an order of this signal may wait to be sent: the signal's own `max_delay`, else
    the strategy's, else the setting for its order type; None (0 configured) means no limit."""
    if signal_delay is not None:
        return Decimal(signal_delay)
    if strategy.signal_max_delay is not None:
        return Decimal(strategy.signal_max_delay) or None
    default = (
        settings.SIGNAL_MAX_DELAY_SECONDS
        if order_type == "MARKET"
        else settings.SIGNAL_MAX_DELAY_OTHER_SECONDS
    )
    return Decimal(str(default)) or None


def signal_send_by(*, received_at: datetime, delay: Decimal | None) -> datetime | None:
    if delay is None:
        return None
    return received_at + timedelta(seconds=float(delay))


def expired_message(job) -> str:
    waited = (timezone.now() - job.created_at).total_seconds()
    limit = (job.send_by - job.created_at).total_seconds()
    return _(
        "신호 지연 한도 초과: 웹훅 수신 %(waited).0f초 후에도 보내지 못해 주문하지 않았습니다 "
        "(한도 %(limit).0f초, max_delay)"
    ) % {"waited": waited, "limit": limit}


def order_expire(*, order: Order, message: str, source: str = SOURCE) -> Order:
    logger.warning("order %s expired unsent: %s", order.client_order_id, message)
    return order_update(
        order=order, source=source, status=OrderStatus.EXPIRED, error=message, detail="not sent: " + message
    )


def order_before_send(*, client, job, order: Order, sent_before: datetime | None = None) -> Order | None:
    """Before (re)sending: an order an interrupted run may have sent is looked up by its client
    order id first, never sent blind; an unsent order past the guard expires. Returns the order,
    still PROCESSING when it should be sent now, or None when it is left to the order sweeper.

    `sent_before`: when any earlier create of it left at the latest (a resumed job: see
    leases.earlier_attempt_gone_before). Once that is ORDER_RESEND_AFTER_SECONDS ago, "no such
    order" is final and the order goes out as new, with no further look-ups."""
    if order.submitted_at is not None:
        try:
            state = client.find_order(
                symbol=order.symbol,
                market_type=order.market_type,
                client_order_id=order.client_order_id,
                is_trigger=order.order_type in ("STOP_LIMIT", "STOP_MARKET"),
            )
        except ExchangeError as error:  # cannot tell: send (which looks again) or leave to the sweeper
            logger.warning("order %s: lookup before resuming failed: %s", order.client_order_id, error)
            return None if _past_guard(job) else order
        if state is not None:
            return order_record_exchange_state(
                order=order, state=state, source=SOURCE, detail="resumed: found by client order id"
            )
        settled_by = sent_before and sent_before + timedelta(seconds=settings.ORDER_RESEND_AFTER_SECONDS)
        if settled_by and timezone.now() >= settled_by:
            # Proven absent: sent as new (its row keeps `submitted_at` until the outcome is written).
            order.submitted_at = None
    if _past_guard(job):
        return order_expire(order=order, message=expired_message(job))
    return order


def _past_guard(job) -> bool:
    return job.send_by is not None and timezone.now() > job.send_by
