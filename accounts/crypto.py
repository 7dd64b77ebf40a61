"""Encryption of exchange credentials at rest (Fernet, with key rotation through MultiFernet).

The database only ever holds ciphertext. Decryption happens where a credential is used:
`accounts/exchange/client.py`, when it builds an exchange client.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class CredentialDecryptionError(Exception):
    """The ciphertext was not made with any configured FIELD_ENCRYPTION_KEY."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    if not plaintext:
        return ""
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    if not ciphertext:
        return ""
    try:
        return _current().decrypt(ciphertext.encode()).decode()
    except InvalidToken as error:
        raise CredentialDecryptionError(
            "stored credential cannot be decrypted with FIELD_ENCRYPTION_KEY"
        ) from error


def rotate(ciphertext: str) -> str:
    """Re-encrypt under the first (newest) key."""
    if not ciphertext:
        return ""
    return _current().rotate(ciphertext.encode()).decode()
