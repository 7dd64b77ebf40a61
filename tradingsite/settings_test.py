"""Test settings: the production settings with test-only secrets filled in when absent."""

import os

# Never the developer's `.env` (make run writes one with SECURE_SSL_REDIRECT off): the tests see
# the same settings on every machine, and the subprocesses they start inherit this.
os.environ["ENV_FILE"] = ""
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-for-checks-0123456789")
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "aTWOHq0V8Ktbb5jvTf0QO1JQ3xeQZ5xH6yJjEoKqkL4=")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("WEBHOOK_THROTTLE_RATE", "100000/min")
os.environ.setdefault("WEBHOOK_IP_THROTTLE_RATE", "1000000/min")

from tradingsite.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast tests
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405

# One test database per test run: parallel runs must never drop or flush each other's data.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"tradingsite-test-{os.getpid()}.sqlite3")
    }
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_tradingsite_{os.getpid()}"}  # noqa: F405
