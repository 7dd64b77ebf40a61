"""The operator's admin tools through Django's test client and the fake exchange: the signal
matrix with stage times, the retry and cancel actions, Test connection, search and filters."""

import re
from urllib.parse import urlparse

import pytest
from django.contrib import messages

from accounts.exchange.types import OrderRejected
from accounts.models import ExchangeAccount
from orders.models import Order, OrderStatus
from tests import factories
from webhooks.models import WebhookLog


@pytest.fixture
def admin_client_for(client, trader):
    trader.user.is_staff = trader.user.is_superuser = True
    trader.user.save()
    client.force_login(trader.user)
    return client


@pytest.fixture
def refused_signal(trader, fake_exchange, sync_tasks, post):
    """A LIMIT signal to two accounts of which the second was refused by the exchange."""
    second = factories.account(trader.user, label="Second Account", api_key="key-0002")
    factories.link(trader.strategies["my_strategy"], second)
    fake_exchange.fail(
        "create_order_before", OrderRejected("InvalidOrder: binance margin"), account_id=second.pk
    )
    payload = {
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
        "signal_id": "sig-42",
    }
    assert post(payload).status_code == 200
    return WebhookLog.objects.get(action="trading_signal"), second


def test_the_matrix_shows_a_row_per_account_a_cell_per_order_and_the_stage_times(
    admin_client_for, refused_signal
):
    log, second = refused_signal
    page = admin_client_for.get(f"/admin/webhooks/webhooklog/{log.pk}/matrix/")
    assert page.status_code == 200
    rows = page.context["matrix"]["rows"]
    assert [row.account.label for row in rows] == ["Main Account", "Second Account"]
    assert [row.cells[0].status for row in rows] == [OrderStatus.PENDING, OrderStatus.REJECTED]
    stages = {s.key: s for s in rows[0].stages}
    assert list(stages) == ["received", "committed", "started", "sent", "exchange_answered", "answered"]
    assert all(s.offset_ms is not None and s.offset_ms >= 0 for s in stages.values())
    html = page.content.decode()
    assert "margin" in html and rows[0].cells[0].exchange_order_id in html


def test_retry_from_the_matrix_places_the_refused_order_once_and_returns_to_the_matrix(
    admin_client_for, refused_signal, fake_exchange
):
    log, second = refused_signal
    response = admin_client_for.post(
        "/admin/webhooks/webhooklog/",
        {"action": "retry_failed_accounts", "_selected_action": [log.pk], "index": 0, "from_matrix": 1},
    )
    assert response.status_code == 302
    assert urlparse(response["Location"]).path == f"/admin/webhooks/webhooklog/{log.pk}/matrix/"
    assert Order.objects.get(account=second).status == OrderStatus.PENDING
    assert len(fake_exchange.placed(second.pk)) == 1
    again = admin_client_for.post(
        "/admin/webhooks/webhooklog/",
        {"action": "retry_failed_accounts", "_selected_action": [log.pk], "index": 0},
        follow=True,
    )
    assert [m.level for m in again.context["messages"]][-1] == messages.ERROR  # nothing left to retry
    assert len(fake_exchange.placed(second.pk)) == 1


def test_a_staff_member_who_may_only_view_cannot_retry(client, refused_signal, fake_exchange):
    log, second = refused_signal
    viewer = factories.user("viewer", is_staff=True, is_superuser=False)
    from django.contrib.auth.models import Permission

    viewer.user_permissions.set(Permission.objects.filter(codename="view_webhooklog"))
    log.owner = viewer
    WebhookLog.objects.filter(pk=log.pk).update(owner=viewer)
    client.force_login(viewer)
    response = client.post(
        "/admin/webhooks/webhooklog/",
        {"action": "retry_failed_accounts", "_selected_action": [log.pk], "index": 0},
    )
    assert response.status_code in (200, 302)
    assert Order.objects.get(account=second).status == OrderStatus.REJECTED
    assert fake_exchange.placed(second.pk) == []


def test_cancel_open_orders_of_a_signal_from_the_admin(admin_client_for, refused_signal):
    log, _second = refused_signal
    admin_client_for.post(
        "/admin/webhooks/webhooklog/",
        {"action": "cancel_open_orders", "_selected_action": [log.pk], "index": 0},
    )
    statuses = sorted(Order.objects.filter(webhook_log=log).values_list("status", flat=True))
    assert statuses == [OrderStatus.CANCELLED, OrderStatus.REJECTED]


def test_test_connection_shows_and_keeps_the_result(admin_client_for, trader, fake_exchange):
    response = admin_client_for.post(
        "/admin/accounts/exchangeaccount/",
        {"action": "test_connection", "_selected_action": [trader.account.pk], "index": 0},
        follow=True,
    )
    text = response.content.decode()
    assert "withdrawals" in text.lower() or "출금" in text
    account = ExchangeAccount.objects.get(pk=trader.account.pk)
    assert account.last_check["ok"] is True and account.last_checked_at is not None
    listing = admin_client_for.get("/admin/accounts/exchangeaccount/").content.decode()
    assert "check-status" in listing
    detail = admin_client_for.get(f"/admin/accounts/exchangeaccount/{trader.account.pk}/change/")
    assert "check-summary" in detail.content.decode()


@pytest.mark.parametrize("field", ["client_order_id", "exchange_order_id", "signal_id"])
def test_a_log_is_found_by_its_orders_ids_and_its_signal_id(admin_client_for, refused_signal, field):
    log, _second = refused_signal
    order = Order.objects.filter(webhook_log=log).exclude(exchange_order_id="").get()
    term = log.signal_id if field == "signal_id" else getattr(order, field)
    found = admin_client_for.get("/admin/webhooks/webhooklog/", {"q": term}).context["cl"].result_list
    assert [row.pk for row in found] == [log.pk]


def test_failed_today_on_an_account_is_one_click(admin_client_for, refused_signal):
    _log, second = refused_signal
    listing = admin_client_for.get("/admin/accounts/exchangeaccount/")
    found = re.search(
        rf'href="(/admin/orders/order/\?account={second.pk}&amp;[^"]+)"', listing.content.decode()
    )
    link = found.group(1).replace("&amp;", "&")
    response = admin_client_for.get(link)
    assert response.status_code == 200, (link, response.status_code, response.get("Location"))
    shown = response.context["cl"].result_list
    assert [o.account_id for o in shown] == [second.pk]
    assert all(o.status == OrderStatus.REJECTED for o in shown)


def test_logs_filter_by_account_exchange_and_error_kind(admin_client_for, refused_signal, trader):
    log, second = refused_signal
    url = "/admin/webhooks/webhooklog/"
    by_account = admin_client_for.get(url, {"account": second.pk}).context["cl"].result_list
    assert [row.pk for row in by_account] == [log.pk]
    assert admin_client_for.get(url, {"exchange": "OKX"}).context["cl"].result_count == 0
    refused = admin_client_for.get(url, {"error_kind": "refused"}).context["cl"].result_list
    assert [row.pk for row in refused] == [log.pk]
    assert admin_client_for.get(url, {"error_kind": "auth"}).context["cl"].result_count == 0
