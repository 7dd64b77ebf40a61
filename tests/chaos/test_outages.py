"""Outages around the workers: the broker loses its queue, an exchange is unreachable, a job
waits past the stale-signal guard, the database goes away while signals arrive (last: it is
the one that touches a server other test runs share)."""

import threading
import time
import uuid

import psycopg
import pytest
import requests
from django.db import connection

from orders.models import AccountJob, Order
from tests.chaos.harness import figure, redis_client, trader_on_three_exchanges, wait_until
from webhooks.models import WebhookLog

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]

EXCHANGES = ("BINANCE", "BYBIT", "OKX")


def _limit(token: str, exchange: str, signal_id: str, price=79000, order_type="LIMIT", **extra) -> dict:
    body = {
        "group_name": "test1",
        "token": token,
        "exchange": exchange,
        "market_type": "FUTURES",
        "currency": "USDT",
        "symbol": "BTCUSDT",
        "order_type": order_type,
        "side": "buy",
        "qty_per": 2,
        "signal_id": signal_id,
        **extra,
    }
    if order_type == "LIMIT":
        body["price"] = price
    return body


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


def _database_outage(seconds: float) -> None:
    """The test database refuses connections and loses the ones it had, for `seconds`: what a
    PostgreSQL restart does to this stack, without stopping the server other test runs share."""
    name = connection.settings_dict["NAME"]
    admin = dict(connection.settings_dict, NAME="postgres")
    dsn = (
        f"host={admin.get('HOST') or '127.0.0.1'} port={admin.get('PORT') or 5432} "
        f"user={admin.get('USER') or 'postgres'} dbname=postgres"
    )
    if admin.get("PASSWORD"):
        dsn += f" password={admin['PASSWORD']}"
    with psycopg.connect(dsn, autocommit=True) as pg:
        try:
            pg.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
            pg.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )
            time.sleep(seconds)
        finally:
            pg.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')


def test_the_database_going_away_while_signals_arrive_loses_nothing_recorded_and_a_retry_runs_once(
    chaos_stack, sim
):
    stack = chaos_stack()
    trader = trader_on_three_exchanges(sim)
    run = uuid.uuid4().hex[:6]
    sent: list[tuple[str, str, int | None, dict | None]] = []  # signal_id, exchange, status, body

    def send(index: int):
        signal_id, exchange = f"chaos-db-{run}-{index}", EXCHANGES[index % 3]
        try:
            answer = stack.post(_limit(trader.token, exchange, signal_id, price=78000 - index), timeout=15)
            body = (
                answer.json()
                if answer.headers.get("content-type", "").startswith("application/json")
                else None
            )
            sent.append((signal_id, exchange, answer.status_code, body))
        except requests.RequestException:
            sent.append((signal_id, exchange, None, None))

    senders = []
    outage = threading.Thread(target=lambda: (time.sleep(1.5), _database_outage(3)))
    outage.start()
    for index in range(24):  # a signal every 0.25 s for 6 s; the outage is from 1.5 s to 4.5 s
        senders.append(threading.Thread(target=send, args=(index,)))
        senders[-1].start()
        time.sleep(0.25)
    for thread in senders:
        thread.join()
    outage.join()
    back = time.monotonic()
    connection.close()  # this test's own connection was cut too

    answered = {signal_id: status for signal_id, _, status, _ in sent}
    unrecorded_200 = [
        s
        for s, status in answered.items()
        if status in (200, 202) and not WebhookLog.objects.filter(signal_id=s).exists()
    ]
    failed = [(s, e) for s, e, status, _ in sent if status not in (200, 202)]
    retried = {}
    for signal_id, exchange in failed:  # the sender retries with the same signal_id
        index = int(signal_id.rsplit("-", 1)[1])
        answer = stack.post(_limit(trader.token, exchange, signal_id, price=78000 - index))
        retried[signal_id] = (answer.status_code, answer.json().get("duplicate", False))
    logs, _ = wait_until(lambda: _all_final(f"chaos-db-{run}-", 24), timeout=120)
    recovered = time.monotonic() - back
    ids = _placed(sim, trader)
    figure(
        "database cut off 3 s while 24 signals arrive (connections refused + terminated)",
        answered_ok=sum(1 for status in answered.values() if status in (200, 202)),
        failed_during_outage=len(failed),
        retries_duplicate=sum(1 for _, dup in retried.values() if dup),
        expected=24,
        placed=len(set(ids)),
        duplicated=len(ids) - len(set(ids)),
        seconds_to_recover=recovered,
    )
    assert unrecorded_200 == []  # no 200 for a signal that was not recorded
    assert failed, "the outage did not touch a single signal: it proved nothing"
    assert all(status in (200, 202) for status, _ in retried.values()), retried
    assert logs, stack.logs()
    assert len(ids) == len(set(ids)) == 24  # every signal once, the retried ones included
    assert set(Order.objects.filter(webhook_log__in=logs).values_list("status", flat=True)) == {"PENDING"}
