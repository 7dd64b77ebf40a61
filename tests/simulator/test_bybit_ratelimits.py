"""Bybit v5 rate limits: per-UID order create (10/s linear, 20/s spot) answers retCode 10006,
600 requests / 5 s per IP answers HTTP 403 and keeps refusing the IP for 10 minutes.

These tests own a private simulator so their limiter state is their own."""

from __future__ import annotations

import time

import ccxt
import pytest
import requests

from exchange_simulator.bybit_http import IP_BAN_SECONDS, BybitError, _charge_ip
from exchange_simulator.context import Simulator
from exchange_simulator.engine import Engine
from exchange_simulator.faults import FaultBook
from exchange_simulator.ratelimit import RateLimiter
from exchange_simulator.testing import start_simulator
from tests.simulator.clients import SimControl, make_client, unique_key

LIMITS = {"BTC/USDT:USDT": 10, "BTC/USDT": 20}


@pytest.fixture(scope="module")
def private_url():
    with start_simulator() as base_url:
        yield base_url


@pytest.fixture
def control(private_url) -> SimControl:
    control = SimControl(private_url)
    control.reset()
    return control


def client_for(control: SimControl, url: str) -> ccxt.bybit:
    key = unique_key("bybitrl")
    control.account("bybit", key, "s-" + key, {"spot": {"USDT": "100000"}, "futures": {"USDT": "100000"}})
    client = make_client("bybit", url, key, "s-" + key)
    client.load_markets()
    return client


@pytest.mark.parametrize("symbol", list(LIMITS), ids=["linear", "spot"])
def test_bybit_order_burst_past_the_per_account_limit_gets_10006(control, private_url, symbol):
    client = client_for(control, private_url)
    limit = LIMITS[symbol]
    accepted, refused = 0, []
    started = time.monotonic()
    for _ in range(limit + 3):
        try:
            client.create_order(symbol, "limit", "buy", 0.001, 50000)
            accepted += 1
        except ccxt.RateLimitExceeded as exc:
            refused.append(exc)
    assert time.monotonic() - started < 1.0, "the burst must fit in one second to test the limit"

    assert accepted == limit and len(refused) == 3
    assert "10006" in str(refused[0])
    headers = client.last_response_headers
    assert headers["X-Bapi-Limit"] == str(limit)
    assert headers["X-Bapi-Limit-Status"] == "0"
    assert int(headers["X-Bapi-Limit-Reset-Timestamp"]) > time.time() * 1000 - 1000
    assert len(control.orders(exchange="bybit", api_key=client.apiKey)) == limit


def test_bybit_paced_orders_stay_under_the_per_account_limit(control, private_url):
    client = client_for(control, private_url)
    for _ in range(13):
        started = time.monotonic()
        client.create_order("BTC/USDT:USDT", "limit", "buy", 0.001, 50000)
        time.sleep(max(0.0, 0.12 - (time.monotonic() - started)))
    assert len(control.orders(exchange="bybit", api_key=client.apiKey)) == 13
    assert client.last_response_headers["X-Bapi-Limit"] == "10"


def test_bybit_order_limits_are_per_account_and_per_category(control, private_url):
    first, second = client_for(control, private_url), client_for(control, private_url)
    for _ in range(10):
        first.create_order("BTC/USDT:USDT", "limit", "buy", 0.001, 50000)
    # Another account, and the same account on spot, still have their whole budget.
    second.create_order("BTC/USDT:USDT", "limit", "buy", 0.001, 50000)
    first.create_order("BTC/USDT", "limit", "buy", 0.001, 50000)
    with pytest.raises(ccxt.RateLimitExceeded):
        first.create_order("BTC/USDT:USDT", "limit", "buy", 0.001, 50000)


def test_bybit_ip_limit_answers_403_and_blocks_the_ip(control, private_url):
    client = client_for(control, private_url)  # 3 requests for the markets
    http = requests.Session()
    statuses = [http.get(private_url + "/v5/market/time", timeout=5).status_code for _ in range(600)]
    try:
        assert statuses.count(200) == 597 and statuses[-3:] == [403, 403, 403]
        with pytest.raises(ccxt.RateLimitExceeded, match="403"):
            client.fetch_ticker("BTC/USDT")
        with pytest.raises(ccxt.RateLimitExceeded):
            client.fetch_balance()
        logged = control.requests(exchange="bybit", path_contains="/v5/market/time", limit=3)
        assert {r["status"] for r in logged} == {403}
    finally:
        control.reset()  # lifts the block for the other tests of this module


def test_bybit_ip_block_outlasts_the_window_and_ends_after_ten_minutes():
    clock = [1_000_000.0]
    limiter = RateLimiter(clock=lambda: clock[0])
    sim = Simulator(engine=Engine(), limiter=limiter, faults=FaultBook())
    for _ in range(600):
        _charge_ip(sim, "10.0.0.1")
    with pytest.raises(BybitError) as refused:
        _charge_ip(sim, "10.0.0.1")
    assert refused.value.status == 403
    _charge_ip(sim, "10.0.0.2")  # other IPs are unaffected

    clock[0] += 60  # the 5 s window is long gone, the block is not
    with pytest.raises(BybitError):
        _charge_ip(sim, "10.0.0.1")
    clock[0] += IP_BAN_SECONDS
    _charge_ip(sim, "10.0.0.1")
