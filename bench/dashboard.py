"""The admin dashboard with 100 000 webhook logs: query count and time, cold (the rollup filled
on the first read) and warm (what an operator gets), for the 24 h and 7 d windows.

Runs in a throwaway database it creates and removes: a temporary SQLite file by default, or a
fresh PostgreSQL database with `--postgres [URL-of-the-server]`. Never the developer's database.

    python bench/dashboard.py [--logs 100000] [--postgres postgres://postgres@127.0.0.1:5432]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _throwaway_database(postgres: str | None):
    """(DATABASE_URL, cleanup) for a database nobody else uses."""
    if not postgres:
        path = Path(tempfile.gettempdir()) / f"dashboard-bench-{uuid.uuid4().hex[:8]}.sqlite3"

        def remove():
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

        return f"sqlite:///{path}", remove
    import psycopg

    server = postgres.rstrip("/")
    name = f"dashboard_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')

    def drop():
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')

    return f"{server}/{name}", drop


def _measure(fn, repeats: int):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries = [], 0
    for _ in range(repeats):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            fn()
            times.append((time.perf_counter() - started) * 1000)
        queries = len(captured)
    return statistics.median(times), max(times), queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", type=int, default=100_000)
    parser.add_argument("--postgres", nargs="?", const="postgres://postgres@127.0.0.1:5432", default=None)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    url, cleanup = _throwaway_database(args.postgres)
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "tradingsite.settings_test"
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ["LOG_LEVEL"] = "WARNING"
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        _run(args)
    finally:
        cleanup()


def _run(args) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from dashboard.selectors import dashboard_data
    from tests import factories
    from tests.dashboard.rows import generate

    owner = factories.user("bench_owner")
    admin = get_user_model().objects.create_superuser("bench_admin", password="pw-bench")
    accounts = [
        factories.account(owner, label=f"{name} {i}", exchange=name, api_key=f"k-{name}-{i}")
        for name in ("BINANCE", "BYBIT", "OKX")
        for i in range(2)
    ]
    strategies = [factories.strategy(owner, group_name=f"strategy_{i}") for i in range(5)]
    started = time.perf_counter()
    written = generate(
        owner=owner,
        strategies=strategies,
        accounts=accounts,
        n_logs=args.logs,
        now=timezone.now(),
        span=timedelta(days=7),
    )
    engine = "PostgreSQL" if args.postgres else "SQLite"
    took = time.perf_counter() - started
    print(
        f"{engine}: {args.logs} webhook logs over 7 days ({written['signals']} signals with a job and "
        f"an order, {written['refused_requests']} refused requests), written in {took:.1f} s"
    )
    cold_ms, _, cold_queries = _measure(lambda: dashboard_data(user=admin, window="7d"), 1)
    print(f"cold 7 d (fills the rollup of 7 days): {cold_ms:.0f} ms, {cold_queries} queries")
    for window in ("24h", "7d"):
        median, worst, queries = _measure(lambda w=window: dashboard_data(user=admin, window=w), args.repeats)
        print(f"warm {window:>3} selector: median {median:.1f} ms (max {worst:.1f}), {queries} queries")
    client = Client()
    client.force_login(admin)
    for window in ("24h", "7d"):

        def page(w=window):
            response = client.get(f"/admin/dashboard/?window={w}")
            assert response.status_code == 200, response.status_code

        median, worst, queries = _measure(page, args.repeats)
        print(
            f"warm {window:>3} page (session, template, SVG): median {median:.1f} ms "
            f"(max {worst:.1f}), {queries} queries"
        )


if __name__ == "__main__":
    main()
