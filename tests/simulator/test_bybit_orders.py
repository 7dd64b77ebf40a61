"""Bybit v5 orders through real ccxt: every order type on spot and linear, fetch / list / cancel by
exchange id and by client order id (orderLinkId), normal and trigger orders, fills and triggers."""

from __future__ import annotations

import ccxt
import pytest

from tests.simulator.clients import make_client, unique_key

SPOT, LINEAR = "BTC/USDT", "BTC/USDT:USDT"
BALANCES = {"spot": {"USDT": "100000", "BTC": "1"}, "futures": {"USDT": "100000"}}


@pytest.fixture
def bybit(sim, sim_url):
    key = unique_key("bybit")
    sim.account("bybit", key, "s-" + key, BALANCES)
    client = make_client("bybit", sim_url, key, "s-" + key)
    client.load_markets()
    return client


def sim_orders(sim, client) -> list[dict]:
    return sim.orders(exchange="bybit", api_key=client.apiKey)


def trigger(symbol: str, price: float, rising: bool) -> dict:
    """Trigger params as ccxt takes them: linear needs a direction, spot infers it (StopOrder)."""
    if symbol == SPOT:
        return {"triggerPrice": price}
    return {"triggerPrice": price, "triggerDirection": "ascending" if rising else "descending"}


def trigger_flag(symbol: str) -> dict:
    """Spot trigger orders are cancelled with orderFilter=StopOrder, which ccxt sends for trigger=True."""
    return {"trigger": True} if symbol == SPOT else {}


# (name, type, side, price, trigger price, rising, reduce-only on linear, expected engine type)
ORDER_TYPES = [
    ("market", "market", "buy", None, None, None, False, "MARKET"),
    ("limit", "limit", "buy", 59000, None, None, False, "LIMIT"),
    ("stop_limit", "limit", "buy", 61500, 61000, True, False, "STOP_LIMIT"),
    ("stop_market", "market", "sell", None, 59000, False, True, "STOP_MARKET"),
]


@pytest.mark.parametrize("symbol", [SPOT, LINEAR], ids=["spot", "linear"])
@pytest.mark.parametrize("case", ORDER_TYPES, ids=[c[0] for c in ORDER_TYPES])
def test_bybit_each_order_type_is_accepted_recorded_and_parsed(sim, bybit, symbol, case):
    name, kind, side, price, stop, rising, reduce_only, engine_type = case
    cid = unique_key("cid")[:30]
    params = {"clientOrderId": cid}
    if stop is not None:
        params.update(trigger(symbol, stop, rising))
    if reduce_only and symbol == LINEAR:
        params["reduceOnly"] = True

    created = bybit.create_order(symbol, kind, side, 0.01, price, params)

    # A create answers with ids only.
    assert created["id"] and created["clientOrderId"] == cid
    assert created["status"] is None
    [row] = sim_orders(sim, bybit)
    assert row["id"] == created["id"]
    assert row["market"] == ("spot" if symbol == SPOT else "futures")
    assert row["symbol"] == "BTCUSDT"
    assert (row["type"], row["side"], row["quantity"]) == (engine_type, side, "0.01")
    assert row["price"] == (None if price is None else str(price))
    assert row["trigger_price"] == (None if stop is None else str(stop))
    assert row["reduce_only"] is (reduce_only and symbol == LINEAR)
    assert row["client_order_id"] == cid

    order = bybit.fetch_order(created["id"], symbol, {"acknowledged": True})
    assert order["symbol"] == symbol and order["clientOrderId"] == cid
    assert (order["type"], order["side"], order["amount"]) == (kind, side, 0.01)
    assert order["triggerPrice"] == stop
    if name == "market":
        assert order["status"] == "closed" and order["filled"] == 0.01 and order["average"] == 60000
    else:
        assert order["status"] == "open" and order["filled"] == 0
    if price is not None:
        assert order["price"] == price
    if symbol == LINEAR:
        assert order["reduceOnly"] is reduce_only


@pytest.mark.parametrize("symbol", [SPOT, LINEAR], ids=["spot", "linear"])
@pytest.mark.parametrize("is_trigger", [False, True], ids=["normal", "trigger"])
def test_bybit_open_order_is_fetched_listed_and_cancelled_by_exchange_id(sim, bybit, symbol, is_trigger):
    params = trigger(symbol, 61000, rising=True) if is_trigger else {}
    created = bybit.create_order(symbol, "limit", "buy", 0.01, 59000, params)
    order_id = created["id"]

    assert bybit.fetch_open_order(order_id, symbol)["status"] == "open"
    fetched = bybit.fetch_order(order_id, symbol, {"acknowledged": True})
    assert fetched["triggerPrice"] == (61000 if is_trigger else None)
    assert [o["id"] for o in bybit.fetch_open_orders(symbol)] == [order_id]
    # orderFilter=StopOrder lists only trigger orders.
    listed_triggers = [o["id"] for o in bybit.fetch_open_orders(symbol, params={"trigger": True})]
    assert listed_triggers == ([order_id] if is_trigger else [])

    bybit.cancel_order(order_id, symbol, trigger_flag(symbol) if is_trigger else {})

    assert sim_orders(sim, bybit)[0]["status"] == "cancelled"
    assert bybit.fetch_open_orders(symbol) == []
    assert bybit.fetch_order(order_id, symbol, {"acknowledged": True})["status"] == "canceled"
    history = bybit.fetch_canceled_and_closed_orders(symbol)
    assert [(o["id"], o["status"]) for o in history] == [(order_id, "canceled")]
    with pytest.raises(ccxt.OrderNotFound):
        bybit.cancel_order(order_id, symbol, trigger_flag(symbol) if is_trigger else {})


