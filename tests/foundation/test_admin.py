from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from orders.models import Order
from webhooks.models import WebhookLog

PROJECT_APPS = {"accounts", "strategies", "webhooks", "orders"}


def _registered_models():
    return [model for model in admin.site._registry if model._meta.app_label in PROJECT_APPS]


def test_the_admin_registers_every_project_model():
    from django.apps import apps

    project_models = {m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS}
    assert project_models == set(_registered_models())


@pytest.mark.parametrize("page", ["changelist", "add"])
def test_every_admin_page_answers_200_for_a_superuser(client, superuser, owner, make, page):
    strategy = make.strategy(owner)
    make.link(strategy, make.account(owner))
    client.force_login(superuser)
    for model in _registered_models():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}")
        response = client.get(url)
        expected = (
            {200}
            if page == "changelist" or admin.site._registry[model].has_add_permission(_request_for(superuser))
            else {403}
        )
        assert response.status_code in expected, (url, response.status_code)


def _request_for(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request


def test_account_change_page_never_shows_a_stored_secret(client, superuser, owner, make):
    account = make.account(
        owner, api_key="VISIBLE-KEY-ABCD", api_secret="NEVER-SHOWN-SECRET", passphrase="NOPASS"
    )
    client.force_login(superuser)
    page = client.get(reverse("admin:accounts_exchangeaccount_change", args=[account.pk])).content.decode()
    assert "NEVER-SHOWN-SECRET" not in page
    assert "VISIBLE-KEY-ABCD" not in page
    assert "NOPASS" not in page
    assert "ABCD" in page  # the hint lets operators tell keys apart


def test_creating_an_account_in_the_admin_encrypts_its_credentials(client, superuser, owner):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:accounts_exchangeaccount_add"),
        {
            "owner": owner.pk,
            "label": "New",
            "exchange": "BYBIT",
            "environment": "demo",
            "position_mode": "one_way",
            "margin_mode": "cross",
            "is_active": "on",
            "api_key": "new-key-1234",
            "api_secret": "new-secret-5678",
            "passphrase": "",
        },
    )
    assert response.status_code == 302
    from accounts.crypto import decrypt
    from accounts.models import ExchangeAccount

    account = ExchangeAccount.objects.get(label="New")
    assert "new-secret-5678" not in account.api_secret_encrypted
    assert decrypt(account.api_secret_encrypted) == "new-secret-5678"


def test_a_staff_member_sees_only_their_own_objects(client, staff_user, other_owner, make):
    mine = make.strategy(staff_user, group_name="mine")
    theirs = make.strategy(other_owner, group_name="theirs")
    my_account = make.account(staff_user, label="my-acc")
    their_account = make.account(other_owner, label="their-acc")
    make.link(mine, my_account)
    make.link(theirs, their_account)
    _, _ = make.token(staff_user, name="my-token")
    their_token, _ = make.token(other_owner, name="their-token")
    WebhookLog.objects.create(owner=staff_user, strategy=mine, action="mine-log")
    their_log = WebhookLog.objects.create(owner=other_owner, strategy=theirs, action="their-log")
    Order.objects.create(
        strategy=theirs,
        account=their_account,
        client_order_id="theirorder1",
        symbol="BTC/USDT:USDT",
        market_type="FUTURES",
        side="buy",
        order_type="MARKET",
        qty_per=Decimal("5"),
    )
    client.force_login(staff_user)

    pages = {
        "strategies_strategy": ("mine", "theirs"),
        "accounts_exchangeaccount": ("my-acc", "their-acc"),
        "webhooks_webhooktoken": ("my-token", "their-token"),
        "webhooks_webhooklog": ("mine-log", "their-log"),
    }
    for name, (visible, hidden) in pages.items():
        content = client.get(reverse(f"admin:{name}_changelist")).content.decode()
        assert visible in content, name
        assert hidden not in content, name
    assert "theirorder1" not in client.get(reverse("admin:orders_order_changelist")).content.decode()
    for name, obj in [
        ("strategies_strategy", theirs),
        ("accounts_exchangeaccount", their_account),
        ("webhooks_webhooktoken", their_token),
        ("webhooks_webhooklog", their_log),
    ]:
        response = client.get(reverse(f"admin:{name}_change", args=[obj.pk]))
        assert response.status_code == 302, name  # Django redirects away from objects outside the queryset


def test_a_staff_member_cannot_link_another_owners_account(client, staff_user, other_owner, make):
    strategy = make.strategy(staff_user, group_name="mine")
    make.account(other_owner, label="their-acc")
    client.force_login(staff_user)
    page = client.get(reverse("admin:strategies_strategy_change", args=[strategy.pk])).content.decode()
    assert "their-acc" not in page


def test_webhook_logs_and_orders_are_read_only(client, superuser, owner, make):
    client.force_login(superuser)
    log = WebhookLog.objects.create(owner=owner, action="x")
    assert client.get(reverse("admin:webhooks_webhooklog_add")).status_code == 403
    response = client.post(reverse("admin:webhooks_webhooklog_change", args=[log.pk]), {"action": "changed"})
    assert response.status_code == 403
    log.refresh_from_db()
    assert log.action == "x"
