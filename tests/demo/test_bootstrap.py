"""The demo bootstrap of `make run`, against a real simulator: created once, registered every run."""

import stat
from decimal import Decimal
from io import StringIO

import pytest
import requests
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command

from accounts.crypto import decrypt
from accounts.exchange import client as exchange
from accounts.exchange.simulator import simulator_register_account
from accounts.models import ExchangeAccount
from exchange_simulator.testing import start_simulator
from strategies.models import StrategyAccount
from tests import factories
from tests.simulator.clients import make_client
from webhooks.models import WebhookToken
from webhooks.services import token_authenticate

pytestmark = pytest.mark.integration

SIM_IDS = {"BINANCE": "binance", "BYBIT": "bybit", "OKX": "okx"}


@pytest.fixture(scope="module")
def simulator_url():
    with start_simulator() as url:
        yield url


@pytest.fixture
def credentials_file(settings, tmp_path):
    settings.DEMO_CREDENTIALS_FILE = tmp_path / "demo" / "credentials.txt"
    return settings.DEMO_CREDENTIALS_FILE


@pytest.fixture
def sim(simulator_url):
    requests.post(simulator_url + "/_sim/reset", timeout=5).raise_for_status()
    return simulator_url


def _bootstrap(simulator_url) -> str:
    out = StringIO()
    call_command("bootstrap_demo", "--simulator-url", simulator_url, stdout=out)
    return out.getvalue()


def _snapshot() -> dict:
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in apps.get_models()}


def _credentials(path) -> dict:
    pairs = (line.split(": ", 1) for line in path.read_text().splitlines() if not line.startswith("#"))
    return dict(pairs)


def _sim_balances(simulator_url) -> dict:
    rows = requests.get(simulator_url + "/_sim/balances", timeout=5).json()
    return {(row["exchange"], row["api_key"]): row["balances"] for row in rows}


def test_a_second_run_changes_nothing_and_says_where_the_credentials_are(db, sim, credentials_file):
    first = _bootstrap(sim)
    before = _snapshot()
    digest = WebhookToken.objects.get(owner__username="demo").digest

    second = _bootstrap(sim)

    assert _snapshot() == before
    assert WebhookToken.objects.get(owner__username="demo").digest == digest
    assert "Created the demo data" in first and "Created" not in second
    assert "nothing changed" in second
    assert f"Admin password and webhook token: {credentials_file}" in second
    assert "rotate_webhook_token demo" in second
    assert sum(len(rows) for rows in before.values()) > 0


def test_the_credentials_file_is_private_and_holds_what_was_printed_once(db, sim, credentials_file):
    printed = _bootstrap(sim)
    saved = _credentials(credentials_file)

    assert stat.S_IMODE(credentials_file.stat().st_mode) == 0o600
    assert f"Admin password: {saved['Admin password']}" in printed
    assert f"Webhook token: {saved['Webhook token']}" in printed
    admin = get_user_model().objects.get(username=saved["Admin user"])
    assert admin.is_superuser and admin.check_password(saved["Admin password"])
    assert token_authenticate(raw=saved["Webhook token"]).owner.username == "demo"
    assert saved["Webhook token"] not in _bootstrap(sim)  # shown once


def test_demo_accounts_are_registered_funded_and_accept_signed_requests(db, sim, credentials_file, settings):
    _bootstrap(sim)
    balances = _sim_balances(sim)
    settings.EXCHANGE_SIMULATOR_URL = sim
    exchange.forget_clients()

    accounts = ExchangeAccount.objects.filter(owner__username="demo")
    assert sorted(a.exchange for a in accounts) == ["BINANCE", "BYBIT", "OKX"]
    for account in accounts:
        assert account.environment == "simulator"
        wallets = balances[(SIM_IDS[account.exchange], decrypt(account.api_key_encrypted))]
        assert wallets["spot"]["USDT"]["total"] == wallets["futures"]["USDT"]["total"] == "100000"
        # real ccxt, signed with the stored secret (and passphrase on OKX)
        client = exchange.client_for(account)
        # Bybit and OKX report one unified wallet: the simulator's spot and futures wallets summed
        expected = Decimal("100000") if account.exchange == "BINANCE" else Decimal("200000")
        assert client.balance("FUTURES", "USDT") == client.balance("SPOT", "USDT") == expected
    assert bool(decrypt(accounts.get(exchange="OKX").passphrase_encrypted))
    exchange.forget_clients()


def test_every_run_registers_the_accounts_again_in_a_fresh_simulator(db, sim, credentials_file):
    _bootstrap(sim)
    requests.post(sim + "/_sim/reset", timeout=5).raise_for_status()  # what a restart does
    assert _sim_balances(sim) == {}

    _bootstrap(sim)

    assert len(_sim_balances(sim)) == 3


@pytest.mark.parametrize("exchange_id", ["binance", "bybit", "okx"])
def test_start_prices_put_btc_above_the_guides_orders(db, sim, credentials_file, exchange_id):
    _bootstrap(sim)
    client = make_client(exchange_id, sim, "public", "public", "public")
    expected = {"BTC": 110000, "ETH": 4000, "SOL": 200, "XRP": 2.5, "DOGE": 0.25}
    for base, price in expected.items():
        for symbol in (f"{base}/USDT", f"{base}/USDT:USDT"):
            assert client.fetch_ticker(symbol)["last"] == price, symbol


def test_each_wallet_is_split_over_the_strategies_that_trade_it(db, sim, credentials_file):
    _bootstrap(sim)
    links = StrategyAccount.objects.filter(strategy__owner__username="demo").select_related(
        "strategy", "account"
    )

    capital = {(link.strategy.group_name, link.account.exchange): link.allocated_capital for link in links}

    assert len(capital) == 9  # three strategies on each of the three accounts
    for (group_name, _), amount in capital.items():
        assert amount == {"test1": 50000, "my_strategy": 50000, "spot_demo": 100000}[group_name]
    markets = {link.strategy.group_name: link.strategy.market_type for link in links}
    assert markets == {"test1": "FUTURES", "my_strategy": "FUTURES", "spot_demo": "SPOT"}


def test_a_live_account_is_never_sent_to_the_simulator(db, sim):
    live = factories.account(factories.user("trader"), environment="live", api_key="real-key")

    with pytest.raises(ValueError, match="not simulator"):
        simulator_register_account(account=live, balances={}, simulator_url=sim)

    assert _sim_balances(sim) == {}
