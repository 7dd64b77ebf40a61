"""`make run`: the whole service on one machine, in the foreground.

Writes a local `.env` on first use, migrates, creates the demo data once, then runs the exchange
simulator, the web server and a django-q2 cluster. Ctrl-C stops all three; if one dies, the
others are stopped and the one that died is named.
"""

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
WEB_ADDRESS = os.environ.get("WEB_ADDRESS", "127.0.0.1:8000")
SIMULATOR_PORT = os.environ.get("SIMULATOR_PORT", "8900")


def ensure_local_env() -> None:
    env_file = ROOT / ".env"
    if env_file.exists():
        return
    env_file.write_text(
        "# Written by `make run` for local use. Not for production: see .env.example.\n"
        "DEBUG=true\n"
        f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
        f"FIELD_ENCRYPTION_KEY={Fernet.generate_key().decode()}\n"
        "SECURE_SSL_REDIRECT=false\n"
        f"EXCHANGE_SIMULATOR_URL=http://127.0.0.1:{SIMULATOR_PORT}\n"
    )
    env_file.chmod(0o600)
    print(f"Wrote {env_file.name} with fresh local secrets.")


def manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, check=True)


def start(name: str, args: list[str]) -> tuple[str, subprocess.Popen]:
    # A new process group per child, so Ctrl-C reaches us once and we stop children in order.
    return name, subprocess.Popen(args, cwd=ROOT, start_new_session=True)


def stop_all(processes: list[tuple[str, subprocess.Popen]]) -> None:
    for _, process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for _, process in processes:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def main() -> int:
    ensure_local_env()
    manage("migrate", "--noinput", "-v", "0")
    processes = [
        start(
            "exchange simulator",
            [PYTHON, "-m", "exchange_simulator", "--host", "127.0.0.1", "--port", SIMULATOR_PORT],
        ),
    ]
    try:
        manage("bootstrap_demo", "--simulator-url", f"http://127.0.0.1:{SIMULATOR_PORT}")
        processes += [
            start("web server", [PYTHON, "manage.py", "runserver", WEB_ADDRESS, "--noreload"]),
            start("task cluster (qcluster)", [PYTHON, "manage.py", "qcluster"]),
        ]
        print(
            f"\nAdmin:   http://{WEB_ADDRESS}/admin/\nWebhook: http://{WEB_ADDRESS}/api/webhook\n"
            f"Simulator: http://127.0.0.1:{SIMULATOR_PORT}/_sim/orders\nCtrl-C stops everything.\n",
            flush=True,
        )
        while True:
            for name, process in processes:
                if process.poll() is not None:
                    print(f"\nThe {name} stopped (exit code {process.returncode}); stopping the others.")
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopping…")
        return 0
    except subprocess.CalledProcessError as error:
        print(f"\nStart-up step failed: {' '.join(error.cmd[1:])} (exit code {error.returncode}).")
        return 1
    finally:
        stop_all(processes)


if __name__ == "__main__":
    sys.exit(main())
