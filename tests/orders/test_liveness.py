from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from orders.liveness import cluster_health
from orders.models import AccountJob
from tests.guide import guide_example


def test_a_cluster_that_answers_the_probe_with_no_backlog_is_healthy(transactional_db, sync_tasks, capsys):
    health = cluster_health(timeout=5)
    assert health.healthy and health.worker_pid and health.oldest_queued_seconds == 0
    call_command("cluster_health", timeout=5, probes=3)
    assert "cluster healthy" in capsys.readouterr().out


@pytest.fixture
def queued_long_ago(trader, sync_tasks, post, monkeypatch, settings):
    settings.WEBHOOK_RESPONSE_DEADLINE = 0.2
    monkeypatch.setattr("orders.services._enqueue_on_commit", lambda jobs, log_id: None)
    post(guide_example("single_market_buy", trader.token))
    AccountJob.objects.update(created_at=timezone.now() - timedelta(seconds=90))


def test_a_job_the_broker_lost_is_handed_to_the_cluster_again_by_the_check(queued_long_ago, fake_exchange):
    health = cluster_health(timeout=5, max_queued=60)
    assert health.healthy and health.oldest_queued_seconds == 0
    assert AccountJob.objects.get().state == "done" and len(fake_exchange.placed()) == 1


def test_a_job_that_stays_queued_makes_the_check_fail_with_a_nonzero_exit(queued_long_ago, monkeypatch):
    monkeypatch.setattr("orders.jobs.async_task", lambda *args, **kwargs: None)  # lost again
    health = cluster_health(timeout=0.5, max_queued=60)
    assert health.probe_seconds is not None and not health.healthy
    assert health.oldest_queued_seconds >= 90
    with pytest.raises(CommandError) as raised:
        call_command("cluster_health", timeout=0.5, max_queued=60)
    assert raised.value.returncode == 1 and "NOT taking work" in str(raised.value)
