"""tradingsite/rows.py: the hot path's precompiled reads and its UPDATE give exactly what the ORM
would (the same instances, the same row), on SQLite and on PostgreSQL."""

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError
from django.db.models import OuterRef, Subquery
from django.db.models.signals import post_save, pre_save
from django.utils import timezone

from accounts.models import AccountSymbolSetting
from orders.leases import job_claim_with_orders
from orders.models import AccountJob, Order, OrderEvent, Position
from orders.positions import position_apply_fills
from orders.reads import job_orders, jobs_orders, log_jobs
from tests import factories
from tradingsite.cache import PooledRedisCache
from tradingsite.rows import (
    row_insert,
    row_refresh,
    row_update,
    row_update_then_insert,
    rows_update_where,
)
from webhooks.models import WebhookLog, WebhookToken
from webhooks.services import token_authenticate

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders():
    owner = factories.user("rows")
    strategy = factories.strategy(owner)
    account = factories.account(owner, label="Rows", exchange="BINANCE", api_key="k1", api_secret="s1")
    link = factories.link(strategy, account, allocated_capital=Decimal("1234.5"), leverage=3)
    log = WebhookLog.objects.create(strategy=strategy, owner=owner, action="trading_signal")
    Position.objects.create(link=link, symbol="BTC/USDT:USDT", quantity=Decimal("0.015"))
    AccountSymbolSetting.objects.create(
        account=account, symbol="BTC/USDT:USDT", leverage=3, margin_mode="cross"
    )
    made = [
        Order.objects.create(
            strategy=strategy,
            account=account,
            link=link,
            webhook_log=log,
            order_index=index,
            client_order_id=f"rows{index}",
            symbol="BTC/USDT:USDT" if index else "ETH/USDT:USDT",
            market_type="FUTURES",
            side="buy",
            order_type="LIMIT",
            price=Decimal("65000.5") + index,
            qty_per=Decimal("12.5"),
        )
        for index in (1, 0)
    ]
    return log, account, made


def _fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def test_a_jobs_orders_are_what_the_orm_query_returns(orders):
    log, account, _ = orders
    setting = AccountSymbolSetting.objects.filter(
        account_id=OuterRef("account_id"), symbol=OuterRef("symbol")
    )
    expected = list(
        Order.objects.filter(webhook_log=log, account=account)
        .select_related("link", "account")
        .annotate(
            position_at_start=Subquery(
                Position.objects.filter(link_id=OuterRef("link_id"), symbol=OuterRef("symbol")).values(
                    "quantity"
                )[:1]
            ),
            leverage_on_exchange=Subquery(setting.values("leverage")[:1]),
        )
        .order_by("order_index")
    )
    found = job_orders(webhook_log_id=log.pk, account_id=account.pk)
    assert [o.order_index for o in found] == [0, 1]
    for want, got in zip(expected, found, strict=True):
        assert _fields(got) == _fields(want)
        assert _fields(got.link) == _fields(want.link)
        assert _fields(got.account) == _fields(want.account)
        assert (got.position_at_start, got.leverage_on_exchange) == (
            want.position_at_start,
            want.leverage_on_exchange,
        )
    assert found[1].position_at_start == Decimal("0.015") and found[0].position_at_start is None
    assert isinstance(found[1].price, Decimal) and found[1].price == Decimal("65001.5")
    assert timezone.is_aware(found[0].created_at)


def test_a_logs_jobs_and_orders_come_with_their_accounts_in_order(orders):
    log, account, _ = orders
    jobs = [
        AccountJob.objects.create(webhook_log=log, strategy=log.strategy, account=account, kind=kind)
        for kind in ("orders", "cancel")
    ]
    found = log_jobs(webhook_log_id=log.pk)
    assert [job.pk for job in found] == [job.pk for job in jobs]
    assert found[0].account == account and found[0].account.label == "Rows"
    assert _fields(found[1]) == _fields(AccountJob.objects.get(pk=jobs[1].pk))
    # The orders come with the jobs, as the ORM reads them on their own.
    expected = Order.objects.filter(webhook_log=log).order_by("account_id", "order_index")
    assert [_fields(o) for o in jobs_orders(found)] == [_fields(o) for o in expected]


