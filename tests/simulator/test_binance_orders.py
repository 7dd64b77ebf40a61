"""Binance spot and USDT-M order types through real ccxt: placement, /_sim/orders, fetch, list, cancel."""

from __future__ import annotations

import ccxt
import pytest

from tests.simulator.binance_support import PERP, SPOT, binance_account


@pytest.fixture
def binance(sim, sim_url):
    return binance_account(sim, sim_url)


def only_order(sim, api_key):
    orders = sim.orders(exchange="binance", api_key=api_key)
    assert len(orders) == 1
    return orders[0]


@pytest.mark.usefixtures("no_fees")
def test_binance_spot_market_order_fills_at_the_mark(sim, binance):
    client, key = binance
    sim.price("BTCUSDT", "60000", exchange="binance")

    order = client.create_order(SPOT, "market", "buy", 0.01, None, {"clientOrderId": "spotMkt1"})

    assert (order["status"], order["filled"], order["average"]) == ("closed", 0.01, 60000.0)
    assert order["clientOrderId"] == "spotMkt1"
    row = only_order(sim, key)
    assert {k: row[k] for k in ("exchange", "market", "symbol", "side", "type", "quantity", "status")} == {
        "exchange": "binance",
        "market": "spot",
        "symbol": "BTCUSDT",
        "side": "buy",
        "type": "MARKET",
        "quantity": "0.01",
        "status": "filled",
    }
    assert (row["price"], row["trigger_price"], row["reduce_only"]) == (None, None, False)
    assert row["api_key"] == key and row["client_order_id"] == "spotMkt1"
    assert isinstance(row["received_at"], float)
    assert sim.balance("binance", key, "spot", "USDT")["free"] == "99400"
    assert sim.balance("binance", key, "spot", "BTC")["free"] == "1.01"


def test_binance_spot_limit_order_rests_and_reserves_quote(sim, binance):
    client, key = binance

    order = client.create_order(SPOT, "limit", "buy", 0.01, 50000, {"clientOrderId": "spotLim1"})

    assert (order["status"], order["type"], order["price"]) == ("open", "limit", 50000.0)
    row = only_order(sim, key)
    assert (row["type"], row["price"], row["status"]) == ("LIMIT", "50000", "new")
    assert sim.balance("binance", key, "spot", "USDT")["locked"] == "500"


def test_binance_spot_stop_limit_is_sent_as_stop_loss_limit(sim, binance):
    client, key = binance

    order = client.create_order(
        SPOT, "limit", "sell", 0.01, 54000, {"triggerPrice": 55000, "clientOrderId": "sl1"}
    )

    assert order["info"]["type"] == "STOP_LOSS_LIMIT"
    assert (order["type"], order["triggerPrice"], order["status"]) == ("limit", 55000.0, "open")
    row = only_order(sim, key)
    assert (row["type"], row["price"], row["trigger_price"]) == ("STOP_LIMIT", "54000", "55000")


def test_binance_spot_stop_market_is_sent_as_stop_loss(sim, binance):
    client, key = binance

    order = client.create_order(
        SPOT, "market", "sell", 0.01, None, {"triggerPrice": 55000, "clientOrderId": "sm1"}
    )

    assert order["info"]["type"] == "STOP_LOSS"
    assert (order["type"], order["triggerPrice"]) == ("market", 55000.0)
    row = only_order(sim, key)
    assert (row["type"], row["price"], row["trigger_price"], row["status"]) == (
        "STOP_MARKET",
        None,
        "55000",
        "new",
    )


def test_binance_spot_orders_are_fetched_listed_and_cancelled_by_id_and_client_id(binance):
    client, _ = binance
    limit = client.create_order(SPOT, "limit", "buy", 0.01, 50000, {"clientOrderId": "a1"})
    stop = client.create_order(
        SPOT, "limit", "sell", 0.01, 54000, {"triggerPrice": 55000, "clientOrderId": "a2"}
    )

    assert client.fetch_order(limit["id"], SPOT)["clientOrderId"] == "a1"
    assert client.fetch_order(None, SPOT, {"clientOrderId": "a2"})["id"] == stop["id"]
    assert [o["id"] for o in client.fetch_open_orders(SPOT)] == [limit["id"], stop["id"]]

    assert client.cancel_order(limit["id"], SPOT)["status"] == "canceled"
    assert client.cancel_order(None, SPOT, {"clientOrderId": "a2"})["status"] == "canceled"
    assert client.fetch_open_orders(SPOT) == []
    assert client.fetch_order(stop["id"], SPOT)["status"] == "canceled"
    with pytest.raises(ccxt.OrderNotFound):
        client.cancel_order(limit["id"], SPOT)


def test_binance_spot_cancel_all_cancels_limits_and_stops(binance):
    client, _ = binance
    client.create_order(SPOT, "limit", "buy", 0.01, 50000)
    client.create_order(SPOT, "market", "sell", 0.01, None, {"triggerPrice": 55000})

    cancelled = client.cancel_all_orders(SPOT)

    assert sorted(o["status"] for o in cancelled) == ["canceled", "canceled"]
    assert client.fetch_open_orders(SPOT) == []


