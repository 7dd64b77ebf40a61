"""Outages around the workers: the broker loses its queue, an exchange is unreachable, a job
waits past the stale-signal guard."""

import time

import pytest

from orders.models import AccountJob, Order
from tests.chaos.harness import figure, redis_client, signal_body, trader_on_three_exchanges, wait_until
from webhooks.models import WebhookLog

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]

EXCHANGES = ("BINANCE", "BYBIT", "OKX")


def _limit(token: str, exchange: str, signal_id: str, price=79000, order_type="LIMIT", **extra) -> dict:
    return signal_body(token, exchange, signal_id, order_type=order_type, price=price, qty_per=2, **extra)


def _placed(sim, trader) -> list[str]:
    return [o["client_order_id"] for _, key in trader.accounts for o in sim.orders(api_key=key)]


def _all_final(prefix: str, count: int):
    logs = list(WebhookLog.objects.filter(signal_id__startswith=prefix, duplicate_of__isnull=True))
    if len(logs) < count or any(log.status == "received" for log in logs):
        return None
    if Order.objects.filter(webhook_log__in=logs, status="PROCESSING").exists():
        return None
    return logs


def test_jobs_queued_when_the_broker_loses_its_queue_are_enqueued_again_and_run_once(chaos_stack, sim):
    stack = chaos_stack(WEBHOOK_RESPONSE_DEADLINE=0.5)
    trader = trader_on_three_exchanges(sim)
    stack.stop_cluster()  # nothing takes the tasks: they wait in Redis
    for index in range(6):
        answer = stack.post(_limit(trader.token, EXCHANGES[index % 3], f"chaos-flush-{index}"))
        assert answer.status_code == 202, answer.text
    broker = redis_client()
    queued = broker.llen(stack.queue_key())
    assert queued == 6
    broker.delete(stack.queue_key())  # "flushed": only this stack's queue (other runs share Redis)
    flushed = time.monotonic()
    stack.start_cluster()
    logs, _ = wait_until(lambda: _all_final("chaos-flush-", 6), timeout=90)
    recovered = time.monotonic() - flushed
    ids = _placed(sim, trader)
    figure(
        "Redis queue flushed with jobs queued",
        lost_tasks=queued,
        expected=6,
        placed=len(set(ids)),
        duplicated=len(ids) - len(set(ids)),
        seconds_to_recover=recovered,
    )
    assert logs, stack.logs()
    assert len(ids) == len(set(ids)) == 6
    assert set(Order.objects.filter(webhook_log__in=logs).values_list("status", flat=True)) == {"PENDING"}
    assert set(AccountJob.objects.filter(webhook_log__in=logs).values_list("attempts", flat=True)) == {1}
    assert {log.status for log in logs} == {"success"}


def test_an_unreachable_exchange_fails_its_accounts_clearly_and_leaves_the_others_untouched(chaos_stack, sim):
    stack = chaos_stack()
    trader = trader_on_three_exchanges(sim)
    sim.faults(exchange="okx", error="5xx", error_rate=1)
    try:
        started = time.monotonic()
        answers = {e: stack.post(_limit(trader.token, e, f"chaos-down-{e}")) for e in EXCHANGES}
        logs, _ = wait_until(lambda: _all_final("chaos-down-", 3), timeout=60)
        settled = time.monotonic() - started
    finally:
        sim.faults(exchange="okx", error_rate=0)
    orders = {
        o.account.exchange: o
        for o in Order.objects.filter(webhook_log__in=logs or []).select_related("account")
    }
    figure(
        "one exchange unreachable (OKX answers 5xx to everything)",
        okx_status=orders["OKX"].status if "OKX" in orders else "?",
        others=",".join(sorted(o.status for e, o in orders.items() if e != "OKX")),
        seconds_until_nothing_processing=settled,
    )
    assert logs, stack.logs()
    assert orders["BINANCE"].status == orders["BYBIT"].status == "PENDING"
    assert answers["BINANCE"].json()["result"]["results"][0]["success"] is True
    okx = orders["OKX"]
    assert okx.status == "REJECTED" and okx.submitted_at is None  # never sent: refused before sending
    assert "okx" in okx.error.lower() and "NotAvailable" in okx.error, okx.error  # says who and what
    assert not [o for o in _placed(sim, trader) if o == okx.client_order_id]
    assert settled <= 60  # the sweeper's period: nothing stays PROCESSING longer


def test_a_market_signal_whose_job_is_delayed_past_the_guard_expires_and_nothing_reaches_the_exchange(
    chaos_stack, sim
):
    stack = chaos_stack(WEBHOOK_RESPONSE_DEADLINE=0.5)
    trader = trader_on_three_exchanges(sim)
    stack.stop_cluster()  # the workers are down: the job waits in the queue
    answer = stack.post(_limit(trader.token, "BINANCE", "chaos-late", order_type="MARKET", max_delay=2))
    assert answer.status_code == 202
    time.sleep(3)
    stack.start_cluster()
    logs, waited = wait_until(lambda: _all_final("chaos-late", 1), timeout=30)
    assert logs, stack.logs()
    order = Order.objects.get(webhook_log=logs[0])
    figure(
        "MARKET signal delayed past its guard (max_delay=2 s, workers down 3 s)",
        status=order.status,
        at_exchange=len(_placed(sim, trader)),
    )
    assert order.status == "EXPIRED" and "max_delay" in order.error
    assert _placed(sim, trader) == []
    assert logs[0].status == "failed"
