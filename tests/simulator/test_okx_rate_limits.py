"""OKX order rate limits with the real numbers (sliding 2 s windows), on a private simulator so the
counters never leak into other tests: place order 60 / 2 s per instrument (HTTP 429, 50011 ->
ccxt RateLimitExceeded), algo orders 20 / 2 s, 1000 new orders / 2 s per account (50061)."""

from __future__ import annotations

import time

import ccxt
import pytest

from exchange_simulator.testing import start_simulator
from tests.simulator.clients import SimControl, make_client, unique_key

SWAP = "BTC/USDT:USDT"
SWAPS = ("BTC", "ETH", "SOL", "XRP", "DOGE")


@pytest.fixture(scope="module")
def private_url():
    with start_simulator() as base_url:
        yield base_url


@pytest.fixture
def private_sim(private_url):
    control = SimControl(private_url)
    control.reset()
    yield control
    control.reset()


def okx_client(sim: SimControl, base_url: str) -> ccxt.okx:
    api_key, secret, passphrase = unique_key("okx"), unique_key("secret"), unique_key("Pass")
    sim.account("okx", api_key, secret, {"futures": {"USDT": "1000000"}}, passphrase=passphrase)
    client = make_client("okx", base_url, api_key, secret, password=passphrase)
    client.load_markets()
    return client


def resting_buy(client: ccxt.okx, base: str = "BTC") -> dict:
    """A small swap buy far below the mark: it rests, so nothing fills between hits."""
    price = {"BTC": 30000, "ETH": 1500, "SOL": 75, "XRP": 0.3, "DOGE": 0.075}[base]
    return client.create_order(f"{base}/USDT:USDT", "limit", "buy", 0.01, price)


def test_okx_burst_past_60_orders_per_2s_on_one_instrument_is_rate_limited(private_sim, private_url):
    client = okx_client(private_sim, private_url)
    other = okx_client(private_sim, private_url)

    with pytest.raises(ccxt.RateLimitExceeded, match="50011"):
        for _ in range(61):
            resting_buy(client)

    assert len(private_sim.orders(api_key=client.apiKey)) == 60
    refused = private_sim.requests(api_key=client.apiKey, path_contains="batch-orders")[-1]
    assert refused["status"] == 429
    resting_buy(client, "ETH")  # the limit is per instrument
    resting_buy(other)  # and per account


def test_okx_paced_orders_stay_within_the_per_instrument_limit(private_sim, private_url):
    client = okx_client(private_sim, private_url)

    for _ in range(60):
        resting_buy(client)
    time.sleep(2.05)  # the sliding 2 s window moves past all of the first 60
    for _ in range(60):
        resting_buy(client)

    assert len(private_sim.orders(api_key=client.apiKey)) == 120


def test_okx_burst_past_20_algo_orders_per_2s_is_rate_limited(private_sim, private_url):
    client = okx_client(private_sim, private_url)

    with pytest.raises(ccxt.RateLimitExceeded, match="50011"):
        for _ in range(21):
            client.create_order(SWAP, "market", "buy", 0.01, None, {"triggerPrice": 70000})

    assert len(private_sim.orders(api_key=client.apiKey)) == 20
    resting_buy(client)  # normal orders have their own budget


def test_okx_more_than_1000_new_orders_per_2s_per_account_is_refused_with_50061(private_sim, private_url):
    client = okx_client(private_sim, private_url)
    batches = [
        [{"symbol": f"{base}/USDT:USDT", "type": "market", "side": "buy", "amount": 0.01} for _ in range(20)]
        for base in SWAPS
        for _ in range(10)
    ]  # 5 instruments x 200 orders: each under the 300 / 2 s batch limit per instrument

    started = time.monotonic()
    for batch in batches:
        client.create_orders(batch)
    with pytest.raises(ccxt.ExchangeError, match="50061") as raised:
        client.create_order(SWAP, "market", "buy", 0.01, None)

    assert time.monotonic() - started < 2.0, "too slow to fill the 2 s window"
    assert type(raised.value) is ccxt.ExchangeError  # 50061 arrives as a plain ExchangeError
    assert len(private_sim.orders(api_key=client.apiKey)) == 1000
