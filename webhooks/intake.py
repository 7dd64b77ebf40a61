"""Receiving one webhook request: parse, authenticate, resolve, record, hand to execution.

Every request leaves exactly one `webhook_logs` row, good or bad. An accepted signal's log row,
its Order rows and its account jobs are written in one transaction; the jobs are enqueued when
it commits.
"""

import functools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import ExchangeAccount
from orders import services as order_services
from orders.intent import CancelIntent, Leg, OrderIntent
from strategies.models import Strategy, StrategyAccount
from tradingsite.rows import JoinedSelect, Part, row_insert, row_update
from webhooks import errors, reports
from webhooks.failures import webhook_fail
from webhooks.log_rows import log_seal, printable
from webhooks.masking import secrets_of
from webhooks.models import WebhookLog, WebhookToken
from webhooks.normalize import normalize_key
from webhooks.services import token_pick, token_plausible
from webhooks.signals import Signal, parse_signal
from webhooks.structure import structure_check, too_deep
from webhooks.throttles import AddressThrottled, WebhookThrottles
from webhooks.tokens import token_lookup_prefix, token_mask

logger = logging.getLogger(__name__)

SUCCESS_MESSAGE = gettext_noop("웹훅 처리 성공")
LONGEST_INT_DIGITS = 1000  # well under Python's int-string limit (sys.get_int_max_str_digits())


@dataclass
class Outcome:
    status: int
    body: dict
    # What is left to do once the answer has gone out (the log row's answer): see _finish.
    after: Callable[[], None] | None = None


@dataclass
class Request:
    body: bytes
    remote_addr: str | None


def webhook_receive(*, request: Request, throttles: WebhookThrottles | None = None) -> Outcome:
    """Handle one webhook request end to end; never raises: bad input is a 4xx outcome, a bug a
    500 outcome, and either way the request leaves its log row."""
    started = time.monotonic()
    log = WebhookLog(remote_addr=request.remote_addr)
    try:
        try:
            return _receive(request, log, started, throttles)
        except errors.WebhookError as error:
            return _reject(log, error, started)
    except Exception as error:
        return Outcome(*webhook_fail(log=log, body=request.body, error=error, started=started))
    finally:
        if throttles is not None:  # whatever the outcome (an accepted signal was charged already)
            throttles.charge()


def webhook_refuse(*, remote_addr: str | None, error: errors.WebhookError) -> Outcome:
    """Log and answer a request refused before its body was read (e.g. too large)."""
    return _reject(WebhookLog(remote_addr=remote_addr), error, time.monotonic())


def _receive(request: Request, log: WebhookLog, started: float, throttles) -> Outcome:
    _check_source(request.remote_addr)
    try:
        payload = _decode(request.body, log)
        signal = parse_signal(payload)
    except errors.WebhookError:
        _throttle(throttles, log, address=request.remote_addr)  # a refused body spends it too
        raise
    # Both budgets in one cache round trip, before anything costs a query.
    _throttle(throttles, log, address=request.remote_addr, raw_token=signal.token)
    log.action, log.signal_id = signal.action, signal.signal_id
    log.signal = signal.as_log()
    token, rows = _authenticate(signal)
    log.token, log.owner = token, token.owner
    strategy, links, log_id = _strategy_links(rows, signal)
    log.strategy = strategy
    links, skipped = _links(strategy, links, signal)
    handed_over = throttles.charge if throttles is not None else _nothing
    if signal.action == "cancel_all_orders":
        return _accept_cancel(log, strategy, links, signal, started, handed_over)
    return _accept_orders(log, log_id, strategy, links, signal, started, skipped, handed_over)


def _nothing() -> None:
    return None


def _throttle(throttles: WebhookThrottles | None, log: WebhookLog, **budgets) -> None:
    if throttles is None:
        return
    try:
        throttles.check(**budgets)
    except AddressThrottled:  # refused as if its body was never read: none of it is stored
        log.payload, log.raw_body = None, ""
        raise


def _check_source(address: str | None) -> None:
    allowed = settings.WEBHOOK_ALLOWED_IPS
    if allowed and address not in allowed:
        raise errors.ip_not_allowed(address or "?")


