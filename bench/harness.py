"""What the benchmarks share: a scratch database, the simulator, the web server (gunicorn) and a
qcluster as processes, and demo-like data. Run from the project root: `python bench/<name>.py`."""

import contextlib
import os
import statistics
import sys
import tempfile
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/tradingsite_bench"
if os.environ.get("BENCH_EMBEDDED"):  # the embedded default: a scratch SQLite file, the ORM broker
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.gettempdir()}/tradingsite_bench_{os.getpid()}.sqlite3"
    os.environ.pop("REDIS_URL", None)
else:
    os.environ.setdefault("DATABASE_URL", DEFAULT_DB)
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradingsite.settings_test")


def _create_postgres_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def setup_django():
    url = os.environ["DATABASE_URL"]
    if url.startswith("postgres"):
        _create_postgres_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)


@contextlib.contextmanager
def running_stack(*, simulator_url: str, q_workers: int, extra_env: dict | None = None, qclusters: int = 1):
    from tests.integration.stack import Stack

    # The web as the README's production line runs it: 2 processes × 8 threads (the stack adds -w 2);
    # GUNICORN_EXTRA in the environment measures another configuration.
    web = os.environ.get("GUNICORN_EXTRA", "-k gthread --threads 8")
    env = {"Q_WORKERS": str(q_workers), "GUNICORN_EXTRA": web, **(extra_env or {})}
    with tempfile.TemporaryDirectory() as scratch:
        logs = Path(os.environ.get("BENCH_LOG_DIR") or scratch)  # keep the processes' logs if asked
        logs.mkdir(parents=True, exist_ok=True)
        stack = Stack(
            db_url=os.environ["DATABASE_URL"],
            simulator_url=simulator_url,
            log_dir=logs,
            extra_env=env,
            web_server="gunicorn",
            qclusters=qclusters,
        ).start(timeout=90)
        try:
            yield stack
        finally:
            stack.stop()


def make_strategy(*, sim, exchange: str, market_type: str, n_accounts: int, capital=Decimal("10000")):
    """A user with a token and a strategy `bench` linked to n funded simulator accounts."""
    from tests import factories

    user = factories.user("bench" + uuid.uuid4().hex[:8])
    _, token = factories.token(user)
    strategy = factories.strategy(user, group_name="bench", market_type=market_type)
    keys = []
    for index in range(n_accounts):
        key, secret = "bk" + uuid.uuid4().hex, "bs" + uuid.uuid4().hex
        sim.account(
            exchange.lower(), key, secret, {"spot": {"USDT": "1000000"}, "futures": {"USDT": "1000000"}}
        )
        account = factories.account(
            user, label=f"bench {index}", exchange=exchange, api_key=key, api_secret=secret
        )
        factories.link(strategy, account, allocated_capital=capital)
        keys.append(key)
    return token, keys


def limit_buy(*, token: str, exchange: str, price, qty_per, group_name: str = "bench") -> dict:
    """The guide's futures LIMIT buy on BTCUSDT, for the strategy `make_strategy` made."""
    return {
        "group_name": group_name,
        "token": token,
        "exchange": exchange,
        "market_type": "FUTURES",
        "currency": "USDT",
        "symbol": "BTCUSDT",
        "order_type": "LIMIT",
        "side": "buy",
        "price": price,
        "qty_per": qty_per,
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def describe(values_ms: list[float]) -> str:
    return (
        f"median {statistics.median(values_ms):7.1f} ms   p99 {percentile(values_ms, 0.99):7.1f} ms   "
        f"min {min(values_ms):6.1f} ms   max {max(values_ms):7.1f} ms"
    )


STAGES = {  # the stage times every accepted signal records (README "How a signal travels")
    "received → committed (web: parse, auth, write)": ("log.received_at", "log.committed_at"),
    "committed → job started (django-q2 hop)": ("log.committed_at", "job.started_at"),
    "job started → order sent (claim, read, size)": ("job.started_at", "job.sent_at"),
    "order sent → exchange answered": ("job.sent_at", "job.exchange_answered_at"),
    "exchange answered → job finished": ("job.exchange_answered_at", "job.finished_at"),
    "job finished → webhook answered": ("job.finished_at", "log.answered_at"),
}


def stage_medians(client_order_ids: list[str]) -> dict[str, float]:
    """The median of each stage over the signals whose orders carry these client ids, in ms."""
    from orders.models import AccountJob, Order

    orders = Order.objects.filter(client_order_id__in=client_order_ids)
    log_ids = set(orders.values_list("webhook_log_id", flat=True))
    spans = {stage: [] for stage in STAGES}
    for job in AccountJob.objects.filter(webhook_log_id__in=log_ids).select_related("webhook_log"):
        rows = {"log": job.webhook_log, "job": job}
        for stage, ends in STAGES.items():
            start, end = (getattr(rows[name.split(".")[0]], name.split(".")[1]) for name in ends)
            if start and end:
                spans[stage].append((end - start).total_seconds() * 1000)
    return {stage: statistics.median(values) for stage, values in spans.items() if values}
