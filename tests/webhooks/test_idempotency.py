import threading

from django.db import connection

from orders.models import Order
from tests.guide import guide_example
from webhooks.models import WebhookLog


def test_a_repeated_signal_id_executes_nothing_and_names_the_first_log(
    trader, fake_exchange, sync_tasks, post
):
    payload = {**guide_example("single_market_buy", trader.token), "signal_id": "tv-alert-1"}
    first = post(payload)
    second = post(payload)
    assert first.status_code == second.status_code == 200
    body = second.json()
    assert body["duplicate"] is True
    first_log = WebhookLog.objects.get(status="success")
    assert body["log_id"] == first_log.pk
    assert len(fake_exchange.placed()) == 1 and Order.objects.count() == 1
    assert WebhookLog.objects.filter(status="duplicate", duplicate_of=first_log).count() == 1


def test_the_same_signal_id_on_another_strategy_executes(trader, fake_exchange, sync_tasks, post):
    payload = {**guide_example("single_market_buy", trader.token), "signal_id": "same"}
    post(payload)
    response = post({**payload, "group_name": "test1"})
    assert "duplicate" not in response.json()
    assert len(fake_exchange.placed()) == 2


def test_a_rejected_signal_does_not_claim_its_signal_id(trader, fake_exchange, sync_tasks, post):
    payload = {**guide_example("single_market_buy", trader.token), "signal_id": "retry-me"}
    assert post({**payload, "market_type": "SPOT"}).status_code == 400
    assert post(payload).status_code == 200
    assert len(fake_exchange.placed()) == 1


def test_concurrent_duplicates_execute_once(trader, fake_exchange, sync_tasks, client):
    import json

    payload = json.dumps({**guide_example("single_market_buy", trader.token), "signal_id": "race"})
    statuses, barrier = [], threading.Barrier(4)

    def send():
        from django.test import Client

        barrier.wait()
        statuses.append(Client().post("/api/webhook", data=payload, content_type="application/json").json())
        connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(statuses) == 4
    assert sum(1 for body in statuses if body.get("duplicate")) == 3
    assert len(fake_exchange.placed()) == 1
    assert Order.objects.count() == 1
    assert WebhookLog.objects.count() == 4
