"""Binance limits beyond price/lot/notional through real ccxt (issue 11, defects 5, 8 and 11):
PERCENT_PRICE(_BY_SIDE) bands, MARKET_LOT_SIZE, leverage brackets (-2027), margin type (-4046)."""

from __future__ import annotations

import ccxt
import pytest

from tests.simulator.strict_support import PERP, SPOT, funded

BALANCES = {"spot": {"USDT": "10000000", "BTC": "500"}, "futures": {"USDT": "10000000"}}


@pytest.fixture
def binance(sim, sim_url):
    return funded(sim, sim_url, "binance", BALANCES)


def test_spot_limit_price_outside_percent_price_by_side_is_refused(binance):
    client, _ = binance
    with pytest.raises(ccxt.InvalidOrder, match="PERCENT_PRICE_BY_SIDE"):
        client.create_order(SPOT, "limit", "buy", 0.01, 11000)  # below 0.2 x 60 000
    with pytest.raises(ccxt.InvalidOrder, match="PERCENT_PRICE_BY_SIDE"):
        client.create_order(SPOT, "limit", "sell", 0.01, 310000)  # above 5 x 60 000
    client.create_order(SPOT, "limit", "buy", 0.01, 13000)


def test_futures_limit_price_outside_percent_price_is_refused(binance):
    client, _ = binance
    with pytest.raises(ccxt.ExchangeError, match="-4016") as high:
        client.create_order(PERP, "limit", "buy", 0.01, 63100)  # mark x 1.05 = 63 000
    assert "Limit price can't be higher than 63000." in str(high.value)
    with pytest.raises(ccxt.ExchangeError, match="-4024"):
        client.create_order(PERP, "limit", "sell", 0.01, 56900)  # mark x 0.95 = 57 000
    client.create_order(PERP, "limit", "buy", 0.01, 63000)
    client.create_order(PERP, "limit", "sell", 0.01, 57000)


def test_market_orders_above_market_lot_size_are_refused(binance):
    client, _ = binance
    client.load_markets()
    assert client.market(SPOT)["info"]["filters"][3]["maxQty"] == "118.00000000"
    with pytest.raises(ccxt.InvalidOrder, match="MARKET_LOT_SIZE"):
        client.create_order(SPOT, "market", "sell", 119)
    with pytest.raises(ccxt.ExchangeError, match="-4005"):
        client.create_order(PERP, "market", "buy", 121)  # MARKET_LOT_SIZE maxQty 120
    client.create_order(SPOT, "limit", "sell", 119, 60000)  # LOT_SIZE allows it as a limit


def test_position_above_the_leverage_bracket_is_refused(binance):
    """At 125x the first bracket caps the position at 50 000 USDT of notional."""
    client, _ = binance
    client.set_leverage(125, PERP)
    (bracket,) = client.fapiPrivateGetLeverageBracket({"symbol": "BTCUSDT"})
    assert bracket["brackets"][0]["notionalCap"] == 50000
    with pytest.raises(ccxt.ExchangeError, match="-2027"):
        client.create_order(PERP, "market", "buy", 0.834)  # 50 040 USDT
    client.create_order(PERP, "market", "buy", 0.833)  # 49 980 USDT


def test_raising_leverage_past_the_bracket_of_an_open_position_is_refused(binance):
    client, _ = binance
    client.set_leverage(20, PERP)
    client.create_order(PERP, "market", "buy", 1)  # 60 000 USDT of notional
    with pytest.raises(ccxt.ExchangeError, match="-2027"):
        client.set_leverage(125, PERP)


def test_margin_type_is_set_per_symbol_and_a_repeat_answers_4046(binance, sim):
    client, key = binance
    assert client.set_margin_mode("isolated", PERP)["code"] == 200
    with pytest.raises(ccxt.ExchangeError, match="-4046") as raised:
        client.fapiPrivatePostMarginType({"symbol": "BTCUSDT", "marginType": "ISOLATED"})
    assert "No need to change margin type." in str(raised.value)
    client.set_leverage(20, PERP)
    client.create_order(PERP, "market", "buy", 0.01)
    (row,) = client.fapiPrivateV2GetPositionRisk({"symbol": "BTCUSDT"})
    assert row["marginType"] == "isolated"
    with pytest.raises(ccxt.ExchangeError, match="-4048"):
        client.set_margin_mode("cross", PERP)
    with pytest.raises(ccxt.ExchangeError, match="-4161"):
        client.set_leverage(10, PERP)  # isolated position: no leverage reduction
