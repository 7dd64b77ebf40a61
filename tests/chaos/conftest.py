"""Chaos tests: real processes (simulator, web, qcluster) on PostgreSQL + Redis, with their
processes killed, their queue lost and their database cut off. Each prints its figure."""

import os

import pytest

from tests.chaos.harness import FIGURES, ChaosStack
from tests.integration.conftest import START_PRICES, sim, simulator_url  # noqa: F401 (fixtures)
from tests.integration.stack import database_url


def _on_servers() -> bool:
    database = os.environ.get("DATABASE_URL", "")
    return database.startswith(("postgres://", "postgresql://")) and os.environ.get(
        "REDIS_URL", ""
    ).startswith(("redis://", "rediss://"))


def pytest_collection_modifyitems(config, items):
    # The database outage last among the chaos tests, which keep their place in the run: other
    # test runs share the server (README "Reliability").
    places = [i for i, item in enumerate(items) if "chaos" in item.keywords]
    ordered = sorted((items[i] for i in places), key=lambda item: "test_database_outage" in item.nodeid)
    for place, item in zip(places, ordered, strict=True):
        items[place] = item
    if _on_servers():
        return
    skip = pytest.mark.skip(
        reason="chaos tests need DATABASE_URL=postgres://… and REDIS_URL=redis://… (a database server "
        "to cut off and a broker that loses tasks); .ci/run's second pass sets them"
    )
    for item in items:
        if "chaos" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def chaos_stack(django_db_setup, django_db_blocker, simulator_url, tmp_path):  # noqa: F811
    """make(**env) → a started ChaosStack with its own cluster name and rate-limit namespace."""
    from django.db import connection

    with django_db_blocker.unblock():
        url = database_url(connection.settings_dict)
    started = []

    def make(**extra_env):
        _schedules_as_migrated()
        stack = ChaosStack(
            db_url=url,
            simulator_url=simulator_url,
            log_dir=tmp_path / f"stack-{len(started)}",
            extra_env={k: str(v) for k, v in extra_env.items()},
        )
        stack.log_dir.mkdir()
        started.append(stack)
        return stack.start()

    yield make
    for stack in started:
        stack.stop()


def _schedules_as_migrated() -> None:
    """A transactional test's flush empties django_q_schedule too: put back the sweeps the
    migrations create, with the migrations' own code, so the stack recovers as deployed."""
    import importlib

    from django.apps import apps

    for name in (
        "orders.migrations.0005_schedules",
        "orders.migrations.0009_sweep_schedule",
        "webhooks.migrations.0002_schedules",
    ):
        importlib.import_module(name).create(apps, None)


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("chaos figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
