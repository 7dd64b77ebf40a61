"""The hot path's own statements are prepared on PostgreSQL (tradingsite/statements.py): bound on
the server and prepared on their second run on a connection, so that PostgreSQL stops parsing and
planning them on every signal. Django's own queries stay bound on the client; a statement with
more parameters than MAX_PARAMETERS, or DB_PREPARED_STATEMENTS=false, is never prepared."""

import pytest
from django.db import connection

from orders.leases import job_claim
from orders.models import AccountJob
from tests.guide import guide_example
from tradingsite.statements import MAX_PARAMETERS, statement_cursor

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL prepares")


def _prepared(fragment: str) -> list[str]:
    """This connection's prepared statements whose text holds `fragment`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [text for (text,) in cursor.fetchall() if fragment in text]


def _run_twice(sql: str, params: list) -> list:
    answers = []
    for _ in range(2):
        with statement_cursor(params) as cursor:
            cursor.execute(sql, params)
            answers.append(cursor.fetchall())
    return answers


@pytest.fixture
def queued_job(trader, sync_tasks, post, monkeypatch, settings):
    """A signal's job left queued (its enqueue dropped), for the claim to take."""
    settings.WEBHOOK_RESPONSE_DEADLINE = 0.2
    monkeypatch.setattr("orders.services._enqueue_on_commit", lambda jobs, log_id: None)
    post(guide_example("single_market_buy", trader.token))
    return AccountJob.objects.get()


def test_the_claim_is_prepared_on_its_second_run_and_answers_as_the_orm_reads(queued_job):
    claimed = job_claim(job_id=queued_job.pk)  # first run: bound on the server, not yet prepared
    assert job_claim(job_id=queued_job.pk) is None  # second run (held by the first): prepared
    assert _prepared('UPDATE "orders_accountjob" SET state = $1')
    fresh = AccountJob.objects.get(pk=queued_job.pk)
    assert (claimed.state, claimed.attempts, claimed.started_at, claimed.lease_until) == (
        fresh.state,
        fresh.attempts,
        fresh.started_at,
        fresh.lease_until,
    )


@pytest.mark.django_db
def test_a_statement_with_too_many_parameters_is_bound_on_the_client():
    many = list(range(MAX_PARAMETERS + 1))
    answers = _run_twice(f"SELECT cardinality(ARRAY[{', '.join(['%s'] * len(many))}]) /* many */", many)
    assert answers[0] == answers[1] == [(len(many),)]
    assert not _prepared("/* many */")
    _run_twice("SELECT %s, %s /* few */", [1, "a"])
    assert _prepared("/* few */")


@pytest.mark.django_db
def test_nothing_is_prepared_when_turned_off(settings):
    settings.DB_PREPARED_STATEMENTS = False  # a pooler in transaction mode
    assert _run_twice("SELECT %s /* off */", [7]) == [[(7,)], [(7,)]]
    assert not _prepared("/* off */")


@pytest.mark.django_db
def test_djangos_own_queries_stay_bound_on_the_client():
    for _ in range(3):
        AccountJob.objects.filter(pk=-1).exists()
    assert not _prepared("orders_accountjob")


@pytest.mark.django_db
def test_our_placeholders_reach_postgresql_numbered_and_a_percent_sign_stays_one():
    """The cursor sends `$n` (psycopg then never parses the text); `%%` is a literal `%`, as
    psycopg's own cursor reads it, and the answers are what the client-bound cursor gives."""
    sql = "SELECT %s::int + %s::int, 'a%%b' || %s /* numbered */"
    params = [40, 2, "c"]
    assert _run_twice(sql, params) == [[(42, "a%bc")], [(42, "a%bc")]]
    assert _prepared("SELECT $1::int + $2::int, 'a%b' || $3 /* numbered */")
    with connection.cursor() as cursor:  # Django's own cursor reads the text the same way
        cursor.execute(sql, params)
        assert cursor.fetchall() == [(42, "a%bc")]
    with statement_cursor([1]) as cursor:  # executemany's statement is numbered too
        cursor.execute("CREATE TEMPORARY TABLE numbered_sums (total int)")
        cursor.executemany("INSERT INTO numbered_sums VALUES (%s::int + %s::int)", [[1, 2], [3, 4]])
        cursor.execute("SELECT total FROM numbered_sums ORDER BY total")
        assert cursor.fetchall() == [(3,), (7,)]


def test_numbering_refuses_placeholders_it_does_not_translate():
    from tradingsite.postgres.base import numbered

    assert numbered("SELECT 1 %% 2, %s, %s", [1, 2]) == "SELECT 1 % 2, $1, $2"
    assert numbered("SELECT '100%%'", None) == "SELECT '100%%'"  # no parameters: sent as it is
    for text in ("SELECT %(name)s", "SELECT %b"):
        with pytest.raises(ValueError, match="only %s placeholders"):
            numbered(text, [1])
