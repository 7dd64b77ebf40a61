"""The admin as an operator uses it, in a real (headless) Chromium driven by Playwright."""

from playwright.sync_api import expect

from strategies.models import Strategy
from tests import factories


def test_an_operator_logs_in_creates_a_strategy_and_never_sees_a_secret(page, transactional_db):
    admin = factories.user("operator", is_staff=True, is_superuser=True)
    factories.account(admin, label="Binance main", api_key="KEY-VISIBLE-9876", api_secret="TOP-SECRET-VALUE")

    page.goto("/admin/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", "pw-operator")
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_contain_text("Trading signals admin")

    page.goto("/admin/strategies/strategy/add/")
    page.select_option("#id_owner", label="operator")
    page.fill("#id_group_name", "browser_strategy")
    page.select_option("#id_market_type", "FUTURES")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    assert Strategy.objects.filter(group_name="browser_strategy", owner=admin).exists()

    page.goto("/admin/accounts/exchangeaccount/")
    page.click("text=Binance main")
    content = page.content()
    assert "TOP-SECRET-VALUE" not in content and "KEY-VISIBLE-9876" not in content
    expect(page.locator(".field-masked_api_key")).to_contain_text("9876")