def _decode(body: bytes, log: WebhookLog) -> dict:
    def constant(name):  # NaN / Infinity literals: kept as floats, refused per field later
        return float(name)

    try:
        text = body.decode("utf-8-sig")
        payload = json.loads(
            text,
            parse_float=Decimal,
            parse_int=_integer,
            parse_constant=constant,
            object_pairs_hook=_refuse_repeated_keys,
        )
    except RecursionError:
        log.raw_body = printable(body)
        raise too_deep() from None
    except (UnicodeDecodeError, ValueError):
        log.raw_body = printable(body)
        raise errors.not_json() from None
    except errors.WebhookError:  # a key repeated with another value
        log.raw_body = printable(body)
        raise
    if not isinstance(payload, dict):
        log.raw_body = printable(body)
        raise errors.not_an_object()
    log._secrets = secrets_of(payload)
    try:
        structure_check(payload)  # depth, U+0000, lone surrogates: before any field is read
    except errors.WebhookError:
        log.raw_body = printable(body, log._secrets)
        raise
    log.payload = masked_payload(payload)
    return payload


def _integer(text: str) -> int | Decimal:
    """A JSON integer. One longer than Python converts to int (4 300 digits) is still valid JSON:
    it stays a number, to be refused by name as too large, not as a body that is not JSON."""
    return int(text) if len(text) <= LONGEST_INT_DIGITS else Decimal(text)


def _refuse_repeated_keys(pairs):
    result = {}
    for key, value in pairs:
        if key in result and result[key] != value:
            raise errors.WebhookError(
                _("필드 충돌: %(key)s 가 서로 다른 값으로 두 번 있습니다") % {"key": key[:50]},
                code="conflicting_fields",
            )
        result[key] = value
    return result


