"""How much to trade (CONTRACT.md "Sizing"). Pure functions: no database, no exchange."""

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from django.utils.translation import gettext as _

from accounts.exchange.types import MarketRules, OrderType, SizingError

HUNDRED = Decimal("100")


@dataclass(frozen=True)
class SizingInput:
    order_type: str
    side: str
    market_type: str
    qty_per: Decimal
    price: Decimal | None
    stop_price: Decimal | None
    last_price: Decimal | None
    allocated_capital: Decimal
    leverage: int
    position: Decimal  # this strategy's signed position on this account and symbol
    rules: MarketRules
    available: Decimal | None = None  # spot sells: the account's free balance of the coin
    slippage: Decimal = Decimal("0")  # MARKET buys: allowance for the price moving (0.002 = 0.2 %)


@dataclass(frozen=True)
class Sized:
    quantity: Decimal
    sizing_price: Decimal
    closing: bool
    reduce_only: bool
    capped_from: Decimal | None = None  # a spot sell cut to the free balance: what it asked for


def is_closing(*, side: str, market_type: str, position: Decimal) -> bool:
    if market_type == "SPOT":
        return side == "sell"
    return (side == "sell" and position > 0) or (side == "buy" and position < 0)


def sizing_price(*, order_type: str, price, stop_price, last_price) -> Decimal | None:
    if order_type in OrderType.PRICED:
        return price
    if order_type == OrderType.STOP_MARKET:
        return stop_price
    return price or last_price


def round_down(quantity: Decimal, step: Decimal) -> Decimal:
    return (quantity / step).to_integral_value(rounding=ROUND_DOWN) * step


def round_price(price: Decimal, tick: Decimal | None, side: str) -> Decimal:
    """To the market's tick, never worse than asked: buy prices round down, sell prices up."""
    if not tick:
        return price
    units = (price / tick).to_integral_value(rounding=ROUND_DOWN if side == "buy" else ROUND_UP)
    return units * tick


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def size_order(data: SizingInput) -> Sized:
    """The order's quantity in base units, rounded down to the step. Raises SizingError when the
    order must not be sent (no position to close, below the market's minimum, no capital)."""
    rules = data.rules
    price = sizing_price(
        order_type=data.order_type, price=data.price, stop_price=data.stop_price, last_price=data.last_price
    )
    if not price or price <= 0:
        raise SizingError(_("가격을 알 수 없어 수량을 계산할 수 없습니다"))
    closing = is_closing(side=data.side, market_type=data.market_type, position=data.position)
    if closing:
        if data.position == 0 or (data.market_type == "SPOT" and data.position < 0):
            raise SizingError(_("이 전략의 포지션이 없어 매도할 수 없습니다 (현물 공매도 불가)"))
        raw = abs(data.position) * data.qty_per / HUNDRED
    else:
        if data.allocated_capital <= 0:
            raise SizingError(_("배정 자본(allocated_capital)이 0입니다"))
        raw = _opening_quantity(data, price)
    capped_from = None
    if closing and data.market_type == "SPOT" and data.available is not None and raw > data.available:
        # fees, another strategy or a manual trade left less in the wallet than the position says
        capped_from, raw = raw, max(data.available, Decimal("0"))
    quantity = round_down(raw, rules.amount_step)
    reduce_only = closing and data.market_type == "FUTURES"
    if quantity <= 0 or (rules.min_amount and quantity < rules.min_amount):
        minimum = rules.min_amount or rules.amount_step
        raise SizingError(
            _("최소 주문 수량 미달: %(raw)s < 최소 %(minimum)s (부족 %(short)s, 단위 %(step)s)")
            % {
                "raw": _plain(raw),
                "minimum": _plain(minimum),
                "short": _plain(minimum - quantity),
                "step": _plain(rules.amount_step),
            }
        )
    if data.order_type == OrderType.MARKET and rules.max_market_amount and quantity > rules.max_market_amount:
        raise SizingError(
            _("시장가 최대 주문 수량 초과: %(quantity)s > 최대 %(maximum)s")
            % {"quantity": _plain(quantity), "maximum": _plain(rules.max_market_amount)}
        )
    notional = quantity * price
    if rules.min_cost and notional < rules.min_cost and not reduce_only:
        raise SizingError(
            _("최소 주문 금액 미달: %(notional)s < 최소 %(minimum)s (부족 %(short)s)")
            % {
                "notional": _plain(notional),
                "minimum": _plain(rules.min_cost),
                "short": _plain(rules.min_cost - notional),
            }
        )
    return Sized(
        quantity=quantity,
        sizing_price=price,
        closing=closing,
        reduce_only=reduce_only,
        capped_from=round_down(capped_from, rules.amount_step) if capped_from is not None else None,
    )


def _opening_quantity(data: SizingInput, price: Decimal) -> Decimal:
    """The quantity the capital buys once the exchange's charges are paid from it: on futures the
    margin check counts the fee to open (Binance -2019) and Bybit also the fee to close (110007),
    so twice the taker fee per unit of notional; a spot buy pays the fee once; a MARKET buy also
    leaves room for the price moving before it fills."""
    futures = data.market_type == "FUTURES"
    leverage = Decimal(data.leverage if futures else 1)
    charges = 1 + leverage * data.rules.taker_fee * (2 if futures else 1)
    if data.order_type == OrderType.MARKET and data.side == "buy":
        charges *= 1 + data.slippage
    return data.allocated_capital * data.qty_per / HUNDRED * leverage / price / charges
