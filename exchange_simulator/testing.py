"""Start the simulator in a subprocess for tests and benchmarks.

with start_simulator() as base_url:   # "http://127.0.0.1:54321"
    ...
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(base_url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"exchange simulator exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(base_url + "/_sim/health", timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"exchange simulator did not answer on {base_url} within {timeout}s")


@contextlib.contextmanager
def start_simulator(
    port: int | None = None,
    seed: dict | None = None,
    rate_limits: str = "real",
    host: str = "127.0.0.1",
    startup_timeout: float = 15.0,
    fees: str | None = None,
) -> Iterator[str]:
    """Run `python -m exchange_simulator` on a free port; yields its base URL, stops it after.
    `fees` is the `--fees` spec (fees.parse_fee_spec); None keeps the VIP 0 defaults."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "exchange_simulator", "--host", host, "--port", str(port)]
    cmd += ["--rate-limits", rate_limits]
    if fees is not None:
        cmd += ["--fees", fees]
    seed_path = None
    if seed is not None:
        fd, seed_path = tempfile.mkstemp(prefix="sim-seed-", suffix=".json")
        with os.fdopen(fd, "w") as fh:
            json.dump(seed, fh)
        cmd += ["--seed-file", seed_path]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.Popen(cmd, cwd=str(PROJECT_ROOT), env=env, stdout=subprocess.DEVNULL)
    base_url = f"http://{host}:{port}"
    try:
        _wait_until_up(base_url, proc, startup_timeout)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if seed_path:
            os.unlink(seed_path)
