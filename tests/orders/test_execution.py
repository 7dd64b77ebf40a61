"""Execution against a fake exchange at our own boundary: sizing from positions, leverage,
failures per account, and no duplicate order after a lost response."""

from decimal import Decimal

import pytest

from accounts.exchange.types import AuthenticationFailed, ExchangeUnavailable, RateLimited
from accounts.models import AccountSymbolSetting
from orders.models import Order, OrderEvent, Position
from tests import factories
from tests.guide import guide_example


def _signal(trader, **changes):
    payload = guide_example("single_market_buy", trader.token)
    payload.update(changes)
    return payload


def _result(response):
    assert response.status_code == 200, response.content
    return response.json()["result"]


def test_a_market_buy_moves_the_position_and_a_sell_closes_half_then_all(
    trader, fake_exchange, sync_tasks, post
):
    _result(post(_signal(trader, qty_per=50)))  # 10000 × 50% / 110000 = 0.045
    position = Position.objects.get()
    assert position.quantity == Decimal("0.045") and position.entry_price == Decimal("110000")
    half = _result(post(_signal(trader, side="sell", qty_per=50)))["results"][0]
    assert half["quantity"] == 0.022  # 0.0225 rounded down to the 0.001 step
    assert fake_exchange.placed()[-1].request.reduce_only is True
    assert Position.objects.get().quantity == Decimal("0.023")
    _result(post(_signal(trader, side="sell", qty_per=100)))
    assert Position.objects.get().quantity == 0
    assert fake_exchange.placed()[-1].request.amount == Decimal("0.023")


def test_two_strategies_on_one_account_do_not_close_each_others_positions(
    trader, fake_exchange, sync_tasks, post
):
    _result(post(_signal(trader, group_name="my_strategy", qty_per=50)))
    _result(post(_signal(trader, group_name="test1", qty_per=10)))
    mine = Position.objects.get(link__strategy__group_name="my_strategy")
    theirs = Position.objects.get(link__strategy__group_name="test1")
    assert (mine.quantity, theirs.quantity) == (Decimal("0.045"), Decimal("0.009"))
    _result(post(_signal(trader, group_name="test1", side="sell", qty_per=100)))
    assert fake_exchange.placed()[-1].request.amount == Decimal("0.009")
    mine.refresh_from_db()
    assert mine.quantity == Decimal("0.045")


def test_a_limit_ladder_is_sized_at_each_rungs_price(trader, fake_exchange, sync_tasks, post):
    _result(post(guide_example("batch_limit", trader.token)))
    assert [o.request.amount for o in fake_exchange.placed()] == [
        Decimal("0.003"),
        Decimal("0.005"),
        Decimal("0.006"),
    ]


def test_a_below_minimum_order_is_reported_not_raised(trader, fake_exchange, sync_tasks, post):
    result = _result(post(_signal(trader, qty_per=0.5)))  # 50 USDT < 100 minimum
    entry = result["results"][0]
    assert entry["success"] is False and entry["status"] == "REJECTED"
    assert "최소" in entry["error"]
    assert result["summary"]["failed_trades"] == 1
    assert fake_exchange.placed() == []


def test_leverage_is_set_once_and_again_only_when_the_link_changes(trader, fake_exchange, sync_tasks, post):
    link = trader.strategies["my_strategy"].links.get()
    link.leverage = 3
    link.save()
    for _ in range(2):
        _result(post(guide_example("single_limit_sell", trader.token) | {"qty_per": 1}))
    assert fake_exchange.leverage_calls == [(trader.account.pk, "BTC/USDT:USDT", 3)]
    link.leverage = 5
    link.save()
    _result(post(guide_example("single_limit_sell", trader.token) | {"qty_per": 1}))
    assert fake_exchange.leverage_calls[-1] == (trader.account.pk, "BTC/USDT:USDT", 5)
    assert len(fake_exchange.leverage_calls) == 2
    assert AccountSymbolSetting.objects.get().leverage == 5


def test_spot_never_sets_leverage(trader, fake_exchange, sync_tasks, post):
    _result(post(_signal(trader, group_name="spot_demo", market_type="SPOT")))
    assert fake_exchange.leverage_calls == []


def test_a_lost_response_never_yields_a_second_order(trader, fake_exchange, sync_tasks, post, monkeypatch):
    monkeypatch.setattr("orders.sending.BACKOFF_SECONDS", (0, 0, 0))
    fake_exchange.fail("create_order", ExchangeUnavailable("RequestTimeout: lost"))
    entry = _result(post(_signal(trader)))["results"][0]
    assert entry["success"] is True and entry["status"] == "FILLED"
    assert len(fake_exchange.placed()) == 1
    assert OrderEvent.objects.filter(detail="found by client order id").exists()


