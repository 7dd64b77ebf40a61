"""OKX v5 through real ccxt: markets, tickers, balance, positions, leverage, and every order type
(MARKET, LIMIT, STOP_LIMIT, STOP_MARKET) on spot and on the USDT swap, placed, listed, fetched
and cancelled by exchange id and by client order id; fills and triggers move balances and positions.
"""

from __future__ import annotations

import ccxt
import pytest

from tests.simulator.clients import SimControl, make_client, unique_key

BALANCES = {"spot": {"USDT": "100000", "BTC": "1"}, "futures": {"USDT": "100000"}}
SPOT, SWAP = "BTC/USDT", "BTC/USDT:USDT"
# (ccxt symbol, amount in OKX's unit: base for spot, contracts for the swap, /_sim/orders quantity)
MARKETS = {"spot": (SPOT, 0.01, "0.01"), "swap": (SWAP, 2, "2")}


def okx_client(sim: SimControl, sim_url: str, balances: dict | None = None) -> tuple[ccxt.okx, str]:
    """(ccxt client, api key) for a fresh OKX account with its own key, secret and passphrase."""
    api_key, secret, passphrase = unique_key("okx"), unique_key("secret"), unique_key("Pass")
    sim.account("okx", api_key, secret, BALANCES if balances is None else balances, passphrase=passphrase)
    client = make_client("okx", sim_url, api_key, secret, password=passphrase)
    client.load_markets()
    return client, api_key


def only_order(sim: SimControl, api_key: str) -> dict:
    rows = sim.orders(exchange="okx", api_key=api_key)
    assert len(rows) == 1, rows
    return rows[0]


def paths(sim: SimControl, api_key: str) -> list[str]:
    return [r["path"] for r in sim.requests(exchange="okx", api_key=api_key)]


# ---- markets, tickers, balances, positions -------------------------------------------------------


def test_okx_markets_load_spot_and_swaps_sized_in_contracts(sim, sim_url):
    client, _ = okx_client(sim, sim_url)

    assert {m["symbol"] for m in client.markets.values() if m["swap"]} == {
        f"{b}/USDT:USDT" for b in ("BTC", "ETH", "SOL", "XRP", "DOGE")
    }
    sizes = {
        s: client.markets[f"{s}/USDT:USDT"]["contractSize"] for s in ("BTC", "ETH", "SOL", "XRP", "DOGE")
    }
    assert sizes == {"BTC": 0.01, "ETH": 0.1, "SOL": 1, "XRP": 100, "DOGE": 1000}
    swap, spot = client.markets[SWAP], client.markets[SPOT]
    assert (swap["linear"], swap["settle"], swap["precision"]["amount"], swap["precision"]["price"]) == (
        True,
        "USDT",
        0.01,
        0.1,
    )
    assert swap["limits"]["leverage"]["max"] == 100
    assert (spot["precision"]["amount"], spot["limits"]["amount"]["min"]) == (1e-08, 1e-05)
    unknown = [r for r in sim.requests(exchange="okx") if r["status"] != 200]
    assert unknown == []


def test_okx_ticker_reports_the_mark_price(sim, sim_url):
    client, _ = okx_client(sim, sim_url)
    sim.price("ETHUSDT", "3123.45", exchange="okx")

    assert client.fetch_ticker("ETH/USDT:USDT")["last"] == 3123.45
    assert client.fetch_ticker("ETH/USDT")["bid"] == 3123.45


@pytest.mark.usefixtures("no_fees")
def test_okx_balance_is_one_trading_account_over_the_spot_and_futures_wallets(sim, sim_url):
    client, _ = okx_client(
        sim, sim_url, {"spot": {"USDT": "1000", "BTC": "0.5"}, "futures": {"USDT": "2000"}}
    )

    before = client.fetch_balance()
    client.create_order(SPOT, "limit", "buy", 0.01, 50000)  # locks 500 spot USDT
    client.create_order(SWAP, "market", "buy", 1, None)  # 0.01 BTC at 60000, 10x: 60 USDT margin
    after = client.fetch_balance()

    assert (before["USDT"]["total"], before["USDT"]["free"], before["BTC"]["total"]) == (3000, 3000, 0.5)
    assert (after["USDT"]["free"], after["USDT"]["used"], after["USDT"]["total"]) == (2440, 560, 3000)


