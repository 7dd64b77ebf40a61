"""Engine arithmetic without HTTP: positions, PnL, reservations, triggers and contract sizes."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from exchange_simulator.engine import Engine
from exchange_simulator.errors import Reject
from exchange_simulator.models import FUTURES, SPOT, OrderRequest


@pytest.fixture
def engine():
    return Engine()


@pytest.fixture
def account(engine):
    return engine.upsert_account(
        "binance", "k", "s", balances={"spot": {"USDT": "1000"}, "futures": {"USDT": "1000"}}
    )


def perp(side, qty, kind="MARKET", **kw):
    return OrderRequest(market=FUTURES, symbol="BTCUSDT", side=side, type=kind, quantity=D(qty), **kw)


def test_short_position_gains_when_the_price_falls(engine, account):
    engine.place_order(account, perp("sell", "0.01"))
    engine.set_price("BTCUSDT", "58000", "binance")
    engine.place_order(account, perp("buy", "0.01", reduce_only=True))

    usdt = account.balance(FUTURES, "USDT")
    # +20 PnL, less the taker fees (0.05 %) on 600 and 580 of notional.
    assert (usdt.free, usdt.locked) == (D("1020") - D("0.3") - D("0.29"), D("0"))
    assert engine.positions() == []


def test_an_order_larger_than_the_position_flips_it(engine, account):
    engine.place_order(account, perp("buy", "0.01"))
    engine.place_order(account, perp("sell", "0.03"))

    inst = engine.instrument("binance", FUTURES, "BTCUSDT")
    position = engine.position(account, inst)
    assert (position.qty, position.entry_price) == (D("-0.02"), D("60000"))
    assert account.balance(FUTURES, "USDT").locked == D("60")  # 0.02 x 60000 / 20


def test_cancel_returns_the_reservation(engine, account):
    order = engine.place_order(
        account,
        OrderRequest(
            market=SPOT, symbol="BTCUSDT", side="buy", type="LIMIT", quantity=D("0.01"), price=D("50000")
        ),
    )
    assert account.balance(SPOT, "USDT").locked == D("500")

    engine.cancel_order(account, SPOT, order_id=order.id)

    assert (account.balance(SPOT, "USDT").free, account.balance(SPOT, "USDT").locked) == (D("1000"), D("0"))
    with pytest.raises(Reject, match="order_not_open"):
        engine.cancel_order(account, SPOT, order_id=order.id)


def test_trigger_direction_is_inferred_from_the_mark(engine, account):
    above = engine.place_order(account, perp("buy", "0.01", "STOP_MARKET", trigger_price=D("61000")))
    below = engine.place_order(account, perp("sell", "0.01", "STOP_MARKET", trigger_price=D("59000")))

    assert (above.trigger_direction, below.trigger_direction) == ("rise", "fall")
    engine.set_price("BTCUSDT", "61000", "binance")
    assert (above.status, below.status) == ("filled", "new")


def test_triggered_reduce_only_without_a_position_expires(engine, account):
    stop = engine.place_order(
        account, perp("sell", "0.01", "STOP_MARKET", trigger_price=D("59000"), reduce_only=True)
    )

    engine.set_price("BTCUSDT", "58000", "binance")

    assert (stop.status, stop.reject_reason) == ("expired", "reduce_only_rejected")


def test_okx_swap_quantities_are_contracts(engine):
    account = engine.upsert_account("okx", "k", "s", "p", balances={"futures": {"USDT": "1000"}})
    inst = engine.find_instrument("okx", FUTURES, "BTC-USDT-SWAP")
    if inst is None:
        pytest.skip("okx.json not present")
    order = engine.place_order(
        account, OrderRequest(market=FUTURES, symbol=inst.symbol, side="buy", type="MARKET", quantity=D("1"))
    )

    assert order.cost == D("1") * inst.contract_size * D("60000")
    assert engine.position(account, inst).qty == D("1")