def masked_payload(payload: dict) -> dict:
    """The payload as received, JSON-safe, with every spelling of the token masked."""

    def clean(value):
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, float):
            return repr(value)
        if isinstance(value, dict):
            return {str(k): clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    masked = {}
    for key, value in payload.items():
        masked[key] = token_mask(value) if normalize_key(key) == "token" else clean(value)
    return masked


@functools.cache
def _token_strategy_select(vendor: str) -> JoinedSelect:
    """The tokens sharing the raw token's look-up prefix, each with its owner, the owner's active
    strategy named by the signal, its usable links and their accounts: authentication and
    routing in one read (tradingsite/rows.py: no ORM compile per request). A strategy without
    usable links comes back as rows without a link. On PostgreSQL the read also draws the log
    row's id from its sequence (an uncorrelated subquery, evaluated once), so that the signal's
    rows can be written in one statement (_accept_at_once). Built on first use: the user model
    is known once apps are loaded."""
    draw = f"(SELECT nextval(pg_get_serial_sequence('{WebhookLog._meta.db_table}', 'id')))"
    return JoinedSelect(
        Part("t", WebhookToken),
        Part("u", get_user_model()),
        Part("st", Strategy),
        Part("l", StrategyAccount),
        Part("a", ExchangeAccount),
        tables=(
            "{t} t JOIN {u} u ON u.id = t.owner_id "
            "LEFT JOIN {st} st ON st.owner_id = t.owner_id AND st.group_name = %s AND st.is_active = %s "
            "LEFT JOIN {l} l ON l.strategy_id = st.id AND l.is_active = %s "
            "LEFT JOIN {a} a ON a.id = l.account_id AND a.is_active = %s"
        ),
        where="t.prefix = %s",
        extra=(draw,) if vendor == "postgresql" else (),
    )


def _authenticate(signal: Signal) -> tuple[WebhookToken, list[dict]]:
    """The signal's token (401 unless usable) and the rows of its strategy read with it."""
    if not token_plausible(signal.token):
        raise errors.invalid_token()
    rows = _token_strategy_select(connection.vendor).fetch(
        [signal.group_name, True, True, True, token_lookup_prefix(signal.token)],
        suffix=" ORDER BY t.id, st.id, l.id",
    )
    candidates = {}
    for row in rows:
        row["t"].owner = row["u"]
        candidates.setdefault(row["t"].pk, row["t"])
    token = token_pick(raw=signal.token, candidates=list(candidates.values()))
    if token is None:
        raise errors.invalid_token()
    return token, [row for row in rows if row["t"].pk == token.pk]


def _strategy_links(rows: list[dict], signal: Signal) -> tuple[Strategy, list[StrategyAccount], int | None]:
    """The strategy, its usable links and, on PostgreSQL, the id drawn for the log row."""
    if not rows or rows[0]["st"] is None:
        raise errors.strategy_not_found(signal.group_name)
    strategy = rows[0]["st"]
    log_id = rows[0]["extra"][0] if "extra" in rows[0] else None
    if (
        signal.market_type
        and signal.action != "cancel_all_orders"
        and signal.market_type != strategy.market_type
    ):
        raise errors.market_type_mismatch(signal.market_type, strategy.market_type)
    links = []
    for row in rows:
        if row["l"] is not None and row["a"] is not None:
            row["l"].account, row["l"].strategy = row["a"], strategy
            links.append(row["l"])
    return strategy, links, log_id


def _links(
    strategy: Strategy, links: list[StrategyAccount], signal: Signal
) -> tuple[list[StrategyAccount], int]:
    """The active links that execute this signal, and how many others were skipped (another
    exchange)."""
    # Defence in depth: the models refuse a link across owners, but a raw update could make one.
    crossing = [link for link in links if link.account.owner_id != strategy.owner_id]
    if crossing:
        logger.warning(
            "strategy %s: links %s point at another owner's account; not trading them",
            strategy.pk,
            [link.pk for link in crossing],
        )
        links = [link for link in links if link.account.owner_id == strategy.owner_id]
    if not links:
        raise errors.no_linked_accounts(None)
    if not signal.exchange:
        return links, 0
    matching = [link for link in links if link.account.exchange == signal.exchange]
    if not matching:
        raise errors.no_linked_accounts(signal.exchange)
    return matching, len(links) - len(matching)


def _claim(log: WebhookLog) -> WebhookLog | None:
    """Save the log row that claims the signal_id; returns the earlier claim if there is one."""
    log_seal(log, refused=False)
    if not log.signal_id:  # nothing to collide with: no savepoint round trips
        row_insert(log)  # log.save(), without the ORM's compile on the hot path
        return None
    try:
        with transaction.atomic():
            row_insert(log)
        return None
    except IntegrityError:
        if not log.signal_id:
            raise
        first = WebhookLog.objects.filter(
            strategy=log.strategy,
            signal_id=log.signal_id,
            status__in=["received", "success", "partial", "failed"],
        ).first()
        if first is None:  # the other claim was rolled back meanwhile: try once more
            with transaction.atomic():
                log.save()
            return None
        return first


def _duplicate(log: WebhookLog, first: WebhookLog, started: float) -> Outcome:
    log.pk = None
    log.status, log.duplicate_of, log.http_status = WebhookLog.Status.DUPLICATE, first, 200
    body = {
        "success": True,
        "message": _("이미 처리된 신호입니다 (signal_id 중복)"),
        "duplicate": True,
        "log_id": first.pk,
        "result": first.response.get("result") if first.response else None,
    }
    log.response, log.duration_ms = body, (time.monotonic() - started) * 1000
    log_seal(log, refused=False)
    log.save()
    logger.info("webhook %s duplicate of %s", log.pk, first.pk)
    return Outcome(200, log.response)


def _accept_orders(log, log_id, strategy, links, signal, started, skipped, handed_over) -> Outcome:
    jobs = _accept_at_once(log, log_id, strategy, links, signal)
    if jobs is None:
        with transaction.atomic():
            first = _claim(log)
            if first is not None:
                return _duplicate(log, first, started)
            jobs = order_services.orders_create(
                log_id=log.pk, strategy=strategy, links=links, intent=_order_intent(signal, log.received_at)
            )
    log.committed_at = timezone.now()  # saved with the answer: no extra write on the hot path
    handed_over()  # the throttles' charge, now that the jobs are on their way
    status, result, log_status = reports.signal_collect(
        log=log, signal=signal, job_ids=[job.pk for job in jobs], started=started, skipped_accounts=skipped
    )
    return _finish(log, status, result, log_status, started)


def _accept_at_once(log, log_id, strategy, links, signal) -> list | None:
    """PostgreSQL: the log row, jobs, orders and events as one statement (orders_create_with_log).
    None when that is not for this database, or when the signal_id was claimed first: the
    transaction below then finds the first claim and answers it as a duplicate."""
    if log_id is None:  # not PostgreSQL
        return None
    log_seal(log, refused=False)
    log.pk = log_id  # drawn by _strategy_links: the client order ids are made of it
    try:
        return order_services.orders_create_with_log(
            log=log, strategy=strategy, links=links, intent=_order_intent(signal, log.received_at)
        )
    except IntegrityError:
        if not log.signal_id:
            raise
        log.pk, log._state.adding = None, True
        return None


def _accept_cancel(log, strategy, links, signal, started, handed_over) -> Outcome:
    with transaction.atomic():
        first = _claim(log)
        if first is not None:
            return _duplicate(log, first, started)
        jobs = order_services.cancel_jobs_create(
            log_id=log.pk, strategy=strategy, links=links, intent=_cancel_intent(signal)
        )
    log.committed_at = timezone.now()
    handed_over()
    status, result, log_status = reports.cancel_collect(
        log=log, job_ids=[job.pk for job in jobs], started=started
    )
    return _finish(log, status, result, log_status, started)


def _order_intent(signal: Signal, received_at) -> OrderIntent:
    return OrderIntent(
        symbol=signal.unified_symbol,
        market_type=signal.market_type,
        side=signal.side,
        order_type=signal.order_type,
        legs=tuple(
            Leg(price=leg.price, stop_price=leg.stop_price, qty_per=leg.qty_per) for leg in signal.legs
        ),
        received_at=received_at,
        max_delay=signal.max_delay,
    )


def _cancel_intent(signal: Signal) -> CancelIntent:
    return CancelIntent(
        exchange=signal.exchange, market_type=signal.market_type, base=signal.base, quote=signal.currency
    )


def _finish(log, status, result, log_status, started) -> Outcome:
    processing = status == 202
    body = {
        "success": True,
        "message": _(SUCCESS_MESSAGE) if not processing else _("웹훅 접수: 일부 계좌가 아직 처리 중입니다"),
        "result": result,
    }
    log.http_status, log.response = status, body
    log.duration_ms = (time.monotonic() - started) * 1000
    log.answered_at = timezone.now()
    log_seal(log, refused=False)
    fields = ["http_status", "response", "duration_ms", "committed_at", "answered_at"]
    if log_status:
        log.status = log_status
        fields.append("status")
    # The row's answer is written once the answer has gone out (the view's response runs `after`
    # when the server closes it): a round trip less between the jobs' end and the caller. The
    # signal's rows were committed long before; a row whose answer write is lost (the process
    # died in between) keeps status `received` until the scheduled pass finalises it
    # (webhooks/finalize.py), and a duplicate of it answers without the first one's result.
    return Outcome(status, log.response, after=functools.partial(_answer_record, log, fields))


def _answer_record(log: WebhookLog, fields: list[str]) -> None:
    row_update(log, fields)  # log.save(update_fields=fields)
    logger.info("webhook %s %s answered %s in %.1f ms", log.pk, log.action, log.http_status, log.duration_ms)


def _reject(log: WebhookLog, error: errors.WebhookError, started: float) -> Outcome:
    body = {"success": False, "error": error.message, "code": error.code}
    log.pk = None
    log.status, log.http_status = WebhookLog.Status.REJECTED, error.status
    log.error, log.error_code, log.response = error.message, error.code, body
    log.duration_ms = (time.monotonic() - started) * 1000
    log_seal(log, refused=True)
    log.error_code = log.error_code[:50]
    log.save()
    logger.info("webhook %s rejected: %s (%s)", log.pk, error.code, error.status)
    return Outcome(error.status, log.response)
