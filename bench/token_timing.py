"""How much a wrong webhook token's time says about the stored tokens: a wrong token whose
12-character lookup prefix matches a stored token vs one whose prefix matches nothing.

    .venv/bin/python bench/token_timing.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/token_timing.py

Both paths do one digest comparison (webhooks/services.py); what remains is the index lookup
returning one row or none. The figures are medians over interleaved rounds, in a scratch database.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradingsite.settings_test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402

from webhooks.services import token_authenticate, token_create  # noqa: E402
from webhooks.tokens import token_generate  # noqa: E402

ROUNDS = 5000


def measure(raw: str) -> float:
    started = time.perf_counter()
    token_authenticate(raw=raw)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    test = settings.DATABASES["default"].setdefault("TEST", {})
    if connection.vendor == "sqlite":
        test["NAME"] = str(Path(tempfile.mkdtemp()) / "bench_token_timing.sqlite3")
    else:
        test["NAME"] = f"bench_token_timing_{os.getpid()}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        owner = get_user_model().objects.create_user(username="bench")
        _row, stored = token_create(owner=owner)
        sharing = stored[:12] + token_generate()[12:]
        shared, unrelated = [], []
        for _ in range(ROUNDS):
            shared.append(measure(sharing))
            unrelated.append(measure(token_generate()))
        a, b = statistics.median(shared), statistics.median(unrelated)
        print(f"{connection.vendor}: wrong token sharing the prefix {a:.4f} ms, unrelated {b:.4f} ms")
        print(f"difference {a - b:+.4f} ms over {ROUNDS} interleaved rounds (medians)")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
