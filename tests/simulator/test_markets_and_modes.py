"""Markets that change while running, and hedge-mode accounts, through real ccxt (issue 11,
defects 6 and 7): a new listing is unknown to a client until it reloads its markets, a changed
tick or step refuses orders sized with the old one, and a hedge-mode account refuses the one-way
orders the service sends."""

from __future__ import annotations

import ccxt
import pytest

from tests.simulator.strict_support import PERP, funded

BALANCES = {"spot": {"USDT": "100000"}, "futures": {"USDT": "100000"}}
NEW = {
    "binance": {"market": "futures", "symbol": "PEPEUSDT", "min_notional": "5"},
    "bybit": {"market": "futures", "symbol": "PEPEUSDT", "min_notional": "5"},
    "okx": {"market": "futures", "symbol": "PEPE-USDT-SWAP", "contract_size": "1"},
}
ORDER_TYPES = {
    "binance": ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET"],
    "bybit": ["Market", "Limit"],
    "okx": ["market", "limit", "trigger"],
}


@pytest.mark.parametrize("exchange", ["binance", "bybit", "okx"])
def test_a_symbol_listed_while_running_is_found_after_a_market_reload(sim, sim_url, exchange):
    client, _ = funded(sim, sim_url, exchange, BALANCES)
    sim.list_instrument(
        exchange=exchange,
        base="PEPE",
        quote="USDT",
        settle="USDT",
        tick_size="0.0001",
        step_size="1",
        min_qty="1",
        max_leverage=50,
        order_types=ORDER_TYPES[exchange],
        price="0.01",
        **NEW[exchange],
    )
    assert "PEPE/USDT:USDT" not in client.markets  # a client that never reloads does not know it
    client.load_markets(reload=True)
    client.create_order("PEPE/USDT:USDT", "market", "buy", 1000)
    assert sim.positions(api_key=client.apiKey)[0]["symbol"] == NEW[exchange]["symbol"]


def test_a_changed_step_refuses_quantities_of_the_old_step(sim, sim_url):
    client, _ = funded(sim, sim_url, "binance", BALANCES)
    sim.update_instrument(exchange="binance", market="futures", symbol="BTCUSDT", step_size="0.01")
    with pytest.raises(ccxt.ExchangeError, match="-1111"):
        client.create_order(PERP, "market", "buy", 0.011)  # ccxt still rounds to 0.001
    client.load_markets(reload=True)
    assert client.market(PERP)["precision"]["amount"] == 0.01


def test_a_changed_tick_refuses_prices_of_the_old_tick(sim, sim_url):
    client, _ = funded(sim, sim_url, "bybit", BALANCES)
    sim.update_instrument(exchange="bybit", market="futures", symbol="BTCUSDT", tick_size="1")
    with pytest.raises(ccxt.ExchangeError, match="10001"):
        client.create_order(PERP, "limit", "buy", 0.01, 59000.5)
    client.load_markets(reload=True)
    assert client.market(PERP)["precision"]["price"] == 1


def test_reset_returns_to_the_start_up_markets(sim, sim_url):
    sim.update_instrument(exchange="okx", market="futures", symbol="BTC-USDT-SWAP", step_size="1")
    sim.reset()
    client, _ = funded(sim, sim_url, "okx", BALANCES)
    assert client.market(PERP)["precision"]["amount"] == 0.01


@pytest.mark.parametrize(
    ("exchange", "code", "amount"),
    [("binance", "-4061", 0.01), ("bybit", "10001", 0.01), ("okx", "51000", 1)],
)
def test_a_hedge_mode_account_refuses_one_way_orders(sim, sim_url, exchange, code, amount):
    client, key = funded(sim, sim_url, exchange, BALANCES)
    sim.position_mode(exchange, key, "hedge")
    with pytest.raises(ccxt.ExchangeError, match=code):
        client.create_order(PERP, "market", "buy", amount)
    assert sim.orders(api_key=key) == []


def test_hedge_mode_shows_where_the_exchange_shows_it(sim, sim_url):
    binance, key = funded(sim, sim_url, "binance", BALANCES)
    sim.position_mode("binance", key, "hedge")
    assert binance.fetch_position_mode(PERP)["hedged"] is True
    okx, key = funded(sim, sim_url, "okx", BALANCES)
    sim.position_mode("okx", key, "hedge")
    assert okx.fetch_position_mode(PERP)["hedged"] is True
    bybit, key = funded(sim, sim_url, "bybit", BALANCES)
    sim.position_mode("bybit", key, "hedge")
    rows = bybit.privateGetV5PositionList({"category": "linear", "symbol": "BTCUSDT"})["result"]["list"]
    assert [r["positionIdx"] for r in rows] == [1, 2]
