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
    call_command("cluster_health", timeout=5)
    assert "cluster healthy" in capsys.readouterr().out


def test_a_job_queued_past_the_limit_makes_the_check_fail_with_a_nonzero_exit(
    trader, sync_tasks, post, monkeypatch, settings
):
    settings.WEBHOOK_RESPONSE_DEADLINE = 0.2
    monkeypatch.setattr("orders.services._enqueue_on_commit", lambda jobs, log_id: None)
    post(guide_example("single_market_buy", trader.token))
    AccountJob.objects.update(created_at=timezone.now() - timedelta(seconds=90))
    health = cluster_health(timeout=5, max_queued=60)
    assert health.probe_seconds is not None and not health.healthy
    assert health.oldest_queued_seconds >= 90
    with pytest.raises(CommandError) as raised:
        call_command("cluster_health", timeout=5, max_queued=60)
    assert raised.value.returncode == 1 and "NOT taking work" in str(raised.value)
