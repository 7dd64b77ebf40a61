"""Telling a waiting webhook request that its account jobs finished, so it need not poll.

With Redis (the production broker) a finished job pushes a notice onto a short-lived list named
after its webhook log, and the request blocks on that list. The database stays the truth: the
request reads the jobs after the notices, and after every CHECK_SECONDS without one: a lost
notice costs at most that long, never a wrong answer, and a request whose jobs wait behind others
(a busy machine) does not add reads to the backlog it waits behind. Without Redis (the embedded
default, the ORM broker) waiters poll the database.
"""

import logging
import os

import redis
from django.conf import settings
from django_q.brokers import get_broker
from django_q.brokers.redis_broker import Redis as RedisBroker
from django_q.conf import Conf

logger = logging.getLogger(__name__)

# The silence after which the database is read: the longest a lost notice can delay an answer.
# Not shorter: a request whose jobs wait behind a backlog would read the database while it waits,
# and those reads (web and PostgreSQL CPU) deepen the backlog they wait behind (measured at 100
# signals/s: README "Benchmarks").
CHECK_SECONDS = 1.0
KEEP_SECONDS = 120  # an unread list expires: nobody waits longer than the response deadline

_brokers: dict[int, object] = {}


def broker():
    """This process's django-q2 broker, built once: get_broker() opens a new Redis connection
    pool per call, a TCP connect on every webhook. Kept per pid: a forked worker must not share
    its parent's socket."""
    pid = os.getpid()
    if pid not in _brokers:
        _brokers.clear()
        _brokers[pid] = get_broker()
    return _brokers[pid]


def available() -> bool:
    return not Conf.SYNC and isinstance(broker(), RedisBroker)


def _key(log_id: int) -> str:
    return f"{settings.Q_CLUSTER['name']}:finished:{log_id}"


def job_finished_notify(*, log_id: int | None, job_id: int) -> None:
    """A best-effort notice (the waiter also reads the database): never fails the job."""
    if log_id is None or not available():
        return
    try:
        pipe = broker().connection.pipeline(transaction=False)
        pipe.rpush(_key(log_id), job_id)
        pipe.expire(_key(log_id), KEEP_SECONDS)
        pipe.execute()
    except redis.RedisError as error:  # Redis away: the waiter finds the job in the database
        logger.warning("job %s: finished notice not sent: %s", job_id, error)


def notice_wait(*, log_id: int, timeout: float) -> bool:
    """Block until a notice for the log arrives (True) or `timeout` seconds pass (False)."""
    try:
        return broker().connection.blpop([_key(log_id)], timeout=max(timeout, 0.001)) is not None
    except redis.RedisError as error:  # Redis away: the caller reads the database after the timeout
        logger.warning("log %s: waiting for notices failed: %s", log_id, error)
        return False


def notices_forget(*, log_id: int) -> None:
    try:
        broker().connection.delete(_key(log_id))
    except redis.RedisError:  # the list expires on its own
        logger.debug("log %s: notices not deleted", log_id)
