"""Bybit v5 markets, tickers, unified-account balance, positions and leverage through real ccxt."""

from __future__ import annotations

import pytest

from tests.simulator.clients import make_client, unique_key

SPOT, LINEAR = "BTC/USDT", "BTC/USDT:USDT"
PAIRS = ("BTC", "ETH", "SOL", "XRP", "DOGE")


@pytest.fixture
def bybit(sim, sim_url):
    key = unique_key("bybit")
    sim.account("bybit", key, "s-" + key, {"spot": {"USDT": "3000", "ETH": "2"}, "futures": {"USDT": "7000"}})
    client = make_client("bybit", sim_url, key, "s-" + key)
    client.load_markets()
    return client


def test_bybit_markets_load_spot_and_linear_with_exchange_filters(sim, bybit):
    for base in PAIRS:
        spot, swap = bybit.market(f"{base}/USDT"), bybit.market(f"{base}/USDT:USDT")
        assert (spot["id"], spot["spot"], spot["active"]) == (f"{base}USDT", True, True)
        assert (swap["id"], swap["swap"], swap["linear"]) == (f"{base}USDT", True, True)
        assert (swap["settle"], swap["contractSize"]) == ("USDT", 1)
    btc_spot, btc_swap = bybit.market(SPOT), bybit.market(LINEAR)
    assert btc_spot["precision"] == {"amount": 0.000001, "price": 0.01}
    assert btc_spot["limits"]["cost"]["min"] == 5
    assert btc_swap["precision"]["amount"] == 0.001 and btc_swap["precision"]["price"] == 0.1
    assert btc_swap["limits"]["amount"]["min"] == 0.001
    assert btc_swap["limits"]["cost"]["min"] == 5
    assert btc_swap["limits"]["leverage"]["max"] == 100
    assert len(bybit.markets) == 10
    # Every call ccxt made was served (no 404 / unknown endpoint).
    assert {r["status"] for r in sim.requests(exchange="bybit")} == {200}


def test_bybit_tickers_report_the_mark_price(sim, bybit):
    sim.price("ETHUSDT", "3100.5", exchange="bybit")
    spot, swap = bybit.fetch_ticker("ETH/USDT"), bybit.fetch_ticker("ETH/USDT:USDT")
    assert (spot["symbol"], spot["last"], spot["bid"], spot["ask"]) == ("ETH/USDT", 3100.5, 3100.5, 3100.5)
    assert (swap["symbol"], swap["last"], swap["markPrice"]) == ("ETH/USDT:USDT", 3100.5, 3100.5)
    assert set(bybit.fetch_tickers(None, {"type": "spot"})) == {f"{b}/USDT" for b in PAIRS}


def test_bybit_time_is_served(bybit):
    assert abs(bybit.fetch_time() - bybit.milliseconds()) < 5_000


@pytest.mark.usefixtures("no_fees")
def test_bybit_unified_balance_sums_the_spot_and_futures_wallets(sim, bybit):
    balance = bybit.fetch_balance()
    assert balance["USDT"] == {"free": 10000, "used": 0, "total": 10000, "debt": 0}
    assert balance["ETH"]["total"] == 2
    assert bybit.last_http_response.count('"accountType":"UNIFIED"') == 1

    bybit.create_order("ETH/USDT", "limit", "buy", 0.5, 2900)  # locks 1450 USDT of the spot wallet
    bybit.create_order(LINEAR, "market", "buy", 0.01)  # 600 notional at leverage 10: 60 margin
    balance = bybit.fetch_balance()
    assert balance["USDT"]["used"] == pytest.approx(1510)
    assert balance["USDT"]["total"] == pytest.approx(10000)
    assert balance["USDT"]["free"] == pytest.approx(8490)


def test_bybit_positions_list_only_open_positions_unless_a_symbol_is_asked(sim, bybit):
    assert bybit.fetch_positions() == []
    [flat] = bybit.fetch_positions([LINEAR])
    assert (flat["contracts"], flat["side"]) == (0, None)

    bybit.create_order(LINEAR, "market", "sell", 0.02)
    sim.price("BTCUSDT", "59000", exchange="bybit")

    [position] = bybit.fetch_positions()
    assert (position["symbol"], position["side"], position["contracts"]) == (LINEAR, "short", 0.02)
    assert (position["entryPrice"], position["markPrice"]) == (60000, 59000)
    assert position["unrealizedPnl"] == pytest.approx(20)
    assert position["notional"] == pytest.approx(1200)
    assert sim.positions(exchange="bybit", api_key=bybit.apiKey)[0]["quantity"] == "-0.02"


def test_bybit_leverage_set_through_ccxt_sizes_the_margin(sim, bybit):
    response = bybit.set_leverage(25, LINEAR)
    assert response["retCode"] == 0

    bybit.create_order(LINEAR, "market", "buy", 0.1)  # 6000 notional

    [position] = bybit.fetch_positions([LINEAR])
    assert position["leverage"] == 25
    assert position["initialMargin"] == pytest.approx(240)
    assert sim.positions(exchange="bybit", api_key=bybit.apiKey)[0]["leverage"] == 25


def test_bybit_unified_account_detection_calls_are_served(sim, sim_url):
    key = unique_key("bybit")
    sim.account("bybit", key, "s-" + key, {"futures": {"USDT": "500"}})
    options = {"enableUnifiedAccount": None, "enableUnifiedMargin": None}
    client = make_client("bybit", sim_url, key, "s-" + key, options=options)

    assert client.fetch_balance()["USDT"]["total"] == 500

    assert client.is_unified_enabled() == [False, True]
    paths = [r["path"] for r in sim.requests(exchange="bybit", api_key=key)]
    assert {"/v5/user/query-api", "/v5/account/info", "/v5/account/wallet-balance"} <= set(paths)
    assert {r["status"] for r in sim.requests(exchange="bybit")} == {200}
