"""Placing one account's orders of one signal, in sequence (CONTRACT.md "Execution semantics").

Retries are ours and only for errors that cannot have done anything, or after looking the order
up by its client order id: a timeout or a lost response never produces a second order.
"""

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.exchange import client as exchange
from accounts.exchange.types import (
    AuthenticationFailed,
    ExchangeError,
    MarketRulesStale,
    OrderRequest,
    SizingError,
)
from accounts.models import AccountSymbolSetting
from orders import guard
from orders.leases import earlier_attempt_gone_before
from orders.lifecycle import order_stage, order_update
from orders.models import Order, OrderStatus, OrderType
from orders.positions import open_symbols, position_quantity
from orders.reads import job_orders
from orders.sending import SOURCE, order_send
from orders.sizing import SizingInput, round_price, size_order

logger = logging.getLogger(__name__)


def account_orders_execute(*, job, orders: list[Order] | None = None, still_ours=None) -> dict:
    """Place the job's PROCESSING orders one after another. Never raises for exchange errors:
    each order ends with its status and error recorded. `still_ours()` False (the job's lease
    went to another worker) stops before the next order. Returns the job's stage times
    (`sent_at`, `exchange_answered_at`) for the job's closing UPDATE. `orders`: the job's orders
    as reads.job_orders() gives them, when the claim already read them (leases.job_claim_with_orders)."""
    # What sizing and leverage need comes with the orders, in one round trip: the position at
    # the start of the job (a batch's legs are shares of the same position: their qty_per add up
    # to at most 100) and the leverage last set on the exchange.
    if orders is None:
        orders = job_orders(webhook_log_id=job.webhook_log_id, account_id=job.account_id)
    context = AccountContext.of(orders[0]) if orders else None
    if context is not None:
        context.last_order_id = orders[-1].pk
    sent_before = None
    if job.attempts > 1:  # the earlier attempt wrote nothing before its creates: any may have left
        sent_before = earlier_attempt_gone_before(timezone.now())
        orders = [_possibly_sent(order, job) for order in orders]
    try:
        client = exchange.client_for(orders[0].account if orders else job.account)
    except Exception as error:  # decryption or configuration: nothing can be sent
        logger.exception("account %s: cannot build exchange client", job.account_id)
        _reject_rest(
            orders, _("거래소 클라이언트를 만들 수 없습니다: %(error)s") % {"error": type(error).__name__}
        )
        raise
    for position, order in enumerate(orders):
        if order.status != OrderStatus.PROCESSING:
            continue  # already settled by an earlier run
        if still_ours is not None and not still_ours():
            logger.warning("job %s: lease lost; the worker that took it over carries on", job.pk)
            return
        order = guard.order_before_send(client=client, job=job, order=order, sent_before=sent_before)
        if order is None or order.status != OrderStatus.PROCESSING:
            continue
        try:
            order_place(client=client, order=order, context=context)
        except AuthenticationFailed as error:
            _reject_rest(orders[position:], _("인증 실패: %(error)s") % {"error": error})
            break
    return context.stages() if context else {}


def _possibly_sent(order: Order, job) -> Order:
    """A resumed job's unsettled order: written as possibly sent (`submitted_at`) before
    anything else, so that this attempt, a later one and the order sweeper all look it up by
    client order id before they send it again or call it unsent."""
    if order.status != OrderStatus.PROCESSING or order.submitted_at is not None:
        return order
    return order_update(
        order=order, source=SOURCE, submitted_at=job.started_at or timezone.now(), detail="resumed"
    )


def _reject_rest(orders, message: str) -> None:
    for order in orders:
        if order.status == OrderStatus.PROCESSING and not order.submitted_at:
            order_update(
                order=order, source=SOURCE, status=OrderStatus.REJECTED, error=message, detail=message
            )


