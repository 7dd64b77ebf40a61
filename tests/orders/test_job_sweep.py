from datetime import timedelta

from django.utils import timezone

from orders.jobs import jobs_sweep
from orders.models import AccountJob, Order
from tests.guide import guide_example
from webhooks.finalize import logs_finalize_pending
from webhooks.models import WebhookLog


def _age(jobs, seconds):
    jobs.update(created_at=timezone.now() - timedelta(seconds=seconds))


def test_a_job_the_broker_lost_is_enqueued_again_and_runs_once(
    trader, fake_exchange, sync_tasks, post, monkeypatch
):
    monkeypatch.setattr(
        "orders.services._enqueue_on_commit", lambda jobs, log_id: None
    )  # the broker loses it
    response = post(guide_example("single_market_buy", trader.token))
    assert response.status_code == 202 and fake_exchange.placed() == []
    _age(AccountJob.objects.all(), 60)
    assert jobs_sweep() == {"closed": 0, "requeued": 1}
    assert logs_finalize_pending() == 1
    assert len(fake_exchange.placed()) == 1
    assert Order.objects.get().status == "FILLED"
    assert WebhookLog.objects.get().status == "success"
    assert jobs_sweep() == {"closed": 0, "requeued": 0}  # a second pass does nothing
    assert logs_finalize_pending() == 0


def test_a_job_left_running_by_a_dead_worker_is_closed_and_its_log_finished(
    trader, fake_exchange, sync_tasks, post, monkeypatch
):
    monkeypatch.setattr("orders.services._enqueue_on_commit", lambda jobs, log_id: None)
    post(guide_example("single_market_buy", trader.token))
    AccountJob.objects.update(state="running")
    _age(AccountJob.objects.all(), 3600)
    assert jobs_sweep() == {"closed": 1, "requeued": 0}
    assert logs_finalize_pending() == 1
    job = AccountJob.objects.get()
    assert job.state == "failed" and job.error
    assert fake_exchange.placed() == []
    assert Order.objects.get().status == "PROCESSING"  # the order sweeper settles it by client id
    assert WebhookLog.objects.get().status == "failed"