def test_row_update_writes_what_save_with_update_fields_writes(orders):
    _, _, (order, _) = orders
    before = Order.objects.get(pk=order.pk).updated_at
    order.quantity, order.status, order.note = Decimal("0.0123"), "PENDING", "ok"
    order.submitted_at = timezone.now() - timedelta(seconds=3)
    row_update(order, ["quantity", "status", "note", "submitted_at", "updated_at"])
    stored = Order.objects.get(pk=order.pk)
    assert (stored.quantity, stored.status, stored.note) == (Decimal("0.0123"), "PENDING", "ok")
    assert stored.submitted_at == order.submitted_at
    assert stored.updated_at > before and stored.updated_at == order.updated_at  # auto_now stamped


def test_row_update_of_a_missing_row_fails_like_save():
    with pytest.raises(DatabaseError):
        row_update(Order(pk=987654321, status="PENDING"), ["status"])


def test_no_save_signals_are_connected_to_models_written_by_row_update():
    """row_update and rows_insert skip Model.save: a pre_save or post_save receiver on these
    models would never run."""
    for model in (Order, OrderEvent, AccountJob, WebhookLog, Position):
        assert not pre_save.has_listeners(model) and not post_save.has_listeners(model)


def test_a_token_is_found_with_its_owner_in_one_read():
    owner = factories.user("rowstoken")
    row, raw = factories.token(owner)
    found = token_authenticate(raw=raw)
    assert found.pk == row.pk and found.owner == owner
    assert _fields(found) | {"last_used_at": None} == _fields(WebhookToken.objects.get(pk=row.pk)) | {
        "last_used_at": None
    }


def test_row_insert_writes_what_save_writes(orders):
    _, _, (order, _) = orders
    event = OrderEvent(order=order, source="worker", from_status="PROCESSING", to_status="PENDING")
    row_insert(event)
    stored = OrderEvent.objects.get(pk=event.pk)
    assert _fields(stored) == _fields(event) and stored.at is not None  # auto_now_add stamped
    assert not event._state.adding


def test_the_redis_cache_reuses_one_client_per_pool_and_still_works():
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    cache = PooledRedisCache(url, {"KEY_PREFIX": "rows-test"})
    cache.set("k", [1, 2, 3], 30)
    assert cache.get("k") == [1, 2, 3]
    assert cache._cache.get_client("k") is cache._cache.get_client("k")
    cache.delete("k")
    assert cache.get("k") is None


def _job(log, account, **extra) -> AccountJob:
    return AccountJob.objects.create(
        webhook_log=log, strategy=log.strategy, account=account, kind="orders", **extra
    )


def test_a_claim_with_its_orders_is_the_claimed_row_and_what_job_orders_reads(orders):
    log, account, made = orders
    other = factories.account(log.owner, label="Other", exchange="BINANCE", api_key="k2", api_secret="s2")
    Order.objects.create(  # the same signal's order for another account: not this job's
        **{f: getattr(made[0], f) for f in ("strategy", "webhook_log", "symbol", "market_type", "side")},
        account=other,
        client_order_id="rows-other",
        order_type="MARKET",
    )
    job = _job(log, account)
    claimed, found = job_claim_with_orders(job_id=job.pk)
    assert _fields(claimed) == _fields(AccountJob.objects.get(pk=job.pk))  # as stored, claimed
    assert (claimed.state, claimed.attempts) == ("running", 1) and claimed.lease_until is not None
    assert _fields(claimed.account) == _fields(account)
    expected = job_orders(webhook_log_id=log.pk, account_id=account.pk)
    assert [o.order_index for o in found] == [0, 1]
    for want, got in zip(expected, found, strict=True):
        assert _fields(got) == _fields(want)
        assert _fields(got.link) == _fields(want.link) and _fields(got.account) == _fields(want.account)
        assert (got.position_at_start, got.leverage_on_exchange, got.margin_on_exchange) == (
            want.position_at_start,
            want.leverage_on_exchange,
            want.margin_on_exchange,
        )
    assert found[0].account is found[1].account is claimed.account  # one instance, as job_orders


