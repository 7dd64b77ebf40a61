"""`make run` as the user runs it: scripts/run_local.py starts the simulator, the web server and a
qcluster; one guide example goes through end to end; Ctrl-C, or one process dying, stops all.

Everything it writes (the .env, the SQLite database, the credentials, the logs) goes to a temp
folder, and its environment is cleaned of the project's variables, so it runs on the embedded
default whatever database the test run itself uses."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from exchange_simulator.testing import free_port
from tests.guide import guide_example, guide_response

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 45


def _project_variables() -> set[str]:
    listed = re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE)
    return {*listed, "DJANGO_SETTINGS_MODULE", "RUN_LOCAL_ENV_FILE", "WEB_ADDRESS", "SIMULATOR_PORT"}


class LocalRun:
    """scripts/run_local.py in a subprocess, with its output in a file."""

    def __init__(self, folder: Path, extra_env: dict | None = None):
        self.web_port, self.sim_port = free_port(), free_port()
        self.web_url = f"http://127.0.0.1:{self.web_port}"
        self.sim_url = f"http://127.0.0.1:{self.sim_port}"
        self.credentials = folder / "demo" / "credentials.txt"
        self.output = folder / "make-run.out"
        hidden = _project_variables()
        env = {key: value for key, value in os.environ.items() if key not in hidden}
        env |= {
            "WEB_ADDRESS": f"127.0.0.1:{self.web_port}",
            "SIMULATOR_PORT": str(self.sim_port),
            "RUN_LOCAL_ENV_FILE": str(folder / ".env"),
            "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
            "REDIS_URL": "",  # set and empty: a developer's .env cannot switch it on
            "DEMO_CREDENTIALS_FILE": str(self.credentials),
            "LOG_DIR": str(folder / "logs"),
            **(extra_env or {}),
        }
        with open(self.output, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "scripts/run_local.py"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.pids: dict[str, int] = {}

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def wait_ready(self) -> "LocalRun":
        deadline = time.monotonic() + START_TIMEOUT
        while "Ctrl-C stops everything." not in self.text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail("make run did not come up:\n" + self.text()[-4000:])
            time.sleep(0.1)
        self.pids = {name: int(pid) for name, pid in re.findall(r"(\w+) \(pid (\d+)\)", self.text())}
        assert set(self.pids) == {"simulator", "web", "qcluster"}, self.text()
        return self

    def token(self) -> str:
        return re.search(r"^Webhook token: (\S+)$", self.credentials.read_text(), re.MULTILINE)[1]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for pid in self.pids.values():  # never leave a child behind, whatever the test found
            if _group_alive(pid):
                os.killpg(pid, signal.SIGKILL)


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group is left (each child leads its own, with its workers)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _gone_soon(pgid: int, seconds: float = 5) -> bool:
    """Killed group members are reaped by init a moment later: allow for that."""
    deadline = time.monotonic() + seconds
    while _group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not _group_alive(pgid)


@pytest.fixture
def local_run(tmp_path):
    run = LocalRun(tmp_path)
    yield run
    run.stop()


def test_make_run_answers_a_guide_example_end_to_end_and_ctrl_c_stops_all_three(local_run):
    local_run.wait_ready()
    text = local_run.text()
    assert f"{local_run.web_url}/admin/" in text and str(local_run.credentials) in text

    response = requests.post(
        local_run.web_url + "/api/webhook",
        json=guide_example("curl_single_limit", local_run.token()),
        timeout=10,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True and body["message"] == "웹훅 처리 성공"
    expected = guide_response("single")
    assert set(expected["result"]) <= set(body["result"])
    assert set(expected["result"]["summary"]) <= set(body["result"]["summary"])
    entry = body["result"]["results"][0]
    assert set(expected["result"]["results"][0]) <= set(entry)
    assert entry["success"] is True and entry["status"] == "PENDING", entry
    assert entry["exchange"] == "binance" and entry["order_price"] == 80000
    sim_orders = requests.get(local_run.sim_url + "/_sim/orders", timeout=5).json()
    placed = [order for order in sim_orders if order["client_order_id"] == entry["client_order_id"]]
    assert len(placed) == 1 and placed[0]["type"] == "LIMIT" and placed[0]["price"] == "80000"
    assert placed[0]["status"] == "new"  # rests: BTC starts at 110 000

    local_run.process.send_signal(signal.SIGINT)

    assert local_run.process.wait(timeout=20) == 0
    assert not [name for name, pid in local_run.pids.items() if _group_alive(pid)]
    assert "Stopped the exchange simulator, the web server, the task cluster" in local_run.text()


def test_when_one_process_dies_make_run_names_it_and_stops_the_others(local_run):
    local_run.wait_ready()

    os.kill(local_run.pids["simulator"], signal.SIGKILL)

    assert local_run.process.wait(timeout=20) == 1
    assert "The exchange simulator stopped (killed by SIGKILL); stopping the others." in local_run.text()
    assert not [name for name, pid in local_run.pids.items() if _group_alive(pid)]


def test_a_stalled_cluster_fails_the_health_check_and_make_run_restarts_it(tmp_path):
    run = LocalRun(tmp_path, extra_env={"RUN_LOCAL_HEALTH_EVERY": "2", "LIVENESS_PROBE_TIMEOUT": "3"})
    try:
        run.wait_ready()
        stalled = run.pids["qcluster"]
        os.killpg(stalled, signal.SIGSTOP)  # alive to the eye, taking no work: the stall, frozen

        deadline = time.monotonic() + 40
        while "Restarted the task cluster" not in run.text():
            assert time.monotonic() < deadline, run.text()[-3000:]
            time.sleep(0.2)
        assert "takes no work; restarting it" in run.text()
        assert _gone_soon(stalled)
        response = requests.post(
            run.web_url + "/api/webhook", json=guide_example("curl_single_limit", run.token()), timeout=15
        )
        assert response.status_code == 200, response.text
        assert response.json()["result"]["results"][0]["status"] == "PENDING"

        run.process.send_signal(signal.SIGINT)
        assert run.process.wait(timeout=20) == 0
        restarted = int(re.findall(r"Restarted the task cluster \(pid (\d+)\)", run.text())[-1])
        assert _gone_soon(restarted)
    finally:
        run.stop()
        if "restarted" in locals() and _group_alive(restarted):
            os.killpg(restarted, signal.SIGKILL)
