"""The "auth" fault: one account's requests are refused with the exchange's own invalid-key error
(nothing is done), then it heals; on Binance, Bybit and OKX, as ccxt sees it."""

from __future__ import annotations

import ccxt
import pytest

from tests.simulator.clients import make_client, unique_key

FUNDS = {"spot": {"USDT": "100000"}, "futures": {"USDT": "100000"}}
CASES = {
    "binance": ("BTC/USDT:USDT", "/fapi/v1/order", 0.01),
    "bybit": ("BTC/USDT:USDT", "/v5/order/create", 0.01),
    "okx": ("BTC/USDT:USDT", "/api/v5/trade/", 1),
}


@pytest.mark.parametrize("exchange", list(CASES))
def test_an_auth_fault_refuses_one_order_definitely_and_the_next_goes_through(sim, sim_url, exchange):
    symbol, path, amount = CASES[exchange]
    key, secret = unique_key(exchange), "s" + unique_key()
    passphrase = "pass-1" if exchange == "okx" else None
    sim.account(exchange, key, secret, FUNDS, passphrase=passphrase)
    client = make_client(exchange, sim_url, key, secret, password=passphrase)
    client.load_markets()
    sim.faults(exchange=exchange, error="auth", fail_next_n=1, path_contains=path, api_key=key)

    with pytest.raises(ccxt.AuthenticationError):
        client.create_order(symbol, "limit", "buy", amount, 59000, {"clientOrderId": "authfault1"})
    assert sim.orders(api_key=key) == []

    client.create_order(symbol, "limit", "buy", amount, 59000, {"clientOrderId": "authfault2"})
    assert [row["client_order_id"] for row in sim.orders(api_key=key)] == ["authfault2"]
