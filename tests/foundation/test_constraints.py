from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from orders.models import Order, Position
from strategies.models import StrategyAccount


def test_group_name_is_unique_per_owner_but_not_across_owners(owner, other_owner, make):
    make.strategy(owner, group_name="s1")
    make.strategy(other_owner, group_name="s1")
    with pytest.raises(IntegrityError), transaction.atomic():
        make.strategy(owner, group_name="s1")


def test_a_strategy_links_an_account_once(owner, make):
    strategy, account = make.strategy(owner), make.account(owner)
    make.link(strategy, account)
    with pytest.raises(IntegrityError), transaction.atomic():
        make.link(strategy, account)


@pytest.mark.parametrize(
    "field, value",
    [("weight", Decimal("0")), ("leverage", 0), ("leverage", 126), ("allocated_capital", Decimal("-1"))],
)
def test_link_numbers_stay_in_range(owner, make, field, value):
    strategy, account = make.strategy(owner), make.account(owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        StrategyAccount.objects.create(strategy=strategy, account=account, **{field: value})


def test_one_position_per_link_and_symbol(owner, make):
    link = make.link(make.strategy(owner), make.account(owner))
    Position.objects.create(link=link, symbol="BTC/USDT:USDT", quantity=Decimal("0.1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Position.objects.create(link=link, symbol="BTC/USDT:USDT")


def _order(strategy, account, **extra):
    fields = dict(
        strategy=strategy,
        account=account,
        client_order_id="c1",
        symbol="BTC/USDT:USDT",
        market_type="FUTURES",
        side="buy",
        order_type="MARKET",
        qty_per=Decimal("10"),
    )
    fields.update(extra)
    return Order.objects.create(**fields)


def test_client_order_ids_are_unique(owner, make):
    strategy, account = make.strategy(owner), make.account(owner)
    _order(strategy, account)
    with pytest.raises(IntegrityError), transaction.atomic():
        _order(strategy, account)


@pytest.mark.parametrize("qty_per", [Decimal("0"), Decimal("100.01"), Decimal("-5")])
def test_order_qty_per_must_be_a_percentage(owner, make, qty_per):
    strategy, account = make.strategy(owner), make.account(owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        _order(strategy, account, qty_per=qty_per)