@dataclass
class AccountContext:
    """What one job knows of its account and symbol when it starts."""

    position: Decimal
    leverage: int | None
    margin_mode: str | None
    last_order_id: int | None = None  # the job's last order: its write may go with the job's close
    sent_at: datetime | None = None  # the first order left for the exchange
    answered_at: datetime | None = None  # the exchange's last answer to an order

    def stages(self) -> dict:
        return {"sent_at": self.sent_at, "exchange_answered_at": self.answered_at}

    @classmethod
    def of(cls, order: Order) -> "AccountContext":
        return cls(
            position=order.position_at_start or Decimal("0"),
            leverage=order.leverage_on_exchange,
            margin_mode=order.margin_on_exchange,
        )

    @classmethod
    def load(cls, order: Order) -> "AccountContext":
        setting = AccountSymbolSetting.objects.filter(
            account_id=order.account_id, symbol=order.symbol
        ).first()
        return cls(
            position=position_quantity(link_id=order.link_id, symbol=order.symbol),
            leverage=setting.leverage if setting else None,
            margin_mode=setting.margin_mode if setting else None,
        )


def order_place(*, client, order: Order, context: AccountContext | None = None) -> Order:
    """Size, price and send one order; record what the exchange says. Raises AuthenticationFailed."""
    context = context or AccountContext.load(order)
    look_first = order.submitted_at is not None  # an earlier run may have placed it
    try:
        return _place(client, order, context, look_first=look_first)
    except MarketRulesStale as error:  # refused, nothing placed: our symbols, ticks or steps are old
        logger.info("order %s: %s; markets reloaded, sizing again", order.client_order_id, error)
    try:
        client.reload_markets()
        return _place(client, order, context, look_first=False)  # the create was refused
    except AuthenticationFailed:
        raise
    except ExchangeError as error:  # stale again, or the reload failed: nothing was placed
        return order_update(
            order=order, source=SOURCE, status=OrderStatus.REJECTED, error=str(error), detail=str(error)
        )


def _place(client, order: Order, context: AccountContext, *, look_first: bool) -> Order:
    link = order.link
    try:
        rules = client.market_rules(order.symbol)
        position = context.position
        last_price = None
        needs_reference = client.needs_reference_price(
            order_type=order.order_type, market_type=order.market_type
        )
        if (order.order_type == "MARKET" and order.price is None) or needs_reference:
            last_price = client.last_price(order.symbol, order.market_type)
        sized = size_order(
            SizingInput(
                order_type=order.order_type,
                side=order.side,
                market_type=order.market_type,
                qty_per=order.qty_per,
                price=order.price,
                stop_price=order.stop_price,
                last_price=last_price,
                allocated_capital=link.allocated_capital,
                leverage=link.leverage,
                position=position,
                rules=rules,
                available=_spot_available(client, order, rules),
                slippage=Decimal(str(settings.ORDER_MARKET_SLIPPAGE)),
            )
        )
        if order.market_type == "FUTURES" and client.hedge_mode(order.symbol):
            raise SizingError(
                _("헤지 모드(양방향) 계정은 아직 지원하지 않습니다: 단방향(one-way) 모드로 바꿔 주세요")
            )
        if sized.reduce_only and not _net_covers(client, order, sized.quantity):
            # One-way mode nets every strategy on the account: the exchange judges reduceOnly
            # against the net position (Binance -2022, Bybit 110017), so a close the net does not
            # cover goes out as a plain order, whose net effect is what both strategies mean.
            sized = replace(sized, reduce_only=False)
        if not sized.closing:
            _check_max_symbols(link, order.symbol)
            if order.market_type == "FUTURES":
                _check_bracket(client, order, link, sized)
        # A close never changes leverage: the exchange may refuse the change (Binance -4161 with
        # an open isolated position, -2027 above the bracket) and the close must still go out.
        if order.market_type == "FUTURES" and not sized.closing:
            _ensure_leverage(client, order, link, context)
    except AuthenticationFailed:
        raise
    except (SizingError, ExchangeError) as error:  # nothing was sent: the account's result says why
        return order_update(
            order=order,
            source=SOURCE,
            status=OrderStatus.REJECTED,
            error=str(error),
            detail="not sent: " + str(error),
        )

    price = round_price(order.price, rules.price_tick, order.side) if order.price is not None else None
    stop = (
        round_price(order.stop_price, rules.price_tick, order.side) if order.stop_price is not None else None
    )
    if sized.capped_from is not None:
        note = _("지갑 잔고만큼으로 줄였습니다: %(asked)s → %(quantity)s %(coin)s") % {
            "asked": format(sized.capped_from.normalize(), "f"),
            "quantity": format(sized.quantity.normalize(), "f"),
            "coin": rules.base,
        }
        logger.info("order %s: %s", order.client_order_id, note)
        order = order_stage(order=order, note=note)
    request = OrderRequest(
        symbol=order.symbol,
        market_type=order.market_type,
        order_type=order.order_type,
        side=order.side,
        amount=sized.quantity,
        client_order_id=order.client_order_id,
        price=price if order.order_type in OrderType.PRICED else None,
        stop_price=stop,
        reduce_only=sized.reduce_only,
        reference_price=last_price,
    )
    # Staged, not written: the create's outcome is written with them (lifecycle.order_stage).
    order = order_stage(
        order=order,
        quantity=sized.quantity,
        reduce_only=sized.reduce_only,
        price=request.price if request.price is not None else order.price,
        stop_price=stop,
        submitted_at=order.submitted_at or timezone.now(),
    )
    return order_send(client, order, request, look_first=look_first, context=context)


