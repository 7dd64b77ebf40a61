from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.exchange.types import ExchangeUnavailable
from strategies.models import StrategyAccount
from strategies.services import capital_allocate
from tests import factories


def _capital(trader):
    return {
        link.strategy.group_name: link.allocated_capital
        for link in StrategyAccount.objects.select_related("strategy").filter(account=trader.account)
    }


def test_capital_is_split_by_weight_among_an_accounts_links_in_one_market(trader, fake_exchange):
    link = trader.strategies["my_strategy"].links.get()
    link.weight = Decimal("3")
    link.save()
    capital_allocate()
    # the fake wallet holds 10 000 USDT; FUTURES links weigh 3 and 1, the SPOT link is alone
    assert _capital(trader) == {
        "my_strategy": Decimal("7500"),
        "test1": Decimal("2500"),
        "spot_demo": Decimal("10000"),
    }


def test_inactive_links_get_no_share(trader, fake_exchange):
    trader.strategies["test1"].links.update(is_active=False)
    capital_allocate()
    assert _capital(trader)["my_strategy"] == Decimal("10000")


def test_an_unreadable_balance_keeps_the_old_values_and_is_reported(trader, fake_exchange, monkeypatch):
    def broken(self, market_type, currency):
        raise ExchangeUnavailable("down")

    monkeypatch.setattr("tests.fakes.FakeClient.balance", broken)
    updated, errors = capital_allocate()
    assert updated == [] and len(errors) == 2
    assert set(_capital(trader).values()) == {Decimal("10000")}
    with pytest.raises(CommandError):
        call_command("allocate_capital", stdout=StringIO(), stderr=StringIO())


def test_the_command_prints_a_summary(trader, fake_exchange):
    out = StringIO()
    call_command("allocate_capital", stdout=out)
    assert out.getvalue().strip().splitlines()[-1] == "3 links updated, 0 accounts failed"


def test_adding_a_link_in_the_admin_recomputes_the_split(trader, fake_exchange, client):
    admin = factories.user("boss", is_staff=True, is_superuser=True)
    client.force_login(admin)
    second = factories.account(trader.user, label="Second", exchange="BYBIT")
    strategy = trader.strategies["test1"]
    existing = strategy.links.get()
    data = {
        "owner": trader.user.pk,
        "group_name": "test1",
        "name": "",
        "description": "",
        "market_type": "FUTURES",
        "is_active": "on",
        "links-TOTAL_FORMS": "2",
        "links-INITIAL_FORMS": "1",
        "links-MIN_NUM_FORMS": "0",
        "links-MAX_NUM_FORMS": "1000",
        "links-0-id": existing.pk,
        "links-0-strategy": strategy.pk,
        "links-0-account": trader.account.pk,
        "links-0-weight": "1",
        "links-0-leverage": "1",
        "links-0-allocated_capital": "10000",
        "links-0-is_active": "on",
        "links-1-strategy": strategy.pk,
        "links-1-account": second.pk,
        "links-1-weight": "1",
        "links-1-leverage": "2",
        "links-1-allocated_capital": "0",
        "links-1-is_active": "on",
    }
    response = client.post(reverse("admin:strategies_strategy_change", args=[strategy.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert strategy.links.get(account=second).allocated_capital == Decimal("10000")


def test_a_unified_wallet_is_split_over_all_the_accounts_links(trader, fake_exchange):
    trader.account.exchange = "BYBIT"
    trader.account.save()
    capital_allocate()
    # one 10 000 USDT wallet behind both markets: three links of weight 1 share it
    assert set(_capital(trader).values()) == {Decimal("3333.33333333")}
