"""How exchange refusals cross our boundary: every ccxt error becomes one of ours, and an IP ban
stops every process from using that IP."""

import ccxt
import pytest

from accounts.exchange import client as exchange
from accounts.exchange import ratelimit, ratelimit_rules
from accounts.exchange.types import (
    AuthenticationFailed,
    ExchangeUnavailable,
    InsufficientFunds,
    OrderNotFound,
    OrderRejected,
    RateLimited,
)


@pytest.fixture
def client_of(owner, make):
    keys = []

    def build(exchange_name):
        account = make.account(owner, label=exchange_name, exchange=exchange_name, passphrase="p")
        keys.append(ratelimit_rules.ip_limit_key(exchange_name, "FUTURES"))
        exchange.forget_clients()
        return exchange.client_for(account)

    yield build
    for key in keys:  # never leave a ban behind for the tests that follow
        ratelimit.reset(prefix=key)
    exchange.forget_clients()


def _answered(client, status, headers=None):
    client._ccxt.last_http_status, client._ccxt.last_response_headers = status, headers or {}


@pytest.mark.parametrize(
    "error, ours",
    [
        (ccxt.AuthenticationError("bad key"), AuthenticationFailed),
        (ccxt.InsufficientFunds("margin"), InsufficientFunds),
        (ccxt.OrderNotFound("gone"), OrderNotFound),
        (ccxt.InvalidOrder("min notional"), OrderRejected),
        (ccxt.ExchangeError("plain refusal"), OrderRejected),
        (ccxt.RequestTimeout("timed out"), ExchangeUnavailable),
        (ccxt.ExchangeNotAvailable("503"), ExchangeUnavailable),
        (ccxt.BadResponse("garbled"), ExchangeUnavailable),
    ],
)
def test_every_ccxt_error_becomes_ours(error, ours, client_of):
    client = client_of("BINANCE")
    _answered(client, 400)
    translated = client._translate(error, "FUTURES")
    assert type(translated) is ours
    assert translated.retry_safe is (ours is ExchangeUnavailable)


def test_a_translated_error_carries_no_request_signature(client_of):
    client = client_of("BINANCE")
    _answered(client, 0)
    url = "https://fapi.binance.com/fapi/v1/order?symbol=BTCUSDT&timestamp=1&signature=5f2b0c9e1d7a"
    translated = client._translate(ccxt.RequestTimeout(f"binance POST {url}"), "FUTURES")
    assert "5f2b0c9e1d7a" not in str(translated)
    assert "binance POST https://fapi.binance.com/fapi/v1/order" in str(translated)


def test_a_binance_418_blocks_the_ip_for_every_process_as_long_as_retry_after_says(client_of):
    client = client_of("BINANCE")
    _answered(client, 418, {"Retry-After": "120"})
    translated = client._translate(ccxt.DDoSProtection("binance 418"), "FUTURES")
    assert isinstance(translated, RateLimited) and translated.banned and translated.retry_after == 120
    assert 110 < ratelimit.blocked_for(key=ratelimit_rules.ip_limit_key("BINANCE", "FUTURES")) <= 121


def test_a_bybit_403_blocks_the_ip_for_ten_minutes(client_of):
    client = client_of("BYBIT")
    _answered(client, 403)
    assert client._translate(ccxt.RateLimitExceeded("bybit 403"), "FUTURES").banned
    assert ratelimit.blocked_for(key=ratelimit_rules.ip_limit_key("BYBIT", "FUTURES")) > 590


def test_a_per_account_refusal_does_not_block_the_ip(client_of):
    client = client_of("BYBIT")
    _answered(client, 200)  # Bybit's 10006 arrives as HTTP 200
    translated = client._translate(ccxt.RateLimitExceeded("10006 too many visits"), "FUTURES")
    assert isinstance(translated, RateLimited) and not translated.banned
    assert ratelimit.blocked_for(key=ratelimit_rules.ip_limit_key("BYBIT", "FUTURES")) == 0


def test_the_client_remembers_the_status_of_its_last_answer(client_of, settings):
    from exchange_simulator.testing import start_simulator

    with start_simulator() as url:
        settings.EXCHANGE_SIMULATOR_URL = url
        client = client_of("OKX")
        client._ccxt.on_rest_response(429, "Too Many Requests", url, "GET", {}, "", {}, "")
        assert client._ccxt.last_http_status == 429
        client._ensure_markets()  # a real request through ccxt
        assert client._ccxt.last_http_status == 200
