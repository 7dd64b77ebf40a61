"""`manage.py cancel_all_orders` against the exchange simulator (real ccxt): targets and filters,
dry run, confirmation for live accounts, progress, summary and exit codes, --include-untracked;
and the admin actions that cancel for selected strategies or accounts."""

import io
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from accounts.exchange import client as exchange
from orders.models import Order, OrderEvent
from tests import factories
from tests.integration.stack import database_url
from tests.sim_trading import api_key, place, sim_account, sim_status
from tests.simulator.clients import SimControl, make_client

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sim_url():
    from exchange_simulator.testing import start_simulator

    with start_simulator() as url:
        yield url


@pytest.fixture
def sim(sim_url, settings):
    """The simulator's control API, with round marks, and this process's exchange clients on it."""
    control = SimControl(sim_url)
    control.price("BTCUSDT", "110000")
    control.price("ETHUSDT", "4000")
    settings.EXCHANGE_SIMULATOR_URL = sim_url
    exchange.forget_clients()
    yield control
    exchange.forget_clients()


@pytest.fixture
def book(db, sim):
    """Alice's FUTURES strategies `my_strategy` and `test1`, both linked to a Binance and an OKX
    account, with resting orders: my_strategy has a LIMIT and a STOP on BTC and a LIMIT on ETH
    on Binance and a STOP_MARKET on OKX; test1 has a LIMIT on BTC on Binance."""
    owner = factories.user("alice")
    binance = sim_account(sim, owner, "BINANCE", label="Binance main")
    okx = sim_account(sim, owner, "OKX", label="OKX main")
    mine = factories.strategy(owner, group_name="my_strategy")
    other = factories.strategy(owner, group_name="test1")
    for strategy in (mine, other):
        for account in (binance, okx):
            factories.link(strategy, account)
    orders = {
        "btc": place(mine, binance, "LIMIT", price=100000),
        "stop": place(mine, binance, "STOP_LIMIT", price=115500, stop_price=115000),
        "eth": place(mine, binance, "LIMIT", base="ETH", price=3800),
        "okx_stop": place(mine, okx, "STOP_MARKET", side="sell", stop_price=105000),
        "other": place(other, binance, "LIMIT", price=100000),
    }
    return type("Book", (), {"owner": owner, "binance": binance, "okx": okx, "orders": orders})


def _run(*args, stdout=None) -> str:
    out = stdout or io.StringIO()
    call_command("cancel_all_orders", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _statuses(book) -> dict:
    return {name: Order.objects.get(pk=o.pk).status for name, o in book.orders.items()}


def test_dry_run_lists_what_would_be_cancelled_and_changes_nothing(book, sim):
    events_before = OrderEvent.objects.count()

    out = _run("--strategy", "my_strategy", "--dry-run")

    for name in ("btc", "stop", "eth", "okx_stop"):
        assert book.orders[name].client_order_id in out
    assert book.orders["other"].client_order_id not in out
    assert "dry run: 4 orders on 2 accounts would be cancelled" in out
    assert set(_statuses(book).values()) == {"PENDING"}
    assert OrderEvent.objects.count() == events_before
    assert {sim_status(sim, o) for o in book.orders.values()} == {"new"}


def test_a_strategy_target_cancels_its_orders_and_stops_on_every_account_and_spares_the_others(book, sim):
    out = _run("--strategy", "my_strategy")

    assert _statuses(book) == {
        "btc": "CANCELLED",
        "stop": "CANCELLED",
        "eth": "CANCELLED",
        "okx_stop": "CANCELLED",
        "other": "PENDING",
    }
    assert [sim_status(sim, book.orders[n]) for n in ("stop", "okx_stop", "other")] == [
        "cancelled",
        "cancelled",
        "new",
    ]
    assert out.strip().splitlines()[-1] == "2 accounts: 4 cancelled, 0 already closed, 0 failed"
    assert (
        f"account {book.binance.pk} Binance main (BINANCE, simulator) — strategy my_strategy: 3 cancelled"
        in out
    )
    assert Order.objects.get(pk=book.orders["stop"].pk).events.last().source == "command"


def test_an_account_target_with_market_type_and_symbol_filters_cancels_only_matching_orders(book, sim):
    out = _run("--account", str(book.binance.pk), "--market-type", "futures", "--symbol", "BTCUSDT")

    assert _statuses(book) == {
        "btc": "CANCELLED",
        "stop": "CANCELLED",
        "eth": "PENDING",
        "okx_stop": "PENDING",
        "other": "CANCELLED",
    }
    assert "1 accounts: 3 cancelled, 0 already closed, 0 failed" in out
    assert _run("--account", str(book.binance.pk), "--market-type", "SPOT").endswith("0 failed\n")
    assert Order.objects.get(pk=book.orders["eth"].pk).status == "PENDING"


def test_all_with_an_exchange_filter_cancels_that_exchanges_orders_of_every_owner(book, sim):
    bob = factories.user("bob")
    bobs_okx = sim_account(sim, bob, "OKX", label="Bob OKX")
    bobs = factories.strategy(bob, group_name="my_strategy")
    factories.link(bobs, bobs_okx)
    bobs_order = place(bobs, bobs_okx, "LIMIT", base="ETH", price=3800)

    out = _run("--all", "--exchange", "okx")

    assert "2 accounts: 2 cancelled" in out
    assert Order.objects.get(pk=bobs_order.pk).status == "CANCELLED"
    assert _statuses(book) == {**dict.fromkeys(book.orders, "PENDING"), "okx_stop": "CANCELLED"}


def test_owner_picks_one_of_two_strategies_with_the_same_name(book, sim):
    bob = factories.user("bob")
    factories.strategy(bob, group_name="my_strategy")
    with pytest.raises(CommandError, match="add --owner"):
        _run("--strategy", "my_strategy", "--dry-run")

    out = _run("--strategy", "my_strategy", "--owner", "alice", "--dry-run")

    assert "dry run: 4 orders on 2 accounts" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "Name a target"),
        (["--all", "--strategy", "my_strategy"], "--all cancels everything"),
        (["--owner", "alice"], "--owner only says"),
        (["--strategy", "nope"], "No strategy named 'nope'"),
        (["--account", "999999"], "No exchange account with id 999999"),
        (["--all", "--include-untracked"], "--include-untracked needs --symbol"),
        (["--all", "--market-type", "margin"], "market_type"),
        (["--all", "--exchange", "kraken"], "exchange"),
    ],
)
def test_operator_mistakes_are_refused_before_anything_is_cancelled(db, sim, args, message):
    owner = factories.user("alice")
    account = sim_account(sim, owner, "BINANCE")
    strategy = factories.strategy(owner, group_name="my_strategy")
    factories.link(strategy, account)
    resting = place(strategy, account, "LIMIT", price=100000)

    with pytest.raises(CommandError, match=message):
        _run(*args)

    assert Order.objects.get(pk=resting.pk).status == "PENDING"
    assert sim_status(sim, resting) == "new"


