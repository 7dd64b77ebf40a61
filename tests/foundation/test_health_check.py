"""The PostgreSQL health check (tradingsite/postgres): no round trip for a quiet connection, and
a connection the server closed is still replaced before the first query, as Django's own check
does."""

import time

import psycopg
import pytest
from django.db import connection

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the backend is PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _new_task():
    """What Django does at a request's (and django-q2 at a task's) start."""
    connection.close_if_unusable_or_obsolete()
    assert connection.health_check_done is False


def test_a_quiet_connection_is_not_asked_select_1(settings, monkeypatch):
    assert connection.health_check_enabled, "CONN_HEALTH_CHECKS is on"
    _backend_pid()
    asked = []
    monkeypatch.setattr(connection, "is_usable", lambda: asked.append(1) or True)
    _new_task()
    pid = _backend_pid()
    assert asked == [] and connection.health_check_done
    assert _backend_pid() == pid  # the same connection


def test_a_connection_the_server_closed_is_replaced_before_the_first_query(settings):
    pid = _backend_pid()
    with _other_connection() as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _still_listed(pid):
        time.sleep(0.01)
    _new_task()
    assert _backend_pid() != pid  # replaced, not failed


def _still_listed(pid: int) -> bool:
    with _other_connection() as probe:
        return probe.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone() is not None


def _other_connection():
    params = connection.get_connection_params()
    return psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"}, autocommit=True)