def test_a_claim_with_orders_keeps_the_claims_conditions(orders, settings):
    log, account, _ = orders
    job = _job(log, account)
    assert job_claim_with_orders(job_id=job.pk)[0].attempts == 1
    assert job_claim_with_orders(job_id=job.pk) is None  # held, lease live: nothing read either
    AccountJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    resumed, found = job_claim_with_orders(job_id=job.pk)
    assert resumed.attempts == 2 and len(found) == 2  # a lapsed lease is resumable
    AccountJob.objects.filter(pk=job.pk).update(
        lease_until=timezone.now() - timedelta(seconds=1), attempts=settings.JOB_MAX_ATTEMPTS
    )
    assert job_claim_with_orders(job_id=job.pk) is None  # attempts used up
    AccountJob.objects.filter(pk=job.pk).update(state="done", attempts=1, lease_until=None)
    assert job_claim_with_orders(job_id=job.pk) is None  # finished
    assert job_claim_with_orders(job_id=987654321) is None


def test_a_claimed_cancel_job_or_one_without_orders_comes_alone(orders):
    log, account, _ = orders
    cancel = AccountJob.objects.create(
        webhook_log=log, strategy=log.strategy, account=account, kind="cancel", filters={"symbol": "X"}
    )
    claimed, found = job_claim_with_orders(job_id=cancel.pk)
    assert found is None and claimed.filters == {"symbol": "X"} and claimed.account == account
    other = WebhookLog.objects.create(strategy=log.strategy, owner=log.owner, action="trading_signal")
    claimed, found = job_claim_with_orders(job_id=_job(other, account).pk)
    assert found == [] and claimed.state == "running"


def test_an_update_with_its_event_writes_what_row_update_and_row_insert_write(orders):
    _, _, (order, twin) = orders
    before = Order.objects.get(pk=order.pk).updated_at
    written = []
    for target in (order, twin):
        target.status, target.quantity, target.note = "PENDING", Decimal("0.0123"), "sent"
        event = OrderEvent(order=target, source="worker", from_status="PROCESSING", to_status="PENDING")
        if target is order:
            row_update_then_insert(target, ["status", "quantity", "note", "updated_at"], event)
        else:
            row_update(target, ["status", "quantity", "note", "updated_at"])
            row_insert(event)
        written.append(event)
    stored, stored_twin = Order.objects.get(pk=order.pk), Order.objects.get(pk=twin.pk)
    assert (stored.status, stored.quantity, stored.note) == (stored_twin.status, stored_twin.quantity, "sent")
    assert stored.updated_at > before and stored.updated_at == order.updated_at  # auto_now stamped
    event, twin_event = written
    assert event.pk and not event._state.adding
    assert _fields(OrderEvent.objects.get(pk=event.pk)) == _fields(event)  # `at` stamped, as create()
    assert _fields(event) | {"id": 0, "order_id": 0, "at": 0} == _fields(twin_event) | {
        "id": 0,
        "order_id": 0,
        "at": 0,
    }


def test_an_update_with_its_event_of_a_missing_row_fails_and_writes_no_event(orders):
    _, _, (order, _) = orders
    ghost = Order(pk=987654321, status="PENDING")
    with pytest.raises(DatabaseError):
        row_update_then_insert(ghost, ["status"], OrderEvent(order=order, source="worker", to_status="X"))
    assert not OrderEvent.objects.filter(to_status="X").exists()


