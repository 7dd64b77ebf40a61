"""Bybit v5 request plumbing: IP and per-UID limits, HMAC headers, retCode envelopes.

Bybit answers almost everything with HTTP 200 and a `retCode` (0 = OK) in the envelope
`{"retCode", "retMsg", "result", "retExtInfo", "time"}`. The exceptions are the IP limit
(600 requests / 5 s per IP: HTTP 403 and the IP is refused for 10 minutes) and injected faults.
Per-UID limits are per endpoint and category (order create: 10/s linear, 20/s spot) and answer
retCode 10006 with the `X-Bapi-Limit*` headers (EXCHANGES.md).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl

import orjson
from aiohttp import web

from .context import API_KEY, RECEIVED_AT, SIM, Simulator, json_response
from .models import FUTURES, SPOT, Account, dec
from .ratelimit import Rule

EXCHANGE = "bybit"

IP_RULE = Rule(EXCHANGE, "ip_5s", limit=600, window=5.0, sliding=True)
IP_BAN_SECONDS = 600  # "wait 10 minutes" after an HTTP 403
DEFAULT_RECV_WINDOW = 5_000
CATEGORIES = {"spot": SPOT, "linear": FUTURES}


def now_ms() -> int:
    return int(time.time() * 1000)


class BybitError(Exception):
    """An answer with a non-zero retCode (HTTP 200 unless `status` says otherwise)."""

    def __init__(
        self,
        code: int,
        msg: str,
        status: int = 200,
        headers: dict | None = None,
        text: str | None = None,
    ) -> None:
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg
        self.status = status
        self.headers = headers or {}
        self.text = text  # plain-text body instead of the JSON envelope (HTTP 403 IP block)


def params_error(detail: str) -> BybitError:
    return BybitError(10001, f"params error: {detail}")


def envelope(result: object, code: int = 0, msg: str = "OK") -> dict:
    return {"retCode": code, "retMsg": msg, "result": result, "retExtInfo": {}, "time": now_ms()}


@dataclass
class Call:
    """One parsed Bybit request, handed to an endpoint function."""

    request: web.Request
    sim: Simulator
    params: dict[str, object]
    received_ms: int
    account: Account | None = None
    headers: dict = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        value = self.params.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise params_error(f"{name} is null")
        return value

    def decimal(self, name: str, required: bool = False) -> Decimal | None:
        value = self.require(name) if required else self.get(name)
        if value is None:
            return None
        try:
            number = dec(value)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise params_error(f"{name} invalid")
        return number

    def flag(self, name: str) -> bool:
        return (self.get(name) or "false").lower() in ("true", "1")

    def category(self) -> str:
        """The request's `category` ("spot" / "linear"); other categories are not served."""
        value = self.get("category")
        if value is None:
            raise params_error("category is null")
        if value not in CATEGORIES:
            raise params_error(f"Illegal category {value}")
        return value

    def market(self) -> str:
        return CATEGORIES[self.category()]


# Per-UID limit of an endpoint: requests per second for each category ("*": any category).
UidLimits = dict[str, int]


@dataclass(frozen=True)
class Endpoint:
    signed: bool = False
    uid_limits: UidLimits | None = None


Handler = Callable[[Call], Awaitable[object]]

_UID_RULES: dict[tuple[str, str], Rule] = {}


def _uid_rule(path: str, category: str, limit: int) -> Rule:
    rule = _UID_RULES.get((path, category))
    if rule is None:
        rule = _UID_RULES[(path, category)] = Rule(
            EXCHANGE, f"uid {path} {category}", limit=limit, window=1.0, sliding=True
        )
    return rule


def _charge_ip(sim: Simulator, ip: str) -> None:
    """600 requests per 5 s per IP; past it HTTP 403 and the IP is refused for 10 minutes."""
    limiter = sim.limiter
    if limiter.banned_for(EXCHANGE, ip) or not limiter.hit(IP_RULE, ip).allowed:
        if not limiter.banned_for(EXCHANGE, ip):
            limiter.ban(EXCHANGE, ip, IP_BAN_SECONDS)
        raise BybitError(10018, "access too frequent", status=403, text="403 Forbidden: access too frequent")