def test_a_timeout_before_placing_is_retried_once_looked_up(
    trader, fake_exchange, sync_tasks, post, monkeypatch
):
    monkeypatch.setattr("orders.sending.BACKOFF_SECONDS", (0, 0, 0))
    fake_exchange.fail("create_order_before", ExchangeUnavailable("502"), ExchangeUnavailable("502"))
    entry = _result(post(_signal(trader)))["results"][0]
    assert entry["success"] is True
    assert len(fake_exchange.placed()) == 1


def test_an_order_whose_fate_stays_unknown_stays_processing(
    trader, fake_exchange, sync_tasks, post, monkeypatch
):
    monkeypatch.setattr("orders.sending.BACKOFF_SECONDS", (0, 0, 0))
    fake_exchange.fail("create_order_before", *[ExchangeUnavailable("down")] * 3)
    fake_exchange.fail("find_order", *[ExchangeUnavailable("down")] * 3)
    response = post(_signal(trader))
    entry = response.json()["result"]["results"][0]
    assert entry["status"] == "PROCESSING" and entry["success"] is None
    assert Order.objects.get().status == "PROCESSING"  # for the sweeper to settle by client id


def test_a_rate_limit_refusal_waits_and_resends(trader, fake_exchange, sync_tasks, post, monkeypatch):
    monkeypatch.setattr("orders.sending.BACKOFF_SECONDS", (0, 0, 0))
    fake_exchange.fail("create_order_before", RateLimited("429", retry_after=0.01))
    assert _result(post(_signal(trader)))["results"][0]["success"] is True
    assert len(fake_exchange.placed()) == 1


def test_one_accounts_failure_leaves_the_others_successful(
    trader, fake_exchange, sync_tasks, post, monkeypatch
):
    monkeypatch.setattr("orders.sending.BACKOFF_SECONDS", (0, 0, 0))
    second = factories.account(trader.user, label="Second", exchange="BINANCE")
    factories.link(trader.strategies["my_strategy"], second)
    fake_exchange.fail("create_order_before", *[ExchangeUnavailable("5xx")] * 3, account_id=second.pk)
    fake_exchange.fail("find_order", *[ExchangeUnavailable("5xx")] * 4, account_id=second.pk)
    result = _result(post(_signal(trader)))
    by_name = {r["account_name"]: r for r in result["results"]}
    assert by_name["Main Account"]["success"] is True
    assert by_name["Second"]["status"] == "PROCESSING"
    assert len(fake_exchange.placed(trader.account.pk)) == 1


def test_an_authentication_failure_rejects_the_accounts_orders(trader, fake_exchange, sync_tasks, post):
    fake_exchange.fail("create_order_before", AuthenticationFailed("bad key"))
    result = _result(post(guide_example("batch_limit", trader.token)))
    account = result["accounts"][0]
    assert account["failed_orders"] == 3 and account["successful_orders"] == 0
    assert result["summary"]["total_orders_failed"] == 3


def test_batch_summary_counts_orders_over_all_accounts(trader, fake_exchange, sync_tasks, post):
    second = factories.account(trader.user, label="Second", exchange="BINANCE")
    factories.link(trader.strategies["my_strategy"], second, allocated_capital=Decimal("500"))
    result = _result(post(guide_example("batch_limit", trader.token)))  # Second: 500×3% = 15 USDT < 100
    summary = result["summary"]
    assert summary["total_accounts"] == 2 and summary["executed_accounts"] == 2
    assert summary["successful_accounts"] == 1
    assert summary["total_orders_successful"] == 3 and summary["total_orders_failed"] == 3


def test_accounts_on_other_exchanges_are_skipped(trader, fake_exchange, sync_tasks, post):
    okx = factories.account(trader.user, label="OKX acc", exchange="OKX", passphrase="p")
    factories.link(trader.strategies["my_strategy"], okx)
    result = _result(post(_signal(trader)))
    assert result["summary"]["total_accounts"] == 1 and result["summary"]["skipped_accounts"] == 1


def test_max_symbols_refuses_a_new_symbol(trader, fake_exchange, sync_tasks, post):
    link = trader.strategies["my_strategy"].links.get()
    link.max_symbols = 1
    link.save()
    _result(post(_signal(trader, qty_per=10)))
    entry = _result(post(_signal(trader, symbol="ETHUSDT", qty_per=10)))["results"][0]
    assert entry["success"] is False and "max_symbols" in entry["error"]


@pytest.mark.parametrize("status", ["FILLED", "PENDING"])
def test_every_status_change_is_audited(status, trader, fake_exchange, sync_tasks, post):
    payload = _signal(trader) if status == "FILLED" else guide_example("single_limit_sell", trader.token)
    _result(post(payload))
    order = Order.objects.get()
    assert order.status == status
    events = list(order.events.values_list("source", "to_status"))
    assert events[0] == ("webhook", "PROCESSING") and events[-1][1] == status
