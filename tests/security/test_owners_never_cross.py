"""A strategy trades only on its own owner's accounts: the model refuses a crossing link on every
path (clean, save, the admin), the intake refuses to trade one made behind the models' back, and no
admin list, filter or choice shows a non-superuser another owner's objects."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from orders.models import Order, Position
from strategies.models import StrategyAccount
from tests.guide import guide_example


def test_a_link_to_another_owners_account_is_refused_by_clean_and_by_save(owner, other_owner, make):
    strategy = make.strategy(other_owner, group_name="hers")
    his_account = make.account(owner, label="his")
    link = StrategyAccount(strategy=strategy, account=his_account)
    with pytest.raises(ValidationError, match="소유자"):
        link.full_clean()
    with pytest.raises(ValidationError):
        link.save()
    with pytest.raises(ValidationError):
        StrategyAccount.objects.create(strategy=strategy, account=his_account)
    assert not StrategyAccount.objects.exists()


def test_moving_a_linked_strategy_or_account_to_another_owner_is_refused(owner, other_owner, make):
    strategy = make.strategy(owner)
    account = make.account(owner)
    make.link(strategy, account)
    strategy.owner = other_owner
    with pytest.raises(ValidationError):
        strategy.save()
    account.owner = other_owner
    with pytest.raises(ValidationError):
        account.save()


def test_the_admin_refuses_a_crossing_link_with_a_form_error(client, superuser, owner, other_owner, make):
    strategy = make.strategy(other_owner, group_name="hers")
    his_account = make.account(owner, label="his")
    client.force_login(superuser)
    response = client.post(
        reverse("admin:strategies_strategyaccount_add"),
        {
            "strategy": strategy.pk,
            "account": his_account.pk,
            "weight": "1",
            "leverage": "1",
            "allocated_capital": "0",
            "is_active": "on",
        },
    )
    assert response.status_code == 200  # the form again, with its error
    assert "소유자" in response.content.decode()
    assert not StrategyAccount.objects.exists()


def test_a_crossing_link_made_behind_the_models_back_never_trades(
    trader, other_owner, make, post, fake_exchange, sync_tasks
):
    """The reproducer: her strategy linked to the demo user's account placed an order on it."""
    her_token_row, her_token = make.token(other_owner)
    her_strategy = make.strategy(other_owner, group_name="test1")
    her_account = make.account(other_owner, label="hers")
    link = make.link(her_strategy, her_account)
    StrategyAccount.objects.filter(pk=link.pk).update(account=trader.account)  # bypasses save()
    response = post(guide_example("single_market_buy", her_token) | {"group_name": "test1"})
    assert response.status_code == 400
    assert response.json()["code"] == "no_linked_accounts"
    assert not Order.objects.filter(account=trader.account).exists()


def test_a_staff_members_filters_and_choices_name_only_their_own_objects(
    client, staff_user, other_owner, make
):
    mine = make.strategy(staff_user, group_name="mine-strategy")
    theirs = make.strategy(other_owner, group_name="theirs-strategy")
    my_account = make.account(staff_user, label="my-account")
    their_account = make.account(other_owner, label="their-account")
    Position.objects.create(link=make.link(mine, my_account), symbol="BTC/USDT:USDT")
    Position.objects.create(link=make.link(theirs, their_account), symbol="ETH/USDT:USDT")
    client.force_login(staff_user)
    pages = [
        reverse("admin:orders_position_changelist"),
        reverse("admin:strategies_strategyaccount_changelist"),
        reverse("admin:strategies_strategyaccount_add"),
        reverse("admin:strategies_strategy_add"),
        reverse("admin:strategies_strategy_change", args=[mine.pk]),
        reverse("admin:orders_order_changelist"),
        reverse("admin:orders_accountjob_changelist"),
        reverse("admin:accounts_accountsymbolsetting_changelist"),
        reverse("admin:accounts_accountsymbolsetting_add"),
    ]
    for url in pages:
        page = client.get(url).content.decode()
        assert "theirs-strategy" not in page and "their-account" not in page, url
    position_filters = client.get(reverse("admin:orders_position_changelist")).content.decode()
    assert "mine-strategy" in position_filters  # the filter is there, scoped