def _charge_uid(call: Call, limits: UidLimits) -> None:
    """Per-UID, per-endpoint, per-category limit; sets the X-Bapi-Limit* headers."""
    category = call.get("category")
    if category not in CATEGORIES:
        category = "*"  # absent or unserved: the handler answers the parameter error
    limit = limits.get(category, limits.get("*"))
    if limit is None:
        return
    rule = _uid_rule(call.request.path, category, limit)
    decision = call.sim.limiter.hit(rule, call.account.api_key)
    reset_ms = call.received_ms + int(decision.retry_after * 1000)
    call.headers.update(
        {
            "X-Bapi-Limit": str(limit),
            "X-Bapi-Limit-Status": str(max(0, limit - int(decision.used))),
            "X-Bapi-Limit-Reset-Timestamp": str(reset_ms),
        }
    )
    if not decision.allowed:
        raise BybitError(10006, "Too many visits!")


def _authenticate(call: Call, payload: str) -> None:
    """API key, then the timestamp window, then HMAC-SHA256(timestamp+key+recvWindow+payload)."""
    headers = call.request.headers
    api_key = headers.get("X-BAPI-API-KEY")
    if not api_key:
        raise BybitError(10003, "API key is invalid.")
    call.request[API_KEY] = api_key
    account = call.sim.engine.account(EXCHANGE, api_key)
    if account is None:
        raise BybitError(10003, "API key is invalid.")
    timestamp = headers.get("X-BAPI-TIMESTAMP", "")
    recv_text = headers.get("X-BAPI-RECV-WINDOW", "")
    recv_window = int(recv_text) if recv_text.isdigit() else DEFAULT_RECV_WINDOW
    server = call.received_ms
    if not timestamp.isdigit() or not server - recv_window <= int(timestamp) < server + 1000:
        raise BybitError(
            10002,
            "invalid request, please check your server timestamp or recv_window param. "
            f"req_timestamp[{timestamp}],server_timestamp[{server}],recv_window[{recv_window}]",
        )
    origin = timestamp + api_key + recv_text + payload
    expected = hmac.new(account.secret.encode(), origin.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, headers.get("X-BAPI-SIGN", "").lower()):
        raise BybitError(10004, f"error sign! origin_string[{origin}]")
    call.account = account


def _error_response(exc: BybitError, headers: dict) -> web.Response:
    merged = {**headers, **exc.headers}
    if exc.text is not None:
        return web.Response(text=exc.text, status=exc.status, headers=merged)
    body = {"retCode": exc.code, "retMsg": exc.msg, "result": {}, "retExtInfo": {}, "time": now_ms()}
    return json_response(body, status=exc.status, headers=merged)


def endpoint(spec: Endpoint, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Wrap an endpoint function with the IP limit, auth, per-UID limit and the envelope."""

    async def aiohttp_handler(request: web.Request) -> web.StreamResponse:
        sim: Simulator = request.app[SIM]
        raw_query = request.rel_url.raw_query_string
        body = await request.text() if request.can_read_body else ""
        call = Call(
            request, sim, dict(parse_qsl(raw_query, keep_blank_values=True)), int(request[RECEIVED_AT] * 1000)
        )
        try:
            _charge_ip(sim, request.remote or "unknown")
            if spec.signed:
                _authenticate(call, body if request.method == "POST" else raw_query)
            if body:
                try:
                    data = orjson.loads(body)
                except orjson.JSONDecodeError:
                    raise params_error("request body is not valid JSON") from None
                if not isinstance(data, dict):
                    raise params_error("request body must be a JSON object")
                call.params.update(data)
            if spec.uid_limits and call.account is not None:
                _charge_uid(call, spec.uid_limits)
            result = await handler(call)
        except BybitError as exc:
            return _error_response(exc, call.headers)
        if isinstance(result, web.StreamResponse):
            result.headers.update(call.headers)
            return result
        return json_response(envelope(result), headers=call.headers)

    return aiohttp_handler


# Server trouble Bybit reports with HTTP 200 (its error-code table: 10000 "Server Timeout",
# 10016 "Server error" / internal error or service restarting); ccxt raises ExchangeError.
SERVER_ERRORS = {
    "retcode_10000": (10000, "Server Timeout"),
    "retcode_10016": (10016, "System error. Please try again later."),
}


def fault_response(kind: str) -> web.Response:
    """What Bybit answers for an injected fault."""
    if kind in SERVER_ERRORS:
        code, msg = SERVER_ERRORS[kind]
        body = {"retCode": code, "retMsg": msg, "result": {}, "retExtInfo": {}, "time": now_ms()}
        return json_response(body, status=200)
    if kind == "429":
        # Bybit: HTTP 429 "system level frequency protection", retry later.
        body = {
            "retCode": 10006,
            "retMsg": "Too many visits!",
            "result": {},
            "retExtInfo": {},
            "time": now_ms(),
        }
        return json_response(body, status=429)
    return web.Response(
        status=503,
        text="<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
        content_type="text/html",
    )
