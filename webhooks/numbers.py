"""Numbers from a signal: JSON numbers or numeric strings, as Decimal, finite and positive.

A numeric string is ASCII decimal only. Python's Decimal also reads `1_000`, full-width `１０００`
and other scripts' digits (`١٠٠٠`); a sender's tool may not, and a price read differently from
what the sender meant is an order at the wrong price, so those are 400s."""

import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from webhooks import errors

MAX_NUMBER = Decimal("1e15")
_ASCII_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# Spelled-out non-finite values still reach Decimal, to be refused as "not finite" by name.
_NON_FINITE = re.compile(r"[+-]?(?:nan|snan|inf|infinity)", re.IGNORECASE)


def positive_decimal(field: str, value) -> Decimal:
    sent = value  # a refusal shows the value as the sender wrote it (a NaN literal, not "nan")
    if isinstance(value, bool) or value is None:
        raise errors.invalid_field(field, sent, _("숫자여야 합니다"))
    if isinstance(value, float):
        value = repr(value)  # NaN and infinities stay recognisable; floats keep their shortest form
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, str):
        text = value.strip(" \t\r\n")
        if not (_ASCII_DECIMAL.fullmatch(text) or _NON_FINITE.fullmatch(text)):
            raise errors.invalid_field(field, sent, _("ASCII 십진수여야 합니다 (예: 1000.5)"))
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise errors.invalid_field(field, sent, _("숫자여야 합니다")) from None
    else:
        raise errors.invalid_field(field, sent, _("숫자여야 합니다"))
    if not number.is_finite():
        raise errors.invalid_field(field, sent, _("유한한 숫자여야 합니다"))
    if number <= 0:
        raise errors.invalid_field(field, sent, _("0보다 커야 합니다"))
    if number >= MAX_NUMBER:
        raise errors.invalid_field(field, sent, _("너무 큽니다"))
    if number.as_tuple().exponent < -12:
        raise errors.invalid_field(field, sent, _("소수점 12자리까지 가능합니다"))
    return number


def percentage(field: str, value) -> Decimal:
    number = positive_decimal(field, value)
    if number > 100:
        raise errors.invalid_field(field, value, _("0 초과 100 이하여야 합니다"))
    if number.as_tuple().exponent < -4:
        raise errors.invalid_field(field, value, _("소수점 4자리까지 가능합니다"))
    return number
