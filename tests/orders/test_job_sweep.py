from datetime import timedelta

import pytest
from django.utils import timezone

from orders.jobs import jobs_sweep
from orders.models import AccountJob, Order
from tests.guide import guide_example
from webhooks.models import WebhookLog


@pytest.fixture
def lost_by_broker(monkeypatch, settings):
    """The webhook's jobs never reach a worker; the webhook answers 202 at once."""
    settings.WEBHOOK_RESPONSE_DEADLINE = 0.2
    monkeypatch.setattr("orders.services._enqueue_on_commit", lambda jobs, log_id: None)


def _age(jobs, seconds):
    jobs.update(created_at=timezone.now() - timedelta(seconds=seconds))


def test_a_job_the_broker_lost_is_enqueued_again_and_runs_once(
    trader, fake_exchange, sync_tasks, post, lost_by_broker, settings
):
    settings.JOB_REQUEUE_AFTER_SECONDS = 10
    response = post(guide_example("single_market_buy", trader.token))
    assert response.status_code == 202 and fake_exchange.placed() == []
    _age(AccountJob.objects.all(), 20)  # lost, but still within the stale-signal guard
    # The re-run job closes its log itself: the webhook has answered (202) already.
    assert jobs_sweep() == {"resumed": 0, "requeued": 1, "closed": 0}
    assert len(fake_exchange.placed()) == 1
    assert Order.objects.get().status == "FILLED"
    assert WebhookLog.objects.get().status == "success"
    assert jobs_sweep() == {"resumed": 0, "requeued": 0, "closed": 0}  # nothing more


def test_a_job_whose_worker_died_is_resumed_not_failed(
    trader, fake_exchange, sync_tasks, post, lost_by_broker
):
    post(guide_example("single_market_buy", trader.token))
    AccountJob.objects.update(
        state="running",
        attempts=1,
        started_at=timezone.now(),
        lease_until=timezone.now() - timedelta(seconds=1),
    )
    assert jobs_sweep() == {"resumed": 1, "requeued": 0, "closed": 0}
    job = AccountJob.objects.get()
    assert (job.state, job.attempts, job.error) == ("done", 2, "")
    assert len(fake_exchange.placed()) == 1
    assert WebhookLog.objects.get().status == "success"


def test_a_job_running_with_a_live_lease_is_left_to_its_worker(
    trader, fake_exchange, sync_tasks, post, lost_by_broker
):
    post(guide_example("single_market_buy", trader.token))
    AccountJob.objects.update(
        state="running",
        attempts=1,
        started_at=timezone.now(),
        lease_until=timezone.now() + timedelta(seconds=10),
    )
    _age(AccountJob.objects.all(), 3600)
    assert jobs_sweep() == {"resumed": 0, "requeued": 0, "closed": 0}
    assert AccountJob.objects.get().state == "running" and fake_exchange.placed() == []


def test_a_job_that_died_every_attempt_is_closed_and_its_unsent_orders_expire_never_rejected(
    trader, fake_exchange, sync_tasks, post, lost_by_broker, settings
):
    post(guide_example("single_market_buy", trader.token))
    AccountJob.objects.update(
        state="running",
        attempts=settings.JOB_MAX_ATTEMPTS,
        started_at=timezone.now(),
        lease_until=timezone.now() - timedelta(seconds=1),
    )
    assert jobs_sweep() == {"resumed": 0, "requeued": 0, "closed": 1}
    job = AccountJob.objects.get()
    assert job.state == "failed" and "3" in job.error
    order = Order.objects.get()
    assert order.status == "EXPIRED" and order.error == job.error
    assert fake_exchange.placed() == []
    assert WebhookLog.objects.get().status == "failed"
