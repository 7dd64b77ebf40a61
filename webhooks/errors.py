"""The webhook's errors: HTTP status, machine code, and the guide's (Korean) message."""

import json

from django.utils.translation import gettext as _


class WebhookError(Exception):
    status = 400
    code = "invalid_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status


def missing_field(field: str) -> WebhookError:
    return WebhookError(_("필수 필드 누락: %(field)s") % {"field": field}, code="missing_field")


def invalid_field(field: str, value, reason: str) -> WebhookError:
    shown = f'"{value[:60]}"' if isinstance(value, str) else as_sent(value)
    if len(shown) > 80:  # a hostile value must not make the answer and the log row large
        shown = shown[:80] + "…"
    return WebhookError(
        _("잘못된 필드 값: %(field)s=%(value)s (%(reason)s)")
        % {"field": field, "value": shown, "reason": reason},
        code="invalid_field",
    )


def as_sent(value) -> str:
    """A decoded JSON value written back the way the sender wrote it (`1E+30`, `true`,
    `["BTCUSDT"]`, `{"a": 1}`), not as Python shows it (`Decimal('1E+30')`, `True`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(as_sent(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{as_sent(str(k))}: {as_sent(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float):  # NaN and Infinity literals (json.loads keeps them as floats)
        return {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}.get(repr(value), repr(value))
    return str(value)  # int, Decimal


def invalid_token() -> WebhookError:
    return WebhookError(_("웹훅 토큰이 유효하지 않습니다"), code="invalid_token", status=401)


def strategy_not_found(group_name: str) -> WebhookError:
    return WebhookError(
        _("활성 전략을 찾을 수 없습니다: %(name)s") % {"name": group_name[:100]},
        code="strategy_not_found",
        status=404,
    )


def no_linked_accounts(exchange: str | None) -> WebhookError:
    message = _("전략에 연결된 계좌가 없습니다")
    if exchange:
        message += f" ({exchange})"
    return WebhookError(message, code="no_linked_accounts")


def market_type_mismatch(signal_market: str, strategy_market: str) -> WebhookError:
    return WebhookError(
        _("시장 타입 불일치: 신호는 %(signal)s, 전략은 %(strategy)s입니다")
        % {"signal": signal_market, "strategy": strategy_market},
        code="market_type_mismatch",
    )


def body_too_large(limit: int) -> WebhookError:
    return WebhookError(
        _("요청 본문이 너무 큽니다 (최대 %(limit)d 바이트)") % {"limit": limit},
        code="body_too_large",
        status=413,
    )


def length_required() -> WebhookError:
    return WebhookError(
        _("Content-Length 헤더가 필요합니다: 이 서버는 chunked 본문을 읽지 않습니다"),
        code="length_required",
        status=411,
    )


def body_unreadable() -> WebhookError:
    return WebhookError(
        _("요청 본문을 읽을 수 없습니다: chunked 인코딩이 잘못되었거나 전송이 끊겼습니다"),
        code="body_unreadable",
    )


def not_json() -> WebhookError:
    return WebhookError(_("요청 본문이 올바른 JSON이 아닙니다"), code="invalid_json")


def not_an_object() -> WebhookError:
    return WebhookError(_("요청 본문은 JSON 객체여야 합니다"), code="not_an_object")


def throttled(wait_seconds: float | None) -> WebhookError:
    wait = int(wait_seconds or 1) + 1
    return WebhookError(
        _("요청이 너무 많습니다. %(wait)d초 후 다시 시도하세요") % {"wait": wait},
        code="throttled",
        status=429,
    )


def ip_not_allowed(address: str) -> WebhookError:
    return WebhookError(
        _("허용되지 않은 IP 주소입니다: %(address)s") % {"address": address},
        code="ip_not_allowed",
        status=403,
    )
