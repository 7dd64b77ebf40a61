"""Binance rate limits with the real numbers, counted across connections.

These tests run on a private simulator so that the limits and the IP ban they provoke do not
leak into other tests. Fixed windows (as Binance's) can split a burst in two, so each burst is
more than twice the limit.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import ccxt
import pytest
import requests

from exchange_simulator.testing import start_simulator
from tests.simulator.binance_support import PERP, SPOT, binance_account, signed_query
from tests.simulator.clients import SimControl


@pytest.fixture(scope="module")
def private_url():
    with start_simulator() as base_url:
        yield base_url


@pytest.fixture
def private_sim(private_url):
    control = SimControl(private_url)
    control.reset()
    yield control
    control.reset()  # forget counters and bans


def test_binance_spot_order_burst_past_100_per_10s_is_refused(private_sim, private_url):
    client, key = binance_account(private_sim, private_url)
    client.load_markets()

    with pytest.raises(ccxt.DDoSProtection, match="-1015") as raised:
        for _ in range(250):
            client.create_order(SPOT, "limit", "buy", 0.0001, 50000)

    assert "100 orders per 10 SECOND" in str(raised.value)
    placed = len(private_sim.orders(api_key=key))
    assert 100 <= placed < 250


def start_of_a_fresh_window(seconds: float, needed: float) -> None:
    """Sleep into the next fixed window if fewer than `needed` seconds are left in this one."""
    left = seconds - time.time() % seconds
    if left < needed:
        time.sleep(left + 0.05)


def test_binance_futures_order_burst_past_300_per_10s_is_refused_across_connections(private_sim, private_url):
    api_key, secret = "burst-key", "burst-secret"
    private_sim.account("binance", api_key, secret, {"futures": {"USDT": "1000000"}})
    order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.002", "price": "50000"}

    def place(_):
        body = signed_query(order | {"timeInForce": "GTC"}, secret)
        headers = {"X-MBX-APIKEY": api_key, "Content-Type": "application/x-www-form-urlencoded"}
        resp = requests.post(private_url + "/fapi/v1/order", data=body, headers=headers, timeout=10)
        return resp.status_code, resp.json(), resp.headers

    # 340 orders x weight 4 stays under the 2400 IP weight, so only the order limit can refuse.
    start_of_a_fresh_window(10, needed=5)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(place, range(340)))

    refused = [(body, headers) for status, body, headers in results if status == 429]
    accepted = [headers for status, _, headers in results if status == 200]
    assert len(accepted) == 300 and len(refused) == 40
    assert all(body["code"] == -1015 and "Retry-After" in headers for body, headers in refused)
    assert max(int(h["X-MBX-ORDER-COUNT-10S"]) for h in accepted) == 300


def test_binance_order_limit_is_per_account(private_sim, private_url):
    clients = [binance_account(private_sim, private_url)[0] for _ in range(3)]
    for client in clients:
        client.load_markets()

    def burst(client):
        return [client.create_order(SPOT, "limit", "buy", 0.0001, 50000)["status"] for _ in range(80)]

    with ThreadPoolExecutor(max_workers=3) as pool:
        statuses = [s for batch in pool.map(burst, clients) for s in batch]

    assert statuses == ["open"] * 240


def test_binance_weight_burst_past_6000_per_minute_is_refused_then_the_ip_is_banned(private_sim, private_url):
    http = requests.Session()
    statuses = []
    for _ in range(200):  # /api/v3/ticker/24hr without a symbol weighs 80
        resp = http.get(private_url + "/api/v3/ticker/24hr", timeout=10)
        statuses.append(resp.status_code)
        if resp.status_code == 418:
            break

    first_refusal = statuses.index(429)
    assert 75 <= first_refusal <= 150
    assert int(resp.headers["Retry-After"]) >= 1
    assert resp.status_code == 418 and "IP banned until" in resp.json()["msg"]

    client, _ = binance_account(private_sim, private_url)
    with pytest.raises(ccxt.DDoSProtection):
        client.fetch_ticker(PERP)  # the ban covers the whole IP


def test_binance_paced_requests_stay_under_the_weight_limit(private_sim, private_url):
    http = requests.Session()
    start_of_a_fresh_window(60, needed=5)
    used = []
    for _ in range(70):  # 70 x 80 = 5600 < 6000 even within one window
        resp = http.get(private_url + "/api/v3/ticker/24hr", timeout=10)
        assert resp.status_code == 200
        used.append(int(resp.headers["X-MBX-USED-WEIGHT-1M"]))

    assert used[0] == 80 and max(used) <= 5600
