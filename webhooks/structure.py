"""What a decoded body may contain before any field is read: bounded nesting, no U+0000 (no
database text column holds it) and no lone surrogate (`"\\ud800"` is valid JSON, but no UTF-8
encoder, database driver or log file takes it). Walked with a stack, not recursion, so a body
nested a thousand levels deep is a 400 and not a RecursionError."""

import re

from django.utils.translation import gettext as _

from webhooks import errors

MAX_DEPTH = 20  # the deepest real body, a batch, is 3: {"orders": [{...}]}
_SURROGATE = re.compile("[\ud800-\udfff]")


def structure_check(payload) -> None:
    """Raise the 400 for the first defect found in `payload`, or return."""
    stack = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise too_deep()
        if isinstance(value, str):
            text_check(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                text_check(key)
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)


def text_check(text: str) -> None:
    if "\x00" in text:
        raise errors.WebhookError(
            _("요청 본문에 허용되지 않는 문자(U+0000)가 있습니다"), code="invalid_characters"
        )
    if _SURROGATE.search(text):
        raise errors.WebhookError(
            _("요청 본문에 짝이 없는 서로게이트 문자(\\ud800-\\udfff)가 있습니다"), code="invalid_characters"
        )


def too_deep() -> errors.WebhookError:
    return errors.WebhookError(
        _("요청 본문의 중첩이 너무 깊습니다 (최대 %(n)d단계)") % {"n": MAX_DEPTH}, code="too_deep"
    )


def safe_text(text: str) -> str:
    """`text` as any column, log or JSON answer can take it: NUL and lone surrogates escaped."""
    return text.replace("\x00", "\\u0000").encode("utf-8", "backslashreplace").decode("utf-8")
