"""A webhook body → a validated, normalised `Signal` (CONTRACT.md "Fields")."""

from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from orders.models import OrderType
from webhooks import errors
from webhooks.normalize import (
    CANCEL_ALL,
    ORDER_ENTRY_FIELDS,
    currency_value,
    exchange_value,
    market_type_value,
    normalize_keys,
    order_type_value,
    side_value,
    symbol_value,
)
from webhooks.numbers import percentage, positive_decimal

KNOWN_FIELDS = {
    "group_name",
    "token",
    "exchange",
    "market_type",
    "currency",
    "symbol",
    "order_type",
    "side",
    "price",
    "stop_price",
    "qty_per",
    "orders",
    "signal_id",
    "max_delay",
}
REQUIRED_ORDER_FIELDS = ["exchange", "market_type", "currency", "symbol", "order_type", "side"]
DEFAULT_QTY_PER = Decimal("100")
MAX_DELAY_LIMIT = Decimal("86400")  # a day: past that a "signal" is no longer a signal


@dataclass(frozen=True)
class OrderLeg:
    price: Decimal | None
    stop_price: Decimal | None
    qty_per: Decimal


@dataclass(frozen=True)
class Signal:
    action: str  # trading_signal | batch_trading_signal | cancel_all_orders
    group_name: str
    token: str = field(repr=False)
    order_type: str
    exchange: str | None = None
    market_type: str | None = None
    currency: str | None = None
    base: str | None = None
    side: str | None = None
    legs: tuple[OrderLeg, ...] = ()
    signal_id: str | None = None
    max_delay: Decimal | None = None  # seconds; the stale-signal guard's limit for this signal
    ignored_keys: tuple[str, ...] = ()

    @property
    def is_batch(self) -> bool:
        return self.action == "batch_trading_signal"

    @property
    def symbol(self) -> str | None:
        """The compact symbol the guide's responses show, e.g. BTCUSDT."""
        return f"{self.base}{self.currency}" if self.base else None

    @property
    def unified_symbol(self) -> str | None:
        """ccxt's symbol: BTC/USDT for spot, BTC/USDT:USDT for USDT-margined perpetuals."""
        if not self.base:
            return None
        if self.market_type == "FUTURES":
            return f"{self.base}/{self.currency}:{self.currency}"
        return f"{self.base}/{self.currency}"

    def as_log(self) -> dict:
        """The normalised signal for the webhook log: JSON-safe, without the token."""
        data = asdict(self)
        data.pop("token")
        data["symbol"] = self.symbol
        data["max_delay"] = str(self.max_delay) if self.max_delay is not None else None
        data["legs"] = [
            {k: (str(v) if v is not None else None) for k, v in asdict(leg).items()} for leg in self.legs
        ]
        return data


def _present(data: dict, name: str) -> bool:
    value = data.get(name)
    return value is not None and not (isinstance(value, str) and not value.strip())


def _require(data: dict, names: list[str]) -> None:
    for name in names:
        if not _present(data, name):
            raise errors.missing_field(name)


def parse_signal(payload: dict) -> Signal:
    """Validate and normalise a decoded JSON object. Raises WebhookError (4xx) on any defect."""
    data = normalize_keys(payload)
    _require(data, ["group_name", "token"])
    group_name = _plain_text(data, "group_name", 100)
    token = data["token"]
    if not isinstance(token, str):
        raise errors.invalid_token()
    signal_id = _signal_id(data)
    max_delay = _max_delay(data)
    ignored = tuple(sorted(k for k in data if k not in KNOWN_FIELDS))

    if _present(data, "order_type") and order_type_value(data["order_type"]) == CANCEL_ALL:
        return _cancel_signal(data, group_name, token, signal_id, ignored)

    _require(data, REQUIRED_ORDER_FIELDS)
    exchange = exchange_value(data["exchange"])
    market_type = market_type_value(data["market_type"])
    currency = currency_value(data["currency"])
    base, _quote = symbol_value(data["symbol"], currency=currency, market_type=market_type, exchange=exchange)
    order_type = order_type_value(data["order_type"])
    side = side_value(data["side"])
    if "orders" in data:
        action, legs = "batch_trading_signal", _batch_legs(data, order_type)
    else:
        action, legs = "trading_signal", (_leg(data, order_type, where=""),)
    return Signal(
        action=action,
        group_name=group_name,
        token=token,
        order_type=order_type,
        exchange=exchange,
        market_type=market_type,
        currency=currency,
        base=base,
        side=side,
        legs=legs,
        signal_id=signal_id,
        max_delay=max_delay,
        ignored_keys=ignored,
    )


