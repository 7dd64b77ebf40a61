"""OKX v5 request plumbing: envelope, OK-ACCESS-* signatures, error answers and rate limits.

Every answer is `{"code": "0", "msg": "", "data": [...]}`; request-level failures carry a non-zero
`code` (auth failures with HTTP 401, rate limits with HTTP 429), per-order failures an `sCode`
in `data` with the top-level code "1" (all failed) or "2" (some failed). Numbers are OKX's own
(EXCHANGES.md, OKX docs v5) so that ccxt 4.5.90's `okx.exceptions` raises the class it would raise
against the real exchange.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl

import orjson
from aiohttp import web

from .context import API_KEY, RECEIVED_AT, SIM, Simulator, json_response
from .models import FUTURES, SPOT, Account, Instrument, dec
from .ratelimit import Rule

EXCHANGE = "okx"

# Real OKX numbers (EXCHANGES.md; OKX v5 docs "Rate limit" of each endpoint). Order endpoints are
# limited per User ID + Instrument ID, a single-order batch counts as "Place order".
PLACE_ORDER = Rule(EXCHANGE, "place_order", limit=60, window=2.0, sliding=True)
PLACE_BATCH = Rule(EXCHANGE, "place_batch_orders", limit=300, window=2.0, sliding=True)
PLACE_ALGO = Rule(EXCHANGE, "place_algo_order", limit=20, window=2.0, sliding=True)
CANCEL_ORDER = Rule(EXCHANGE, "cancel_order", limit=60, window=2.0, sliding=True)
CANCEL_BATCH = Rule(EXCHANGE, "cancel_batch_orders", limit=300, window=2.0, sliding=True)
CANCEL_ALGO = Rule(EXCHANGE, "cancel_algos", limit=20, window=2.0, sliding=True)  # per User ID
# New orders across all instruments of one (sub-)account: 1000 per 2 s -> 50061.
SUB_ACCOUNT_ORDERS = Rule(EXCHANGE, "sub_account_orders", limit=1000, window=2.0, sliding=True)

TIMESTAMP_WINDOW_S = 30.0  # OKX rejects a request whose OK-ACCESS-TIMESTAMP is 30 s off


class OkxError(Exception):
    """A request-level OKX error: {"code": code, "msg": msg, "data": data} with an HTTP status."""

    def __init__(self, code: str, msg: str, status: int = 200, data: list | None = None) -> None:
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg
        self.status = status
        self.data = data or []


# OKX's message for 50061; ccxt 4.5.90 maps the code to a plain ExchangeError.
SUB_ACCOUNT_LIMITED = OkxError(
    "50061", "You've reached the maximum order rate limit for this account.", status=429
)


class OrderError(Exception):
    """A per-order failure, rendered as `sCode`/`sMsg` in the order's result row."""

    def __init__(self, s_code: str, s_msg: str) -> None:
        super().__init__(f"{s_code} {s_msg}")
        self.s_code = s_code
        self.s_msg = s_msg


def empty_param(name: str) -> OkxError:
    return OkxError("50014", f"Parameter {name} can not be empty.", status=400)


def param_error(name: str) -> OrderError:
    return OrderError("51000", f"Parameter {name} error")


def too_many_requests() -> OkxError:
    return OkxError("50011", "Too Many Requests", status=429)


@dataclass
class Call:
    """One parsed OKX request, handed to an endpoint function."""

    request: web.Request
    sim: Simulator
    query: dict[str, str]
    body: object
    now: float  # arrival, epoch seconds
    account: Account | None = None
    state: dict = field(default_factory=dict)

    @property
    def engine(self):
        return self.sim.engine

    @property
    def now_ms(self) -> int:
        return int(self.now * 1000)

    def get(self, name: str) -> str | None:
        value = self.query.get(name)
        return None if value in (None, "") else value

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise empty_param(name)
        return value

    def body_dict(self) -> dict:
        if not isinstance(self.body, dict):
            raise OkxError("50002", "JSON syntax error", status=400)
        return self.body

    def body_list(self) -> list[dict]:
        """Batch endpoints take a JSON array of objects (a single object is accepted too)."""
        body = self.body
        if isinstance(body, dict):
            body = [body]
        if not isinstance(body, list) or not body or not all(isinstance(x, dict) for x in body):
            raise OkxError("50002", "JSON syntax error", status=400)
        return body


