"""A request that hit a bug: it still leaves its `webhook_logs` row, the sender gets a short
generic 500 (never Django's debug page, whatever DEBUG says) and the log gets one line and one
bounded traceback, never the body."""

import logging
import time

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from webhooks.log_rows import log_seal, log_secrets, printable
from webhooks.models import WebhookLog

logger = logging.getLogger(__name__)

INTERNAL_ERROR_MESSAGE = gettext_noop("서버 내부 오류가 발생했습니다. 관리자에게 문의하세요")
INTERNAL_ERROR_CODE = "internal_error"


def internal_error_body() -> dict:
    return {"success": False, "error": _(INTERNAL_ERROR_MESSAGE), "code": INTERNAL_ERROR_CODE}


def webhook_fail(*, log: WebhookLog, body: bytes, error: BaseException, started: float) -> tuple[int, dict]:
    """Record the failure on the request's log row (or a new one) and return (500, answer)."""
    answer = internal_error_body()
    try:
        _record(log, body, error, answer, started)
    except Exception as record_error:  # the database itself may be what failed
        logger.error("webhook failure from %s not recorded: %s", log.remote_addr, type(record_error).__name__)
    logger.error(
        "webhook %s failed from %s: %s", log.pk or "-", log.remote_addr, type(error).__name__, exc_info=error
    )
    return 500, answer


def _record(log: WebhookLog, body: bytes, error: BaseException, answer: dict, started: float) -> None:
    note = f"{type(error).__name__} (see logs/errors.log)"
    duration = (time.monotonic() - started) * 1000
    fields = {
        "http_status": 500,
        "error": note,
        "error_code": INTERNAL_ERROR_CODE,
        "response": answer,
        "duration_ms": duration,
    }
    # A row that was saved and survived (its transaction committed) keeps its status: it may hold a
    # signal_id claim and orders that are executing; only the answer is recorded.
    if log.pk and WebhookLog.objects.filter(pk=log.pk).update(**fields):
        return
    secrets = log_secrets(log)
    row = WebhookLog(
        remote_addr=log.remote_addr,
        owner_id=log.owner_id,
        token_id=log.token_id,
        strategy_id=log.strategy_id,
        action=log.action,
        status=WebhookLog.Status.ERROR,
        raw_body=printable(body, secrets),
        **fields,
    )
    row._secrets = secrets
    log_seal(row, refused=True)
    row.save()
    log.pk = row.pk
