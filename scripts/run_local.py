"""`make run`: the whole service on one machine, in the foreground, on the embedded default.

Writes a local `.env` on first use, starts the exchange simulator, migrates, starts the web server
and a django-q2 cluster, then creates the demo data (first run only) and registers the demo
accounts and prices in the simulator (every run: it keeps its state in memory). Ctrl-C stops all
three; if one dies, the command names it and stops the others. Every RUN_LOCAL_HEALTH_EVERY
seconds it runs `manage.py cluster_health`; when the cluster does not take work (a stalled
qcluster looks alive), it restarts the cluster.

Environment: WEB_ADDRESS (127.0.0.1:8000), SIMULATOR_PORT (8900), RUN_LOCAL_ENV_FILE (the .env to
write and read, default .env in the project folder), RUN_LOCAL_HEALTH_EVERY (15 seconds).
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import environ
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
WEB_ADDRESS = os.environ.get("WEB_ADDRESS", "127.0.0.1:8000")
SIMULATOR_PORT = os.environ.get("SIMULATOR_PORT", "8900")
SIMULATOR_URL = f"http://127.0.0.1:{SIMULATOR_PORT}"
ENV_FILE = Path(os.environ.get("RUN_LOCAL_ENV_FILE") or ROOT / ".env")
READY_TIMEOUT = 60
QCLUSTER_READY_WAIT = 20
HEALTH_EVERY = float(os.environ.get("RUN_LOCAL_HEALTH_EVERY") or 15)
QCLUSTER_READY = b" running."  # django-q2's "Q Cluster <name> running." once its workers are up
_print_lock = threading.Lock()


def say(text: str) -> None:
    with _print_lock:
        print(text, flush=True)


def show(raw: bytes) -> None:
    with _print_lock:
        sys.stdout.buffer.write(raw)
        sys.stdout.buffer.flush()


def ensure_local_env(path: Path) -> None:
    if path.exists():
        return
    path.write_text(
        "# Written by `make run` for local use. Not for production: see .env.example.\n"
        "DEBUG=true\n"
        f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
        f"FIELD_ENCRYPTION_KEY={Fernet.generate_key().decode()}\n"
        "SECURE_SSL_REDIRECT=false\n"
        f"EXCHANGE_SIMULATOR_URL={SIMULATOR_URL}\n"
    )
    path.chmod(0o600)
    say(f"Wrote {path} with fresh local secrets.")


def prepare_environment(env_file: Path) -> None:
    """What the children inherit: the environment, then the env file where the environment is
    silent (as Django reads .env); simulator-mode accounts always use the simulator started here."""
    environ.Env.read_env(str(env_file), overwrite=False)
    os.environ["EXCHANGE_SIMULATOR_URL"] = SIMULATOR_URL
    os.environ["PYTHONUNBUFFERED"] = "1"  # children's lines reach the screen as they are written


def port_in_use(address: str) -> bool:
    host, _, port = address.rpartition(":")
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host or "127.0.0.1", int(port)))
        except OSError:
            return True
    return False


class Child:
    """One long-running process in its own process group, its output prefixed with its name."""

    def __init__(self, name: str, label: str, args: list[str], ready_marker: bytes | None = None):
        self.name, self.label = name, label
        self.ready = threading.Event()
        self._marker = ready_marker
        # Its own session, so Ctrl-C reaches only us and we stop the children in order.
        self.process = subprocess.Popen(
            args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._thread = threading.Thread(target=self._forward, daemon=True)
        self._thread.start()

    def _forward(self) -> None:
        # Bytes, not text: a child's log line must never kill the forwarder on a narrow terminal.
        prefix = f"{self.name:<9} | ".encode()
        for line in self.process.stdout:
            if self._marker and self._marker in line:
                self.ready.set()
            show(prefix + line)

    def dead(self) -> bool:
        return self.process.poll() is not None

    def stop(self) -> None:
        # To the leader only: qcluster then lets its workers finish the task in hand.
        if not self.dead():
            self.process.terminate()

    def wait(self, timeout: float) -> None:
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            say(f"The {self.label} did not stop within {timeout:g} s; killing it.")
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._thread.join(timeout=1)


class ChildDied(Exception):
    pass


class Watchdog:
    """`manage.py cluster_health` every HEALTH_EVERY seconds, in the background, so that the main
    loop still notices a dead child (and Ctrl-C) at once."""

    def __init__(self):
        self.check: subprocess.Popen | None = None
        self.next_at = time.monotonic() + HEALTH_EVERY

    def failed(self) -> bool:
        """True once a finished check says the cluster takes no work."""
        if self.check is None:
            if time.monotonic() >= self.next_at:
                self.check = subprocess.Popen(
                    [PYTHON, "manage.py", "cluster_health"],
                    cwd=ROOT,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                )
            return False
        if self.check.poll() is None:
            return False
        output, code = self.check.stdout.read(), self.check.returncode
        self.check, self.next_at = None, time.monotonic() + HEALTH_EVERY
        if code != 0:
            last = output.strip().splitlines()[-1:] or [b"(no output)"]
            show(b"watchdog  | " + last[0][-300:] + b"\n")
        return code != 0

    def stop(self) -> None:
        if self.check is not None and self.check.poll() is None:
            self.check.kill()
            self.check.wait()


def qcluster() -> "Child":
    return Child("qcluster", "task cluster (qcluster)", [PYTHON, "manage.py", "qcluster"], QCLUSTER_READY)


def restart_cluster(children: list[Child]) -> None:
    """A cluster that fails its check is stuck, not busy: stop it (killed if it does not stop
    soon) and start a new one. Interrupted jobs resume under the new one (orders/leases.py)."""
    old = children[2]
    say(f"\nThe task cluster (pid {old.process.pid}) takes no work; restarting it.")
    old.stop()
    old.wait(timeout=5)
    children[2] = qcluster()
    deadline = time.monotonic() + QCLUSTER_READY_WAIT
    while not children[2].ready.wait(timeout=0.1) and time.monotonic() < deadline:
        check_alive(children)
    say(f"Restarted the task cluster (pid {children[2].process.pid}).")


def check_alive(children: list[Child]) -> None:
    for child in children:
        if child.dead():
            raise ChildDied(child)


def stop_all(children: list[Child]) -> None:
    # The web first (no new signals), then the workers (tasks in flight still reach the simulator).
    for group in (children[1:], children[:1]):
        for child in group:
            child.stop()
        for child in group:
            child.wait(timeout=10)


def run_step(*args: str) -> None:
    """A short manage.py step; its output is shown only if it fails."""
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, capture_output=True)
    if result.returncode != 0:
        show(result.stdout + result.stderr)
        raise subprocess.CalledProcessError(result.returncode, ["manage.py", *args])


def listening(url: str) -> bool:
    # A connection, not a request: runserver would log a probe request under the banner.
    host, _, port = url.removeprefix("http://").rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return False
    return True


def wait_ready(children: list[Child], web_url: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while not listening(web_url):
        check_alive(children)
        if time.monotonic() > deadline:
            raise TimeoutError(f"the web server did not listen within {READY_TIMEOUT} s")
        time.sleep(0.1)
    # Wait for the workers too, so the first webhook is answered at once; a django-q2 that words
    # its start-up line otherwise only costs this wait.
    deadline = time.monotonic() + QCLUSTER_READY_WAIT
    while not children[2].ready.wait(timeout=0.1) and time.monotonic() < deadline:
        check_alive(children)


def banner(children: list[Child], web_url: str, started: float) -> str:
    credentials = ROOT / (os.environ.get("DEMO_CREDENTIALS_FILE") or ".demo/credentials.txt")
    shown = credentials.relative_to(ROOT) if credentials.is_relative_to(ROOT) else credentials
    pids = ", ".join(f"{child.name} (pid {child.process.pid})" for child in children)
    return (
        f"\nReady in {time.monotonic() - started:.1f} s: {pids}.\n"
        f"  Admin      {web_url}/admin/   user admin, password in {shown}\n"
        f"  Webhook    POST {web_url}/api/webhook   token in {shown}\n"
        f"  Simulator  {SIMULATOR_URL}/_sim/orders\n"
        "  Examples   README.md, Quick start\n"
        "Ctrl-C stops everything.\n"
    )


def main() -> int:
    started = time.monotonic()
    # Ctrl-C and SIGTERM both stop the children; SIGINT is set explicitly because a shell that
    # starts us in the background leaves it ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    host, _, port = WEB_ADDRESS.rpartition(":")
    web_url = f"http://{'127.0.0.1' if host in ('', '0.0.0.0') else host}:{port}"  # noqa: S104
    ports = {"WEB_ADDRESS": WEB_ADDRESS, "SIMULATOR_PORT": f"127.0.0.1:{SIMULATOR_PORT}"}
    for variable, address in ports.items():
        if port_in_use(address):
            say(f"{address} is in use (another `make run`?). Stop it, or set {variable} to a free one.")
            return 1
    ensure_local_env(ENV_FILE)
    prepare_environment(ENV_FILE)
    children: list[Child] = []
    watchdog = None
    try:
        # The simulator and the migrations start together; the demo step waits for both.
        children.append(
            Child(
                "simulator",
                "exchange simulator",
                [PYTHON, "-m", "exchange_simulator", "--host", "127.0.0.1", "--port", SIMULATOR_PORT],
            )
        )
        run_step("migrate", "--noinput")
        children.append(
            Child("web", "web server", [PYTHON, "manage.py", "runserver", WEB_ADDRESS, "--noreload"])
        )
        children.append(qcluster())
        check_alive(children)
        demo = subprocess.run(
            [PYTHON, "manage.py", "bootstrap_demo", "--simulator-url", SIMULATOR_URL],
            cwd=ROOT,
            capture_output=True,
        )
        check_alive(children)
        if demo.returncode != 0:
            show(demo.stdout + demo.stderr)
            raise subprocess.CalledProcessError(demo.returncode, ["manage.py", "bootstrap_demo"])
        say("\n" + demo.stdout.decode(errors="replace").rstrip())
        wait_ready(children, web_url)
        say(banner(children, web_url, started))
        watchdog = Watchdog()
        while True:
            check_alive(children)
            if watchdog.failed():
                restart_cluster(children)
            time.sleep(0.2)
    except ChildDied as died:
        child, code = died.args[0], died.args[0].process.returncode
        how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
        say(f"\nThe {child.label} stopped ({how}); stopping the others.")
        return 1
    except KeyboardInterrupt:
        say("\nStopping…")
        return 0
    except subprocess.CalledProcessError as error:
        say(f"\nStart-up step failed: {' '.join(error.cmd)} (exit code {error.returncode}).")
        return 1
    except TimeoutError as error:
        say(f"\nStart-up failed: {error}.")
        return 1
    finally:
        # A second Ctrl-C while stopping must not leave orphans behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if watchdog is not None:
            watchdog.stop()
        stop_all(children)
        if children:
            say("Stopped the " + ", the ".join(child.label for child in children) + ".")


if __name__ == "__main__":
    sys.exit(main())