# ---- instruments ---------------------------------------------------------------------------------


def market_of_inst_id(inst_id: str) -> str:
    return FUTURES if inst_id.endswith("-SWAP") else SPOT


def find_inst(sim: Simulator, inst_id: str | None) -> Instrument | None:
    if not inst_id:
        return None
    return sim.engine.find_instrument(EXCHANGE, market_of_inst_id(inst_id), inst_id)


def unknown_instrument() -> OrderError:
    return OrderError("51001", "Instrument ID, Instrument ID code, or Spread ID doesn't exist.")


def inst_type_markets(inst_type: str | None) -> tuple[str, ...]:
    """Engine markets for an OKX instType filter (None: both)."""
    if inst_type in (None, ""):
        return (SPOT, FUTURES)
    return {"SPOT": (SPOT,), "SWAP": (FUTURES,)}.get(inst_type, ())


def decimal_param(value: object, name: str) -> Decimal:
    """A positive-or-zero finite decimal from a JSON string/number, else sCode 51000."""
    if isinstance(value, bool) or value is None or value == "":
        raise param_error(name)
    try:
        number = dec(value)
    except (InvalidOperation, ValueError):
        raise param_error(name) from None
    if not number.is_finite():
        raise param_error(name)
    return number


def bool_param(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).lower() == "true"


# ---- rate limits ---------------------------------------------------------------------------------


def charge(sim: Simulator, hits: list[tuple[Rule, str, float]]) -> None:
    """Charge every (rule, key, cost) or none of them; 50011/50061 with HTTP 429 when one is full."""
    limiter = sim.limiter
    if limiter.enabled:
        for rule, key, cost in hits:
            if limiter.used(rule, key) + cost > rule.limit:
                if rule is SUB_ACCOUNT_ORDERS:
                    raise SUB_ACCOUNT_LIMITED
                raise too_many_requests()
    for rule, key, cost in hits:
        limiter.hit(rule, key, cost)


# ---- authentication ------------------------------------------------------------------------------


def parse_timestamp(text: str) -> float | None:
    """OK-ACCESS-TIMESTAMP is ISO 8601 with milliseconds and Z: 2020-12-08T09:08:57.715Z."""
    try:
        parsed = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC).timestamp()


def authenticate(call: Call, raw_body: str) -> Account:
    request = call.request
    headers = request.headers
    api_key = headers.get("OK-ACCESS-KEY")
    if not api_key:
        raise OkxError("50103", 'Request header "OK-ACCESS-KEY" can not be empty.', status=401)
    request[API_KEY] = api_key
    passphrase = headers.get("OK-ACCESS-PASSPHRASE")
    if not passphrase:
        raise OkxError("50104", 'Request header "OK-ACCESS-PASSPHRASE" can not be empty.', status=401)
    signature = headers.get("OK-ACCESS-SIGN")
    if not signature:
        raise OkxError("50106", 'Request header "OK-ACCESS-SIGN" can not be empty.', status=401)
    timestamp = headers.get("OK-ACCESS-TIMESTAMP")
    if not timestamp:
        raise OkxError("50107", 'Request header "OK-ACCESS-TIMESTAMP" can not be empty.', status=401)
    sent_at = parse_timestamp(timestamp)
    if sent_at is None:
        raise OkxError("50112", "Invalid OK-ACCESS-TIMESTAMP", status=401)
    if abs(call.now - sent_at) > TIMESTAMP_WINDOW_S:
        raise OkxError("50102", "Timestamp request expired", status=401)
    account = call.sim.engine.account(EXCHANGE, api_key)
    if account is None:
        raise OkxError("50111", "Invalid OK-ACCESS-KEY", status=401)
    if account.passphrase is None or not hmac.compare_digest(passphrase, account.passphrase):
        raise OkxError("50105", "Invalid OK-ACCESS-PASSPHRASE", status=401)
    # requestPath keeps the raw query string exactly as sent (GET); POST signs the raw body.
    prehash = timestamp + request.method.upper() + request.raw_path + raw_body
    expected = base64.b64encode(
        hmac.new(account.secret.encode(), prehash.encode(), hashlib.sha256).digest()
    ).decode()
    if not hmac.compare_digest(expected, signature):
        raise OkxError("50113", "Invalid Sign", status=401)
    call.account = account
    return account


