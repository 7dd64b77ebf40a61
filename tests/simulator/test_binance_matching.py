"""Orders fill against the mark price: limits when it crosses them, stops when it crosses the trigger."""

from __future__ import annotations

import pytest

from tests.simulator.binance_support import PERP, SPOT, binance_account


@pytest.mark.usefixtures("no_fees")
def test_binance_spot_limit_fills_when_the_mark_crosses_it(sim, sim_url):
    client, key = binance_account(sim, sim_url, {"spot": {"USDT": "1000"}})
    order = client.create_order(SPOT, "limit", "buy", 0.01, 59000)

    sim.price("BTCUSDT", "59500", exchange="binance")
    assert client.fetch_order(order["id"], SPOT)["status"] == "open"
    sim.price("BTCUSDT", "58900", exchange="binance")

    filled = client.fetch_order(order["id"], SPOT)
    assert (filled["status"], filled["filled"], filled["cost"]) == ("closed", 0.01, 590.0)
    balance = client.fetch_balance()
    assert (balance["USDT"]["free"], balance["USDT"]["used"], balance["BTC"]["free"]) == (410.0, 0.0, 0.01)


@pytest.mark.usefixtures("no_fees")
def test_binance_spot_stop_loss_sells_when_the_mark_falls_to_the_trigger(sim, sim_url):
    client, key = binance_account(sim, sim_url, {"spot": {"BTC": "0.02"}})
    order = client.create_order(SPOT, "market", "sell", 0.02, None, {"triggerPrice": 58000})
    assert sim.balance("binance", key, "spot", "BTC")["locked"] == "0.02"

    sim.price("BTCUSDT", "57990", exchange="binance")

    assert client.fetch_order(order["id"], SPOT)["status"] == "closed"
    assert sim.balance("binance", key, "spot", "USDT")["free"] == "1159.8"
    assert sim.balance("binance", key, "spot", "BTC")["total"] == "0"


@pytest.mark.usefixtures("no_fees")
def test_binance_futures_stop_market_closes_the_position(sim, sim_url):
    client, key = binance_account(sim, sim_url, {"futures": {"USDT": "1000"}})
    client.create_order(PERP, "market", "buy", 0.01)
    stop = client.create_order(
        PERP, "market", "sell", 0.01, None, {"triggerPrice": 58000, "reduceOnly": True}
    )

    sim.price("BTCUSDT", "57500", exchange="binance")

    triggered = client.fetch_order(stop["id"], PERP, {"trigger": True})
    assert (triggered["status"], triggered["info"]["algoStatus"]) == ("closed", "FINISHED")
    actual = client.fetch_order(triggered["info"]["actualOrderId"], PERP)
    assert (actual["status"], actual["filled"], actual["average"]) == ("closed", 0.01, 57500.0)
    assert client.fetch_positions() == []
    assert sim.positions(api_key=key) == []
    assert client.fetch_balance({"type": "future"})["USDT"]["total"] == 975.0  # lost 0.01 x 2500


def test_binance_futures_stop_limit_becomes_a_resting_limit_then_fills(sim, sim_url):
    client, key = binance_account(sim, sim_url, {"futures": {"USDT": "1000"}})
    stop = client.create_order(PERP, "limit", "buy", 0.01, 61500, {"triggerPrice": 61000})

    sim.price("BTCUSDT", "62000", exchange="binance")  # fires; 62000 is above the 61500 limit: rests
    triggered = client.fetch_order(stop["id"], PERP, {"trigger": True})
    assert triggered["info"]["algoStatus"] == "TRIGGERED"
    [resting] = client.fetch_open_orders(PERP)
    assert (resting["id"], resting["type"], resting["price"]) == (
        triggered["info"]["actualOrderId"],
        "limit",
        61500,
    )

    sim.price("BTCUSDT", "61400", exchange="binance")

    [position] = client.fetch_positions()
    assert (position["side"], position["contracts"], position["entryPrice"]) == ("long", 0.01, 61500.0)
    assert sim.orders(api_key=key)[0]["status"] == "filled"


def test_binance_partial_fill_shows_in_ccxt(sim, sim_url):
    client, key = binance_account(sim, sim_url)
    order = client.create_order(PERP, "limit", "buy", 0.01, 59000, {"clientOrderId": "part1"})

    sim.fill("binance", "0.004", client_order_id="part1", api_key=key)

    fetched = client.fetch_order(order["id"], PERP)
    assert (fetched["status"], fetched["filled"], fetched["remaining"]) == ("open", 0.004, 0.006)
    assert fetched["info"]["status"] == "PARTIALLY_FILLED"
    assert sim.orders(api_key=key)[0]["status"] == "partially_filled"
    assert sim.positions(api_key=key)[0]["quantity"] == "0.004"


def test_binance_price_without_exchange_moves_every_exchange(sim, sim_url):
    client, _ = binance_account(sim, sim_url)

    sim.price("ETHUSDT", "2500")

    assert client.fetch_ticker("ETH/USDT:USDT")["last"] == 2500
