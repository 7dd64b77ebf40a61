"""What a `webhook_logs` row may keep: tokens masked everywhere, text the database can store, and
for a refused request a bounded amount of its body (a refused request is unauthenticated: it must
not cost us more storage than a few kilobytes)."""

import json

from django.conf import settings

from webhooks.masking import mask_text, mask_value
from webhooks.models import WebhookLog


def log_secrets(log: WebhookLog) -> frozenset[str]:
    return getattr(log, "_secrets", frozenset())


def log_seal(log: WebhookLog, *, refused: bool) -> None:
    """Mask and bound the row's stored values in place, just before it is saved."""
    secrets = log_secrets(log)
    log.payload = mask_value(log.payload, secrets) if log.payload is not None else None
    log.signal = mask_value(log.signal, secrets) if log.signal is not None else None
    log.response = mask_value(log.response, secrets) if log.response is not None else None
    log.error = mask_text(log.error or "", secrets)[:2000]
    log.raw_body = mask_text(log.raw_body or "", secrets)
    if log.signal_id:
        log.signal_id = mask_text(log.signal_id, secrets)[:100]
    if refused:
        limit = settings.WEBHOOK_REFUSED_BODY_MAX_CHARS
        if log.payload is not None:
            text = json.dumps(log.payload, ensure_ascii=False)
            if len(text) > limit:  # keep its beginning as text, not a JSON document cut in two
                log.payload, log.raw_body = None, text
        if len(log.raw_body) > limit:
            log.raw_body = log.raw_body[:limit] + f"… [{len(log.raw_body) - limit} characters cut]"


def printable(body: bytes, secrets: frozenset[str] = frozenset()) -> str:
    """A refused body as the log may keep it: cut short, decodable, NUL-free, tokens masked."""
    limit = settings.WEBHOOK_REFUSED_BODY_MAX_CHARS
    text = body[: limit * 4].decode("utf-8", "replace")
    return mask_text(text[: limit + 1], secrets)
