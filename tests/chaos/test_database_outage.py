"""The database goes away while signals arrive. Run last among the chaos tests (conftest): it is
the one that touches a server other test runs share."""

import threading
import time
import uuid

import psycopg
import pytest
import requests
from django.db import connection

from orders.models import Order
from tests.chaos.harness import figure, trader_on_three_exchanges, wait_until
from tests.chaos.test_outages import EXCHANGES, _all_final, _limit, _placed
from webhooks.models import WebhookLog

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]


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
