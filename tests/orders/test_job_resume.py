"""A job interrupted mid-batch (its worker killed) resumes: what it sent is looked up by client
order id, never re-sent; what it had not sent is sent, or expires past the stale-signal guard."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from orders.jobs import job_run, jobs_sweep
from orders.leases import job_claim, job_lease_renew
from orders.models import AccountJob, Order
from orders.sync import orders_sync
from tests.guide import guide_example
from webhooks.models import WebhookLog


class WorkerKilled(BaseException):
    """What SIGKILL does to a job, as far as the job can tell: it stops, and nothing runs after."""


@pytest.fixture
def lost_by_broker(monkeypatch, settings):
    settings.WEBHOOK_RESPONSE_DEADLINE = 0.2
    monkeypatch.setattr("orders.services._enqueue_on_commit", lambda jobs, log_id: None)


def _lapse():
    AccountJob.objects.update(lease_until=timezone.now() - timedelta(seconds=1))


def test_a_batch_killed_after_its_second_send_resumes_without_sending_anything_twice(
    trader, fake_exchange, sync_tasks, post, lost_by_broker
):
    post(guide_example("batch_limit", trader.token))
    job = AccountJob.objects.get()
    # The second create reaches the exchange, then the worker dies before recording the answer.
    calls = {"n": 0}
    original = type(fake_exchange.client(job.account)).create_order

    def create_then_die(self, request):
        state = original(self, request)
        calls["n"] += 1
        if calls["n"] == 2:
            raise WorkerKilled()
        return state

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(type(fake_exchange.client(job.account)), "create_order", create_then_die)
        with pytest.raises(WorkerKilled):
            job_run(job_id=job.pk)
    orders = list(Order.objects.order_by("order_index"))
    assert [o.status for o in orders] == ["PENDING", "PROCESSING", "PROCESSING"]
    # Nothing is written between a decision and its create (lifecycle.order_stage): the order
    # that left and the one that did not look alike, so the resume must look both up.
    assert orders[1].submitted_at is None and orders[2].submitted_at is None
    assert len(fake_exchange.placed()) == 2

    assert jobs_sweep()["resumed"] == 0  # the lease has not lapsed: the worker may be alive
    _lapse()
    assert jobs_sweep()["resumed"] == 1
    orders = list(Order.objects.order_by("order_index"))
    assert [o.status for o in orders] == ["PENDING", "PENDING", "PENDING"]
    assert len(fake_exchange.placed()) == 3  # each order at the exchange exactly once
    assert sorted(o.request.client_order_id for o in fake_exchange.placed()) == sorted(
        o.client_order_id for o in orders
    )
    assert orders[1].events.filter(detail="resumed: found by client order id").exists()
    assert AccountJob.objects.get().state == "done"
    assert WebhookLog.objects.get().status == "success"


def test_a_market_order_not_sent_within_the_guard_expires_and_reaches_no_exchange(
    trader, fake_exchange, sync_tasks, post, lost_by_broker
):
    post(guide_example("single_market_buy", trader.token))
    AccountJob.objects.update(send_by=timezone.now() - timedelta(seconds=1))
    job_run(job_id=AccountJob.objects.get().pk)
    order = Order.objects.get()
    assert order.status == "EXPIRED"
    assert "max_delay" in order.error
    assert fake_exchange.placed() == []
    jobs_sweep()
    assert WebhookLog.objects.get().status == "failed"


def test_a_resumed_order_already_sent_is_adopted_even_past_the_guard(
    trader, fake_exchange, sync_tasks, post, lost_by_broker
):
    post(guide_example("single_market_buy", trader.token))
    job = AccountJob.objects.get()
    original = type(fake_exchange.client(job.account)).create_order

    def create_then_die(self, request):
        original(self, request)
        raise WorkerKilled()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(type(fake_exchange.client(job.account)), "create_order", create_then_die)
        with pytest.raises(WorkerKilled):
            job_run(job_id=job.pk)
    AccountJob.objects.update(send_by=timezone.now() - timedelta(seconds=1))
    _lapse()
    jobs_sweep()
    order = Order.objects.get()
    assert order.status == "FILLED"  # it was sent: found by its client id, not expired
    assert len(fake_exchange.placed()) == 1


def test_the_guard_limit_comes_from_the_signal_then_the_strategy_then_the_order_type(
    trader, fake_exchange, sync_tasks, post, lost_by_broker
):
    def limit_of(payload):
        post(payload)
        job = AccountJob.objects.order_by("-id").first()
        log = job.webhook_log
        return None if job.send_by is None else (job.send_by - log.received_at).total_seconds()

    market = guide_example("single_market_buy", trader.token)
    assert limit_of(market) == 30
    assert limit_of(guide_example("single_limit_sell", trader.token)) == 300
    assert limit_of({**market, "max_delay": 5}) == 5
    assert limit_of({**market, "maxDelay": "2.5"}) == 2.5
    strategy = trader.strategies["my_strategy"]
    strategy.signal_max_delay = 0  # this strategy: no guard
    strategy.save()
    assert limit_of(market) is None
    strategy.signal_max_delay = 90
    strategy.save()
    assert limit_of(market) == 90
    assert limit_of({**market, "max_delay": 7}) == 7


@pytest.mark.parametrize("value", ["soon", 0, -3, 86401, True])
def test_a_malformed_max_delay_is_refused_with_the_field_error(trader, post, value):
    response = post({**guide_example("single_market_buy", trader.token), "max_delay": value})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_field" and "max_delay" in body["error"]


def test_only_one_claimant_holds_a_job_and_a_lapsed_lease_moves_to_the_next(
    trader, sync_tasks, post, lost_by_broker
):
    post(guide_example("single_market_buy", trader.token))
    job_id = AccountJob.objects.get().pk
    assert job_claim(job_id=job_id).attempts == 1
    assert job_claim(job_id=job_id) is None  # held, lease live
    assert job_lease_renew(job_id=job_id, attempt=1)
    _lapse()
    assert job_claim(job_id=job_id).attempts == 2
    assert not job_lease_renew(job_id=job_id, attempt=1)  # the first worker learns it lost the job


def test_a_database_failure_leaves_the_job_running_for_the_sweeper_to_resume(
    trader, fake_exchange, sync_tasks, post, lost_by_broker, monkeypatch
):
    post(guide_example("single_market_buy", trader.token))
    job = AccountJob.objects.get()

    def database_gone(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    with monkeypatch.context() as patch:
        patch.setattr("orders.jobs.account_orders_execute", database_gone)
        with pytest.raises(OperationalError):
            job_run(job_id=job.pk)
    assert AccountJob.objects.get().state == "running"
    _lapse()
    assert jobs_sweep()["resumed"] == 1
    assert Order.objects.get().status == "FILLED"


def test_the_order_sweeper_leaves_a_live_jobs_orders_alone_and_never_rejects_an_unsent_one(
    trader, fake_exchange, sync_tasks, post, lost_by_broker
):
    post(guide_example("single_market_buy", trader.token))
    Order.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    AccountJob.objects.update(state="running", lease_until=timezone.now() + timedelta(seconds=10))
    assert orders_sync().checked == 0  # its job still owns it
    AccountJob.objects.update(state="failed")
    assert orders_sync().checked == 1
    order = Order.objects.get()
    assert order.status == "EXPIRED" and order.error


def test_a_worker_that_lost_its_lease_stops_before_its_next_order(
    trader, fake_exchange, sync_tasks, post, lost_by_broker
):
    from orders.execution import account_orders_execute

    post(guide_example("batch_limit", trader.token))
    job = AccountJob.objects.select_related("account").get()
    answers = iter([True, False])  # the lease moves to another worker after the first order
    account_orders_execute(job=job, still_ours=lambda: next(answers))
    assert [o.status for o in Order.objects.order_by("order_index")] == [
        "PENDING",
        "PROCESSING",
        "PROCESSING",
    ]
    assert len(fake_exchange.placed()) == 1


def test_the_lease_keeper_renews_from_its_thread_and_notices_a_takeover(
    trader, post, lost_by_broker, settings
):
    import time

    from orders.leases import LeaseKeeper

    settings.JOB_LEASE_SECONDS = 1
    post(guide_example("single_market_buy", trader.token))
    job_id = AccountJob.objects.get().pk
    assert job_claim(job_id=job_id).attempts == 1
    first_lease = AccountJob.objects.get().lease_until

    def waited_for(condition) -> bool:
        for _ in range(100):  # a liveness wait, not a timing bound: the thread renews every 1/3 s
            if condition():
                return True
            time.sleep(0.1)
        return False

    with LeaseKeeper(job_id=job_id, attempt=1) as keeper:
        assert waited_for(lambda: AccountJob.objects.get().lease_until > first_lease)
        assert keeper.still_ours()
        AccountJob.objects.update(attempts=2)  # another worker claimed it after a lapse
        assert waited_for(lambda: keeper.lost)
        assert not keeper.still_ours()
