"""Django's PostgreSQL backend with a health check that costs a round trip only when needed.

With CONN_HEALTH_CHECKS, Django asks `SELECT 1` before the first query of every request and of
every django-q2 task, so that a connection the server closed meanwhile (a restart, an idle
timeout, pg_terminate_backend) is replaced instead of failing that first query. On this machine
that round trip is ~0.25 ms on the way from a webhook to its order, twice (web and worker).

A server that closes a connection says so on its socket (FIN or an error message), which
then polls readable; a healthy idle connection has nothing to read. So: poll the socket without
waiting, and only when it has something to say, ask `SELECT 1` as Django does.
"""

import re
import select
from functools import lru_cache

import psycopg
from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.utils.asyncio import async_unsafe
from psycopg.pq import Format

# A placeholder or an escaped percent sign, as psycopg reads them in a query with parameters.
_PERCENT = re.compile(r"%(.)", re.DOTALL)


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and not self.pool
            and _quiet(self.connection)
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    @async_unsafe
    def prepared_cursor(self):
        """A cursor like cursor() (same wrappers, errors and time zone) whose statements are bound
        on the server, so that psycopg prepares each one once it has run OPTIONS["prepare_threshold"]
        times on this connection (tradingsite/statements.py). Django's own cursors bind on the
        client and never prepare."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            cursor = NumberedCursor(self.connection)
            # As Django's create_cursor(): the time zone only where the connection's differs.
            loader = self.connection.adapters.get_loader(base.TIMESTAMPTZ_OID, Format.TEXT)
            if self.timezone != loader.timezone:
                register_tzloader(self.timezone, cursor)
            return self._prepare_cursor(cursor)


class NumberedCursor(base.CursorMixin, psycopg.RawCursor):
    """Django's server-binding cursor, but the statement goes to psycopg with PostgreSQL's own
    `$1, $2, …` placeholders, translated from our `%s` once per statement text. psycopg otherwise
    parses every statement's text for its placeholders on every run, and keeps that parse only
    for statements of at most 50 parameters: the webhook's one-statement write has 71 for one
    order (~0.1–0.3 ms of regex work on every signal, README "Benchmarks")."""

    def execute(self, query, params=None, **kwargs):
        return super().execute(numbered(query, params), params, **kwargs)

    def executemany(self, query, params_seq, **kwargs):
        params_seq = list(params_seq)
        first = params_seq[0] if params_seq else None
        return super().executemany(numbered(query, first), params_seq, **kwargs)


def numbered(query: str, params) -> str:
    """`query` with each `%s` as `$n` and `%%` as `%`, as psycopg's own cursor reads it; without
    parameters (None) a query is sent as it is, as psycopg does too."""
    if params is None or not isinstance(query, str):
        return query
    return _numbered(query)


@lru_cache(maxsize=512)  # the hot path's statements: a few texts per shape of signal
def _numbered(query: str) -> str:
    count = 0

    def replace(match: re.Match) -> str:
        nonlocal count
        if match.group(1) == "%":
            return "%"
        if match.group(1) != "s":
            raise ValueError(f"only %s placeholders are supported here, not %{match.group(1)}")
        count += 1
        return f"${count}"

    return _PERCENT.sub(replace, query)


def _quiet(connection) -> bool:
    """True when the connection is open and the server has sent nothing since our last answer."""
    try:
        if connection.closed or connection.broken:
            return False
        readable, _, errored = select.select([connection.fileno()], [], [connection.fileno()], 0)
    except (OSError, ValueError):
        return False
    return not readable and not errored
