"""Injected faults as a ccxt client sees them: lost responses, 5xx, 429, timeouts and latency."""

from __future__ import annotations

import time

import ccxt
import pytest

from tests.simulator.binance_support import PERP, SPOT, binance_account


@pytest.fixture
def binance(sim, sim_url):
    return binance_account(sim, sim_url)


def test_binance_lost_response_places_the_order_and_the_client_gets_an_error(sim, binance):
    client, key = binance
    client.load_markets()
    sim.faults(exchange="binance", error="lost_response", fail_next_n=1, path_contains="/fapi/v1/order")

    with pytest.raises(ccxt.RequestTimeout):
        client.create_order(PERP, "market", "buy", 0.01, None, {"clientOrderId": "lost1"})

    [row] = sim.orders(api_key=key)
    assert (row["client_order_id"], row["status"]) == ("lost1", "filled")
    assert client.fetch_order(None, PERP, {"clientOrderId": "lost1"})["status"] == "closed"
    assert sim.requests(api_key=key, path_contains="/fapi/v1/order", method="POST")[-1]["status"] == 504


def test_binance_lost_response_can_drop_the_connection(sim, binance):
    client, key = binance
    client.load_markets()
    sim.faults(
        exchange="binance", error="lost_response", lost_mode="close", fail_next_n=1, path_contains="order"
    )

    with pytest.raises(ccxt.NetworkError):
        client.create_order(SPOT, "limit", "buy", 0.01, 50000, {"clientOrderId": "lost2"})

    assert [o["client_order_id"] for o in sim.orders(api_key=key)] == ["lost2"]


def test_binance_5xx_does_not_place_the_order(sim, binance):
    client, key = binance
    client.load_markets()
    sim.faults(exchange="binance", error="5xx", fail_next_n=1)

    with pytest.raises(ccxt.OperationFailed, match="-1001"):
        client.create_order(SPOT, "market", "buy", 0.01)

    assert sim.orders(api_key=key) == []
    assert client.create_order(SPOT, "market", "buy", 0.01)["status"] == "closed"  # only the next one failed


def test_binance_injected_429_is_ddos_protection(sim, binance):
    client, _ = binance
    client.load_markets()
    sim.faults(exchange="binance", error="429", fail_next_n=1)

    with pytest.raises(ccxt.DDoSProtection):
        client.fetch_balance()


def test_binance_timeout_answers_too_late_but_the_order_exists(sim, sim_url):
    client, key = binance_account(sim, sim_url, timeout_ms=500)
    client.load_markets()
    sim.faults(
        exchange="binance", error="timeout", fail_next_n=1, timeout_s=1.5, path_contains="/api/v3/order"
    )

    with pytest.raises(ccxt.RequestTimeout):  # the client gave up at 0.5 s; the answer comes at 1.5 s
        client.create_order(SPOT, "limit", "buy", 0.01, 50000, {"clientOrderId": "late1"})

    assert [o["status"] for o in sim.orders(api_key=key)] == ["new"]


def test_binance_latency_delays_every_answer(sim, binance):
    client, _ = binance
    client.load_markets()
    sim.faults(exchange="binance", latency_ms=300)

    started = time.monotonic()
    client.fetch_ticker(SPOT)

    assert time.monotonic() - started >= 0.3