def test_live_accounts_need_yes(db, sim):
    owner = factories.user("carol")
    live = factories.account(owner, label="Real money", exchange="BYBIT", environment="live")
    strategy = factories.strategy(owner, group_name="live_s")
    factories.link(strategy, live)
    resting = Order.objects.create(
        strategy=strategy,
        account=live,
        client_order_id="live" + uuid.uuid4().hex[:20],
        exchange_order_id="1",
        symbol="BTC/USDT:USDT",
        market_type="FUTURES",
        side="buy",
        order_type="LIMIT",
        status="PENDING",
    )
    with pytest.raises(CommandError, match=r"Live accounts would be touched \(Real money\): add --yes"):
        _run("--strategy", "live_s")
    assert Order.objects.get(pk=resting.pk).status == "PENDING" and not resting.events.exists()
    assert "1 open orders" in _run("--strategy", "live_s", "--dry-run")  # a dry run needs no --yes

    # Confirmed, but filtered to nothing: no exchange is called, and it ends cleanly.
    assert _run("--strategy", "live_s", "--symbol", "ETHUSDT", "--yes").endswith(
        "1 accounts: 0 cancelled, 0 already closed, 0 failed\n"
    )


def test_a_failed_cancel_is_reported_and_makes_the_command_fail(book, sim):
    sim.faults(
        exchange="binance",
        path_contains="/fapi/v1/order",
        error="5xx",
        fail_next_n=1,
        api_key=api_key(book.binance),
    )
    out = io.StringIO()

    with pytest.raises(CommandError) as raised:
        _run("--strategy", "my_strategy", "--exchange", "BINANCE", "--symbol", "BTCUSDT", stdout=out)

    assert raised.value.returncode == 1
    assert "1 accounts: 1 cancelled, 0 already closed, 1 failed" in out.getvalue()
    failed = [
        o for o in (book.orders["btc"], book.orders["stop"]) if Order.objects.get(pk=o.pk).status == "PENDING"
    ]
    assert len(failed) == 1 and Order.objects.get(pk=failed[0].pk).error.startswith("취소 실패")
    assert sim_status(sim, failed[0]) == "new"
    assert f"{failed[0].client_order_id} BTC/USDT:USDT: failed" in out.getvalue()


def test_the_process_exit_code_is_1_when_a_cancel_failed_and_0_when_all_went_through(
    transactional_db, sim, sim_url
):
    owner = factories.user("dave")
    account = sim_account(sim, owner, "BYBIT", label="Bybit main")
    strategy = factories.strategy(owner, group_name="exit_s")
    factories.link(strategy, account)
    order = place(strategy, account, "LIMIT", price=100000)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tradingsite.settings_test",
        "DATABASE_URL": database_url(connection.settings_dict),
        "EXCHANGE_SIMULATOR_URL": sim_url,
    }
    command = [sys.executable, "manage.py", "cancel_all_orders", "--strategy", "exit_s"]
    sim.faults(
        exchange="bybit",
        path_contains="/v5/order/cancel",
        error="5xx",
        fail_next_n=1,
        api_key=api_key(account),
    )

    failing = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    passing = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    assert failing.returncode == 1, failing.stderr
    assert "1 accounts: 0 cancelled, 0 already closed, 1 failed" in failing.stdout
    assert passing.returncode == 0, passing.stderr
    assert "1 accounts: 1 cancelled, 0 already closed, 0 failed" in passing.stdout
    assert Order.objects.get(pk=order.pk).status == "CANCELLED"


