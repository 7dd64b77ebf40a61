"""Order errors grouped into a few kinds an operator filters and counts by.

An order's `error` is free text (the exchange's message, ours in Korean). The kinds are tested in
order, first match wins, the same way in Python (`error_kind`, for counting) and in SQL
(`error_kind_q`, for the admin's filter), so a dashboard count and its link agree.
"""

import re

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# The exchange boundary writes "<ccxt error class>: <exchange id> <message>".
_EXCHANGE_PREFIX = r"^[A-Za-z]+: (binance|bybit|okx)"

KINDS = [
    ("auth", _("Authentication / permission"), "^인증 실패"),
    ("rate_limit", _("Rate limit"), "(RateLimitExceeded|DDoSProtection)"),
    ("funds", _("Insufficient funds"), "InsufficientFunds"),
    ("unknown", _("No answer (outcome unknown)"), "^거래소 응답 없음"),
    ("not_reached", _("Never reached the exchange"), "^(거래소에 도달하지|거래소 클라이언트)"),
    ("refused", _("Refused by the exchange"), _EXCHANGE_PREFIX),
]
OTHER = ("other", _("Not sent (sizing, limits) / other"))
LABELS = {key: label for key, label, _pattern in KINDS} | {OTHER[0]: OTHER[1]}
_COMPILED = [(key, re.compile(pattern)) for key, _label, pattern in KINDS]


def error_kind(text: str) -> str | None:
    """The kind of an order's error text; None for no error."""
    if not text:
        return None
    for key, pattern in _COMPILED:
        if pattern.search(text):
            return key
    return OTHER[0]


def error_kind_q(kind: str, prefix: str = "") -> Q:
    """Orders (or, with prefix "orders__", logs of orders) whose error is of `kind`."""
    field = f"{prefix}error__regex"
    earlier = Q()
    for key, _label, pattern in KINDS:
        if key == kind:
            return Q(**{field: pattern}) & ~earlier
        earlier |= Q(**{field: pattern})
    return ~Q(**{f"{prefix}error": ""}) & ~earlier
