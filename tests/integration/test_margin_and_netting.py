"""The account's margin mode on every exchange, strategies sharing a one-way account, and hedge-mode
accounts, through real ccxt against the simulator, in process (issue 11, defects 5 and 6)."""

from decimal import Decimal

import pytest

from accounts.exchange import client as exchange
from orders.models import Order, Position
from tests.sim_trading import api_key, place

pytestmark = pytest.mark.integration

EXCHANGES = ["BINANCE", "BYBIT", "OKX"]
PERP = "BTC/USDT:USDT"


def _isolated(trader):
    for account in trader.accounts:
        account.margin_mode = "isolated"
        account.save()
    exchange.forget_clients()


def _margin_on_exchange(client) -> str:
    """The position's margin mode as the exchange reports it (Binance positionRisk v2, OKX positions)."""
    if client.exchange == "BINANCE":
        rows = client._call(
            "query", "FUTURES", client._ccxt.fapiPrivateV2GetPositionRisk, {"symbol": "BTCUSDT"}
        )
        return [row["marginType"] for row in rows if Decimal(row["positionAmt"])][0].lower()
    positions = client._call("positions", "FUTURES", client._ccxt.fetch_positions, [PERP])
    return [p["info"]["mgnMode"] for p in positions if p.get("contracts")][0]


@pytest.mark.parametrize("exchange_name", ["BINANCE", "OKX"])
def test_an_isolated_accounts_position_is_isolated_on_the_exchange(
    exchange_name, make_trader, sim, in_process
):
    """Defect 5: orders never carried the margin mode: OKX defaulted tdMode to cross under an
    isolated leverage, Binance's marginType was never set."""
    trader = make_trader(exchange_name, "FUTURES")
    _isolated(trader)
    account = trader.accounts[0]
    place(trader.strategies["my_strategy"], account, "MARKET", expect="FILLED")
    assert _margin_on_exchange(exchange.client_for(account)) == "isolated"


def test_a_bybit_account_whose_margin_mode_differs_is_refused_with_the_reason(make_trader, sim, in_process):
    """Defect 5: the Bybit account's (account-wide) margin mode was never checked."""
    trader = make_trader("BYBIT", "FUTURES")
    _isolated(trader)
    order = place(trader.strategies["my_strategy"], trader.accounts[0], "MARKET", expect="REJECTED")
    assert "마진 모드 불일치" in order.error and "isolated" in order.error
    assert sim.orders(api_key=api_key(trader.accounts[0])) == []


@pytest.mark.parametrize("exchange_name", ["BINANCE", "BYBIT", "OKX"])
def test_a_strategys_close_goes_out_when_another_strategy_netted_the_account_flat(
    exchange_name, make_trader, sim, in_process
):
    """Defect 6: A long, B short the same size: the one-way account is flat, so A's reduce-only
    close was refused (Binance -2022, Bybit 110017); sent plain, it nets as both strategies mean."""
    trader = make_trader(exchange_name, "FUTURES")
    account = trader.accounts[0]
    long_leg = place(trader.strategies["my_strategy"], account, "MARKET", qty_per="10", expect="FILLED")
    place(trader.strategies["test1"], account, "MARKET", side="sell", qty_per="10", expect="FILLED")
    assert sim.positions(api_key=api_key(account)) == []  # flat on the exchange
    close = place(
        trader.strategies["my_strategy"], account, "MARKET", side="sell", qty_per="100", expect="FILLED"
    )
    assert close.quantity == long_leg.quantity and not close.reduce_only
    assert Position.objects.get(link_id=long_leg.link_id).quantity == 0
    assert Position.objects.get(link__strategy=trader.strategies["test1"]).quantity == -long_leg.quantity


def test_a_close_the_net_position_covers_stays_reduce_only(make_trader, sim, in_process):
    trader = make_trader("BINANCE", "FUTURES")
    account = trader.accounts[0]
    place(trader.strategies["my_strategy"], account, "MARKET", qty_per="10", expect="FILLED")
    close = place(
        trader.strategies["my_strategy"], account, "MARKET", side="sell", qty_per="50", expect="FILLED"
    )
    assert close.reduce_only


@pytest.mark.parametrize("exchange_name", EXCHANGES)
def test_a_hedge_mode_account_is_refused_with_a_clear_message(exchange_name, make_trader, sim, in_process):
    """Defect 6: a hedge-mode account is detected on the exchange and refused until supported."""
    trader = make_trader(exchange_name, "FUTURES")
    account = trader.accounts[0]
    sim.position_mode(exchange_name.lower(), api_key(account), "hedge")
    order = place(trader.strategies["my_strategy"], account, "MARKET", expect="REJECTED")
    assert "헤지 모드" in order.error
    assert sim.orders(api_key=api_key(account)) == []
    assert Order.objects.get(pk=order.pk).quantity is None  # never sent
    assert Decimal("0") == sum(Decimal(str(p.get("qty", 0))) for p in sim.positions(api_key=api_key(account)))