def test_binance_futures_market_order_opens_a_position(sim, binance):
    client, key = binance
    client.set_leverage(10, PERP)

    order = client.create_order(PERP, "market", "buy", 0.01, None, {"clientOrderId": "fm1"})

    assert (order["status"], order["filled"], order["average"]) == ("closed", 0.01, 60000.0)
    row = only_order(sim, key)
    assert (row["market"], row["type"], row["status"]) == ("futures", "MARKET", "filled")
    [position] = client.fetch_positions([PERP])
    assert (position["side"], position["contracts"], position["entryPrice"]) == ("long", 0.01, 60000.0)
    assert client.fetch_balance({"type": "future"})["USDT"]["used"] == 60.0  # 600 notional / 10x


def test_binance_futures_limit_order_rests(sim, binance):
    client, key = binance

    order = client.create_order(
        PERP, "limit", "sell", 0.01, 65000, {"clientOrderId": "fl1", "reduceOnly": False}
    )

    assert (order["status"], order["type"], order["price"]) == ("open", "limit", 65000.0)
    assert only_order(sim, key)["type"] == "LIMIT"
    assert [o["id"] for o in client.fetch_open_orders(PERP)] == [order["id"]]


def test_binance_futures_stop_limit_goes_to_the_algo_service(sim, binance):
    client, key = binance

    order = client.create_order(
        PERP, "limit", "buy", 0.01, 62000, {"triggerPrice": 61000, "clientOrderId": "fsl1"}
    )

    assert sim.requests(api_key=key, path_contains="/fapi/v1/algoOrder", method="POST")[0]["status"] == 200
    assert (order["info"]["algoType"], order["info"]["orderType"]) == ("CONDITIONAL", "STOP")
    assert (order["clientOrderId"], order["type"], order["triggerPrice"]) == ("fsl1", "limit", 61000.0)
    row = only_order(sim, key)
    assert (row["type"], row["price"], row["trigger_price"], row["status"]) == (
        "STOP_LIMIT",
        "62000",
        "61000",
        "new",
    )


def test_binance_futures_stop_market_goes_to_the_algo_service(sim, binance):
    client, key = binance

    order = client.create_order(
        PERP, "market", "sell", 0.01, None, {"triggerPrice": 55000, "clientOrderId": "fsm1"}
    )

    assert order["info"]["orderType"] == "STOP_MARKET"
    assert (order["clientOrderId"], order["type"], order["status"]) == ("fsm1", "market", "open")
    row = only_order(sim, key)
    assert (row["type"], row["trigger_price"], row["price"]) == ("STOP_MARKET", "55000", None)


def test_binance_futures_trigger_orders_need_the_trigger_param(binance):
    client, _ = binance
    limit = client.create_order(PERP, "limit", "buy", 0.01, 50000, {"clientOrderId": "n1"})
    stop = client.create_order(
        PERP, "market", "sell", 0.01, None, {"triggerPrice": 55000, "clientOrderId": "t1"}
    )
    stop2 = client.create_order(
        PERP, "limit", "sell", 0.01, 54000, {"triggerPrice": 55000, "clientOrderId": "t2"}
    )

    assert [o["id"] for o in client.fetch_open_orders(PERP)] == [limit["id"]]
    assert [o["id"] for o in client.fetch_open_orders(PERP, params={"trigger": True})] == [
        stop["id"],
        stop2["id"],
    ]
    assert client.fetch_order(stop["id"], PERP, {"trigger": True})["clientOrderId"] == "t1"
    assert client.fetch_order(None, PERP, {"trigger": True, "clientOrderId": "t2"})["id"] == stop2["id"]
    assert client.fetch_order(None, PERP, {"clientOrderId": "n1"})["id"] == limit["id"]
    with pytest.raises(ccxt.OrderNotFound):
        client.fetch_order(stop["id"], PERP)  # an algo id is not an order id

    assert client.cancel_order(stop["id"], PERP, {"trigger": True})["id"] == stop["id"]
    assert client.cancel_order(None, PERP, {"trigger": True, "clientOrderId": "t2"})["clientOrderId"] == "t2"
    assert client.cancel_order(None, PERP, {"clientOrderId": "n1"})["status"] == "canceled"
    assert client.fetch_order(stop["id"], PERP, {"trigger": True})["status"] == "canceled"
    assert client.fetch_open_orders(PERP, params={"trigger": True}) == []


def test_binance_futures_cancel_all_takes_two_calls(sim, binance):
    client, key = binance
    client.create_order(PERP, "limit", "buy", 0.01, 50000)
    client.create_order(PERP, "market", "sell", 0.01, None, {"triggerPrice": 55000})

    client.cancel_all_orders(PERP)
    assert [o["status"] for o in sim.orders(api_key=key)] == ["cancelled", "new"]

    client.cancel_all_orders(PERP, {"trigger": True})
    assert [o["status"] for o in sim.orders(api_key=key)] == ["cancelled", "cancelled"]


def test_binance_markets_balances_and_ticker_parse(binance):
    client, _ = binance
    markets = client.load_markets()

    assert {"BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT", "DOGE/USDT"} <= set(markets)
    assert markets[PERP]["precision"]["price"] == 0.1 and markets[PERP]["limits"]["cost"]["min"] == 100
    assert markets[SPOT]["limits"]["cost"]["min"] == 5 and markets[SPOT]["precision"]["amount"] == 0.00001
    assert client.fetch_balance()["USDT"]["free"] == 100000
    assert client.fetch_balance({"type": "future"})["USDT"]["total"] == 100000
    assert client.fetch_ticker(PERP)["last"] == 60000
    assert client.fetch_ticker(SPOT)["bid"] == 60000
