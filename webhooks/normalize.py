"""Field normalisation ("필드 표준화"): key spellings, aliases and value variants.

Lenient in spelling, strict in meaning: `orderType`, `order-type` and `ORDER_TYPE` all mean
`order_type`, but two spellings of one field with different values, or a value we do not know,
are errors, never a silent choice.
"""

import re

from django.utils.translation import gettext as _

from orders.models import OrderType
from webhooks import errors

KEY_ALIASES = {"platform": "exchange", "user_token": "token", "type": "order_type"}
ORDER_ENTRY_FIELDS = {"price", "stop_price", "qty_per"}

EXCHANGES = {"BINANCE", "BYBIT", "OKX"}
MARKET_TYPES = {
    "SPOT": "SPOT",
    "CASH": "SPOT",
    "FUTURE": "FUTURES",
    "FUTURES": "FUTURES",
    "PERP": "FUTURES",
    "PERPETUAL": "FUTURES",
    "SWAP": "FUTURES",
    "LINEAR": "FUTURES",
}
ORDER_TYPES = set(OrderType.values)
CANCEL_ALL = "CANCEL_ALL_ORDER"
CANCEL_ALL_SPELLINGS = {"CANCEL_ALL_ORDER", "CANCEL_ALL_ORDERS"}
SIDES = {"buy": "buy", "long": "buy", "sell": "sell", "short": "sell"}

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def normalize_key(key: str) -> str:
    snake = _CAMEL_BOUNDARY.sub("_", key.strip())
    snake = re.sub(r"[\s\-]+", "_", snake).lower()
    return KEY_ALIASES.get(snake, snake)


def normalize_keys(pairs: dict, *, where: str = "") -> dict:
    """Map every key to its canonical name; refuse two spellings with different values."""
    result: dict = {}
    spelled: dict = {}
    for key, value in pairs.items():
        if not isinstance(key, str):
            continue
        canonical = normalize_key(key)
        if canonical in result and result[canonical] != value:
            raise errors.WebhookError(
                _("필드 충돌: %(where)s%(first)s 와 %(second)s 의 값이 다릅니다")
                % {"where": where, "first": spelled[canonical], "second": key},
                code="conflicting_fields",
            )
        result[canonical] = value
        spelled.setdefault(canonical, key)
    return result


def _text(field: str, value) -> str:
    if not isinstance(value, str):
        raise errors.invalid_field(field, value, _("문자열이어야 합니다"))
    return value.strip()


def exchange_value(value) -> str:
    text = _text("exchange", value).upper()
    if text not in EXCHANGES:
        raise errors.invalid_field("exchange", value, "BINANCE, BYBIT, OKX")
    return text


def market_type_value(value) -> str:
    text = _text("market_type", value).upper()
    if text not in MARKET_TYPES:
        raise errors.invalid_field("market_type", value, "SPOT, FUTURES")
    return MARKET_TYPES[text]


def order_type_value(value) -> str:
    text = re.sub(r"[\s\-]+", "_", _text("order_type", value)).upper()
    if text in CANCEL_ALL_SPELLINGS:
        return CANCEL_ALL
    if text not in ORDER_TYPES:
        raise errors.invalid_field(
            "order_type", value, "MARKET, LIMIT, STOP_LIMIT, STOP_MARKET, CANCEL_ALL_ORDER"
        )
    return text


def side_value(value) -> str:
    text = _text("side", value).lower()
    if text not in SIDES:
        raise errors.invalid_field("side", value, "buy, sell, long, short")
    return SIDES[text]


def currency_value(value) -> str:
    text = _text("currency", value).upper()
    if not re.fullmatch(r"[A-Z0-9]{2,10}", text):
        raise errors.invalid_field("currency", value, _("예: USDT"))
    return text


_SYMBOL = re.compile(
    r"^(?:(?P<venue>[A-Z0-9_]+):)?(?P<body>[A-Z0-9]+(?:[/\-_][A-Z0-9]+)?(?::[A-Z0-9]+)?)(?P<perp>\.P)?$"
)


# TradingView's venue prefixes for the exchanges we trade on (OKEX: OKX's former name).
VENUES = {"BINANCE": "BINANCE", "BYBIT": "BYBIT", "OKX": "OKX", "OKEX": "OKX"}


def symbol_value(value, *, currency: str, market_type: str, exchange: str | None = None) -> tuple[str, str]:
    """`BTCUSDT`, `BTC/USDT`, `BTC/USDT:USDT` or TradingView's `BINANCE:BTCUSDT.P` → (base, quote).
    A venue prefix must name one of our exchanges, and `exchange` when the signal names one: a
    chart of one venue sent to another is a mistake to refuse, not to guess."""
    text = _text("symbol", value).upper()
    match = _SYMBOL.match(text)
    if not match:
        raise errors.invalid_field("symbol", value, _("예: BTCUSDT, BTC/USDT, BINANCE:BTCUSDT.P"))
    venue = match.group("venue")
    if venue is not None and (venue not in VENUES or (exchange and VENUES[venue] != exchange)):
        raise errors.invalid_field(
            "symbol",
            value,
            _("거래소 접두어 %(venue)s 가 exchange %(exchange)s 와 다릅니다")
            % {"venue": venue[:20], "exchange": exchange or "BINANCE, BYBIT, OKX"},
        )
    body = match.group("body")
    settle = None
    if ":" in body:
        body, settle = body.split(":", 1)
    if match.group("perp") or settle:
        if market_type != "FUTURES":
            raise errors.invalid_field("symbol", value, _("무기한 선물 심볼은 FUTURES 전용입니다"))
    parts = re.split(r"[/\-_]", body)
    if len(parts) == 2:
        base, quote = parts
    elif body.endswith(currency) and len(body) > len(currency):
        base, quote = body[: -len(currency)], currency
    else:
        raise errors.invalid_field(
            "symbol", value, _("currency %(currency)s 로 끝나야 합니다") % {"currency": currency}
        )
    if quote != currency or (settle and settle != currency):
        raise errors.invalid_field(
            "symbol", value, _("currency %(currency)s 와 맞지 않습니다") % {"currency": currency}
        )
    return base, quote
