"""Bounded storage: a daily schedule purges `webhook_logs` (and their jobs, and login-failure
records) older than WEBHOOK_LOG_RETENTION_DAYS; orders keep their rows and their history."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from django_q.models import Schedule

from orders.models import AccountJob, Order, OrderEvent
from webhooks.models import WebhookLog
from webhooks.retention import logs_purge
from webhooks.tasks import purge_old_logs


def _log(days_old, **fields):
    return WebhookLog.objects.create(received_at=timezone.now() - timedelta(days=days_old), **fields)


def _order(strategy, account, log, cid):
    order = Order.objects.create(
        strategy=strategy,
        account=account,
        webhook_log=log,
        client_order_id=cid,
        symbol="BTC/USDT:USDT",
        market_type="FUTURES",
        side="buy",
        order_type="MARKET",
        qty_per=Decimal("5"),
    )
    OrderEvent.objects.create(order=order, source="webhook", to_status="PROCESSING")
    return order


def test_old_logs_are_purged_and_orders_keep_their_history(owner, make, settings):
    settings.WEBHOOK_LOG_RETENTION_DAYS = 30
    strategy, account = make.strategy(owner), make.account(owner)
    old, recent = _log(31, strategy=strategy), _log(29, strategy=strategy)
    duplicate = _log(31, duplicate_of=old)
    order = _order(strategy, account, old, "old-order-1")
    AccountJob.objects.create(
        webhook_log=old, strategy=strategy, account=account, kind="orders", state="done"
    )
    counts = purge_old_logs()
    assert counts["webhook_logs"] == 2 and counts["account_jobs"] == 1
    assert list(WebhookLog.objects.all()) == [recent]
    order.refresh_from_db()
    assert order.webhook_log is None and order.events.count() == 1
    assert not WebhookLog.objects.filter(pk=duplicate.pk).exists()


def test_a_log_whose_jobs_still_run_is_kept(owner, make):
    strategy, account = make.strategy(owner), make.account(owner)
    old = _log(400, strategy=strategy)
    AccountJob.objects.create(
        webhook_log=old, strategy=strategy, account=account, kind="orders", state="running"
    )
    assert logs_purge(days=90)["webhook_logs"] == 0
    assert WebhookLog.objects.filter(pk=old.pk).exists()


def test_zero_days_keeps_everything(db):
    _log(10_000)
    assert logs_purge(days=0)["webhook_logs"] == 0
    assert WebhookLog.objects.count() == 1


def test_old_login_failures_are_purged(db, settings):
    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.create(username="x", ip_address="10.0.0.1", failures_since_start=3)
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=timezone.now() - timedelta(days=100))
    assert logs_purge(days=90)["login_failures"] == 1


def test_the_purge_is_scheduled_daily(db):
    schedule = Schedule.objects.get(func="webhooks.tasks.purge_old_logs")
    assert schedule.schedule_type == Schedule.DAILY and schedule.repeats == -1
