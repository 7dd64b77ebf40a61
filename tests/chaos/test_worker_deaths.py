"""Worker deaths: the whole cluster killed mid-batch, and one idle worker killed."""

import os
import signal
import threading
import time

import pytest

from orders.models import AccountJob, Order
from tests.chaos.harness import (
    Supervisor,
    blocked_in_read,
    figure,
    signal_body,
    trader_on_three_exchanges,
    wait_until,
)
from webhooks.models import WebhookLog

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]

LEGS = 20
SIGNALS = 4  # sent while one idle worker is dead, two orders each
EXCHANGES = ("BINANCE", "BYBIT", "OKX")


def _batch(token: str, signal_id: str, exchange: str, price_from=80000, legs=LEGS) -> dict:
    legs = [{"price": price_from - 100 * i, "qty_per": 5} for i in range(legs)]
    return signal_body(token, exchange, signal_id, orders=legs)


def _at_simulator(sim, keys) -> list[dict]:
    return [order for key in keys for order in sim.orders(api_key=key)]


def test_sigkill_of_the_whole_cluster_mid_batch_then_a_restart_places_every_order_exactly_once(
    chaos_stack, sim
):
    stack = chaos_stack(WEBHOOK_RESPONSE_DEADLINE=0.5)
    trader = trader_on_three_exchanges(sim)
    keys = [key for _, key in trader.accounts]
    for key in keys:  # every private request of these accounts takes 300 ms more
        sim.faults(api_key=key, latency_ms=300)
    try:
        answers = []
        posts = [
            threading.Thread(
                target=lambda e=exchange: answers.append(
                    stack.post(_batch(trader.token, f"chaos-kill-{e}", e))
                )
            )
            for exchange in EXCHANGES
        ]
        for post in posts:
            post.start()
        for post in posts:
            post.join()
        assert [a.status_code for a in answers] == [202] * 3, [a.text for a in answers]
        wait_until(lambda: len(_at_simulator(sim, keys)) >= 9, timeout=30, step=0.05)
        stack.kill_cluster()
        placed_before = len(_at_simulator(sim, keys))
        assert placed_before < 3 * LEGS, "the batch finished before the kill: nothing was interrupted"
        time.sleep(3)
        stack.start_cluster()
        restarted = time.monotonic()

        def finished():
            logs = list(WebhookLog.objects.filter(signal_id__startswith="chaos-kill-"))
            done = not Order.objects.filter(webhook_log__in=logs, status="PROCESSING").exists()
            return all(log.status != "received" for log in logs) and done and logs

        logs, _ = wait_until(finished, timeout=90)
        recovered = time.monotonic() - restarted
    finally:
        for key in keys:
            sim.faults(api_key=key, latency_ms=0)
    at_sim = _at_simulator(sim, keys)
    ids = [order["client_order_id"] for order in at_sim]
    duplicated = len(ids) - len(set(ids))
    figure(
        "SIGKILL all qcluster processes mid-batch",
        expected=3 * LEGS,
        placed_before_kill=placed_before,
        placed=len(set(ids)),
        duplicated=duplicated,
        seconds_to_recover=recovered,
    )
    assert logs and len(logs) == 3, "the logs never became final:\n" + stack.logs()
    orders = list(Order.objects.filter(webhook_log__in=logs))
    assert len(orders) == 3 * LEGS
    assert sorted(ids) == sorted(o.client_order_id for o in orders)  # each exactly once
    assert duplicated == 0
    assert {o.status for o in orders} == {"PENDING"}, {o.status for o in orders}
    assert {log.status for log in logs} == {"success"}
    assert AccountJob.objects.filter(webhook_log__in=logs, attempts__gte=2).exists()  # resumed
    assert recovered <= 60, stack.logs()


def test_sigkill_of_one_idle_worker_signals_keep_executing(chaos_stack, sim):
    every = 10  # the supervisor's period (README: the systemd timer's OnUnitActiveSec)
    stack = chaos_stack(Q_WORKERS=2, LIVENESS_PROBE_TIMEOUT=5)
    trader = trader_on_three_exchanges(sim)
    keys = [key for _, key in trader.accounts]
    assert stack.health().returncode == 0
    workers = stack.worker_pids()
    assert len(workers) == 2
    holder, _ = wait_until(lambda: next((p for p in workers if blocked_in_read(p)), None), timeout=10)
    victim = holder or workers[0]
    with Supervisor(stack, every=every) as supervisor:
        os.kill(victim, signal.SIGKILL)
        killed = time.monotonic()
        signals = []
        for index in range(SIGNALS):  # a signal every 4 s while the cluster recovers
            body = _batch(trader.token, f"chaos-idle-{index}", EXCHANGES[index % 3], price_from=79000, legs=2)
            signals.append((time.monotonic(), stack.post(body).status_code))
            time.sleep(4)

        seen = []

        def all_placed():
            at_sim = len(_at_simulator(sim, keys))
            processing = Order.objects.filter(
                webhook_log__signal_id__startswith="chaos-idle-", status="PROCESSING"
            ).count()
            seen.append((round(time.monotonic() - killed), at_sim, processing))
            return at_sim >= SIGNALS * 2 and processing == 0

        done, _ = wait_until(all_placed, timeout=every + 60 + 4 * SIGNALS)
        recovered = time.monotonic() - killed
    ids = [order["client_order_id"] for order in _at_simulator(sim, keys)]
    figure(
        "SIGKILL of one idle worker",
        lock_holder_killed=holder is not None,
        health_check_failures=supervisor.failures,
        cluster_restarts=len(supervisor.restarts),
        expected=SIGNALS * 2,
        placed=len(set(ids)),
        duplicated=len(ids) - len(set(ids)),
        seconds_until_all_executed=recovered,
    )
    assert all(code in (200, 202) for _, code in signals), signals
    states = list(
        Order.objects.filter(webhook_log__signal_id__startswith="chaos-idle-").values_list(
            "client_order_id", "status", "error"
        )
    )
    processing = [state for state in states if state[1] != "PENDING"]
    assert done, (seen[-5:], processing, stack.logs()[-2000:])
    assert len(ids) == len(set(ids)) == SIGNALS * 2
    assert set(
        Order.objects.filter(webhook_log__signal_id__startswith="chaos-idle-").values_list(
            "status", flat=True
        )
    ) == {"PENDING"}
    assert recovered <= every + 60 + 4 * SIGNALS  # the last signal is posted 16 s after the kill
