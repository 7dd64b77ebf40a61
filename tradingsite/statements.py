"""The cursor for the hot path's own statements: prepared on PostgreSQL.

Django's psycopg backend binds parameters on the client and never prepares (a pooler in
transaction mode, such as PgBouncer's, cannot keep prepared statements), so PostgreSQL parses
and plans every statement again. For the few statements that tradingsite/rows.py and its callers
write once per process and run on every signal, planning was most of the round trip: the
webhook's authentication-and-routing read (five tables) took 1.1–1.3 ms bound on the client
against 0.68–0.74 ms prepared, and the worker's claim-and-read shrank likewise (README
"Benchmarks"). Connections are persistent (CONN_MAX_AGE), so each statement is prepared once per
connection and web thread or worker.

DB_PREPARED_STATEMENTS=false (a transaction-mode pooler) gives the client-bound cursor back.
Statements with more parameters than MAX_PARAMETERS (a fan-out's writes to hundreds of accounts)
are bound on the client: the server-side protocol carries at most 65 535 parameters, and a
statement that size is planned once per signal anyway.
"""

from django.conf import settings
from django.db import connection

MAX_PARAMETERS = 2000


def statement_cursor(params=()):
    """A cursor for one of our own precompiled statements with these parameters."""
    prepared = getattr(connection, "prepared_cursor", None)  # our PostgreSQL backend only
    if prepared is not None and settings.DB_PREPARED_STATEMENTS and len(params) <= MAX_PARAMETERS:
        return prepared()
    return connection.cursor()