def test_okx_positions_report_contracts_leverage_and_pnl(sim, sim_url):
    client, _ = okx_client(sim, sim_url)
    client.set_leverage(5, "ETH/USDT:USDT")
    client.create_order("ETH/USDT:USDT", "market", "buy", 3, None)
    sim.price("ETHUSDT", "3100", exchange="okx")

    [position] = client.fetch_positions(["ETH/USDT:USDT"])

    assert (position["side"], position["contracts"], position["contractSize"]) == ("long", 3, 0.1)
    assert (position["entryPrice"], position["leverage"], position["marginMode"]) == (3000, 5, "cross")
    assert (position["initialMargin"], position["unrealizedPnl"], position["notional"]) == (180, 30, 930)
    assert client.fetch_leverage("ETH/USDT:USDT")["longLeverage"] == 5
    assert client.fetch_positions([SWAP]) == []


def test_okx_sandbox_mode_header_is_accepted(sim, sim_url):
    client, api_key = okx_client(sim, sim_url)
    client.set_sandbox_mode(True)
    client.urls["api"] = make_client("okx", sim_url, "k", "s").urls["api"]

    order = client.create_order(SWAP, "market", "buy", 1, None)

    assert client.headers.get("x-simulated-trading") == "1"
    assert only_order(sim, api_key)["id"] == order["id"]


# ---- order types -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["spot", "swap"])
def test_okx_market_order_fills_at_the_mark(sim, sim_url, kind):
    symbol, amount, quantity = MARKETS[kind]
    client, api_key = okx_client(sim, sim_url)

    order = client.create_order(symbol, "market", "buy", amount, None, {"clientOrderId": f"mkt{kind}1"})

    row = only_order(sim, api_key)
    assert (row["id"], row["type"], row["side"], row["quantity"]) == (order["id"], "MARKET", "buy", quantity)
    assert (row["client_order_id"], row["status"], row["average"]) == (f"mkt{kind}1", "filled", "60000")
    assert row["market"] == ("futures" if kind == "swap" else "spot")
    assert paths(sim, api_key)[-1] == "/api/v5/trade/batch-orders"
    by_id = client.fetch_order(order["id"], symbol)
    by_client_id = client.fetch_order(None, symbol, {"clientOrderId": f"mkt{kind}1"})
    for fetched in (by_id, by_client_id):
        assert (fetched["id"], fetched["status"], fetched["filled"], fetched["average"]) == (
            order["id"],
            "closed",
            amount,
            60000,
        )


def test_okx_swap_market_order_moves_the_position_in_contracts(sim, sim_url):
    client, api_key = okx_client(sim, sim_url)

    client.create_order("DOGE/USDT:USDT", "market", "sell", 2.5, None)

    [position] = sim.positions(exchange="okx", api_key=api_key)
    assert (position["symbol"], position["quantity"]) == ("DOGE-USDT-SWAP", "-2.5")
    # 2.5 contracts x 1000 DOGE x 0.15 / 10x leverage
    assert sim.balance("okx", api_key, "futures", "USDT")["locked"] == "37.5"


def test_okx_spot_market_buy_can_be_sized_in_quote_currency(sim, sim_url):
    client, api_key = okx_client(sim, sim_url)

    order = client.create_market_buy_order_with_cost(SPOT, 600)

    assert only_order(sim, api_key)["quantity"] == "0.01"
    fetched = client.fetch_order(order["id"], SPOT)
    assert (fetched["cost"], fetched["filled"], fetched["info"]["tgtCcy"]) == (600, 0.01, "quote_ccy")


