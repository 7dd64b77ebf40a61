"""Small helpers that create valid objects with sensible defaults."""

from decimal import Decimal

from django.contrib.auth import get_user_model

from accounts.models import ExchangeAccount
from strategies.models import Strategy, StrategyAccount
from webhooks.services import token_create


def user(username="user", **extra):
    return get_user_model().objects.create_user(username=username, password="pw-" + username, **extra)


def account(
    owner,
    *,
    label="Main Account",
    exchange="BINANCE",
    environment="simulator",
    api_key="key-0001",
    api_secret="secret-0001",
    passphrase="",
    **extra,
):
    account = ExchangeAccount(owner=owner, label=label, exchange=exchange, environment=environment, **extra)
    account.set_credentials(api_key=api_key, api_secret=api_secret, passphrase=passphrase)
    account.save()
    return account


def strategy(owner, *, group_name="my_strategy", market_type="FUTURES", **extra):
    return Strategy.objects.create(owner=owner, group_name=group_name, market_type=market_type, **extra)


def link(strategy, account, *, allocated_capital=Decimal("10000"), leverage=1, **extra):
    return StrategyAccount.objects.create(
        strategy=strategy, account=account, allocated_capital=allocated_capital, leverage=leverage, **extra
    )


def token(owner, **extra):
    """Returns (token row, raw token)."""
    return token_create(owner=owner, **extra)
