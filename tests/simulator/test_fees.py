"""Fees at the exchanges' VIP 0 rates (on by default), through real ccxt: where each exchange
takes them (spot buys: the coin received; spot sells: the quote; futures: USDT), the fields that
report them, and futures margin checks that count the opening fee (issue 11, defects 1 and 11)."""

from __future__ import annotations

from decimal import Decimal as D

import ccxt
import pytest

from tests.simulator.clients import SimControl
from tests.simulator.strict_support import EXCHANGES, PERP, PERP_001_BTC, SPOT, funded

SPOT_RATE = {"binance": D("0.001"), "bybit": D("0.001"), "okx": D("0.001")}  # taker
PERP_TAKER = {"binance": D("0.0005"), "bybit": D("0.00055"), "okx": D("0.0005")}


def spot_free(sim: SimControl, exchange: str, key: str, asset: str) -> D:
    return D(sim.balance(exchange, key, "spot", asset)["free"])


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_a_spot_market_buy_pays_its_fee_in_the_coin_received(sim, sim_url, exchange):
    client, key = funded(sim, sim_url, exchange, {"spot": {"USDT": "1000"}})
    # Bybit and OKX size a spot market buy in the quote coin: ccxt sends amount x price = 600.
    client.create_order(SPOT, "market", "buy", 0.01, 60000)
    fee = D("0.01") * SPOT_RATE[exchange]
    assert spot_free(sim, exchange, key, "BTC") == D("0.01") - fee
    (order,) = sim.orders(api_key=key)
    assert (D(order["fee"]), order["fee_asset"]) == (fee, "BTC")
    assert spot_free(sim, exchange, key, "USDT") == D("400")


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_a_spot_market_sell_pays_its_fee_in_the_quote_coin(sim, sim_url, exchange):
    client, key = funded(sim, sim_url, exchange, {"spot": {"BTC": "0.01"}})
    client.create_order(SPOT, "market", "sell", 0.01)
    assert spot_free(sim, exchange, key, "BTC") == 0
    assert spot_free(sim, exchange, key, "USDT") == D("600") * (1 - SPOT_RATE[exchange])


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_selling_the_whole_recorded_buy_is_refused_because_the_fee_took_part_of_it(sim, sim_url, exchange):
    """Defect 1: the wallet holds the buy net of its fee; selling the gross amount is refused."""
    client, key = funded(sim, sim_url, exchange, {"spot": {"USDT": "1000"}})
    client.create_order(SPOT, "market", "buy", 0.01, 60000)
    with pytest.raises(ccxt.InsufficientFunds):
        client.create_order(SPOT, "market", "sell", 0.01)


def test_binance_spot_order_answer_and_trades_carry_the_commission(sim, sim_url):
    client, _ = funded(sim, sim_url, "binance", {"spot": {"USDT": "1000"}})
    order = client.create_order(SPOT, "market", "buy", 0.01)
    fill = order["info"]["fills"][0]
    assert (fill["commission"], fill["commissionAsset"]) == ("0.00001000", "BTC")
    trades = client.fetch_my_trades(SPOT)
    assert [(t["fee"]["cost"], t["fee"]["currency"], t["order"]) for t in trades] == [
        (0.00001, "BTC", order["id"])
    ]


def test_binance_futures_trades_carry_the_usdt_commission(sim, sim_url):
    client, key = funded(sim, sim_url, "binance", {"futures": {"USDT": "1000"}})
    order = client.create_order(PERP, "market", "buy", 0.01)
    trades = client.fetch_my_trades(PERP)
    assert [(t["fee"]["cost"], t["fee"]["currency"], t["order"]) for t in trades] == [
        (0.3, "USDT", order["id"])
    ]
    assert D(sim.balance("binance", key, "futures", "USDT")["total"]) == D("1000") - D("0.3")


@pytest.mark.parametrize("exchange", ["bybit", "okx"])
def test_bybit_and_okx_orders_report_their_fee(sim, sim_url, exchange):
    client, _ = funded(sim, sim_url, exchange, {"spot": {"BTC": "0.01"}, "futures": {"USDT": "1000"}})
    fetch = client.fetch_closed_order if exchange == "bybit" else client.fetch_order
    spot = fetch(client.create_order(SPOT, "market", "sell", 0.01)["id"], SPOT)
    assert (spot["fee"]["cost"], spot["fee"]["currency"]) == (0.6, "USDT")
    perp = client.create_order(PERP, "market", "buy", PERP_001_BTC[exchange])
    perp = fetch(perp["id"], PERP)
    assert perp["fee"]["currency"] == "USDT"
    assert D(str(perp["fee"]["cost"])) == D("600") * PERP_TAKER[exchange]


def test_bybit_execution_list_reports_the_fee_of_each_trade(sim, sim_url):
    client, _ = funded(sim, sim_url, "bybit", {"futures": {"USDT": "1000"}})
    order = client.create_order(PERP, "market", "buy", 0.01)
    trades = client.fetch_my_trades(PERP)
    assert [(t["fee"]["cost"], t["fee"]["currency"], t["order"]) for t in trades] == [
        (0.33, "USDT", order["id"])
    ]


