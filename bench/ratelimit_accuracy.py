"""Rate limiter figures: the cost of an uncontended acquire, and how closely a burst is paced.

    .venv/bin/python bench/ratelimit_accuracy.py            # SQLite + redis://127.0.0.1:6379/15
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/ratelimit_accuracy.py

The database figures use a scratch database (bench_ratelimit_<pid>) created and dropped here;
Redis keys go under a namespace of their own and are deleted at the end.
"""

import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradingsite.settings_test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402

from accounts.exchange import ratelimit  # noqa: E402
from accounts.exchange.ratelimit import Limit, acquire  # noqa: E402
from accounts.exchange.ratelimit_backends import DatabaseBackend, RedisBackend  # noqa: E402
from accounts.exchange.ratelimit_rules import limits_for  # noqa: E402

ORDERS, THREADS = 50, 4


def uncontended(label: str, n: int = 1000) -> None:
    limit = Limit(key=f"bench:{uuid.uuid4().hex[:8]}", capacity=1_000_000, window=60)
    for _ in range(20):  # warm up: connection, script load
        acquire(limits=[(limit, 1)])
    costs = []
    for _ in range(n):
        started = time.perf_counter()
        acquire(limits=[(limit, 1)])
        costs.append((time.perf_counter() - started) * 1000)
    costs.sort()
    print(
        f"{label:9} uncontended acquire: median {statistics.median(costs):.2f} ms, "
        f"p95 {costs[int(n * 0.95)]:.2f} ms, p99 {costs[int(n * 0.99)]:.2f} ms"
    )


def burst(label: str) -> None:
    """50 Bybit linear orders of one account (10/s) from 4 threads at once: 4.0 s at the least."""
    account = int(uuid.uuid4().int % 1_000_000) + 1_000_000
    limits = limits_for(exchange="BYBIT", market_type="FUTURES", account_id=account, action="order")
    grants: list[float] = []
    lock = threading.Lock()

    def worker(count: int) -> None:
        for _ in range(count):
            acquire(limits=limits, timeout=30)
            with lock:
                grants.append(time.time())
        close_old_connections()
        connection.close()

    threads = [
        threading.Thread(target=worker, args=(ORDERS // THREADS + (i < ORDERS % THREADS),))
        for i in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    grants.sort()
    span = grants[-1] - grants[0]
    most = max(sum(1 for s in grants if t - 1.0 < s <= t) for t in grants)
    ideal = (ORDERS / 10 - 1) * 1.0
    print(
        f"{label:9} burst of {ORDERS} at 10/s from {THREADS} threads: {span:.2f} s "
        f"(minimum {ideal:.1f} s, ratio {span / ideal:.3f}), most in any 1 s window {most}"
    )


def main() -> None:
    redis_url = settings.REDIS_URL or "redis://127.0.0.1:6379/15"
    namespace = f"rl:bench:{uuid.uuid4().hex[:8]}:"
    redis_backend = RedisBackend(url=redis_url, namespace=namespace)
    ratelimit.set_backend(redis_backend)
    try:
        uncontended("redis")
        burst("redis")
    finally:
        redis_backend.reset("")

    test = settings.DATABASES["default"].setdefault("TEST", {})
    if connection.vendor == "sqlite":
        test["NAME"] = str(Path(tempfile.mkdtemp()) / "bench_ratelimit.sqlite3")
    else:
        test["NAME"] = f"bench_ratelimit_{os.getpid()}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        ratelimit.set_backend(DatabaseBackend())
        uncontended(connection.vendor, n=500)
        burst(connection.vendor)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