def _ensure_leverage(client, order: Order, link, context: AccountContext) -> None:
    """Set the link's leverage on the exchange before the first order on a symbol, and again only
    when it (or the account's margin mode) changed."""
    account = order.account
    if context.leverage == link.leverage and context.margin_mode == account.margin_mode:
        return
    if context.margin_mode != account.margin_mode:  # before the leverage: it is set per mode
        client.apply_margin_mode(order.symbol, account.margin_mode)
    client.set_leverage(order.symbol, link.leverage, account.margin_mode)
    AccountSymbolSetting.objects.update_or_create(
        account=account,
        symbol=order.symbol,
        defaults={"leverage": link.leverage, "margin_mode": account.margin_mode},
    )
    context.leverage, context.margin_mode = link.leverage, account.margin_mode
    logger.info("account %s: leverage %s set on %s", account.pk, link.leverage, order.symbol)


def _check_bracket(client, order: Order, link, sized) -> None:
    """Refuse up front what the leverage bracket would (Binance -2027): an order above the cap
    of the link's leverage on its own, unless it reduces the account's position below it."""
    cap = client.max_position_notional(order.symbol, link.leverage)
    if cap is None or sized.quantity * sized.sizing_price <= cap:
        # Within the cap on its own: what it adds to the account's position is the exchange's to
        # judge (-2027, nothing placed). Asking for the position first would put a positions
        # request between every futures signal and its order.
        return
    net = client.net_position(order.symbol)
    after = abs(net + (sized.quantity if order.side == "buy" else -sized.quantity))
    notional = after * sized.sizing_price
    if notional > cap:
        raise SizingError(
            _("레버리지 구간 한도 초과: 포지션 %(notional)s > 레버리지 %(leverage)sx 한도 %(cap)s")
            % {
                "notional": format(notional.quantize(Decimal("0.01")), "f"),
                "leverage": link.leverage,
                "cap": format(cap.normalize(), "f"),
            }
        )


def _net_covers(client, order: Order, quantity: Decimal) -> bool:
    """Whether the account's net position on the exchange has `quantity` to reduce on the side
    this order closes."""
    net = client.net_position(order.symbol)
    return net >= quantity if order.side == "sell" else -net >= quantity


def _spot_available(client, order: Order, rules) -> Decimal | None:
    """A spot sell never asks for more than the wallet's free coin (Binance -2010, Bybit 170131,
    OKX 51008), nor sells coins another strategy on the account holds beyond what is free."""
    if order.market_type != "SPOT" or order.side != "sell" or not rules.base:
        return None
    return client.balance("SPOT", rules.base, part="free")


def _check_max_symbols(link, symbol: str) -> None:
    if not link.max_symbols:
        return
    held = open_symbols(link_id=link.pk) - {symbol}
    if len(held) >= link.max_symbols:
        raise SizingError(
            _("최대 심볼 수 초과: 이미 %(held)s개 보유 (max_symbols=%(max)s)")
            % {"held": len(held), "max": link.max_symbols}
        )
