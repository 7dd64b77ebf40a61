"""Settings that keep a busy service warm. django-q2 replaces a worker after RECYCLE tasks
(default 500) or once it has grown past MAX_RSS; a replaced worker imports ccxt and opens its
connections again before its next job, so under load the count would make every worker pay that
every few seconds: ours recycle on memory. PostgreSQL connections are kept (CONN_MAX_AGE)."""

import os
import subprocess
import sys
from pathlib import Path

from django_q.conf import Conf

ROOT = Path(__file__).resolve().parents[2]


def test_workers_are_recycled_on_memory_not_after_a_few_hundred_tasks():
    assert Conf.RECYCLE >= 100_000
    assert Conf.MAX_RSS is not None and 256 * 1024 <= Conf.MAX_RSS <= 2 * 1024 * 1024  # KiB


def _settings_value(expression: str, **env) -> str:
    """The value of a settings expression in a fresh process with this environment."""
    ours = ("CONN_MAX_AGE", "DATABASE_URL", "DB_PREPARED_STATEMENTS")
    clean = {key: value for key, value in os.environ.items() if key not in ours}
    result = subprocess.run(
        [sys.executable, "-c", f"from django.conf import settings; print({expression})"],
        env={**clean, "DJANGO_SETTINGS_MODULE": "tradingsite.settings_test", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_postgresql_connections_are_kept_unless_told_otherwise():
    # Connections that expire together make every web thread and worker reconnect at once.
    postgres = {"DATABASE_URL": "postgres://user@db.invalid:5432/trading"}
    assert _settings_value("settings.DATABASES['default']['CONN_MAX_AGE']", **postgres) == "None"
    assert (
        _settings_value("settings.DATABASES['default']['CONN_MAX_AGE']", CONN_MAX_AGE="30", **postgres)
        == "30"
    )


def test_postgresql_prepares_the_hot_path_unless_told_otherwise():
    # psycopg prepares a server-bound statement on its second run; Django's cursors never prepare.
    postgres = {"DATABASE_URL": "postgres://user@db.invalid:5432/trading"}
    threshold = "settings.DATABASES['default']['OPTIONS'].get('prepare_threshold')"
    assert _settings_value(threshold, **postgres) == "1"
    assert _settings_value(threshold, DB_PREPARED_STATEMENTS="false", **postgres) == "None"
