"""Fees at the exchanges' VIP 0 rates (the simulator's default), through real ccxt against the
simulator, in process (issue 11, defects 1 and 11): spot positions are net of the fee taken from
the coin received, a spot sell never asks for more than the wallet holds, and `qty_per: 100`
leaves room for the fees the exchange's margin check counts."""

import uuid
from decimal import Decimal

import pytest

from accounts.exchange import client as exchange
from orders.models import Position
from tests.sim_trading import api_key, place

pytestmark = pytest.mark.integration

EXCHANGES = ["BINANCE", "BYBIT", "OKX"]


def _wallet(sim, account, asset: str, wallet: str = "spot") -> Decimal:
    return Decimal(str(sim.balance(account.exchange.lower(), api_key(account), wallet, asset)["total"]))


@pytest.mark.parametrize("exchange_name", EXCHANGES)
def test_a_spot_market_buy_of_100_then_a_sell_of_100_leaves_less_than_one_step(
    exchange_name, make_trader, sim, in_process
):
    """Defect 1: the position was recorded gross of the fee taken from the coin bought, so the
    sell of 100 % asked for more than the wallet held (Binance -2010, Bybit 170131, OKX 51008)."""
    trader = make_trader(exchange_name, "SPOT", capital=Decimal("100000"))  # all of the wallet
    strategy, account = trader.strategies["my_strategy"], trader.accounts[0]
    buy = place(strategy, account, "MARKET", qty_per="100", expect="FILLED")
    held = _wallet(sim, account, "BTC")
    assert buy.fee_base_quantity > 0 and held < buy.filled_quantity
    assert Position.objects.get(link_id=buy.link_id).quantity == held
    place(strategy, account, "MARKET", side="sell", qty_per="100", expect="FILLED")
    step = exchange.client_for(account).market_rules("BTC/USDT").amount_step
    assert _wallet(sim, account, "BTC") < step


def test_a_spot_sell_is_capped_to_the_free_coin_and_the_result_says_so(make_trader, sim, in_process):
    """Defect 1: a sell sized on a position larger than the wallet's free coin is cut to it."""
    trader = make_trader("BYBIT", "SPOT")
    strategy, account = trader.strategies["my_strategy"], trader.accounts[0]
    buy = place(strategy, account, "MARKET", qty_per="50", expect="FILLED")
    Position.objects.filter(link_id=buy.link_id).update(quantity=buy.filled_quantity * 2)  # says more
    sell = place(strategy, account, "MARKET", side="sell", qty_per="100", expect="FILLED")
    assert sell.quantity <= _wallet(sim, account, "BTC") + sell.filled_quantity
    assert sell.note and "BTC" in sell.note


@pytest.mark.parametrize("exchange_name", EXCHANGES)
def test_futures_qty_per_100_of_the_whole_wallet_passes_the_margin_check_with_fees(
    exchange_name, make_trader, sim, in_process
):
    """Defect 11: sized at capital × leverage exactly, the margin check (which counts the opening
    fee, on Bybit also the closing fee) refused it: Binance -2019, Bybit 110007, OKX 51008."""
    trader = make_trader(exchange_name, "FUTURES", capital=Decimal("100000"), leverage=5)
    strategy, account = trader.strategies["my_strategy"], trader.accounts[0]
    order = place(strategy, account, "MARKET", qty_per="100", expect="FILLED")
    assert order.quantity * Decimal("110000") > Decimal("490000")  # close to the whole 500 000


def test_a_position_above_the_leverage_bracket_is_refused_before_it_is_sent(make_trader, sim, in_process):
    """Defect 11: Binance caps the position notional per leverage (-2027; at 100x the simulator's
    default bracket allows 50 000 USDT): refused up front, per account, with the reason."""
    trader = make_trader("BINANCE", "FUTURES", capital=Decimal("60000"), leverage=100)
    account = trader.accounts[0]
    order = place(
        trader.strategies["my_strategy"], account, "LIMIT", price=100000, qty_per="50", expect="REJECTED"
    )
    assert "레버리지 구간" in order.error and "50000" in order.error
    assert sim.orders(api_key=api_key(account)) == []


def test_an_order_within_the_bracket_that_the_position_pushes_above_it_is_refused_by_the_exchange(
    make_trader, sim, in_process
):
    """The bracket is checked up front only for an order above the cap on its own; what an order
    within it adds to the account's position is Binance's to refuse (-2027), and nothing is placed
    (the simulator counts the open position, as Binance does)."""
    trader = make_trader("BINANCE", "FUTURES", capital=Decimal("600"), leverage=100)
    strategy, account = trader.strategies["my_strategy"], trader.accounts[0]
    place(strategy, account, "MARKET", qty_per="50", expect="FILLED")  # ~27 000 USDT of 50 000
    second = place(strategy, account, "LIMIT", price=109000, qty_per="50", expect="REJECTED")
    assert "-2027" in second.error and second.submitted_at is not None
    assert len(sim.orders(api_key=api_key(account))) == 1


def test_a_market_order_above_the_market_lot_maximum_is_refused_before_it_is_sent(
    make_trader, sim, in_process
):
    """Defect 11: Binance's MARKET_LOT_SIZE caps a MARKET order's quantity (-4005 on USDT-M)."""
    trader = make_trader("BINANCE", "FUTURES")
    account = trader.accounts[0]
    base = "Y" + uuid.uuid4().hex[:5].upper().replace("0", "A").replace("1", "B")
    base = "".join(c if c.isalpha() else "C" for c in base)
    sim.list_instrument(
        exchange="binance",
        market="futures",
        symbol=f"{base}USDT",
        base=base,
        quote="USDT",
        settle="USDT",
        tick_size="0.0001",
        step_size="1",
        min_qty="1",
        min_notional="5",
        max_leverage=50,
        order_types=["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET"],
        price="0.01",
        extra={"market_max_qty": "1000"},
    )
    order = place(trader.strategies["my_strategy"], account, "MARKET", base=base, expect="REJECTED")
    assert "1000" in order.error and sim.orders(api_key=api_key(account)) == []