def test_a_resting_limit_filled_later_pays_the_maker_rate(sim, sim_url):
    client, key = funded(sim, sim_url, "binance", {"futures": {"USDT": "1000"}})
    client.create_order(PERP, "limit", "buy", 0.01, 59000)
    sim.price("BTCUSDT", "58900", exchange="binance")
    (trade,) = client.fetch_my_trades(PERP)
    assert (trade["fee"]["cost"], trade["takerOrMaker"]) == (0.118, "maker")  # 590 x 0.02 %


def five_x(client, exchange: str) -> None:
    client.set_leverage(5, PERP, {"mgnMode": "cross"} if exchange == "okx" else {})


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_a_futures_order_using_all_capital_as_margin_is_refused_for_the_opening_fee(sim, sim_url, exchange):
    """Defect 11: 600 USDT at 5x opens 3000 of notional only if the fee is left over too."""
    client, _ = funded(sim, sim_url, exchange, {"futures": {"USDT": "600"}})
    five_x(client, exchange)
    # Binance -2019, Bybit 110007, OKX 51008 (ccxt's class for -2019 depends on the host name).
    with pytest.raises(ccxt.ExchangeError, match="-2019|110007|51008"):
        client.create_order(PERP, "market", "buy", PERP_001_BTC[exchange] * 5)


@pytest.mark.parametrize(
    ("exchange", "capital"),
    [("binance", "601.5"), ("okx", "601.5"), ("bybit", "602.97")],  # Bybit adds the fee to close
)
def test_a_futures_order_is_accepted_when_margin_and_fees_fit(sim, sim_url, exchange, capital):
    # Bybit's order cost: 600 margin + 1.65 to open + 3000 x (1 - 1/5) x 0.055 % = 1.32 to close.
    client, _ = funded(sim, sim_url, exchange, {"futures": {"USDT": capital}})
    five_x(client, exchange)
    client.create_order(PERP, "market", "buy", PERP_001_BTC[exchange] * 5)
    (position,) = sim.positions(api_key=client.apiKey)
    assert D(position["quantity"]) == D(str(PERP_001_BTC[exchange])) * 5


def test_fee_rates_can_be_set_to_zero_and_reset_restores_the_defaults(sim, sim_url):
    sim.fees(preset="zero")
    client, key = funded(sim, sim_url, "binance", {"spot": {"USDT": "1000"}})
    client.create_order(SPOT, "market", "buy", 0.01)
    assert spot_free(sim, "binance", key, "BTC") == D("0.01")
    sim.reset()
    rates = {(r["exchange"], r["market"]): r["taker"] for r in sim._get("/_sim/fees")["fees"]}
    assert rates[("bybit", "futures")] == "0.00055"


def test_one_exchange_market_can_get_its_own_rates(sim, sim_url):
    sim.fees(exchange="okx", market="spot", maker="0", taker="0.002")
    client, key = funded(sim, sim_url, "okx", {"spot": {"BTC": "0.01"}})
    client.create_order(SPOT, "market", "sell", 0.01)
    assert spot_free(sim, "okx", key, "USDT") == D("600") * (1 - D("0.002"))


def test_bybit_order_cost_also_counts_the_fee_to_close(sim, sim_url):
    """Enough for margin and the fee to open (Binance's and OKX's check) is not enough on Bybit."""
    client, _ = funded(sim, sim_url, "bybit", {"futures": {"USDT": "601.5"}})
    five_x(client, "bybit")
    with pytest.raises(ccxt.InsufficientFunds, match="110007"):
        client.create_order(PERP, "market", "buy", 0.05)


def test_the_fees_flag_sets_the_start_up_rates():
    from exchange_simulator.fees import FeeSchedule, parse_fee_spec

    schedule = FeeSchedule()
    parse_fee_spec("*:futures:0.0001:0.0004,okx:spot:0:0", schedule)
    assert schedule.rate("bybit", "futures", maker=False) == D("0.0004")
    assert schedule.rate("okx", "spot", maker=True) == 0
    assert schedule.rate("binance", "spot", maker=False) == D("0.001")
    schedule.set("bybit", "futures", 0, 0)
    schedule.reset()
    assert schedule.rate("bybit", "futures", maker=True) == D("0.0001")  # back to the flag's rate
    parse_fee_spec("zero", schedule)
    assert {r["taker"] for r in schedule.as_list()} == {"0"}
    with pytest.raises(ValueError):
        parse_fee_spec("binance:spot:0.001", schedule)


def test_a_simulator_started_with_fees_zero_charges_none():
    from exchange_simulator.testing import start_simulator

    with start_simulator(fees="zero") as url:
        control = SimControl(url)
        client, key = funded(control, url, "binance", {"spot": {"USDT": "1000"}})
        client.create_order(SPOT, "market", "buy", 0.01)
        assert spot_free(control, "binance", key, "BTC") == D("0.01")
