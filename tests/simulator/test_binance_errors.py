"""Binance rejections arrive in ccxt as the exception classes the real errors produce.

Against the simulator's host ccxt skips its binance.com-only error maps, so for USDT-M codes the
tests also replay the answer through ccxt with Binance's real URL (binance_class_on_real_host).
"""

from __future__ import annotations

import ccxt
import pytest

from tests.simulator.binance_support import PERP, SPOT, binance_account
from tests.simulator.clients import binance_class_on_real_host, error_body, make_client


@pytest.fixture
def binance(sim, sim_url):
    return binance_account(sim, sim_url)


def test_binance_bad_signature_is_an_authentication_error(sim, sim_url, binance):
    _, key = binance
    client = make_client("binance", sim_url, key, "not-the-secret")

    with pytest.raises(ccxt.AuthenticationError, match="-1022"):
        client.fetch_balance()


def test_binance_unknown_api_key_is_an_authentication_error(sim_url, binance):
    client = make_client("binance", sim_url, "no-such-key", "whatever")

    with pytest.raises(ccxt.AuthenticationError, match="-2015"):
        client.fetch_balance()


def test_binance_stale_timestamp_is_an_invalid_nonce(binance):
    client, _ = binance
    client.options["timeDifference"] = 15_000  # the client's clock is 15 s behind; recvWindow is 10 s

    with pytest.raises(ccxt.InvalidNonce, match="-1021"):
        client.fetch_balance()


def test_binance_spot_order_below_min_notional_is_rejected_by_the_notional_filter(binance):
    client, _ = binance
    client.load_markets()
    client.markets[SPOT]["limits"]["cost"]["min"] = None  # let the request reach the exchange

    with pytest.raises(ccxt.BadRequest, match="Filter failure: NOTIONAL") as raised:
        client.create_order(SPOT, "limit", "buy", 0.0001, 40000)  # 4 USDT < 5

    assert binance_class_on_real_host(client, raised.value, "spot") is ccxt.BadRequest


def test_binance_futures_order_below_min_notional_is_an_invalid_order(binance):
    client, _ = binance

    with pytest.raises(ccxt.ExchangeError, match="-4164") as raised:
        client.create_order(PERP, "limit", "buy", 0.001, 50000)  # 50 USDT < 100

    assert binance_class_on_real_host(client, raised.value, "futures") is ccxt.InvalidOrder


def test_binance_spot_insufficient_balance_is_insufficient_funds(sim, sim_url):
    client, _ = binance_account(sim, sim_url, {"spot": {"USDT": "100"}})

    with pytest.raises(ccxt.InsufficientFunds, match="insufficient balance"):
        client.create_order(SPOT, "limit", "buy", 0.01, 50000)


def test_binance_futures_insufficient_margin_is_insufficient_funds(sim, sim_url):
    client, _ = binance_account(sim, sim_url, {"futures": {"USDT": "10"}})

    with pytest.raises(ccxt.ExchangeError, match="-2019") as raised:
        client.create_order(PERP, "market", "buy", 0.01)  # 600 notional / 20x = 30 margin

    assert binance_class_on_real_host(client, raised.value, "futures") is ccxt.InsufficientFunds


def test_binance_reduce_only_without_a_position_is_rejected(sim, binance):
    client, key = binance

    with pytest.raises(ccxt.ExchangeError, match="-2022") as raised:
        client.create_order(PERP, "market", "sell", 0.01, None, {"reduceOnly": True})

    assert binance_class_on_real_host(client, raised.value, "futures") is ccxt.InvalidOrder
    assert sim.orders(api_key=key) == []


def test_binance_reduce_only_that_would_increase_the_position_is_rejected(binance):
    client, _ = binance
    client.create_order(PERP, "market", "buy", 0.01)

    with pytest.raises(ccxt.ExchangeError, match="-2022"):
        client.create_order(PERP, "market", "buy", 0.01, None, {"reduceOnly": True})


def test_binance_spot_duplicate_client_order_id_is_an_invalid_order(binance):
    client, _ = binance
    client.create_order(SPOT, "limit", "buy", 0.01, 50000, {"clientOrderId": "dup1"})

    with pytest.raises(ccxt.InvalidOrder, match="Duplicate order sent"):
        client.create_order(SPOT, "limit", "buy", 0.01, 50000, {"clientOrderId": "dup1"})


@pytest.mark.parametrize("trigger", [None, 55000])
def test_binance_futures_duplicate_client_order_id_is_an_invalid_order(binance, trigger):
    client, _ = binance
    params = {"clientOrderId": "dup2"} | ({"triggerPrice": trigger} if trigger else {})
    client.create_order(PERP, "limit", "sell", 0.01, 54000 if trigger else 65000, params)

    with pytest.raises(ccxt.ExchangeError, match="-4116") as raised:
        client.create_order(PERP, "limit", "sell", 0.01, 54000 if trigger else 65000, params)

    assert binance_class_on_real_host(client, raised.value, "futures") is ccxt.InvalidOrder


def test_binance_client_order_id_is_free_again_once_the_order_is_closed(binance):
    client, _ = binance
    client.create_order(SPOT, "market", "buy", 0.001, None, {"clientOrderId": "again1"})

    order = client.create_order(SPOT, "market", "buy", 0.001, None, {"clientOrderId": "again1"})

    assert order["status"] == "closed"  # Binance: "a unique id among open orders"


@pytest.mark.parametrize("market", ["spot", "futures"])
def test_binance_unknown_symbol_is_a_bad_symbol(binance, market):
    client, _ = binance
    place = client.privatePostOrder if market == "spot" else client.fapiPrivatePostOrder

    with pytest.raises(ccxt.BadSymbol, match="-1121"):
        place({"symbol": "NOPEUSDT", "side": "BUY", "type": "MARKET", "quantity": "1"})


def test_binance_stop_that_would_trigger_at_once_is_refused(binance):
    client, _ = binance

    with pytest.raises(ccxt.ExchangeError, match="-2021") as raised:
        client.create_order(PERP, "market", "sell", 0.01, None, {"triggerPrice": 61000})

    assert binance_class_on_real_host(client, raised.value, "futures") is ccxt.OrderImmediatelyFillable
    with pytest.raises(ccxt.OrderImmediatelyFillable):
        client.create_order(SPOT, "market", "sell", 0.01, None, {"triggerPrice": 61000})


def test_binance_futures_order_endpoint_sends_stop_types_to_the_algo_service(binance):
    client, _ = binance
    request = {
        "symbol": "BTCUSDT",
        "side": "SELL",
        "type": "STOP_MARKET",
        "quantity": "0.01",
        "stopPrice": "55000",
    }

    with pytest.raises(ccxt.ExchangeError, match="-4120") as raised:
        client.fapiPrivatePostOrder(request)

    assert "Algo Order API" in error_body(raised.value)
