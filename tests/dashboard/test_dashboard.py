"""The operator's dashboard: its numbers agree with the signals written, the rollup of final
hours agrees with computing them live, its query count does not grow with the signals, errors
link to the filtered lists, and a staff member sees only their own."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dashboard.models import HourlyStat, RolledHour
from dashboard.rollup import hour_of, stats_compute
from dashboard.selectors import dashboard_data
from orders.models import Order
from tests import factories
from tests.dashboard.rows import generate


@pytest.fixture
def history(db):
    """An owner with two strategies on three accounts (one per exchange)."""
    owner = factories.user("dash", is_staff=True)
    accounts = [
        factories.account(owner, label=f"{name} acct", exchange=name, api_key=f"k-{name}")
        for name in ("BINANCE", "BYBIT", "OKX")
    ]
    strategies = [factories.strategy(owner, group_name=name) for name in ("alpha", "beta")]
    return type("History", (), {"owner": owner, "accounts": accounts, "strategies": strategies})


def _write(history, n, *, seed=1, span=timedelta(days=7) - timedelta(hours=2)):
    return generate(
        owner=history.owner,
        strategies=history.strategies,
        accounts=history.accounts,
        n_logs=n,
        now=timezone.now(),
        span=span,
        seed=seed,
    )


def test_the_dashboard_counts_every_signal_failure_and_refused_request(history, superuser):
    written = _write(history, 400)

    data = dashboard_data(user=superuser, window="7d")

    total = data["total"]
    assert total.signals == written["signals"] and total.runs == written["signals"]
    assert total.failed == written["failed"]
    assert total.succeeded == written["signals"] - written["failed"]
    assert total.refused_requests == written["refused_requests"]
    assert sum(g.signals for g in data["by_exchange"]) == written["signals"]
    assert {g.label for g in data["by_strategy"]} == {"alpha", "beta"}
    assert sum(sum(g.per_hour) for g in data["by_exchange"]) == written["signals"]
    assert total.median.startswith("≤") and total.p95.startswith("≤")


def test_final_hours_come_from_the_rollup_and_agree_with_a_live_count(history, superuser):
    _write(history, 300, span=timedelta(hours=30))
    now = timezone.now()

    first = dashboard_data(user=superuser, window="7d", now=now)
    assert RolledHour.objects.count() > 0 and HourlyStat.objects.count() > 0
    live = stats_compute(start=hour_of(now) - timedelta(days=7), end=now)

    assert first["total"].signals == sum(len(s.signals) for s in live.values())
    assert first["total"].failed == sum(s.failed for s in live.values())
    assert dashboard_data(user=superuser, window="7d", now=now)["total"].signals == first["total"].signals


def test_the_query_count_does_not_grow_with_the_number_of_signals(history, superuser):
    def queries(n, seed):
        _write(history, n, seed=seed)
        dashboard_data(user=superuser, window="7d")  # rolls the final hours up
        with CaptureQueriesContext(connection) as captured:
            dashboard_data(user=superuser, window="7d")
        return len(captured)

    assert queries(50, 1) == queries(500, 2)


def test_the_24h_window_leaves_older_signals_out(history, superuser):
    _write(history, 200)
    day = dashboard_data(user=superuser, window="24h")
    week = dashboard_data(user=superuser, window="7d")
    assert 0 < day["total"].signals < week["total"].signals
    assert len(day["total"].per_hour) == 24 and len(week["total"].per_hour) == 168


def test_a_staff_member_sees_only_their_own_signals(history, superuser):
    _write(history, 100)
    stranger = factories.user("stranger", is_staff=True)
    assert dashboard_data(user=stranger, window="7d")["total"].signals == 0
    assert dashboard_data(user=history.owner, window="7d")["total"].signals > 0


def test_the_page_draws_charts_and_links_each_error_to_its_filtered_list(history, superuser, client):
    _write(history, 300)
    client.force_login(superuser)

    page = client.get("/admin/dashboard/?window=7d")

    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "alpha" in html and "BYBIT" in html
    errors = page.context["data"]["errors"]
    auth = next(e for e in errors if "error_kind=auth" in e["link"])
    listed = client.get(auth["link"])
    assert listed.status_code == 200
    shown = list(listed.context["cl"].result_list)
    assert shown and all(o.error.startswith("인증 실패") for o in shown)
    assert len(shown) == auth["count"]
    code = next(e for e in errors if e["source"] == "code")
    logs = client.get(code["link"])
    assert logs.status_code == 200 and logs.context["cl"].result_count == code["count"]


def test_the_admin_index_links_to_the_dashboard(superuser, client):
    client.force_login(superuser)
    assert 'href="/admin/dashboard/"' in client.get("/admin/").content.decode()


def test_stuck_orders_are_listed(history, superuser):
    _write(history, 20)
    order = Order.objects.first()
    Order.objects.filter(pk=order.pk).update(
        status="PROCESSING", updated_at=timezone.now() - timedelta(minutes=5)
    )
    data = dashboard_data(user=superuser)
    assert data["stuck_count"] == 1 and data["stuck"][0].pk == order.pk


def test_an_ip_block_of_the_shared_limiter_is_shown(superuser):
    from accounts.exchange import ratelimit
    from accounts.exchange.ratelimit_rules import ip_limit_key

    ratelimit.block(key=ip_limit_key("BYBIT", "FUTURES"), seconds=600)
    try:
        blocks = dashboard_data(user=superuser)["ip_blocks"]
    finally:
        ratelimit.reset(prefix=ip_limit_key("BYBIT", "FUTURES"))
    assert [b["key"] for b in blocks] == ["BYBIT SPOT+FUTURES"]  # Bybit counts both on one IP limit
    assert 0 < blocks[0]["seconds"] <= 600


def test_rolling_an_hour_again_replaces_it_and_an_invalidated_hour_is_counted_anew(history, superuser):
    from dashboard.rollup import hour_invalidate, hours_roll

    _write(history, 200, span=timedelta(hours=20))
    now = timezone.now()
    before = dashboard_data(user=superuser, window="24h", now=now)["total"]
    hours_roll(start=now - timedelta(hours=24), end=hour_of(now) - timedelta(hours=1))
    again = dashboard_data(user=superuser, window="24h", now=now)["total"]
    assert (again.signals, again.failed) == (before.signals, before.failed)

    refused = Order.objects.filter(status="REJECTED", webhook_log__received_at__lt=now - timedelta(hours=2))
    order = refused.select_related("webhook_log").first()
    Order.objects.filter(pk=order.pk).update(status="PENDING", error="")  # as a retry would leave it
    hour_invalidate(at=order.webhook_log.received_at)
    after = dashboard_data(user=superuser, window="24h", now=now)["total"]
    assert (after.failed, after.succeeded) == (before.failed - 1, before.succeeded + 1)
