"""The admin's "Test connection" service against the fake exchange: what it finds is kept on the
account, without touching what keys the cached exchange client."""

from accounts.connection import account_connection_test
from accounts.exchange.types import ConnectionCheck
from accounts.models import ExchangeAccount


def test_a_connection_test_is_kept_on_the_account(trader, fake_exchange):
    fake_exchange.checks[trader.account.pk] = ConnectionCheck(
        balances={"SPOT": "5"}, can_trade=True, withdrawals_enabled=True
    )
    before = ExchangeAccount.objects.get(pk=trader.account.pk).updated_at

    check = account_connection_test(account=trader.account)

    account = ExchangeAccount.objects.get(pk=trader.account.pk)
    assert check.ok is False  # withdrawals enabled on a trading key
    assert account.last_check["withdrawals_enabled"] is True and account.last_check["ok"] is False
    assert account.last_checked_at is not None
    assert account.updated_at == before  # the cached exchange client stays valid
