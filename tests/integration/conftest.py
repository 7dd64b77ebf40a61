"""Integration fixtures: the simulator, the web server and a real qcluster as processes, sharing
the test database; every test makes its own user, token, accounts and strategies."""

import uuid
from decimal import Decimal

import pytest

from exchange_simulator.testing import start_simulator
from tests import factories
from tests.integration.stack import Stack, database_url
from tests.simulator.clients import SimControl
from tradingsite.demo import BALANCES, START_PRICES

pytestmark = pytest.mark.integration

FUNDS = BALANCES


@pytest.fixture(scope="session")
def simulator_url():
    with start_simulator() as url:
        control = SimControl(url)
        for symbol, price in START_PRICES.items():
            control.price(symbol, price)
        yield url


# The package's, not the session's: a cluster left running after these tests would go on running
# the database's schedules (the sweeps) for the tests after them, with its own queue and simulator.
@pytest.fixture(scope="package")
def stack(django_db_setup, django_db_blocker, simulator_url, tmp_path_factory):
    from django.db import connection

    with django_db_blocker.unblock():
        url = database_url(connection.settings_dict)
    extra_env = {
        "EXCHANGE_TIMEOUT_MS": "1500",  # fault tests: a swallowed answer times out quickly
        "WEBHOOK_MAX_BATCH_ORDERS": "50",  # the rate-limit burst test sends 50 orders at once
        # A busy CI machine must not turn a finished answer into a 202: the tests read the results.
        "WEBHOOK_RESPONSE_DEADLINE": "6",
        # runserver answers each request on a new thread: a persistent connection per thread
        # would outlive it, and the 200-signal fault run would exhaust PostgreSQL's connections.
        "CONN_MAX_AGE": "0",
    }
    running = Stack(
        db_url=url, simulator_url=simulator_url, log_dir=tmp_path_factory.mktemp("stack"), extra_env=extra_env
    ).start()
    yield running
    running.stop()


@pytest.fixture
def sim(simulator_url) -> SimControl:
    control = SimControl(simulator_url)
    for symbol, price in START_PRICES.items():
        control.price(symbol, price)
    return control


@pytest.fixture
def make_trader(transactional_db, sim):
    """make_trader(exchange, market_type, n_accounts=1) → a user, token and the guide's strategy
    names (`my_strategy`, `test1`) of that market type, linked to funded simulator accounts."""

    def make(exchange="BINANCE", market_type="FUTURES", n_accounts=1, capital=Decimal("10000"), leverage=1):
        user = factories.user("u" + uuid.uuid4().hex[:10])
        _, token = factories.token(user)
        accounts = []
        for index in range(n_accounts):
            key, secret = "k" + uuid.uuid4().hex, "s" + uuid.uuid4().hex
            passphrase = "p" + uuid.uuid4().hex[:8] if exchange == "OKX" else ""
            sim.account(exchange.lower(), key, secret, FUNDS, passphrase=passphrase or None)
            accounts.append(
                factories.account(
                    user,
                    label=f"Account {index + 1}",
                    exchange=exchange,
                    api_key=key,
                    api_secret=secret,
                    passphrase=passphrase,
                )
            )
        strategies = {}
        for name in ("my_strategy", "test1"):
            strategies[name] = factories.strategy(user, group_name=name, market_type=market_type)
            for account in accounts:
                factories.link(strategies[name], account, allocated_capital=capital, leverage=leverage)
        return type(
            "Trader",
            (),
            {
                "user": user,
                "token": token,
                "accounts": accounts,
                "strategies": strategies,
                "keys": [a.api_key_hint for a in accounts],
            },
        )

    return make


@pytest.fixture
def in_process(settings, simulator_url):
    """Exchange clients built in this process point at the test simulator, and no scheduled sync
    of a running qcluster races the orders these tests place."""
    from django_q.models import Schedule

    from accounts.exchange import client as exchange

    settings.EXCHANGE_SIMULATOR_URL = simulator_url
    Schedule.objects.filter(func="orders.tasks.sync_open_orders").delete()
    exchange.forget_clients()
    yield
    exchange.forget_clients()