@pytest.mark.usefixtures("no_fees")
@pytest.mark.parametrize("kind", ["spot", "swap"])
def test_okx_limit_order_rests_until_the_mark_crosses_it(sim, sim_url, kind):
    symbol, amount, quantity = MARKETS[kind]
    client, api_key = okx_client(sim, sim_url)

    order = client.create_order(symbol, "limit", "buy", amount, 59000, {"clientOrderId": f"lim{kind}1"})

    row = only_order(sim, api_key)
    assert (row["type"], row["price"], row["trigger_price"], row["quantity"]) == (
        "LIMIT",
        "59000",
        None,
        quantity,
    )
    assert (row["client_order_id"], row["status"], row["reduce_only"]) == (f"lim{kind}1", "new", False)
    assert [o["id"] for o in client.fetch_open_orders(symbol)] == [order["id"]]
    assert client.fetch_open_orders(symbol, params={"trigger": True}) == []

    sim.price("BTCUSDT", "59500", exchange="okx")
    assert client.fetch_order(order["id"], symbol)["status"] == "open"
    sim.price("BTCUSDT", "58900", exchange="okx")

    fetched = client.fetch_order(order["id"], symbol)
    assert (fetched["status"], fetched["filled"], fetched["average"]) == ("closed", amount, 59000)
    assert client.fetch_open_orders(symbol) == []
    if kind == "spot":
        assert sim.balance("okx", api_key, "spot", "BTC")["total"] == "1.01"
        assert sim.balance("okx", api_key, "spot", "USDT")["total"] == "99410"
    else:
        assert sim.positions(exchange="okx", api_key=api_key)[0]["quantity"] == "2"


@pytest.mark.parametrize("kind", ["spot", "swap"])
def test_okx_stop_limit_order_is_an_algo_order_until_it_fires(sim, sim_url, kind):
    symbol, amount, quantity = MARKETS[kind]
    client, api_key = okx_client(sim, sim_url)

    order = client.create_order(
        symbol, "limit", "buy", amount, 61500, {"triggerPrice": 61000, "algoClOrdId": f"stl{kind}1"}
    )

    assert paths(sim, api_key)[-1] == "/api/v5/trade/order-algo"
    row = only_order(sim, api_key)
    assert (row["id"], row["type"], row["price"], row["trigger_price"]) == (
        order["id"],
        "STOP_LIMIT",
        "61500",
        "61000",
    )
    assert (row["quantity"], row["client_order_id"], row["status"]) == (quantity, f"stl{kind}1", "new")
    assert client.fetch_open_orders(symbol) == []
    [listed] = client.fetch_open_orders(symbol, params={"trigger": True})
    assert (listed["id"], listed["triggerPrice"], listed["price"], listed["amount"]) == (
        order["id"],
        61000,
        61500,
        amount,
    )
    by_client_id = client.fetch_order(None, symbol, {"trigger": True, "clientOrderId": f"stl{kind}1"})
    assert (by_client_id["id"], by_client_id["status"]) == (order["id"], "open")
    with pytest.raises(ccxt.OrderNotFound):
        client.fetch_order(order["id"], symbol)  # not a normal order until it fires

    sim.price("BTCUSDT", "61100", exchange="okx")

    row = only_order(sim, api_key)
    assert (row["status"], row["average"]) == ("filled", "61100")
    algo = client.fetch_order(order["id"], symbol, {"trigger": True})
    assert (algo["status"], algo["info"]["state"], algo["info"]["ordId"]) == (
        "closed",
        "effective",
        row["triggered_id"],
    )
    placed = client.fetch_order(row["triggered_id"], symbol)
    assert (placed["status"], placed["type"], placed["filled"], placed["info"]["algoId"]) == (
        "closed",
        "limit",
        amount,
        order["id"],
    )


@pytest.mark.usefixtures("no_fees")
def test_okx_swap_stop_market_closes_a_long_when_the_mark_falls(sim, sim_url):
    client, api_key = okx_client(sim, sim_url)
    client.create_order(SWAP, "market", "buy", 2, None)

    stop = client.create_order(
        SWAP,
        "market",
        "sell",
        2,
        None,
        {"triggerPrice": 58000, "reduceOnly": True, "algoClOrdId": "stopA1"},
    )

    row = sim.orders(exchange="okx", api_key=api_key)[-1]
    assert (row["id"], row["type"], row["side"], row["trigger_price"], row["price"]) == (
        stop["id"],
        "STOP_MARKET",
        "sell",
        "58000",
        None,
    )
    assert (row["quantity"], row["reduce_only"], row["client_order_id"]) == ("2", True, "stopA1")
    listed = client.fetch_open_orders(SWAP, params={"trigger": True})[0]
    assert (listed["reduceOnly"], listed["price"], listed["info"]["ordPx"]) == (True, -1, "-1")

    sim.price("BTCUSDT", "57900", exchange="okx")

    assert sim.positions(exchange="okx", api_key=api_key) == []
    # 2 contracts x 0.01 BTC x (57900 - 60000) realised
    assert sim.balance("okx", api_key, "futures", "USDT")["total"] == "99958"
    assert client.fetch_balance()["USDT"]["total"] == 199958
    [done] = client.fetch_closed_orders(SWAP, params={"trigger": True})
    assert (done["id"], done["status"]) == (stop["id"], "closed")