@pytest.mark.parametrize("symbol", [SPOT, LINEAR], ids=["spot", "linear"])
@pytest.mark.parametrize("is_trigger", [False, True], ids=["normal", "trigger"])
def test_bybit_order_is_found_and_cancelled_by_client_order_id(sim, bybit, symbol, is_trigger):
    cid = unique_key("cid")[:30]
    if is_trigger:  # a stop-market sell below the mark
        created = bybit.create_order(
            symbol,
            "market",
            "sell",
            0.01,
            None,
            {"clientOrderId": cid, **trigger(symbol, 58000, rising=False)},
        )
    else:
        created = bybit.create_order(symbol, "limit", "sell", 0.01, 62000, {"clientOrderId": cid})

    [found] = bybit.fetch_open_orders(symbol, params={"orderLinkId": cid})
    assert (found["id"], found["clientOrderId"], found["status"]) == (created["id"], cid, "open")
    assert bybit.fetch_open_orders(symbol, params={"orderLinkId": "nosuchid"}) == []

    flag = trigger_flag(symbol) if is_trigger else {}
    cancelled = bybit.cancel_order(None, symbol, {"orderLinkId": cid, **flag})
    assert (cancelled["id"], cancelled["clientOrderId"]) == (created["id"], cid)

    assert sim_orders(sim, bybit)[0]["status"] == "cancelled"
    [closed] = bybit.fetch_canceled_and_closed_orders(symbol, params={"orderLinkId": cid})
    assert (closed["id"], closed["status"]) == (created["id"], "canceled")


def test_bybit_filled_order_is_fetched_as_closed_by_id_and_client_order_id(sim, bybit):
    created = bybit.create_order(LINEAR, "market", "buy", 0.02, None, {"clientOrderId": "fill1"})

    closed = bybit.fetch_closed_order(created["id"], LINEAR)
    assert (closed["status"], closed["filled"]) == ("closed", 0.02)
    assert (closed["average"], closed["cost"]) == (60000, 1200)
    [by_cid] = bybit.fetch_closed_orders(LINEAR, params={"orderLinkId": "fill1"})
    assert by_cid["id"] == created["id"]
    with pytest.raises(ccxt.OrderNotFound):
        bybit.fetch_open_order(created["id"] + "9", LINEAR)


def test_bybit_spot_trigger_order_is_cancelled_only_with_the_stop_order_filter(sim, bybit):
    created = bybit.create_order(SPOT, "market", "sell", 0.01, None, trigger(SPOT, 58000, rising=False))

    # Without orderFilter=StopOrder Bybit looks among normal spot orders only.
    with pytest.raises(ccxt.OrderNotFound):
        bybit.cancel_order(created["id"], SPOT)
    bybit.cancel_order(created["id"], SPOT, {"trigger": True})
    assert sim_orders(sim, bybit)[0]["status"] == "cancelled"


def test_bybit_cancel_all_on_linear_cancels_normal_and_trigger_orders(sim, bybit):
    bybit.create_order(LINEAR, "limit", "buy", 0.01, 59000)
    bybit.create_order(LINEAR, "market", "buy", 0.01, None, trigger(LINEAR, 61000, rising=True))
    bybit.create_order("ETH/USDT:USDT", "limit", "buy", 0.1, 2900)

    cancelled = bybit.cancel_all_orders(LINEAR)

    assert len(cancelled) == 2
    statuses = {(r["symbol"], r["type"]): r["status"] for r in sim_orders(sim, bybit)}
    assert statuses == {
        ("BTCUSDT", "LIMIT"): "cancelled",
        ("BTCUSDT", "STOP_MARKET"): "cancelled",
        ("ETHUSDT", "LIMIT"): "new",
    }
    # Without a symbol ccxt scopes linear cancel-all by settleCoin=USDT.
    assert len(bybit.cancel_all_orders(None, {"subType": "linear"})) == 1
    assert bybit.fetch_open_orders(None, params={"subType": "linear"}) == []


