"""The operator's day in a real (headless) Chromium, against the service as it runs: the web
server and a qcluster as processes, the exchange simulator, one shared database. Logs in, opens
the dashboard, tests a simulator account's connection, opens a signal's matrix where one account
was refused (the simulator answered its order with an invalid-key error, then healed), retries
the failed accounts, and checks the retried order reached the simulator exactly once.

Screenshots of every page: test-artifacts/admin/ (git-ignored)."""

import time
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.crypto import decrypt
from accounts.models import ExchangeAccount
from exchange_simulator.testing import start_simulator
from orders.models import Order, OrderStatus
from tests import factories
from tests.browser.conftest import chromium_page
from tests.integration.stack import Stack, database_url
from tests.simulator.clients import SimControl
from webhooks.models import WebhookLog

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "admin"
FUNDS = {"spot": {"USDT": "100000"}, "futures": {"USDT": "100000"}}


@pytest.fixture(scope="module")
def simulator():
    with start_simulator() as url:
        control = SimControl(url)
        control.price("BTCUSDT", "110000")
        yield url, control


@pytest.fixture(scope="module")
def service(django_db_setup, django_db_blocker, simulator, tmp_path_factory):
    """Web (DEBUG, so the admin's static files are served) and qcluster on the test database."""
    from django.db import connection

    with django_db_blocker.unblock():
        url = database_url(connection.settings_dict)
    running = Stack(
        db_url=url,
        simulator_url=simulator[0],
        log_dir=tmp_path_factory.mktemp("browser-stack"),
        extra_env={"DEBUG": "true", "WEBHOOK_RESPONSE_DEADLINE": "6", "ALLOWED_HOSTS": "127.0.0.1,localhost"},
    ).start()
    yield running
    running.stop()


@pytest.fixture
def operator(transactional_db, simulator):
    """A superuser trading `my_strategy` on two funded Binance simulator accounts."""
    _url, sim = simulator
    name = "op" + uuid.uuid4().hex[:8]
    user = factories.user(name, is_staff=True, is_superuser=True)
    _, token = factories.token(user)
    strategy = factories.strategy(user, group_name="my_strategy", market_type="FUTURES")
    accounts = []
    for label in ("Binance one", "Binance two"):
        key, secret = "k" + uuid.uuid4().hex, "s" + uuid.uuid4().hex
        sim.account("binance", key, secret, FUNDS)
        account = factories.account(user, label=label, exchange="BINANCE", api_key=key, api_secret=secret)
        factories.link(strategy, account)
        accounts.append(account)
    return type(
        "Operator", (), {"user": user, "password": "pw-" + name, "token": token, "accounts": accounts}
    )


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _settled(order_id: int, timeout: float = 30.0) -> Order:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        order = Order.objects.get(pk=order_id)
        if order.status != OrderStatus.PROCESSING:
            return order
        time.sleep(0.2)
    raise AssertionError(f"order {order_id} still PROCESSING after {timeout} s")


def test_an_operator_checks_a_key_reads_a_signal_and_retries_the_account_that_failed(
    service, simulator, operator, monkeypatch
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    _url, sim = simulator
    healthy, failing = operator.accounts
    failing_key = decrypt(failing.api_key_encrypted)
    # The exchange refuses the second account's next order as if its key were invalid, then heals.
    sim.faults(
        exchange="binance", error="auth", fail_next_n=1, path_contains="/fapi/v1/order", api_key=failing_key
    )
    answer = service.post(
        {
            "group_name": "my_strategy",
            "exchange": "BINANCE",
            "market_type": "FUTURES",
            "currency": "USDT",
            "symbol": "BTCUSDT",
            "order_type": "LIMIT",
            "side": "buy",
            "price": "80000",
            "qty_per": 5,
            "token": operator.token,
        }
    )
    assert answer.status_code == 200, answer.text
    log = WebhookLog.objects.get(owner=operator.user, action="trading_signal")
    refused = Order.objects.get(webhook_log=log, account=failing)
    assert refused.status == OrderStatus.REJECTED and not refused.exchange_order_id

    with chromium_page(service.web_url) as page:
        page.goto("/admin/")
        page.fill("#id_username", operator.user.username)
        page.fill("#id_password", operator.password)
        page.click("input[type=submit]")
        expect(page.locator("#dashboard-link")).to_be_visible()
        _shot(page, "01-index")

        page.click("#dashboard-link a")
        expect(page.locator("#dash-groups")).to_contain_text("BINANCE")
        expect(page.locator("#dash-groups")).to_contain_text("my_strategy")
        expect(page.locator("#dash-errors")).to_contain_text("1")
        expect(page.locator("#dash-groups svg").first).to_be_visible()
        _shot(page, "02-dashboard-24h")
        page.click("#window-7d")
        expect(page.locator("#dash-groups")).to_contain_text("BINANCE")
        _shot(page, "03-dashboard-7d")

        page.goto("/admin/accounts/exchangeaccount/")
        page.check(f"input.action-select[value='{healthy.pk}']")
        page.select_option("select[name=action]", "test_connection")
        page.click("button[name=index]")
        expect(page.locator("ul.messagelist")).to_contain_text("Binance one")
        expect(page.locator(".check-status").first).to_be_visible()
        _shot(page, "04-test-connection")
        page.click(f"a[href$='/exchangeaccount/{healthy.pk}/change/']")
        expect(page.locator(".check-summary")).to_contain_text("USDT")
        _shot(page, "04b-account-last-check")
        check = ExchangeAccount.objects.get(pk=healthy.pk).last_check
        assert check["ok"] is True and check["can_trade"] is True and check["withdrawals_enabled"] is False

        page.goto(f"/admin/webhooks/webhooklog/{log.pk}/matrix/")
        row = page.locator(f"tr.matrix-row[data-account='{failing.pk}']")
        expect(row).to_contain_text("REJECTED")
        expect(page.locator(f"tr.matrix-row[data-account='{healthy.pk}']")).to_contain_text("PENDING")
        expect(page.locator(f"tr.matrix-row[data-account='{healthy.pk}'] .stages")).to_contain_text("+")
        _shot(page, "05-matrix-before-retry")

        page.click("#do-retry_failed_accounts")
        expect(page.locator("ul.messagelist")).to_be_visible()
        retried = _settled(refused.pk)
        page.reload()
        expect(page.locator(f"tr.matrix-row[data-account='{failing.pk}']")).to_contain_text("PENDING")
        _shot(page, "06-matrix-after-retry")

    assert retried.status == OrderStatus.PENDING and retried.client_order_id == refused.client_order_id
    at_exchange = [
        o for o in sim.orders(api_key=failing_key) if o["client_order_id"] == refused.client_order_id
    ]
    assert len(at_exchange) == 1 and at_exchange[0]["id"] == retried.exchange_order_id
    assert len(sim.orders(api_key=decrypt(healthy.api_key_encrypted))) == 1  # the other account: untouched
    assert {p.name for p in SCREENSHOTS.glob("0*.png")} >= {
        "01-index.png",
        "02-dashboard-24h.png",
        "03-dashboard-7d.png",
        "04-test-connection.png",
        "05-matrix-before-retry.png",
        "06-matrix-after-retry.png",
    }
