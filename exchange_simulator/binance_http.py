"""Binance request plumbing: weights and order limits, HMAC signatures, timestamps, error answers.

Spot (/api/v3) and USDT-M futures (/fapi) share the signing scheme but have separate weight
budgets and order counters, with Binance's real numbers (EXCHANGES.md). Weights are those of
ccxt 4.5.90's `api` cost table: spot weight = ccxt cost / 0.2, USDT-M weight = ccxt cost.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl

from aiohttp import web

from .context import API_KEY, RECEIVED_AT, SIM, Simulator, json_response
from .models import FUTURES, SPOT, Account, dec
from .ratelimit import Rule

EXCHANGE = "binance"

SPOT_WEIGHT = Rule(EXCHANGE, "spot_ip_weight_1m", limit=6000, window=60)
FUTURES_WEIGHT = Rule(EXCHANGE, "fapi_ip_weight_1m", limit=2400, window=60)
SPOT_ORDERS_10S = Rule(EXCHANGE, "spot_orders_10s", limit=100, window=10)
SPOT_ORDERS_1D = Rule(EXCHANGE, "spot_orders_1d", limit=200_000, window=86_400)
FUTURES_ORDERS_10S = Rule(EXCHANGE, "fapi_orders_10s", limit=300, window=10)
FUTURES_ORDERS_1M = Rule(EXCHANGE, "fapi_orders_1m", limit=1200, window=60)

# Refused requests in a row (without backing off) after which the IP is banned with HTTP 418.
BAN_AFTER_STRIKES = 20
BAN_SECONDS = 120  # Binance bans "from 2 minutes to 3 days"; the shortest is enough to hurt.
MAX_RECV_WINDOW = 60_000
DEFAULT_RECV_WINDOW = 5_000

_SIGNATURE = re.compile(r"(?:^|&)signature=([^&]*)")
CLIENT_ID = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")


class BinanceError(Exception):
    """An answer in Binance's error format: {"code": -1234, "msg": "..."}."""

    def __init__(self, code: int, msg: str, status: int = 400, headers: dict | None = None) -> None:
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg
        self.status = status
        self.headers = headers or {}


