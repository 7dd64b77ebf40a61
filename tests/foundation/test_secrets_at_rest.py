import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from accounts import crypto
from webhooks.models import WebhookToken
from webhooks.tokens import token_digest


def _raw_row(table, columns, pk):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()


def test_exchange_credentials_are_ciphertext_in_the_database(owner, make):
    account = make.account(
        owner, api_key="AKEY-plain-123", api_secret="SSECRET-plain-456", passphrase="PP-789"
    )
    row = _raw_row(
        "accounts_exchangeaccount",
        ["api_key_encrypted", "api_secret_encrypted", "passphrase_encrypted"],
        account.pk,
    )
    for stored, plain in zip(row, ["AKEY-plain-123", "SSECRET-plain-456", "PP-789"], strict=True):
        assert plain not in stored
        assert crypto.decrypt(stored) == plain


def test_credentials_decrypt_after_key_rotation(owner, make, settings):
    account = make.account(owner, api_secret="rotate-me")
    from cryptography.fernet import Fernet

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.FIELD_ENCRYPTION_KEYS]
    assert crypto.decrypt(account.api_secret_encrypted) == "rotate-me"
    rotated = crypto.rotate(account.api_secret_encrypted)
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]
    assert crypto.decrypt(rotated) == "rotate-me"
    with pytest.raises(crypto.CredentialDecryptionError):
        crypto.decrypt(account.api_secret_encrypted)


def test_a_webhook_token_is_stored_as_a_digest_only(owner, make):
    token, raw = make.token(owner)
    stored = _raw_row("webhooks_webhooktoken", ["prefix", "digest"], token.pk)
    assert stored[1] == token_digest(raw)
    assert raw not in stored[1]
    assert raw != stored[0] and raw.startswith(stored[0])
    assert not WebhookToken.objects.filter(digest=raw).exists()


@pytest.mark.parametrize(
    "missing, message",
    [("SECRET_KEY", "SECRET_KEY is not set"), ("FIELD_ENCRYPTION_KEY", "FIELD_ENCRYPTION_KEY is not set")],
)
def test_missing_production_secrets_stop_start_up_with_a_clear_message(missing, message):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "FIELD_ENCRYPTION_KEY", "DEBUG"}}
    env.update(
        DEBUG="false",
        SECRET_KEY="x" * 50,
        FIELD_ENCRYPTION_KEY=settings.FIELD_ENCRYPTION_KEYS[0],
        DJANGO_SETTINGS_MODULE="tradingsite.settings",
    )
    env[missing] = ""
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_a_malformed_encryption_key_stops_start_up():
    env = dict(
        os.environ,
        DEBUG="false",
        SECRET_KEY="x" * 50,
        FIELD_ENCRYPTION_KEY="not-a-fernet-key",
        DJANGO_SETTINGS_MODULE="tradingsite.settings",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY is malformed" in result.stderr


def test_deploy_checks_are_clean_with_production_settings():
    env = dict(
        os.environ,
        DEBUG="false",
        SECRET_KEY="k" * 20 + "-production-like-secret-value-xyz",
        FIELD_ENCRYPTION_KEY=settings.FIELD_ENCRYPTION_KEYS[0],
        DJANGO_SETTINGS_MODULE="tradingsite.settings",
        ENV_FILE="",  # production settings, not the developer's .env (make run writes one)
    )
    env.pop("SECURE_SSL_REDIRECT", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr + result.stdout
