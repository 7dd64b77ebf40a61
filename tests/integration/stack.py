"""The service as it runs for real, for integration tests and benchmarks: the exchange simulator,
the web server and a django-q2 cluster, each its own process, sharing one database."""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

from exchange_simulator.testing import free_port

ROOT = Path(__file__).resolve().parents[2]


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database Django is connected to (the test database in tests)."""
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(settings_dict['NAME']).resolve()}"
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host, port = settings_dict.get("HOST") or "127.0.0.1", settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


class Stack:
    """Web server and qcluster processes; `web_url` is where the webhook answers."""

    # The stacks this process started and has not stopped. Every cluster runs the schedules it
    # finds in the database, so a second stack on the same database would take the sweeps of the
    # first, run them on its own queue against its own simulator, and the first would wait for
    # recoveries that never come: start() refuses instead.
    live: "list[Stack]" = []

    def __init__(
        self,
        *,
        db_url: str,
        simulator_url: str,
        log_dir: Path,
        extra_env: dict | None = None,
        web_server: str = "runserver",
        web_workers: int = 2,
        qclusters: int = 1,
    ):
        self.port = free_port()
        self.web_url = f"http://127.0.0.1:{self.port}"
        self.simulator_url = simulator_url
        self.db_url = db_url
        self.log_dir = log_dir
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tradingsite.settings_test",
            "DATABASE_URL": db_url,
            "EXCHANGE_SIMULATOR_URL": simulator_url,
            "Q_CLUSTER_NAME": f"it-{uuid.uuid4().hex[:8]}",  # its own queue: runs never share tasks
            "RATE_LIMIT_NAMESPACE": f"rl-{uuid.uuid4().hex[:8]}:",  # and its own rate-limit windows
            "LOG_DIR": str(log_dir),
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        self.processes: dict[str, subprocess.Popen] = {}
        self.web_server, self.web_workers = web_server, web_workers
        # Several clusters share the database and the broker, as several machines would.
        self.cluster_names = ["qcluster"] + [f"qcluster-{n}" for n in range(2, qclusters + 1)]

    def _start(self, name: str, args: list[str]) -> None:
        log = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        # Each in a process group of its own, so that stop() can end its children too.
        self.processes[name] = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            process_group=0,
        )

    def start(self, timeout: float = 40.0) -> "Stack":
        others = [stack for stack in Stack.live if stack.db_url == self.db_url]
        if others:
            raise RuntimeError(
                f"a stack is already running on this database ({others[0].web_url}): its cluster "
                "would run this one's schedules; stop it first"
            )
        Stack.live.append(self)
        try:
            self._start_processes(timeout)
        except BaseException:
            self.stop()  # nothing of a stack that did not come up outlives it
            raise
        return self

    def _start_processes(self, timeout: float) -> None:
        if self.web_server == "gunicorn":  # production-like: what the benchmarks measure
            workers = ["-w", str(self.web_workers), *self.env.get("GUNICORN_EXTRA", "").split()]
            self._start(
                "web", ["-m", "gunicorn", "tradingsite.wsgi", "-b", f"127.0.0.1:{self.port}", *workers]
            )
        else:
            self._start("web", ["manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"])
        for name in self.cluster_names:
            self._start(name, ["manage.py", "qcluster"])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            with contextlib.suppress(requests.RequestException):
                if (
                    requests.get(self.web_url + "/admin/login/", timeout=1).status_code == 200
                    and self._cluster_ready()
                ):
                    return
            time.sleep(0.2)
        raise RuntimeError("the stack did not come up:\n" + self.logs())

    def _cluster_ready(self) -> bool:
        for name in self.cluster_names:
            text = (self.log_dir / f"{name}.log").read_text(errors="replace").lower()
            if "running" not in text and "ready for work" not in text:
                return False
        return True

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{self.logs()}")

    def logs(self, lines: int = 40) -> str:
        parts = []
        for name in self.processes:
            path = self.log_dir / f"{name}.log"
            if path.exists():
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {name} ---\n" + "\n".join(tail))
        return "\n".join(parts)

    def stop(self) -> None:
        """SIGTERM to each process (gunicorn and qcluster shut down gracefully), SIGKILL after 15 s,
        then SIGKILL to whatever is left of its group: a gunicorn worker still answering a backlog
        when its master was killed outlived it by minutes, serving requests after the run."""
        with contextlib.suppress(ValueError):
            Stack.live.remove(self)
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)

    def post(self, payload: dict, timeout: float = 20.0) -> requests.Response:
        return requests.post(self.web_url + "/api/webhook", json=payload, timeout=timeout)