def missing(name: str) -> BinanceError:
    return BinanceError(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


@dataclass
class Call:
    """One parsed Binance request, handed to an endpoint function."""

    request: web.Request
    sim: Simulator
    market: str  # SPOT or FUTURES
    params: dict[str, str]
    received_ms: int
    account: Account | None = None

    def get(self, name: str) -> str | None:
        value = self.params.get(name)
        return None if value in (None, "") else value

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise missing(name)
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
            raise BinanceError(
                -1100,
                f"Illegal characters found in parameter '{name}'; "
                "legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.",
            )
        return number

    def flag(self, name: str) -> bool:
        return (self.get(name) or "false").lower() == "true"


@dataclass(frozen=True)
class Endpoint:
    weight: int
    weight_no_symbol: int | None = None  # heavier when called without `symbol`
    signed: bool = False
    places_orders: bool = False


Handler = Callable[[Call], Awaitable[object]]


def market_of(path: str) -> str:
    return FUTURES if path.startswith("/fapi/") else SPOT


def _error_response(exc: BinanceError, headers: dict) -> web.Response:
    return json_response(
        {"code": exc.code, "msg": exc.msg}, status=exc.status, headers={**headers, **exc.headers}
    )


def _charge_weight(sim: Simulator, market: str, ip: str, weight: int) -> dict:
    """Charge the IP's weight budget; raises 429/418 as Binance does. Returns usage headers."""
    limiter = sim.limiter
    banned = limiter.banned_for(EXCHANGE, ip)
    if banned:
        until_ms = int((limiter.clock() + banned) * 1000)
        raise BinanceError(
            -1003,
            f"Way too much request weight used; IP banned until {until_ms}. "
            "Please use WebSocket Streams for live updates to avoid bans.",
            status=418,
            headers={"Retry-After": str(math.ceil(banned))},
        )
    rule = FUTURES_WEIGHT if market == FUTURES else SPOT_WEIGHT
    decision = limiter.hit(rule, ip, weight)
    headers = {"X-MBX-USED-WEIGHT-1M": str(int(decision.used))}
    if decision.allowed:
        limiter.clear_strikes(EXCHANGE, ip)
        return headers
    if limiter.strike(EXCHANGE, ip) > BAN_AFTER_STRIKES:
        limiter.ban(EXCHANGE, ip, BAN_SECONDS)
        return _charge_weight(sim, market, ip, 0)  # answers the 418
    if market == FUTURES:
        msg = f"Too many requests; current limit is {rule.limit} requests per minute. "
    else:
        msg = f"Too much request weight used; current limit is {rule.limit} request weight per 1 MINUTE. "
    raise BinanceError(
        -1003,
        msg + "Please use WebSocket Streams for live updates to avoid polling the API.",
        status=429,
        headers={**headers, "Retry-After": str(max(1, math.ceil(decision.retry_after)))},
    )


def _charge_orders(sim: Simulator, market: str, api_key: str) -> dict:
    """Count one new order against the account's order limits; raises -1015 when over."""
    rules = (
        (FUTURES_ORDERS_10S, FUTURES_ORDERS_1M) if market == FUTURES else (SPOT_ORDERS_10S, SPOT_ORDERS_1D)
    )
    headers = {}
    for rule in rules:
        decision = sim.limiter.hit(rule, api_key, 1)
        suffix = {10: "10S", 60: "1M", 86_400: "1D"}[int(rule.window)]
        headers[f"X-MBX-ORDER-COUNT-{suffix}"] = str(int(decision.used))
        if not decision.allowed:
            interval = {10: "10 SECOND", 60: "1 MINUTE", 86_400: "1 DAY"}[int(rule.window)]
            raise BinanceError(
                -1015,
                f"Too many new orders; current limit is {rule.limit} orders per {interval}.",
                status=429,
                headers={**headers, "Retry-After": str(max(1, math.ceil(decision.retry_after)))},
            )
    return headers


def _authenticate(call: Call, raw_query: str, body: str) -> None:
    """Key, timestamp window, then HMAC-SHA256 over the query+body up to the signature."""
    request = call.request
    api_key = request.headers.get("X-MBX-APIKEY")
    if not api_key:
        raise BinanceError(-2014, "API-key format invalid.", status=401)
    request[API_KEY] = api_key
    account = call.sim.engine.account(EXCHANGE, api_key)
    if account is None:
        raise BinanceError(-2015, "Invalid API-key, IP, or permissions for action.", status=401)
    timestamp = call.get("timestamp")
    if timestamp is None or not timestamp.isdigit():
        raise missing("timestamp")
    recv_window = call.get("recvWindow") or str(DEFAULT_RECV_WINDOW)
    if not recv_window.isdigit() or int(recv_window) > MAX_RECV_WINDOW:
        raise BinanceError(-1131, "recvWindow must be less than 60000")
    if int(timestamp) >= call.received_ms + 1000:
        raise BinanceError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    if call.received_ms - int(timestamp) > int(recv_window):
        raise BinanceError(-1021, "Timestamp for this request is outside of the recvWindow.")
    total = raw_query + body
    found = _SIGNATURE.search(total)
    if found is None or not found.group(1):
        raise missing("signature")
    signed_text = total[: found.start()] + total[found.end() :]
    expected = hmac.new(account.secret.encode(), signed_text.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, found.group(1).lower()):
        raise BinanceError(-1022, "Signature for this request is not valid.")
    call.account = account


def endpoint(spec: Endpoint, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Wrap an endpoint function with weight/order limits, parsing, auth and error rendering."""

    async def aiohttp_handler(request: web.Request) -> web.StreamResponse:
        sim: Simulator = request.app[SIM]
        market = market_of(request.path)
        raw_query = request.rel_url.raw_query_string
        body = await request.text() if request.can_read_body else ""
        params = dict(parse_qsl(raw_query, keep_blank_values=True))
        if body:
            params.update(parse_qsl(body, keep_blank_values=True))
        call = Call(request, sim, market, params, int(request[RECEIVED_AT] * 1000))
        headers: dict = {}
        try:
            weight = spec.weight
            if spec.weight_no_symbol is not None and not call.get("symbol"):
                weight = spec.weight_no_symbol
            headers = _charge_weight(sim, market, request.remote or "unknown", weight)
            if spec.signed:
                _authenticate(call, raw_query, body)
            if spec.places_orders:
                headers.update(_charge_orders(sim, market, call.account.api_key))
            result = await handler(call)
        except BinanceError as exc:
            return _error_response(exc, headers)
        if isinstance(result, web.StreamResponse):
            result.headers.update(headers)
            return result
        return json_response(result, headers=headers)

    return aiohttp_handler


def fault_response(kind: str) -> web.Response:
    """What Binance answers for an injected fault (no work was done)."""
    if kind == "429":
        return json_response(
            {
                "code": -1003,
                "msg": "Too much request weight used; current limit is 6000 request weight per 1 MINUTE. "
                "Please use WebSocket Streams for live updates to avoid polling the API.",
            },
            status=429,
            headers={"Retry-After": "1"},
        )
    if kind == "binance_1007":
        return json_response(
            {
                "code": -1007,
                "msg": "Timeout waiting for response from backend server. "
                "Send status unknown; execution status unknown.",
            },
            status=503,
        )
    if kind == "binance_2015":
        return json_response(
            {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}, status=401
        )
    # Binance: 5XX means the execution status is unknown; this one did nothing.
    return json_response(
        {"code": -1001, "msg": "Internal error; unable to process your request. Please try again."},
        status=503,
    )
