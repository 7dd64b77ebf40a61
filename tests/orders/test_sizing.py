from decimal import Decimal

import pytest

from accounts.exchange.types import MarketRules, SizingError
from orders.sizing import SizingInput, round_price, size_order

BTC_FUT = MarketRules(
    "BTC/USDT:USDT", "FUTURES", Decimal("0.001"), Decimal("0.1"), Decimal("0.001"), Decimal("100")
)
BTC_SPOT = MarketRules(
    "BTC/USDT", "SPOT", Decimal("0.00001"), Decimal("0.01"), Decimal("0.00001"), Decimal("5")
)
# OKX BTC-USDT-SWAP: lot 0.01 contracts of 0.01 BTC → a base step of 0.0001 BTC
OKX_SWAP = MarketRules(
    "BTC/USDT:USDT",
    "FUTURES",
    Decimal("0.0001"),
    Decimal("0.1"),
    Decimal("0.0001"),
    None,
    contract_size=Decimal("0.01"),
)


def _input(**changes):
    values = dict(
        order_type="LIMIT",
        side="buy",
        market_type="FUTURES",
        qty_per=Decimal("10"),
        price=Decimal("80000"),
        stop_price=None,
        last_price=Decimal("110000"),
        allocated_capital=Decimal("10000"),
        leverage=1,
        position=Decimal("0"),
        rules=BTC_FUT,
    )
    values.update(changes)
    return SizingInput(**values)


def test_an_opening_order_is_capital_times_percent_times_leverage_over_its_own_price():
    sized = size_order(_input(qty_per=Decimal("50"), leverage=3))
    assert sized.quantity == Decimal("0.187")  # 10000 × 0.5 × 3 / 80000 = 0.1875, rounded down
    assert not sized.closing and not sized.reduce_only


@pytest.mark.parametrize(
    "price, expected", [(Decimal("78000"), "0.003"), (Decimal("77000"), "0.005"), (Decimal("76000"), "0.006")]
)
def test_each_rung_of_a_ladder_is_sized_at_its_own_price(price, expected):
    qty_per = {Decimal("78000"): 3, Decimal("77000"): 4, Decimal("76000"): 5}[price]
    sized = size_order(_input(price=price, qty_per=Decimal(qty_per), allocated_capital=Decimal("10000")))
    assert sized.quantity == Decimal(expected)  # not the 110000 ticker price


def test_a_stop_market_is_sized_at_its_stop_price_and_a_market_at_the_last_price():
    assert size_order(
        _input(order_type="STOP_MARKET", price=None, stop_price=Decimal("100000"))
    ).quantity == Decimal("0.010")
    assert size_order(_input(order_type="MARKET", price=None)).quantity == Decimal("0.009")  # 1000/110000


def test_spot_ignores_leverage():
    assert size_order(_input(market_type="SPOT", rules=BTC_SPOT, leverage=10)).quantity == Decimal("0.0125")


@pytest.mark.parametrize("qty_per, expected", [(Decimal("50"), "0.05"), (Decimal("100"), "0.1")])
def test_closing_uses_this_strategys_position(qty_per, expected):
    sized = size_order(_input(side="sell", position=Decimal("0.1"), qty_per=qty_per))
    assert sized.quantity == Decimal(expected) and sized.closing and sized.reduce_only


def test_a_futures_buy_while_short_closes():
    sized = size_order(_input(side="buy", position=Decimal("-0.2"), qty_per=Decimal("100")))
    assert sized.quantity == Decimal("0.2") and sized.reduce_only


def test_a_futures_sell_while_flat_opens_a_short():
    sized = size_order(_input(side="sell", position=Decimal("0")))
    assert not sized.closing and sized.quantity == Decimal("0.012")


def test_a_spot_sell_without_position_is_refused():
    with pytest.raises(SizingError, match="포지션"):
        size_order(_input(market_type="SPOT", rules=BTC_SPOT, side="sell"))


def test_a_spot_sell_is_not_reduce_only():
    sized = size_order(_input(market_type="SPOT", rules=BTC_SPOT, side="sell", position=Decimal("0.01")))
    assert sized.closing and not sized.reduce_only


def test_below_minimum_notional_is_reported_with_the_minimum_and_the_shortfall():
    with pytest.raises(SizingError) as error:
        size_order(_input(qty_per=Decimal("1"), allocated_capital=Decimal("1000")))  # 10 USDT of BTC
    assert "최소" in str(error.value) and "0.001" in str(error.value)


def test_below_minimum_notional_names_the_notional_minimum():
    rules = MarketRules("X", "FUTURES", Decimal("0.001"), None, Decimal("0.001"), Decimal("100"))
    with pytest.raises(SizingError, match="최소 주문 금액 미달: 80 < 최소 100"):
        size_order(_input(rules=rules, qty_per=Decimal("1"), allocated_capital=Decimal("8000")))


def test_a_small_reduce_only_close_is_not_held_to_the_notional_minimum():
    sized = size_order(_input(side="sell", position=Decimal("0.001"), qty_per=Decimal("100")))
    assert sized.quantity == Decimal("0.001")  # 80 USDT < 100 minimum, but closing is allowed


def test_okx_contracts_are_rounded_in_base_units_of_the_contract_step():
    sized = size_order(_input(rules=OKX_SWAP, qty_per=Decimal("3"), price=Decimal("78000")))
    assert sized.quantity == Decimal("0.0038")  # 300/78000 = 0.003846 → 0.38 contracts of 0.01 BTC


def test_no_capital_is_refused():
    with pytest.raises(SizingError, match="allocated_capital"):
        size_order(_input(allocated_capital=Decimal("0")))


@pytest.mark.parametrize("side, expected", [("buy", "80000.1"), ("sell", "80000.2")])
def test_prices_round_to_the_tick_never_worse_than_asked(side, expected):
    assert round_price(Decimal("80000.15"), Decimal("0.1"), side) == Decimal(expected)
