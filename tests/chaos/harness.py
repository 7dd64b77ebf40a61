"""What the chaos tests do to a running stack: kill its workers, restart its cluster, cut its
database off, lose its queue, and supervise it as systemd would (README "Production")."""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

import redis

from tests import factories
from tests.integration.stack import ROOT, Stack

FIGURES: list[str] = []  # printed at the end of the run (conftest's terminal summary)
FUNDS = {"spot": {"USDT": "100000"}, "futures": {"USDT": "100000"}}


class ChaosStack(Stack):
    """A Stack whose qcluster runs in its own process group, so that the whole cluster (leader,
    sentinel, pusher, monitor, workers) can be killed at once, and restarted."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.cluster_starts = 0
        self.cluster_name = self.env["Q_CLUSTER_NAME"]

    def _start(self, name: str, args: list[str]) -> None:
        if name != "qcluster":
            return super()._start(name, args)
        self.cluster_starts += 1
        log = open(self.log_dir / f"qcluster-{self.cluster_starts}.log", "wb")  # noqa: SIM115
        self.processes[name] = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def _cluster_log(self) -> Path:
        return self.log_dir / f"qcluster-{self.cluster_starts}.log"

    def _cluster_ready(self) -> bool:
        return " running." in self._cluster_log().read_text(errors="replace")

    def logs(self, lines: int = 40) -> str:
        text = super().logs(lines)
        path = self._cluster_log()
        if path.exists():
            text += "\n--- qcluster ---\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
        return text

    def kill_cluster(self) -> None:
        """SIGKILL to every process of the cluster: nothing runs its clean-up."""
        process = self.processes.pop("qcluster")
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
        deadline = time.monotonic() + 5
        while _group_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop_cluster(self) -> None:
        process = self.processes.pop("qcluster")
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def start_cluster(self, timeout: float = 30) -> None:
        self._start("qcluster", ["manage.py", "qcluster"])
        deadline = time.monotonic() + timeout
        while not self._cluster_ready():
            if time.monotonic() > deadline:
                raise RuntimeError("the cluster did not start:\n" + self.logs())
            self.check_alive()
            time.sleep(0.1)

    def worker_pids(self) -> list[int]:
        import re

        text = self._cluster_log().read_text(errors="replace")
        pids = [int(pid) for pid in re.findall(r"ready for work at (\d+)", text)]
        return [pid for pid in pids if _running(pid)]

    def health(self, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", "cluster_health"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def queue_key(self) -> str:
        return f"django_q:{self.cluster_name}:q"


class Supervisor:
    """What the README's systemd timer does: run `manage.py cluster_health` every `every`
    seconds and restart the cluster when it fails."""

    def __init__(self, stack: ChaosStack, every: float):
        self.stack, self.every = stack, every
        self.restarts: list[float] = []  # monotonic times of the restarts
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "Supervisor":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=90)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            if self.stack.health().returncode == 0 or self._stop.is_set():
                continue
            self.failures += 1
            self.stack.kill_cluster()
            self.stack.start_cluster()
            self.restarts.append(time.monotonic())


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def blocked_in_read(pid: int) -> bool:
    """Whether the process sits in read(2): the idle worker that holds the task queue's lock
    (the others wait for that lock in futex(2))."""
    try:
        return Path(f"/proc/{pid}/syscall").read_text().split()[0] == "0"
    except (FileNotFoundError, IndexError, PermissionError):
        return False


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(os.environ["REDIS_URL"])


def trader_on_three_exchanges(sim, *, capital=Decimal("50000"), group_name="test1", market_type="FUTURES"):
    """One user with a token and a strategy linked to a Binance, a Bybit and an OKX simulator account."""
    user = factories.user("c" + uuid.uuid4().hex[:10])
    _, token = factories.token(user)
    strategy = factories.strategy(user, group_name=group_name, market_type=market_type)
    accounts = []
    for exchange in ("BINANCE", "BYBIT", "OKX"):
        key, secret = "k" + uuid.uuid4().hex, "s" + uuid.uuid4().hex
        passphrase = "p" + uuid.uuid4().hex[:8] if exchange == "OKX" else ""
        sim.account(exchange.lower(), key, secret, FUNDS, passphrase=passphrase or None)
        account = factories.account(
            user,
            label=f"{exchange.title()} chaos",
            exchange=exchange,
            api_key=key,
            api_secret=secret,
            passphrase=passphrase,
        )
        factories.link(strategy, account, allocated_capital=capital)
        accounts.append((account, key))
    return type("Trader", (), {"user": user, "token": token, "strategy": strategy, "accounts": accounts})


def signal_body(
    token: str, exchange: str, signal_id: str, *, order_type="LIMIT", price=79000, **fields
) -> dict:
    """A FUTURES BTCUSDT buy of the strategy `test1`; `orders=[...]` makes it a batch."""
    body = {
        "group_name": "test1",
        "token": token,
        "exchange": exchange,
        "market_type": "FUTURES",
        "currency": "USDT",
        "symbol": "BTCUSDT",
        "order_type": order_type,
        "side": "buy",
        "signal_id": signal_id,
        **fields,
    }
    if order_type == "LIMIT" and "orders" not in fields:
        body["price"] = price
    return body


def wait_until(predicate, timeout: float, step: float = 0.25):
    """Poll until predicate() is truthy; returns (value, seconds waited) or (None, timeout)."""
    started = time.monotonic()
    while True:
        value = predicate()
        if value:
            return value, time.monotonic() - started
        if time.monotonic() - started > timeout:
            return None, timeout
        time.sleep(step)


def figure(name: str, **numbers) -> None:
    """One line per test, printed now and again in the run's summary (README "Reliability")."""
    shown = ", ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in numbers.items())
    line = f"{name}: {shown}"
    FIGURES.append(line)
    print("\nCHAOS FIGURE " + line)
