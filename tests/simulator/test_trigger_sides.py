"""Trigger-side rules through real ccxt (issue 11, defect 2), with BTC at 60 000.

Binance fires a STOP family order (ccxt `triggerPrice`: spot STOP_LOSS(_LIMIT), USDT-M STOP /
STOP_MARKET on the algo service) when a sell's price falls / a buy's rises to the trigger, and
refuses one on the other side (spot -2010 "Stop price would trigger immediately", futures -2021
"Order would immediately trigger"); the TAKE_PROFIT family (ccxt `takeProfitPrice`) is the one for
the other side. Bybit (`triggerDirection`) and OKX take either side. Each order fires only when the
price reaches its trigger from where it was when it was placed.
"""

from __future__ import annotations

import ccxt
import pytest

from tests.simulator.strict_support import PERP, PERP_001_BTC, SPOT, funded

BALANCES = {"spot": {"USDT": "100000", "BTC": "1"}, "futures": {"USDT": "100000"}}
ABOVE, BELOW = 61000, 59000
# Limit prices that are marketable once the trigger fires.
LIMIT_FOR = {("sell", ABOVE): 60900, ("sell", BELOW): 58900, ("buy", ABOVE): 61100, ("buy", BELOW): 59100}


def status(sim, api_key: str) -> str:
    (row,) = sim.orders(api_key=api_key)
    return row["status"]


def place(client, symbol: str, kind: str, side: str, trigger: int, params: dict):
    amount = 0.01 if symbol == SPOT else PERP_001_BTC[client.id]
    price = LIMIT_FOR[(side, trigger)] if kind == "limit" else None
    if kind == "market" and symbol == SPOT and client.id != "binance":
        price = trigger  # ccxt sizes a Bybit/OKX spot market buy in USDT: amount x this price
    return client.create_order(symbol, kind, side, amount, price, params)


def assert_fires_only_from_its_side(sim, api_key: str, exchange: str, trigger: int) -> None:
    away = 58000 if trigger == ABOVE else 62000
    sim.price("BTCUSDT", away, exchange=exchange)
    assert status(sim, api_key) == "new"
    sim.price("BTCUSDT", trigger, exchange=exchange)
    assert status(sim, api_key) == "filled"


# ---- Binance: one side per family ---------------------------------------------------------------


@pytest.mark.parametrize("symbol", [SPOT, PERP])
@pytest.mark.parametrize("kind", ["market", "limit"])
@pytest.mark.parametrize(("side", "trigger"), [("sell", ABOVE), ("buy", BELOW)])
def test_binance_refuses_a_stop_on_the_side_it_would_fire_at_once(sim, sim_url, symbol, kind, side, trigger):
    client, api_key = funded(sim, sim_url, "binance", BALANCES)
    # ccxt keeps the whole futures answer (-2021); of the spot -2010 only the message.
    expected = "Stop price would trigger immediately." if symbol == SPOT else '"code":-2021'
    with pytest.raises(ccxt.ExchangeError) as raised:
        place(client, symbol, kind, side, trigger, {"triggerPrice": trigger})
    assert expected in str(raised.value)
    assert sim.orders(api_key=api_key) == []


@pytest.mark.parametrize("symbol", [SPOT, PERP])
@pytest.mark.parametrize("kind", ["market", "limit"])
@pytest.mark.parametrize(("side", "trigger"), [("sell", BELOW), ("buy", ABOVE)])
def test_binance_stop_fires_when_the_price_reaches_it_from_its_side(
    sim, sim_url, symbol, kind, side, trigger
):
    client, api_key = funded(sim, sim_url, "binance", BALANCES)
    place(client, symbol, kind, side, trigger, {"triggerPrice": trigger})
    native = sim.requests(api_key=api_key, method="POST")[-1]["path"]
    assert native.endswith("/algoOrder" if symbol == PERP else "/order")
    assert_fires_only_from_its_side(sim, api_key, "binance", trigger)


@pytest.mark.parametrize("symbol", [SPOT, PERP])
@pytest.mark.parametrize("kind", ["market", "limit"])
@pytest.mark.parametrize(("side", "trigger"), [("sell", ABOVE), ("buy", BELOW)])
def test_binance_take_profit_takes_the_other_side_and_fires_from_it(
    sim, sim_url, symbol, kind, side, trigger
):
    client, api_key = funded(sim, sim_url, "binance", BALANCES)
    order = place(client, symbol, kind, side, trigger, {"takeProfitPrice": trigger})
    assert order["info"].get("type", order["info"].get("orderType", "")).startswith("TAKE_PROFIT")
    assert_fires_only_from_its_side(sim, api_key, "binance", trigger)


@pytest.mark.parametrize("symbol", [SPOT, PERP])
@pytest.mark.parametrize(("side", "trigger"), [("sell", BELOW), ("buy", ABOVE)])
def test_binance_refuses_a_take_profit_that_would_fire_at_once(sim, sim_url, symbol, side, trigger):
    client, _ = funded(sim, sim_url, "binance", BALANCES)
    expected = "Stop price would trigger immediately." if symbol == SPOT else '"code":-2021'
    with pytest.raises(ccxt.ExchangeError) as raised:
        place(client, symbol, "market", side, trigger, {"takeProfitPrice": trigger})
    assert expected in str(raised.value)


# ---- Bybit and OKX: either side -----------------------------------------------------------------


def bybit_params(symbol: str, trigger: int) -> dict:
    if symbol == SPOT:
        return {"triggerPrice": trigger}  # spot conditional orders infer the direction
    return {"triggerPrice": trigger, "triggerDirection": "ascending" if trigger == ABOVE else "descending"}


@pytest.mark.parametrize("exchange", ["bybit", "okx"])
@pytest.mark.parametrize("symbol", [SPOT, PERP])
@pytest.mark.parametrize("kind", ["market", "limit"])
@pytest.mark.parametrize(
    ("side", "trigger"), [("sell", ABOVE), ("sell", BELOW), ("buy", ABOVE), ("buy", BELOW)]
)
def test_bybit_and_okx_take_a_trigger_on_either_side_and_fire_it_from_there(
    sim, sim_url, exchange, symbol, kind, side, trigger
):
    client, api_key = funded(sim, sim_url, exchange, BALANCES)
    params = bybit_params(symbol, trigger) if exchange == "bybit" else {"triggerPrice": trigger}
    place(client, symbol, kind, side, trigger, params)
    assert_fires_only_from_its_side(sim, api_key, exchange, trigger)


def test_bybit_linear_refuses_a_direction_the_price_has_already_passed(sim, sim_url):
    client, _ = funded(sim, sim_url, "bybit", BALANCES)
    with pytest.raises(ccxt.ExchangeError, match="110092"):
        client.create_order(
            PERP, "market", "sell", 0.01, None, {"triggerPrice": BELOW, "triggerDirection": "ascending"}
        )
