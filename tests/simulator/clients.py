"""Helpers shared by the simulator tests: ccxt clients pointed at the simulator, and its control API."""

from __future__ import annotations

import itertools
import json
import uuid

import ccxt
import requests

# The same client settings and URL rewriting the service itself uses (EXCHANGES.md).
from accounts.exchange.client import point_at
from accounts.exchange.venues import VENUES

VENUES_BY_CCXT_ID = {venue.ccxt_id: venue for venue in VENUES.values()}

_counter = itertools.count(1)


def make_client(
    exchange_id: str,
    base_url: str,
    api_key: str,
    secret: str,
    password: str | None = None,
    options: dict | None = None,
    timeout_ms: int = 10_000,
) -> ccxt.Exchange:
    """A sync ccxt client for `exchange_id` that talks to the simulator at `base_url`."""
    config = {
        "apiKey": api_key,
        "secret": secret,
        "timeout": timeout_ms,
        "enableRateLimit": False,
        "options": {**_venue_options(exchange_id), **(options or {})},
    }
    if password is not None:
        config["password"] = password
    client = getattr(ccxt, exchange_id)(config)
    if exchange_id in VENUES_BY_CCXT_ID:
        client.has.update(VENUES_BY_CCXT_ID[exchange_id].has_overrides)
    client.urls["api"] = point_at(client.urls["api"], base_url)
    return client


def _venue_options(exchange_id: str) -> dict:
    venue = VENUES_BY_CCXT_ID.get(exchange_id)
    return dict(venue.ccxt_options) if venue else {}


def unique_key(prefix: str = "key") -> str:
    """An API key no other test uses, so tests sharing one simulator never see each other's state."""
    return f"{prefix}{next(_counter)}{uuid.uuid4().hex[:12]}"


class SimControl:
    """Thin client of the simulator's /_sim/ control API."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()

    def _post(self, path: str, body: dict) -> object:
        resp = self.http.post(self.base_url + path, json=body, timeout=10)
        resp.raise_for_status()
        return resp.json()

    def _get(self, path: str, **params: object) -> object:
        query = {k: v for k, v in params.items() if v is not None}
        resp = self.http.get(self.base_url + path, params=query, timeout=10)
        resp.raise_for_status()
        return resp.json()

    def account(
        self,
        exchange: str,
        api_key: str,
        secret: str,
        balances: dict | None = None,
        passphrase: str | None = None,
    ) -> object:
        body = {"exchange": exchange, "api_key": api_key, "secret": secret, "balances": balances or {}}
        if passphrase is not None:
            body["passphrase"] = passphrase
        return self._post("/_sim/accounts", body)

    def price(self, symbol: str, price: object, exchange: str | None = None) -> object:
        body = {"symbol": symbol, "price": str(price)}
        if exchange:
            body["exchange"] = exchange
        return self._post("/_sim/prices", body)

    def orders(self, **filters: object) -> list[dict]:
        return self._get("/_sim/orders", **filters)

    def requests(self, **filters: object) -> list[dict]:
        return self._get("/_sim/requests", **filters)

    def positions(self, **filters: object) -> list[dict]:
        return self._get("/_sim/positions", **filters)

    def balances(self, **filters: object) -> list[dict]:
        return self._get("/_sim/balances", **filters)

    def faults(self, **fault: object) -> object:
        return self._post("/_sim/faults", fault)

    def fill(self, exchange: str, quantity: object, **which: object) -> dict:
        return self._post("/_sim/fill", {"exchange": exchange, "quantity": str(quantity), **which})

    def list_instrument(self, **instrument: object) -> object:
        return self._post("/_sim/instruments", instrument)

    def update_instrument(self, **changes: object) -> object:
        return self._post("/_sim/instruments/update", changes)

    def position_mode(self, exchange: str, api_key: str, mode: str) -> object:
        return self._post("/_sim/position-mode", {"exchange": exchange, "api_key": api_key, "mode": mode})

    def fees(self, **body: object) -> object:
        """Set fee rates: fees(preset="zero"), or fees(exchange=, market=, maker=, taker=)."""
        return self._post("/_sim/fees", body)

    def reset(self) -> object:
        return self._post("/_sim/reset", {})

    def balance(self, exchange: str, api_key: str, wallet: str, asset: str) -> dict:
        rows = self.balances(exchange=exchange, api_key=api_key)
        return rows[0]["balances"].get(wallet, {}).get(asset, {"free": "0", "locked": "0", "total": "0"})


REAL_BINANCE_URLS = {
    "spot": "https://api.binance.com/api/v3/order",
    "futures": "https://fapi.binance.com/fapi/v1/order",
}


def error_body(exc: Exception) -> str:
    """The exchange's JSON body that ccxt put in an exception message ("binance {...}")."""
    message = str(exc)
    return message[message.index("{") :]


def binance_class_on_real_host(client: ccxt.Exchange, exc: Exception, market: str) -> type:
    """The ccxt exception class the same Binance answer raises when it comes from Binance's own host.

    ccxt applies its market-specific error maps (e.g. USDT-M -2019 → InsufficientFunds, -4116 →
    InvalidOrder) only for binance.com URLs, so against the simulator some of those errors arrive
    as plain ExchangeError (EXCHANGES.md). Replaying the body through ccxt's own handle_errors with
    the real URL shows what the real error would produce.
    """
    body = error_body(exc)
    try:
        client.handle_errors(
            400, "Bad Request", REAL_BINANCE_URLS[market], "POST", {}, body, json.loads(body), {}, ""
        )
    except ccxt.BaseError as real:
        return type(real)
    raise AssertionError(f"ccxt raised nothing for {body}")
