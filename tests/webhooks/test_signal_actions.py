"""Operator actions on one signal, against the fake exchange: retrying only the refused accounts
with the same client order ids, refusing while an outcome is unknown, cancelling a signal's open
orders; the stage times a signal leaves on its log and jobs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.exchange.types import OrderRejected
from orders.models import AccountJob, Order, OrderStatus
from tests import factories
from webhooks.models import WebhookLog
from webhooks.signal_actions import RetryRefused, signal_cancel_open, signal_retry_failed


@pytest.fixture
def two_accounts(trader):
    """The trader's `my_strategy` on two Binance accounts (ids in order)."""
    second = factories.account(trader.user, label="Second Account", api_key="key-0002")
    factories.link(trader.strategies["my_strategy"], second)
    return [trader.account, second]


def _limit(trader, **changes):
    return {
        "group_name": "my_strategy",
        "exchange": "BINANCE",
        "market_type": "FUTURES",
        "currency": "USDT",
        "symbol": "BTCUSDT",
        "order_type": "LIMIT",
        "side": "buy",
        "price": "80000",
        "qty_per": 5,
        "token": trader.token,
        **changes,
    }


def _signal_with_one_refused_account(trader, two_accounts, fake_exchange, post):
    first, second = two_accounts
    fake_exchange.fail("create_order_before", OrderRejected("InvalidOrder: margin"), account_id=second.pk)
    response = post(_limit(trader))
    assert response.status_code == 200, response.content
    log = WebhookLog.objects.get(pk=Order.objects.get(account=first).webhook_log_id)
    assert Order.objects.get(account=second).status == OrderStatus.REJECTED
    return log


def test_retry_reruns_only_the_refused_account_with_the_same_client_order_id(
    trader, two_accounts, fake_exchange, sync_tasks, post
):
    first, second = two_accounts
    log = _signal_with_one_refused_account(trader, two_accounts, fake_exchange, post)
    refused_id = Order.objects.get(account=second).client_order_id

    result = signal_retry_failed(log=log)

    assert result.account_ids == [second.pk]
    retried = Order.objects.get(account=second)
    assert retried.status == OrderStatus.PENDING and retried.client_order_id == refused_id
    assert [o.request.client_order_id for o in fake_exchange.placed(second.pk)] == [refused_id]
    assert len(fake_exchange.placed(first.pk)) == 1  # the placed account is not touched
    assert AccountJob.objects.get(webhook_log=log, account=second).state == AccountJob.State.DONE


def test_a_retried_order_that_was_sent_is_looked_up_first_and_never_placed_twice(
    trader, two_accounts, fake_exchange, sync_tasks, post
):
    """An exchange that placed the order although we recorded a refusal: the re-run finds it by
    its client order id and adopts it instead of sending a second one."""
    first, second = two_accounts
    log = _signal_with_one_refused_account(trader, two_accounts, fake_exchange, post)
    order = Order.objects.get(account=second)
    assert order.submitted_at is not None
    fake_exchange.client(second).create_order(_request_of(order))  # it exists on the exchange

    signal_retry_failed(log=log)

    assert len(fake_exchange.placed(second.pk)) == 1
    assert Order.objects.get(account=second).status == OrderStatus.PENDING


def _request_of(order):
    from accounts.exchange.types import OrderRequest

    return OrderRequest(
        symbol=order.symbol,
        market_type=order.market_type,
        order_type=order.order_type,
        side=order.side,
        amount=order.quantity,
        client_order_id=order.client_order_id,
        price=order.price,
    )


def test_retry_is_refused_while_an_order_of_the_signal_is_processing(
    trader, two_accounts, fake_exchange, sync_tasks, post
):
    log = _signal_with_one_refused_account(trader, two_accounts, fake_exchange, post)
    Order.objects.filter(account=two_accounts[0]).update(status=OrderStatus.PROCESSING)

    with pytest.raises(RetryRefused):
        signal_retry_failed(log=log)
    assert Order.objects.get(account=two_accounts[1]).status == OrderStatus.REJECTED


def test_retry_is_refused_when_every_order_was_placed(trader, fake_exchange, sync_tasks, post):
    assert post(_limit(trader)).status_code == 200
    with pytest.raises(RetryRefused):
        signal_retry_failed(log=WebhookLog.objects.get(action="trading_signal"))
    assert len(fake_exchange.placed()) == 1


def test_retry_is_refused_for_a_signal_older_than_two_days(
    trader, two_accounts, fake_exchange, sync_tasks, post
):
    log = _signal_with_one_refused_account(trader, two_accounts, fake_exchange, post)
    WebhookLog.objects.filter(pk=log.pk).update(received_at=timezone.now() - timedelta(days=3))
    with pytest.raises(RetryRefused):
        signal_retry_failed(log=log)


def test_cancel_open_cancels_only_the_signals_open_orders(trader, fake_exchange, sync_tasks, post):
    assert post(_limit(trader)).status_code == 200
    assert post(_limit(trader, price="79000")).status_code == 200
    first, second = WebhookLog.objects.filter(action="trading_signal").order_by("id")

    totals = signal_cancel_open(log=first)

    assert totals["cancelled"] == 1 and totals["failed"] == 0
    assert Order.objects.get(webhook_log=first).status == OrderStatus.CANCELLED
    assert Order.objects.get(webhook_log=second).status == OrderStatus.PENDING


def test_a_signal_records_its_stage_times_in_order(trader, fake_exchange, sync_tasks, post):
    assert post(_limit(trader)).status_code == 200
    log = WebhookLog.objects.get(action="trading_signal")
    job = AccountJob.objects.get(webhook_log=log)
    assert None not in (log.committed_at, log.answered_at, job.started_at, job.sent_at)
    assert job.exchange_answered_at is not None
    assert log.received_at <= job.sent_at <= job.exchange_answered_at <= log.answered_at
    assert log.received_at <= log.committed_at <= log.answered_at
