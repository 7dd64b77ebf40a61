"""The admin's "Test connection" with real ccxt against the simulator, on all three exchanges:
balances read, trading allowed, withdrawals off, no IP whitelist, the clock offset measured; a
key the exchange does not know fails the check and says so."""

from decimal import Decimal

import pytest

from accounts.connection import account_connection_test
from accounts.exchange import client as exchange
from accounts.models import ExchangeAccount
from tests import factories

pytestmark = pytest.mark.integration


@pytest.fixture
def in_process(settings, simulator_url):
    settings.EXCHANGE_SIMULATOR_URL = simulator_url
    exchange.forget_clients()
    yield
    exchange.forget_clients()


@pytest.mark.parametrize("exchange_name", ["BINANCE", "BYBIT", "OKX"])
def test_a_simulator_key_reads_its_balance_may_trade_and_may_not_withdraw(
    exchange_name, make_trader, in_process
):
    account = make_trader(exchange_name, "FUTURES").accounts[0]

    check = account_connection_test(account=account)

    assert check.errors == []
    assert check.ok is True
    assert Decimal(check.balances["SPOT"]) >= 100000  # Bybit and OKX: one unified wallet
    assert Decimal(check.balances["FUTURES"]) >= 100000
    assert (check.can_trade, check.withdrawals_enabled, check.ip_restricted) == (True, False, False)
    assert check.clock_offset_ms is not None
    stored = ExchangeAccount.objects.get(pk=account.pk)
    assert stored.last_check["ok"] is True and stored.last_checked_at is not None


def test_an_unknown_key_fails_the_check(make_trader, in_process):
    owner = make_trader("BYBIT", "FUTURES").user
    unknown = factories.account(owner, label="Unknown key", exchange="BYBIT", api_key="nope", api_secret="x")

    check = account_connection_test(account=unknown)

    assert check.ok is False
    # The public clock still answers; every signed read is refused and named.
    assert [e.split(":")[0] for e in check.errors] == ["balance SPOT", "balance FUTURES", "permissions"]
    assert all("AuthenticationError" in e for e in check.errors) and check.clock_offset_ms is not None
    assert ExchangeAccount.objects.get(pk=unknown.pk).last_check["ok"] is False
