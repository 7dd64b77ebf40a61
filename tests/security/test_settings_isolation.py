"""`make test` never depends on a developer's `.env` (`make run` writes one with SECURE_SSL_REDIRECT
off): the test settings read none, and neither do the subprocesses the tests start."""

import os
import subprocess
import sys

from django.conf import settings


def test_the_test_settings_read_no_env_file():
    from tradingsite.settings import env_file_path

    assert os.environ["ENV_FILE"] == ""
    assert env_file_path() is None


def _setting_in_a_subprocess(name, env):
    code = f"import django; django.setup(); from django.conf import settings; print(settings.{name})"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_env_file_names_the_file_to_read_and_empty_reads_none(tmp_path):
    dotenv = tmp_path / "local.env"
    dotenv.write_text("SECURE_SSL_REDIRECT=false\nWEBHOOK_LOG_RETENTION_DAYS=7\n")
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="tradingsite.settings",
        DEBUG="false",
        SECRET_KEY="k" * 40,
        FIELD_ENCRYPTION_KEY=settings.FIELD_ENCRYPTION_KEYS[0],
    )
    env.pop("SECURE_SSL_REDIRECT", None)
    env.pop("WEBHOOK_LOG_RETENTION_DAYS", None)
    assert _setting_in_a_subprocess("WEBHOOK_LOG_RETENTION_DAYS", env | {"ENV_FILE": str(dotenv)}) == "7"
    assert _setting_in_a_subprocess("SECURE_SSL_REDIRECT", env | {"ENV_FILE": str(dotenv)}) == "False"
    assert _setting_in_a_subprocess("SECURE_SSL_REDIRECT", env | {"ENV_FILE": ""}) == "True"
