"""The Redis broker (tradingsite/broker.py) hands everything waiting to django-q2's pusher in one
round trip, and still blocks for, and hands over, a lone task."""

import time
import uuid

import pytest
from django.conf import settings
from django_q.brokers import get_broker
from django_q.conf import Conf

from tradingsite.broker import BatchingRedis

pytestmark = pytest.mark.skipif(not settings.Q_CLUSTER.get("redis"), reason="the broker is Redis's")


@pytest.fixture
def broker():
    broker = BatchingRedis(list_key=f"test-broker-{uuid.uuid4().hex[:8]}")
    yield broker
    broker.delete_queue()


def test_it_is_the_configured_broker():
    assert isinstance(get_broker(), BatchingRedis)


def test_what_is_waiting_comes_in_one_dequeue_in_order_up_to_the_clusters_workers(broker, monkeypatch):
    workers = Conf.WORKERS
    names = [f"task-{n}".encode() for n in range(workers + 2)]
    for name in names:
        broker.enqueue(name)
    calls = []
    real = broker.connection.execute_command

    def counted(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(broker.connection, "execute_command", counted)
    first, rest = broker.dequeue(), broker.dequeue()
    assert [task for _, task in first] == names[:workers]  # one round trip for a worker each
    assert [task for _, task in rest] == names[workers:]  # the rest for the next (or another cluster)
    assert calls == ["LPOP", "LPOP"]
    assert broker.queue_size() == 0


def test_an_empty_queue_blocks_then_answers_nothing_or_the_task_that_came(broker):
    started = time.monotonic()
    assert broker.dequeue() is None
    assert time.monotonic() - started >= 0.9  # BLPOP's one second
    broker.enqueue("late")
    assert broker.dequeue() == [(None, b"late")]