def _plain_text(data: dict, name: str, max_length: int) -> str:
    value = data[name]
    if not isinstance(value, str) or len(value.strip()) > max_length:
        raise errors.invalid_field(name, value, _("%(n)d자 이하의 문자열이어야 합니다") % {"n": max_length})
    return value.strip()


def _signal_id(data: dict) -> str | None:
    if not _present(data, "signal_id"):
        return None
    value = data["signal_id"]
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise errors.invalid_field("signal_id", value, _("문자열이어야 합니다"))
    text = str(value).strip()
    if len(text) > 100:
        raise errors.invalid_field("signal_id", value, _("100자 이하여야 합니다"))
    return text


def _max_delay(data: dict) -> Decimal | None:
    """Seconds after arrival past which this signal's unsent orders are not sent (no effect on a
    cancel, which is always worth doing late)."""
    if not _present(data, "max_delay"):
        return None
    number = positive_decimal("max_delay", data["max_delay"])
    if number > MAX_DELAY_LIMIT:
        raise errors.invalid_field(
            "max_delay", data["max_delay"], _("%(n)d초 이하여야 합니다") % {"n": MAX_DELAY_LIMIT}
        )
    return number


def _cancel_signal(data, group_name, token, signal_id, ignored) -> Signal:
    exchange = exchange_value(data["exchange"]) if _present(data, "exchange") else None
    market_type = market_type_value(data["market_type"]) if _present(data, "market_type") else None
    base = currency = None
    if _present(data, "symbol"):
        currency = currency_value(data["currency"]) if _present(data, "currency") else "USDT"
        base, currency = symbol_value(
            data["symbol"], currency=currency, market_type=market_type or "FUTURES", exchange=exchange
        )
    return Signal(
        action="cancel_all_orders",
        group_name=group_name,
        token=token,
        order_type=CANCEL_ALL,
        exchange=exchange,
        market_type=market_type,
        currency=currency,
        base=base,
        signal_id=signal_id,
        ignored_keys=ignored,
    )


def _leg(entry: dict, order_type: str, *, where: str, qty_required: bool = False) -> OrderLeg:
    price = positive_decimal(where + "price", entry["price"]) if _present(entry, "price") else None
    stop = (
        positive_decimal(where + "stop_price", entry["stop_price"]) if _present(entry, "stop_price") else None
    )
    if order_type in OrderType.PRICED and price is None:
        raise errors.missing_field(where + "price")
    if order_type in OrderType.TRIGGERS and stop is None:
        raise errors.missing_field(where + "stop_price")
    if qty_required and not _present(entry, "qty_per"):
        raise errors.missing_field(where + "qty_per")
    qty_per = (
        percentage(where + "qty_per", entry["qty_per"]) if _present(entry, "qty_per") else DEFAULT_QTY_PER
    )
    return OrderLeg(price=price, stop_price=stop, qty_per=qty_per)


def _batch_legs(data: dict, order_type: str) -> tuple[OrderLeg, ...]:
    for name in ("price", "qty_per", "stop_price"):
        if _present(data, name):
            raise errors.invalid_field(name, data[name], _("배치 주문에서는 orders 배열 안에 넣어야 합니다"))
    entries = data["orders"]
    limit = settings.WEBHOOK_MAX_BATCH_ORDERS
    if not isinstance(entries, list) or not entries:
        raise errors.invalid_field(
            "orders",
            entries if not isinstance(entries, list) else "[]",
            _("주문 1개 이상의 배열이어야 합니다"),
        )
    if len(entries) > limit:
        raise errors.invalid_field(
            "orders", f"{len(entries)}개", _("최대 %(n)d개까지 가능합니다") % {"n": limit}
        )
    legs = []
    for index, raw in enumerate(entries):
        where = f"orders[{index}]."
        if not isinstance(raw, dict):
            raise errors.invalid_field(f"orders[{index}]", raw, _("객체여야 합니다"))
        entry = normalize_keys(raw, where=where)
        unknown = sorted(set(entry) - ORDER_ENTRY_FIELDS)
        if unknown:
            raise errors.invalid_field(
                where + unknown[0],
                entry[unknown[0]],
                _("orders 항목에는 price, stop_price, qty_per 만 쓸 수 있습니다"),
            )
        legs.append(_leg(entry, order_type, where=where, qty_required=True))
    total = sum(leg.qty_per for leg in legs)
    if total > 100:
        raise errors.invalid_field("orders", f"qty_per 합계 {total}", _("qty_per 합계는 100 이하여야 합니다"))
    return tuple(legs)
