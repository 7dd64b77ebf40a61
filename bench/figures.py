"""Where each benchmark script leaves its figures for `make bench` (bench/run_all.py) to gather."""

import json
import os
import threading
from pathlib import Path


def publish(**figures) -> None:
    """Merge `figures` into the JSON file named by BENCH_FIGURES, when run under `make bench`."""
    path = os.environ.get("BENCH_FIGURES")
    if not path:
        return
    target = Path(path)
    current = json.loads(target.read_text()) if target.exists() else {}
    current.update(figures)
    target.write_text(json.dumps(current, indent=2))


def process_tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and all its descendants (Linux /proc), live ones."""
    ticks = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    stats: dict[int, tuple[float, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent = int(fields[1])
        children.setdefault(parent, []).append(int(entry.name))
        stats[int(entry.name)] = (int(fields[11]) / ticks, int(fields[12]) / ticks)  # utime, stime
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        user, system = stats.get(current, (0.0, 0.0))
        total += user + system
        stack.extend(children.get(current, []))
    return total


def processes_cpu_seconds(marker: str) -> float:
    """User + system CPU seconds of every live process whose command line contains `marker`
    (e.g. "postgres:" for PostgreSQL's backends, "redis-server")."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if marker not in command:
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


class CpuSplit:
    """CPU seconds spent by each part of a running stack between `start()` and `stop()`."""

    def __init__(self, parts: dict):
        self.parts = parts  # name → a function returning that part's CPU seconds so far
        self.before: dict[str, float] = {}
        self.spent: dict[str, float] = {}

    def start(self) -> None:
        self.before = {name: measure() for name, measure in self.parts.items()}

    def stop(self) -> dict[str, float]:
        self.spent = {name: measure() - self.before[name] for name, measure in self.parts.items()}
        return self.spent


class MachineBusy:
    """How busy the machine's cores were (all processes, Linux /proc/stat) in each `every`
    seconds between `start()` and `stop()`, in percent, sampled by a thread."""

    def __init__(self, every: float):
        self.every = every
        self.percents: list[float] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> list[float]:
        self._done.set()
        self._thread.join()
        return self.percents

    def _sample(self) -> None:
        before = _cpu_ticks()
        while True:
            stopping = self._done.wait(self.every)
            now = _cpu_ticks()
            total, idle = now[0] - before[0], now[1] - before[1]
            if total > 0:
                self.percents.append(100.0 * (total - idle) / total)
            before = now
            if stopping:
                return


def _cpu_ticks() -> tuple[int, int]:
    """(all ticks, idle + iowait ticks) of the machine's cores since boot."""
    values = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values), values[3] + values[4]
