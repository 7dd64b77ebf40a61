"""Unknown outcomes the real exchanges produce (issue 11, defects 3 and 4), through real ccxt:
Bybit's HTTP 200 retCode 10000 / 10016 (the order may exist), an order history that lags (a new
order is invisible to look-ups for a while), and client ids that Binance frees once an order is
closed (a blind resend of a filled MARKET order places a second one)."""

from __future__ import annotations

import time

import ccxt
import pytest

from tests.simulator.strict_support import PERP, SPOT, funded

BALANCES = {"spot": {"USDT": "100000", "BTC": "1"}, "futures": {"USDT": "100000"}}


@pytest.mark.parametrize(("kind", "code"), [("retcode_10000", "10000"), ("retcode_10016", "10016")])
def test_bybit_server_error_is_http_200_and_the_order_may_exist(sim, sim_url, kind, code):
    client, key = funded(sim, sim_url, "bybit", BALANCES)
    sim.faults(exchange="bybit", path_contains="/v5/order/create", error=kind, fail_next_n=1)

    with pytest.raises(ccxt.ExchangeError, match=f'"retCode":{code}') as raised:
        client.create_order(PERP, "market", "buy", 0.01, None, {"clientOrderId": "lost1"})

    assert type(raised.value) is ccxt.ExchangeError  # nothing tells ccxt it might have worked
    (order,) = sim.orders(api_key=key)
    assert (order["client_order_id"], order["status"]) == ("lost1", "filled")
    statuses = [r["status"] for r in sim.requests(api_key=key, path_contains="/v5/order/create")]
    assert statuses == [200]
    # Sent again, the same client id is refused as a duplicate: proof that the order exists.
    with pytest.raises(ccxt.InvalidOrder, match="110072"):
        client.create_order(PERP, "market", "buy", 0.01, None, {"clientOrderId": "lost1"})


def test_bybit_server_error_without_processing_leaves_no_order(sim, sim_url):
    client, key = funded(sim, sim_url, "bybit", BALANCES)
    sim.faults(exchange="bybit", error="retcode_10016", fail_next_n=1, process=False)
    with pytest.raises(ccxt.ExchangeError, match="10016"):
        client.create_order(PERP, "market", "buy", 0.01)
    assert sim.orders(api_key=key) == []


def test_retcode_faults_are_refused_for_other_exchanges(sim):
    with pytest.raises(Exception, match="400"):
        sim.faults(exchange="okx", error="retcode_10016", fail_next_n=1)


def test_bybit_order_history_lag_hides_a_new_order_from_look_ups(sim, sim_url):
    client, key = funded(sim, sim_url, "bybit", BALANCES)
    sim.faults(exchange="bybit", api_key=key, history_lag_s=0.6)
    created = client.create_order(PERP, "limit", "buy", 0.01, 50000, {"clientOrderId": "lag1"})

    assert client.fetch_open_orders(PERP) == []
    with pytest.raises(ccxt.OrderNotFound):
        client.fetch_open_order(created["id"], PERP)
    assert sim.orders(api_key=key)[0]["status"] == "new"  # it exists all along

    time.sleep(0.7)
    assert [o["id"] for o in client.fetch_open_orders(PERP)] == [created["id"]]


def test_binance_order_history_lag_answers_unknown_order(sim, sim_url):
    client, key = funded(sim, sim_url, "binance", BALANCES)
    sim.faults(exchange="binance", history_lag_s=0.6)
    created = client.create_order(PERP, "market", "buy", 0.01, None, {"clientOrderId": "lag2"})

    with pytest.raises(ccxt.OrderNotFound):
        client.fetch_order(None, PERP, {"clientOrderId": "lag2"})
    time.sleep(0.7)
    assert client.fetch_order(created["id"], PERP)["status"] == "closed"


@pytest.mark.parametrize("symbol", [SPOT, PERP])
def test_binance_resending_a_filled_market_orders_client_id_places_a_second_order(sim, sim_url, symbol):
    """Binance checks client ids among open orders only: a filled MARKET order's id is free."""
    client, key = funded(sim, sim_url, "binance", BALANCES)
    client.create_order(symbol, "market", "buy", 0.01, None, {"clientOrderId": "twice1"})
    client.create_order(symbol, "market", "buy", 0.01, None, {"clientOrderId": "twice1"})
    assert [o["status"] for o in sim.orders(api_key=key)] == ["filled", "filled"]


def test_bybit_refuses_the_client_id_of_a_filled_order(sim, sim_url):
    client, key = funded(sim, sim_url, "bybit", BALANCES)
    client.create_order(PERP, "market", "buy", 0.01, None, {"clientOrderId": "once1"})
    with pytest.raises(ccxt.InvalidOrder, match="110072"):
        client.create_order(PERP, "market", "buy", 0.01, None, {"clientOrderId": "once1"})
    assert len(sim.orders(api_key=key)) == 1


def test_fault_rules_of_different_kinds_apply_to_the_same_requests(sim, sim_url):
    """A lost-answer rate and Bybit 10016 faults side by side, for the same create path."""
    client, key = funded(sim, sim_url, "bybit", BALANCES)
    create = "/v5/order/create"
    sim.faults(exchange="bybit", path_contains=create, error="lost_response", fail_next_n=1)
    sim.faults(exchange="bybit", path_contains=create, error="retcode_10016", fail_next_n=1)
    with pytest.raises(ccxt.RequestTimeout):  # the 504 of the lost answer
        client.create_order(PERP, "market", "buy", 0.01)
    with pytest.raises(ccxt.ExchangeError, match="10016"):
        client.create_order(PERP, "market", "buy", 0.01)
    client.create_order(PERP, "market", "buy", 0.01)
    assert [r["status"] for r in sim.requests(api_key=key, path_contains=create)] == [504, 200, 200]
    assert len(sim.orders(api_key=key)) == 3  # each request was carried out
    sim.faults(exchange="bybit", path_contains=create)  # an inert rule clears both
    assert sim._get("/_sim/faults")["faults"] == []


def test_binance_1007_says_status_unknown_while_the_order_was_placed(sim, sim_url):
    """Defect 3: with a lagging history, a look-up right after -1007 says "unknown order"."""
    client, key = funded(sim, sim_url, "binance", BALANCES)
    sim.faults(exchange="binance", path_contains="/fapi/v1/order", error="binance_1007", fail_next_n=1)
    sim.faults(exchange="binance", api_key=key, history_lag_s=0.6)
    with pytest.raises(ccxt.RequestTimeout, match="-1007"):  # what ccxt makes of it
        client.create_order(PERP, "market", "buy", 0.01, None, {"clientOrderId": "unknown1"})
    with pytest.raises(ccxt.OrderNotFound):
        client.fetch_order(None, PERP, {"clientOrderId": "unknown1"})
    assert [o["status"] for o in sim.orders(api_key=key)] == ["filled"]
    time.sleep(0.7)
    assert client.fetch_order(None, PERP, {"clientOrderId": "unknown1"})["status"] == "closed"
