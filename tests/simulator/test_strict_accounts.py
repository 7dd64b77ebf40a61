"""Account-level strictness through real ccxt (issue 11, defects 9, 10 and 12): OKX trigger
orders' client id (`algoClOrdId`, found only by the algo look-up), OKX 50061 (sub-account order
rate), and a Binance key that fails with -2015 after the same client instance authenticated."""

from __future__ import annotations

import ccxt
import pytest

from tests.simulator.strict_support import PERP, funded

BALANCES = {"spot": {"USDT": "100000", "BTC": "1"}, "futures": {"USDT": "100000"}}


def test_okx_trigger_order_takes_clordid_as_its_algoclordid(sim, sim_url):
    """Defect 12 checked against ccxt's recorded real answer (static/response/okx.json): OKX
    echoes the `clOrdId` ccxt sends to order-algo as the algo order's `algoClOrdId`, so the
    algo order is found by it through the algo look-up (`algoClOrdId`), not the normal one."""
    client, key = funded(sim, sim_url, "okx", BALANCES)
    created = client.create_order(
        PERP, "market", "buy", 1, None, {"triggerPrice": 65000, "clientOrderId": "plain1"}
    )
    assert (created["info"]["algoClOrdId"], created["info"]["clOrdId"]) == ("plain1", "plain1")
    assert [o["client_order_id"] for o in sim.orders(api_key=key)] == ["plain1"]
    with pytest.raises(ccxt.OrderNotFound):
        client.fetch_order(None, PERP, {"clientOrderId": "plain1"})  # GET /trade/order: not there
    found = client.fetch_order(None, PERP, {"clientOrderId": "plain1", "trigger": True})
    assert found["id"] == created["id"]


def test_okx_50061_is_a_plain_exchange_error_and_places_nothing(sim, sim_url):
    """Defect 10: ccxt does not know 50061 is a rate limit."""
    client, key = funded(sim, sim_url, "okx", BALANCES)
    sim.faults(exchange="okx", path_contains="/trade/", error="okx_50061", fail_next_n=1)
    with pytest.raises(ccxt.ExchangeError, match="50061") as raised:
        client.create_order(PERP, "market", "buy", 1)
    assert not isinstance(raised.value, ccxt.RateLimitExceeded)
    assert sim.orders(api_key=key) == []


def test_binance_2015_after_an_earlier_success_reads_as_ddos_protection_in_ccxt(sim, sim_url):
    """Defect 9: once a client instance authenticated, ccxt turns -2015 into DDoSProtection."""
    client, key = funded(sim, sim_url, "binance", BALANCES)
    client.fetch_balance()
    sim.faults(exchange="binance", api_key=key, error="binance_2015", fail_next_n=1)
    with pytest.raises(ccxt.DDoSProtection, match="-2015"):
        client.fetch_balance()

    fresh, key2 = funded(sim, sim_url, "binance", BALANCES)
    sim.faults(exchange="binance", api_key=key2, error="binance_2015", fail_next_n=1)
    with pytest.raises(ccxt.AuthenticationError, match="-2015"):
        fresh.fetch_balance()
