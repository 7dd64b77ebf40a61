"""`make bench`: every benchmark in one sitting on this machine, one table, bench/results.json.

Needs PostgreSQL and Redis (started by `make bench` as in CI); each script starts its own
simulator, gunicorn and qcluster processes. Takes several minutes.
"""

import json
import os
import platform
import subprocess
import sys
import time
import timeit
from pathlib import Path

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"
STEPS = [
    ("floor", ["floor.py"], {}),
    ("latency (PostgreSQL + Redis)", ["signal_latency.py", "--signals", "300"], {}),
    (
        "latency (embedded: SQLite + ORM broker)",
        ["signal_latency.py", "--signals", "100"],
        {"BENCH_EMBEDDED": "1"},
    ),
    ("fan-out, 100 accounts", ["fanout.py", "--signals", "5"], {}),
    ("sustained load, 2 qclusters", ["throughput.py", "--qclusters", "2"], {}),
    # Printed, not gathered: the parts under the figures above.
    ("simulator throughput", ["simulator_throughput.py"], {}),
    ("rate limiter accuracy", ["ratelimit_accuracy.py"], {}),
]


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    memory_kb = int(
        next(
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    )
    return (
        f"{os.cpu_count()} cores ({model}), {memory_kb / 1024 / 1024:.0f} GiB, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )


def cpu_reference_ms() -> float:
    """The machine's speed at this moment, on a fixed pure-Python workload: the best of five
    runs of sum(range(10**6)). This machine's speed drifts by up to ~2x within an hour (measured:
    17-34 ms on one afternoon), so a sitting's figures are only comparable with its speed."""
    return min(timeit.repeat("sum(range(10**6))", number=3, repeat=5)) / 3 * 1000


def main() -> int:
    RESULTS.unlink(missing_ok=True)
    console = Console()
    failed, speeds = [], [cpu_reference_ms()]
    for title, script, extra in STEPS:
        console.rule(title)
        env = {**os.environ, "BENCH_FIGURES": str(RESULTS), **extra}
        if subprocess.run([sys.executable, *script], cwd=HERE, env=env).returncode != 0:
            failed.append(title)
        speeds.append(cpu_reference_ms())
    figures = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    figures["machine"] = machine()
    # Taken before the first step and after each: the range the sitting ran in.
    figures["cpu_reference_ms"] = {"min": round(min(speeds), 1), "max": round(max(speeds), 1)}
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    console.print(_table(figures))
    if failed:
        console.print(f"[red]failed: {', '.join(failed)}[/red]")
    return 1 if failed else 0


GOALS = [
    ("arrival → exchange, median", ("latency_ms", "median"), "ms", 10),
    ("arrival → exchange, p99", ("latency_ms", "p99"), "ms", 30),
    ("arrival → response, median", ("response_ms", "median"), "ms", 20),
    ("arrival → response, p99", ("response_ms", "p99"), "ms", None),
    ("embedded: arrival → exchange, median", ("embedded_latency_ms", "median"), "ms", 60),
    ("floor: bare ccxt create_order, median", ("floor_ms", "median"), "ms", None),
    ("machine speed: sum(range(10**6)), fastest", ("cpu_reference_ms", "min"), "ms", None),
    ("machine speed: sum(range(10**6)), slowest", ("cpu_reference_ms", "max"), "ms", None),
    ("fan-out 100 accounts (100 ms latency): last order", ("fanout_100_s",), "s", 0.5),
    ("fan-out 100 accounts: response", ("fanout_100_response_s",), "s", 0.8),
    ("CPU per account job", ("cpu_ms_per_job",), "ms", 5),
    ("sustained 100/s for 60 s: response p99", ("throughput", "p99_ms"), "ms", 500),
    ("sustained: signals lost", ("throughput", "lost"), "", 0),
    ("sustained: orders duplicated", ("throughput", "duplicated"), "", 0),
    ("2 qclusters: rate-limit refusals", ("scale_out", "rate_limit_errors"), "", 0),
]


def _table(figures: dict) -> Table:
    table = Table(title=f"make bench — {figures['machine']}")
    for column in ("figure", "measured", "goal", ""):
        table.add_column(column)
    for label, path, unit, goal in GOALS:
        value = figures
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        shown = "—" if value is None else f"{value:g} {unit}".strip()
        verdict = "" if goal is None or value is None else ("met" if value <= goal else "NOT met")
        table.add_row(label, shown, "—" if goal is None else f"≤ {goal:g} {unit}".strip(), verdict)
    return table


if __name__ == "__main__":
    sys.exit(main())