def test_rows_update_where_writes_what_the_orms_update_writes(orders):
    log, account, _ = orders
    other = WebhookLog.objects.create(strategy=log.strategy, owner=log.owner, action="trading_signal")
    mine, orms = _job(log, account, attempts=2), _job(other, account, attempts=2)
    now = timezone.now()
    values = {
        "state": "failed",
        "error": "E: x",
        "result": {"cancelled": 1, "details": [{"a": "b"}]},
        "finished_at": now,
        "lease_until": None,
        "sent_at": now - timedelta(seconds=1),
        "exchange_answered_at": None,
    }
    assert rows_update_where(AccountJob, values, {"id": mine.pk, "attempts": 1}) == 0  # not its attempt
    assert AccountJob.objects.get(pk=mine.pk).state == "queued"
    assert rows_update_where(AccountJob, values, {"id": mine.pk, "attempts": 2}) == 1
    assert AccountJob.objects.filter(pk=orms.pk, attempts=2).update(**values) == 1
    same = {"id": 0, "webhook_log_id": 0, "created_at": 0}
    assert (
        _fields(AccountJob.objects.get(pk=mine.pk)) | same
        == _fields(AccountJob.objects.get(pk=orms.pk)) | same
    )
    rows_update_where(AccountJob, {"result": None}, {"id": mine.pk, "attempts": 2})
    AccountJob.objects.filter(pk=orms.pk).update(result=None)
    assert AccountJob.objects.filter(pk=mine.pk, result__isnull=True).exists()
    assert (
        _fields(AccountJob.objects.get(pk=mine.pk)) | same
        == _fields(AccountJob.objects.get(pk=orms.pk)) | same
    )


def test_row_refresh_reads_what_refresh_from_db_reads(orders):
    _, account, (order, _) = orders
    mine, orms = Order.objects.get(pk=order.pk), Order.objects.get(pk=order.pk)
    for copy in (mine, orms):
        assert copy.account == account  # cached relation
    Order.objects.filter(pk=order.pk).update(
        status="FILLED", filled_quantity=Decimal("0.5"), closed_at=timezone.now()
    )
    row_refresh(mine)
    orms.refresh_from_db()
    assert _fields(mine) == _fields(orms) and mine.status == "FILLED"
    assert not Order.account.field.is_cached(mine)  # dropped, as refresh_from_db drops it
    with pytest.raises(Order.DoesNotExist):
        row_refresh(Order(pk=987654321))


def test_applying_fills_moves_the_position_as_the_orm_version_did(orders):
    _, _, (order, other) = orders
    # BTC: a position exists (0.015); ETH: none yet, so it is created.
    for target, filled, average in ((order, "0.010", "60000"), (other, "0.002", "3000")):
        Order.objects.filter(pk=target.pk).update(
            filled_quantity=Decimal(filled), average_price=Decimal(average)
        )
        assert position_apply_fills(order_id=target.pk) == Decimal(filled)
        assert position_apply_fills(order_id=target.pk) == 0  # each fill counted once
    btc = Position.objects.get(symbol="BTC/USDT:USDT")
    assert btc.quantity == Decimal("0.025")
    assert btc.entry_price == Decimal("60000")  # the old 0.015 had no entry price: this one's
    eth = Position.objects.get(symbol="ETH/USDT:USDT")
    assert (eth.quantity, eth.entry_price) == (Decimal("0.002"), Decimal("3000"))
    stored = Order.objects.get(pk=order.pk)
    assert (stored.position_applied_quantity, stored.position_applied_cost) == (
        Decimal("0.010"),
        Decimal("600"),
    )
    Order.objects.filter(pk=order.pk).update(filled_quantity=Decimal("0.020"), average_price=Decimal("61000"))
    assert position_apply_fills(order_id=order.pk) == Decimal("0.010")  # the increment only
    btc.refresh_from_db()
    # The increment's own price: (0.020 × 61000 − 600) / 0.010 = 62000.
    assert btc.quantity == Decimal("0.035")
    entry = (Decimal("0.025") * 60000 + Decimal("0.010") * 62000) / Decimal("0.035")
    assert abs(btc.entry_price - entry) < Decimal("1e-6")  # SQLite keeps decimals as REAL
    assert btc.updated_at > stored.updated_at - timedelta(seconds=1)