def test_bybit_cancel_all_on_spot_cancels_trigger_orders_only_when_asked(sim, bybit):
    normal = bybit.create_order(SPOT, "limit", "buy", 0.01, 59000)
    stop = bybit.create_order(SPOT, "limit", "buy", 0.01, 61500, trigger(SPOT, 61000, rising=True))

    assert [o["id"] for o in bybit.cancel_all_orders(SPOT)] == [normal["id"]]
    assert [o["id"] for o in bybit.fetch_open_orders(SPOT)] == [stop["id"]]
    assert [o["id"] for o in bybit.cancel_all_orders(SPOT, {"trigger": True})] == [stop["id"]]
    assert {r["status"] for r in sim_orders(sim, bybit)} == {"cancelled"}


def test_bybit_linear_limit_fills_when_the_mark_crosses_it_and_opens_a_position(sim, bybit):
    created = bybit.create_order(LINEAR, "limit", "buy", 0.01, 59000)
    assert bybit.fetch_positions([LINEAR])[0]["contracts"] == 0

    sim.price("BTCUSDT", "58900", exchange="bybit")

    closed = bybit.fetch_closed_order(created["id"], LINEAR)
    assert (closed["status"], closed["average"], closed["filled"]) == ("closed", 59000, 0.01)
    [position] = bybit.fetch_positions()
    assert (position["symbol"], position["side"], position["contracts"]) == (LINEAR, "long", 0.01)
    assert position["entryPrice"] == 59000
    assert position["unrealizedPnl"] == pytest.approx(-1.0)
    usdt = bybit.fetch_balance()["USDT"]
    assert usdt["used"] == pytest.approx(59.0)  # 590 notional at the default leverage 10


@pytest.mark.usefixtures("no_fees")
def test_bybit_spot_limit_fills_when_the_mark_crosses_it_and_moves_balances(sim, bybit):
    created = bybit.create_order(SPOT, "limit", "buy", 0.01, 59000)
    assert bybit.fetch_balance()["USDT"]["used"] == pytest.approx(590)

    sim.price("BTCUSDT", "58000", exchange="bybit")

    assert bybit.fetch_closed_order(created["id"], SPOT)["average"] == 59000
    balance = bybit.fetch_balance()
    assert balance["BTC"]["total"] == pytest.approx(1.01)
    assert balance["USDT"]["total"] == pytest.approx(200000 - 590)
    assert balance["USDT"]["used"] == 0


@pytest.mark.usefixtures("no_fees")
def test_bybit_linear_stop_market_triggers_and_closes_the_position(sim, bybit):
    bybit.set_leverage(5, LINEAR)
    bybit.create_order(LINEAR, "market", "buy", 0.01, None)
    stop = bybit.create_order(
        LINEAR, "market", "sell", 0.01, None, {**trigger(LINEAR, 58000, rising=False), "reduceOnly": True}
    )
    assert bybit.fetch_open_order(stop["id"], LINEAR)["info"]["orderStatus"] == "Untriggered"

    sim.price("BTCUSDT", "57900", exchange="bybit")

    closed = bybit.fetch_closed_order(stop["id"], LINEAR)
    assert (closed["status"], closed["average"], closed["triggerPrice"]) == ("closed", 57900, 58000)
    assert bybit.fetch_positions() == []
    usdt = bybit.fetch_balance()["USDT"]
    assert usdt["total"] == pytest.approx(200000 - 21)  # (57900 - 60000) * 0.01
    assert usdt["used"] == 0


@pytest.mark.usefixtures("no_fees")
def test_bybit_spot_stop_limit_triggers_then_fills(sim, bybit):
    stop = bybit.create_order(SPOT, "limit", "sell", 0.1, 57000, trigger(SPOT, 58000, rising=False))

    sim.price("BTCUSDT", "57500", exchange="bybit")  # triggers; the sell limit at 57000 is marketable

    closed = bybit.fetch_closed_order(stop["id"], SPOT)
    assert closed["status"] == "closed" and closed["filled"] == 0.1
    balance = bybit.fetch_balance()
    assert balance["BTC"]["total"] == pytest.approx(0.9)
    assert balance["USDT"]["total"] == pytest.approx(200000 + 5750)


def test_bybit_spot_market_buy_sized_in_quote_when_a_price_is_given(sim, bybit):
    # ccxt turns amount x price into qty with marketUnit=quoteCoin (EXCHANGES.md warns about this).
    created = bybit.create_order(SPOT, "market", "buy", 0.01, 60000)

    closed = bybit.fetch_closed_order(created["id"], SPOT)
    assert closed["cost"] == pytest.approx(600) and closed["filled"] == pytest.approx(0.01)
    assert sim_orders(sim, bybit)[0]["quantity"] == "0.01"


def test_bybit_linear_trigger_already_crossed_is_refused(sim, bybit):
    with pytest.raises(ccxt.InvalidOrder, match="110092"):
        bybit.create_order(LINEAR, "market", "buy", 0.01, None, trigger(LINEAR, 59000, rising=True))
    with pytest.raises(ccxt.InvalidOrder, match="110093"):
        bybit.create_order(LINEAR, "market", "sell", 0.01, None, trigger(LINEAR, 61000, rising=False))
    assert sim_orders(sim, bybit) == []