@pytest.mark.usefixtures("no_fees")
def test_okx_spot_stop_market_sells_when_the_mark_falls(sim, sim_url):
    client, api_key = okx_client(sim, sim_url)

    client.create_order(SPOT, "market", "sell", 0.1, None, {"triggerPrice": 59000})
    assert only_order(sim, api_key)["type"] == "STOP_MARKET"
    sim.price("BTCUSDT", "58900", exchange="okx")

    assert only_order(sim, api_key)["status"] == "filled"
    assert sim.balance("okx", api_key, "spot", "BTC")["total"] == "0.9"
    assert sim.balance("okx", api_key, "spot", "USDT")["total"] == "105890"


# ---- cancelling, listing, history ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["spot", "swap"])
def test_okx_cancel_by_id_and_by_client_order_id_for_normal_and_trigger_orders(sim, sim_url, kind):
    symbol, amount, _ = MARKETS[kind]
    client, api_key = okx_client(sim, sim_url)
    limit_a = client.create_order(symbol, "limit", "buy", amount, 55000, {"clientOrderId": "limA"})
    client.create_order(symbol, "limit", "buy", amount, 55100, {"clientOrderId": "limB"})
    trigger_a = client.create_order(
        symbol, "market", "buy", amount, None, {"triggerPrice": 65000, "algoClOrdId": "trgA"}
    )
    client.create_order(symbol, "market", "buy", amount, None, {"triggerPrice": 65100, "algoClOrdId": "trgB"})

    cancelled = [
        client.cancel_order(limit_a["id"], symbol),
        client.cancel_order(None, symbol, {"clientOrderId": "limB"}),
        client.cancel_order(trigger_a["id"], symbol, {"trigger": True}),
        client.cancel_order(None, symbol, {"trigger": True, "clientOrderId": "trgB"}),
    ]

    rows = sim.orders(exchange="okx", api_key=api_key)
    assert [r["status"] for r in rows] == ["cancelled"] * 4
    assert [c["id"] for c in cancelled] == [r["id"] for r in rows]
    assert client.fetch_open_orders(symbol) == []
    assert client.fetch_open_orders(symbol, params={"trigger": True}) == []
    assert client.fetch_order(limit_a["id"], symbol)["status"] == "canceled"
    assert client.fetch_order(trigger_a["id"], symbol, {"trigger": True})["status"] == "canceled"
    with pytest.raises(ccxt.OrderNotFound, match="51401"):
        client.cancel_order(limit_a["id"], symbol)


def test_okx_has_no_cancel_all_so_open_orders_are_listed_and_cancelled(sim, sim_url):
    client, api_key = okx_client(sim, sim_url)
    for symbol in (SPOT, SWAP, "ETH/USDT:USDT"):
        client.create_order(
            symbol, "limit", "buy", 1 if symbol != SPOT else 0.001, 2000 if "ETH" in symbol else 50000
        )
        client.create_order(
            symbol, "market", "buy", 1 if symbol != SPOT else 0.001, None, {"triggerPrice": 70000}
        )

    assert not client.has["cancelAllOrders"]
    normal = client.fetch_open_orders()
    triggers = [
        o
        for s in (SPOT, SWAP, "ETH/USDT:USDT")
        for o in client.fetch_open_orders(s, params={"trigger": True})
    ]
    for order in normal:
        client.cancel_order(order["id"], order["symbol"])
    for order in triggers:
        client.cancel_order(order["id"], order["symbol"], {"trigger": True})

    assert (len(normal), len(triggers)) == (3, 3)
    assert {r["status"] for r in sim.orders(exchange="okx", api_key=api_key)} == {"cancelled"}


