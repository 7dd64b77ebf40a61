"""Where each benchmark script leaves its figures for `make bench` (bench/run_all.py) to gather."""

import json
import os
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