# ---- responses -----------------------------------------------------------------------------------


def envelope(
    data: list, code: str = "0", msg: str = "", status: int = 200, extra: dict | None = None
) -> web.Response:
    return json_response({"code": code, "data": data, "msg": msg, **(extra or {})}, status=status)


def error_response(exc: OkxError) -> web.Response:
    return envelope(exc.data, code=exc.code, msg=exc.msg, status=exc.status)


def results_response(rows: list[dict], received_at: float | None = None) -> web.Response:
    """Per-order results: code "0" all succeeded, "1" all failed, "2" some failed. The normal
    order endpoints also say when the request reached the gateway and when its answer left
    (`inTime` / `outTime`, microseconds as strings); pass `received_at` for those."""
    extra = None
    if received_at is not None:
        extra = {"inTime": str(int(received_at * 1_000_000)), "outTime": str(int(time.time() * 1_000_000))}
    failed = sum(1 for row in rows if row.get("sCode") != "0")
    if failed == 0:
        return envelope(rows, extra=extra)
    if failed == len(rows):
        return envelope(rows, code="1", msg="All operations failed", extra=extra)
    return envelope(rows, code="2", msg="Bulk operation partially succeeded", extra=extra)


def fault_response(kind: str) -> web.Response:
    """What OKX answers for an injected fault (no work was done)."""
    if kind == "429":
        return error_response(too_many_requests())
    if kind == "okx_50061":
        return error_response(SUB_ACCOUNT_LIMITED)
    return envelope([], code="50013", msg="Systems are busy. Please try again later.", status=503)


Handler = Callable[[Call], Awaitable[object]]


def endpoint(
    handler: Handler, private: bool = True
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Wrap an endpoint function with parsing, OKX auth and error rendering.

    The function returns a list (the `data` of a code-"0" envelope) or a ready response, or raises
    OkxError. `x-simulated-trading: 1` (ccxt's sandbox mode) is accepted: one set of accounts.
    """

    async def aiohttp_handler(request: web.Request) -> web.StreamResponse:
        sim: Simulator = request.app[SIM]
        raw_query = request.rel_url.raw_query_string
        raw_body = await request.text() if request.can_read_body else ""
        call = Call(
            request=request,
            sim=sim,
            query=dict(parse_qsl(raw_query, keep_blank_values=True)),
            body=None,
            now=request[RECEIVED_AT],
            state=request.app[OKX_STATE],
        )
        try:
            if private:
                authenticate(call, raw_body)
            if raw_body:
                try:
                    call.body = orjson.loads(raw_body)
                except orjson.JSONDecodeError:
                    raise OkxError("50002", "JSON syntax error", status=400) from None
            result = await handler(call)
        except OkxError as exc:
            return error_response(exc)
        if isinstance(result, web.StreamResponse):
            return result
        return envelope(result)

    return aiohttp_handler


# Adapter-side state that the engine does not keep (margin mode per position).
OKX_STATE = web.AppKey("okx_state", dict)


def margin_mode(call: Call, inst: Instrument) -> str:
    entry = call.state.setdefault("mgn_mode", {}).get((call.account.api_key, inst.symbol))
    if entry is None or entry[0] is not call.account:
        return "cross"
    return entry[1]


def remember_margin_mode(call: Call, inst: Instrument, mode: str) -> None:
    call.state.setdefault("mgn_mode", {})[(call.account.api_key, inst.symbol)] = (call.account, mode)


def ms(seconds: float | None) -> str:
    return "" if seconds is None else str(int(seconds * 1000))
