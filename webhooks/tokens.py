"""Webhook token format and digests. A token is `whk_` + 43 url-safe characters (256 bits);
its first 12 characters are a lookup prefix, and only its SHA-256 digest is stored."""

import hashlib
import hmac
import secrets

TOKEN_PREFIX = "whk_"  # noqa: S105 (a format marker, not a secret)
LOOKUP_PREFIX_LENGTH = 12


def token_generate() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def token_lookup_prefix(raw: str) -> str:
    return raw[:LOOKUP_PREFIX_LENGTH]


def digests_match(raw: str, digest: str) -> bool:
    return hmac.compare_digest(token_digest(raw), digest)


def token_mask(raw: object) -> str:
    """What a log may show of a token: its lookup prefix at most."""
    if not isinstance(raw, str) or not raw:
        return "***"
    if raw.startswith(TOKEN_PREFIX) and len(raw) > LOOKUP_PREFIX_LENGTH:
        return token_lookup_prefix(raw) + "***"
    return "***"