def test_okx_closed_and_canceled_history_for_normal_and_trigger_orders(sim, sim_url):
    client, _ = okx_client(sim, sim_url)
    filled = client.create_order(SWAP, "market", "buy", 1, None)
    resting = client.create_order(SWAP, "limit", "buy", 1, 50000)
    client.cancel_order(resting["id"], SWAP)
    stop = client.create_order(SWAP, "market", "buy", 1, None, {"triggerPrice": 65000})
    client.cancel_order(stop["id"], SWAP, {"trigger": True})

    assert [o["id"] for o in client.fetch_closed_orders(SWAP)] == [filled["id"]]
    assert [o["id"] for o in client.fetch_canceled_orders(SWAP)] == [resting["id"]]
    cancelled_algos = client.fetch_canceled_orders(SWAP, params={"trigger": True, "ordType": "trigger"})
    assert [o["id"] for o in cancelled_algos] == [stop["id"]]
    assert client.fetch_closed_orders(SPOT) == []


def test_okx_batch_with_one_bad_order_partially_succeeds(sim, sim_url):
    client, api_key = okx_client(sim, sim_url)

    good, bad = client.create_orders(
        [
            {"symbol": SWAP, "type": "limit", "side": "buy", "amount": 1, "price": 50000},
            {"symbol": SPOT, "type": "limit", "side": "buy", "amount": 0.000001, "price": 50000},
        ]
    )

    assert (good["status"], bad["status"], bad["info"]["sCode"]) == (None, "rejected", "51020")
    assert only_order(sim, api_key)["id"] == good["id"]


def test_okx_cancel_orders_uses_the_batch_endpoint(sim, sim_url):
    client, api_key = okx_client(sim, sim_url)
    ids = [client.create_order(SWAP, "limit", "buy", 1, price)["id"] for price in (50000, 50100)]

    cancelled = client.cancel_orders(ids, SWAP)

    assert [o["id"] for o in cancelled] == ids
    assert paths(sim, api_key)[-1] == "/api/v5/trade/cancel-batch-orders"
    assert {r["status"] for r in sim.orders(exchange="okx", api_key=api_key)} == {"cancelled"}


def test_okx_isolated_margin_mode_shows_on_the_position(sim, sim_url):
    client, _ = okx_client(sim, sim_url)
    client.set_leverage(20, "SOL/USDT:USDT", {"marginMode": "isolated"})

    client.create_order("SOL/USDT:USDT", "market", "sell", 4, None, {"marginMode": "isolated"})

    [position] = client.fetch_positions(["SOL/USDT:USDT"])
    assert (position["side"], position["contracts"], position["marginMode"]) == ("short", 4, "isolated")
    # 4 contracts x 1 SOL x 150 / 20x
    assert (position["leverage"], position["initialMargin"], position["collateral"]) == (20, 30, 30)


def test_okx_my_trades_show_one_fill_per_order_at_its_average_price(sim, sim_url):
    client, _ = okx_client(sim, sim_url)
    order = client.create_order(SWAP, "market", "buy", 3, None)
    client.create_order(SWAP, "limit", "buy", 1, 50000)  # rests: no fill

    [trade] = client.fetch_my_trades(SWAP)

    assert (trade["order"], trade["side"], trade["amount"], trade["price"]) == (order["id"], "buy", 3, 60000)
    assert client.fetch_order_trades(order["id"], SWAP)[0]["id"] == trade["id"]


def test_okx_order_book_and_mark_price_sit_at_the_mark(sim, sim_url):
    client, _ = okx_client(sim, sim_url)
    sim.price("SOLUSDT", "151.23", exchange="okx")

    book = client.fetch_order_book("SOL/USDT")

    assert (book["bids"][0][0], book["asks"][0][0]) == (151.23, 151.23)
    assert client.fetch_mark_price("SOL/USDT:USDT")["markPrice"] == 151.23