@pytest.mark.parametrize(
    ("exchange_name", "market_type"), [("OKX", "FUTURES"), ("BINANCE", "SPOT"), ("BYBIT", "FUTURES")]
)
def test_include_untracked_also_cancels_foreign_orders_on_the_symbol_but_never_another_strategys(
    exchange_name, market_type, db, sim, sim_url
):
    owner = factories.user("erin")
    account = sim_account(sim, owner, exchange_name, label="Shared")
    mine = factories.strategy(owner, group_name="mine", market_type=market_type)
    other = factories.strategy(owner, group_name="other", market_type=market_type)
    for strategy in (mine, other):
        factories.link(strategy, account)
    own = place(mine, account, "LIMIT", price=100000)
    others_stop = place(other, account, "STOP_LIMIT", price=111500, stop_price=111000)
    sim.price("BTCUSDT", "112000", exchange=exchange_name.lower())  # the other strategy's stop fires
    foreign = _foreign_client(exchange_name, account, sim_url)
    btc = "BTC/USDT:USDT" if market_type == "FUTURES" else "BTC/USDT"
    amount = 1 if exchange_name == "OKX" else 0.01
    rising = {"triggerDirection": "ascending"} if exchange_name == "BYBIT" else {}
    foreign_ids = [
        foreign.create_order(btc, "limit", "buy", amount, 100000)["id"],
        foreign.create_order(btc, "market", "buy", amount, None, {"triggerPrice": 120000, **rising})["id"],
    ]
    eth = foreign.create_order(btc.replace("BTC", "ETH"), "limit", "buy", 1, 3800)["id"]

    out = _run(
        "--strategy", "mine", "--symbol", "BTCUSDT", "--market-type", market_type, "--include-untracked"
    )

    assert (
        out.strip().splitlines()[-1]
        == "1 accounts: 1 cancelled, 0 already closed, 0 failed, 2 untracked cancelled"
    )
    on_exchange = {o["id"]: o["status"] for o in sim.orders(api_key=api_key(account))}
    assert [on_exchange[i] for i in foreign_ids] == ["cancelled", "cancelled"]
    assert on_exchange[eth] == "new"
    assert sim_status(sim, own) == "cancelled"
    assert sim_status(sim, others_stop) == "new"  # fired and resting: tracked, so spared


def _foreign_client(exchange_name, account, sim_url):
    """A plain ccxt client on the same exchange account: orders this system never placed."""
    from accounts.crypto import decrypt

    passphrase = decrypt(account.passphrase_encrypted) if account.passphrase_encrypted else None
    return make_client(
        exchange_name.lower(), sim_url, api_key(account), decrypt(account.api_secret_encrypted), passphrase
    )


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_progress_bar_over_accounts_is_drawn_on_a_terminal(book):
    out = _run("--strategy", "my_strategy", "--symbol", "SOLUSDT", stdout=_Terminal())

    assert "Cancelling" in out and "2/2" in out and "accounts" in out
    assert "2 accounts: 0 cancelled, 0 already closed, 0 failed" in out


def test_the_strategy_admin_action_cancels_the_selected_strategies_orders(book, client, sim):
    client.force_login(factories.user("root", is_staff=True, is_superuser=True))
    strategy = book.orders["btc"].strategy

    response = client.post(
        reverse("admin:strategies_strategy_changelist"),
        {"action": "cancel_open_orders", "_selected_action": [strategy.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "Cancel-all: 2 accounts: 4 cancelled, 0 already closed, 0 failed" in response.content.decode()
    assert _statuses(book) == {**dict.fromkeys(book.orders, "CANCELLED"), "other": "PENDING"}
    assert Order.objects.get(pk=book.orders["okx_stop"].pk).events.last().source == "admin"


def test_the_account_admin_action_cancels_every_strategys_orders_on_the_selected_accounts(book, client, sim):
    client.force_login(factories.user("root", is_staff=True, is_superuser=True))
    sim.price("ETHUSDT", "3700", exchange="binance")  # the ETH order fills just before

    response = client.post(
        reverse("admin:accounts_exchangeaccount_changelist"),
        {"action": "cancel_open_orders", "_selected_action": [book.binance.pk]},
        follow=True,
    )

    assert "Cancel-all: 1 accounts: 3 cancelled, 1 already closed, 0 failed" in response.content.decode()
    assert _statuses(book) == {
        "btc": "CANCELLED",
        "stop": "CANCELLED",
        "eth": "FILLED",
        "okx_stop": "PENDING",
        "other": "CANCELLED",
    }
