"""Markets that change while a worker runs, closes under a refused leverage change, and OKX
trigger orders' client id, through real ccxt against the simulator in process (issue 11,
defects 7, 8 and 12)."""

import random
import string
from decimal import Decimal

import pytest

from accounts.exchange import client as exchange
from strategies.models import StrategyAccount
from tests.sim_trading import api_key, place

pytestmark = pytest.mark.integration

EXCHANGES = ["BINANCE", "BYBIT", "OKX"]
ORDER_TYPES = {
    "BINANCE": ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET"],
    "BYBIT": ["Market", "Limit"],
    "OKX": ["market", "limit", "trigger"],
}


def _list_new_symbol(sim, exchange_name: str, *, price: str, step: str = "1") -> str:
    """A perpetual listed now, under a base no other test uses; returns the base."""
    base = "Z" + "".join(random.choices(string.ascii_uppercase, k=5))
    native = f"{base}-USDT-SWAP" if exchange_name == "OKX" else f"{base}USDT"
    extra = {"contract_size": "1"} if exchange_name == "OKX" else {"min_notional": "5"}
    sim.list_instrument(
        exchange=exchange_name.lower(),
        market="futures",
        symbol=native,
        base=base,
        quote="USDT",
        settle="USDT",
        tick_size="0.0001",
        step_size=step,
        min_qty=step,
        max_leverage=50,
        order_types=ORDER_TYPES[exchange_name],
        price=price,
        **extra,
    )
    return base


@pytest.mark.parametrize("exchange_name", EXCHANGES)
def test_a_symbol_listed_while_the_worker_runs_is_traded_without_a_restart(
    exchange_name, make_trader, sim, in_process, monkeypatch
):
    """Defect 7: markets were loaded once per worker, so a new listing stayed "unknown symbol"."""
    monkeypatch.setattr(exchange, "MARKETS_RELOAD_MIN_SECONDS", 0)
    trader = make_trader(exchange_name, "FUTURES")
    strategy, account = trader.strategies["my_strategy"], trader.accounts[0]
    place(strategy, account, "MARKET", expect="FILLED")  # the worker has its markets now
    base = _list_new_symbol(sim, exchange_name, price="0.01")
    order = place(strategy, account, "MARKET", base=base, expect="FILLED")
    assert Decimal("99000") < order.quantity <= Decimal("100000")  # 1000 USDT at 0.01, less fees


@pytest.mark.parametrize("exchange_name", EXCHANGES)
def test_a_symbol_the_exchange_does_not_list_is_rejected_in_the_guides_language(
    exchange_name, make_trader, sim, in_process
):
    """The order's error is part of the webhook's answer: ours are Korean, as the guide's are
    (it was "unknown symbol NOPE/USDT:USDT on BINANCE"). Nothing reaches the exchange."""
    trader = make_trader(exchange_name, "FUTURES")
    strategy, account = trader.strategies["my_strategy"], trader.accounts[0]
    order = place(strategy, account, "MARKET", base="NOPE", expect="REJECTED")
    assert order.error == f"알 수 없는 심볼입니다: NOPE/USDT:USDT ({exchange_name})"
    assert sim.orders(api_key=api_key(account)) == []


@pytest.mark.parametrize("exchange_name", EXCHANGES)
def test_a_step_changed_while_the_worker_runs_is_reloaded_and_the_order_sized_again(
    exchange_name, make_trader, sim, in_process
):
    """Defect 7: a changed step refused every order sized with the old one until a restart."""
    trader = make_trader(exchange_name, "FUTURES")
    strategy, account = trader.strategies["my_strategy"], trader.accounts[0]
    base = _list_new_symbol(sim, exchange_name, price="0.013")
    place(strategy, account, "MARKET", base=base, expect="FILLED")  # markets loaded with step 1
    sim.update_instrument(
        exchange=exchange_name.lower(),
        market="futures",
        symbol=f"{base}-USDT-SWAP" if exchange_name == "OKX" else f"{base}USDT",
        step_size="10",
        min_qty="10",
    )
    order = place(strategy, account, "MARKET", base=base, expect="FILLED")
    # 1000 USDT / 0.013 = 76923.07 less fees and slippage, now in steps of 10
    assert order.quantity % 10 == 0 and Decimal("76000") < order.quantity < Decimal("76930")


def test_a_close_goes_out_although_the_exchange_refuses_the_links_new_leverage(make_trader, sim, in_process):
    """Defect 8: the leverage was set before every order, closes included; Binance refuses raising
    it while the position is above the new leverage's bracket (-2027), and the close was REJECTED."""
    trader = make_trader("BINANCE", "FUTURES", capital=Decimal("60000"))
    strategy, account = trader.strategies["my_strategy"], trader.accounts[0]
    place(strategy, account, "MARKET", qty_per="100", expect="FILLED")  # 60 000 USDT: above 125x's cap
    StrategyAccount.objects.filter(strategy=strategy, account=account).update(leverage=100)
    close = place(strategy, account, "MARKET", side="sell", qty_per="100", expect="FILLED")
    assert close.reduce_only
    assert sim.positions(api_key=api_key(account)) == []


def test_an_okx_trigger_order_carries_our_id_as_algo_cl_ord_id_and_is_found_by_it(
    make_trader, sim, in_process, monkeypatch
):
    """Defect 12: OKX's client id field on order-algo is algoClOrdId; ccxt sends clOrdId."""
    trader = make_trader("OKX", "FUTURES")
    account = trader.accounts[0]
    client = exchange.client_for(account)
    sent = []
    fetch = client._ccxt.fetch

    def recording_fetch(url, method="GET", headers=None, body=None):
        sent.append((url, body or ""))
        return fetch(url, method, headers, body)

    monkeypatch.setattr(client._ccxt, "fetch", recording_fetch)
    order = place(trader.strategies["my_strategy"], account, "STOP_MARKET", stop_price=120000)
    bodies = [body for url, body in sent if url.endswith("/api/v5/trade/order-algo")]
    assert len(bodies) == 1 and f'"algoClOrdId":"{order.client_order_id}"' in bodies[0].replace(" ", "")
    found = client.find_order(
        symbol=order.symbol, market_type="FUTURES", client_order_id=order.client_order_id, is_trigger=True
    )
    assert found is not None and found.client_order_id == order.client_order_id
