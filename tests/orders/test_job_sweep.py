from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.exchange.types import ExchangeUnavailable
from orders.jobs import job_run, jobs_sweep
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


class _WorkerKilled(BaseException):
    """SIGKILL as the job sees it: it stops, and nothing runs after."""


def _killed_after_its_create(fake_exchange, job) -> None:
    """Run the job until its create has reached the exchange, then kill it: no write follows."""
    client_type = type(fake_exchange.client(job.account))
    original = client_type.create_order

    def create_then_die(self, request):
        original(self, request)
        raise _WorkerKilled()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(client_type, "create_order", create_then_die)
        with pytest.raises(_WorkerKilled):
            job_run(job_id=job.pk)


def _exhausted(settings) -> None:
    AccountJob.objects.update(
        state="running", attempts=settings.JOB_MAX_ATTEMPTS, lease_until=timezone.now() - timedelta(seconds=1)
    )


def test_a_closed_jobs_order_that_reached_the_exchange_unrecorded_is_found_not_expired(
    trader, fake_exchange, sync_tasks, post, lost_by_broker, settings
):
    post(guide_example("single_market_buy", trader.token))
    _killed_after_its_create(fake_exchange, AccountJob.objects.get())
    assert Order.objects.get().submitted_at is None  # nothing is written before a create
    _exhausted(settings)
    assert jobs_sweep()["closed"] == 1
    order = Order.objects.get()
    assert order.status == "FILLED" and order.exchange_order_id  # looked up by client order id
    assert len(fake_exchange.placed()) == 1


def test_a_closed_jobs_order_whose_look_up_fails_stays_processing_for_the_order_sweeper(
    trader, fake_exchange, sync_tasks, post, lost_by_broker, settings
):
    post(guide_example("single_market_buy", trader.token))
    _killed_after_its_create(fake_exchange, AccountJob.objects.get())
    _exhausted(settings)
    fake_exchange.fail("find_order", ExchangeUnavailable("RequestTimeout: no answer"))
    assert jobs_sweep()["closed"] == 1
    assert Order.objects.get().status == "PROCESSING"  # never EXPIRED while it may exist
    assert len(fake_exchange.placed()) == 1
