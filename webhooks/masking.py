"""Tokens are never stored raw, wherever a sender puts them: any string that looks like a webhook
token (`whk_…`), or that is the token the caller sent, is masked in everything a log row keeps
(payload, signal, error, answer, body) and in the answer itself. Lone surrogates and U+0000 are
escaped on the way, so whatever reaches the row can be saved."""

import re

from webhooks.normalize import normalize_key
from webhooks.structure import safe_text
from webhooks.tokens import token_mask

# Possessive, and not followed by the mask's `*`: masking twice changes nothing.
TOKEN_LIKE = re.compile(r"whk_[A-Za-z0-9_\-]{8,}+(?!\*)")
# A caller's token in another format is masked inside longer strings only when it is this long;
# shorter, only a value equal to it is (masking "1" everywhere would garble the row).
MIN_SUBSTRING_SECRET = 8


def mask_text(text: str, secrets: frozenset[str] = frozenset()) -> str:
    text = safe_text(text)
    for secret in secrets:
        if text == secret:
            return token_mask(secret)
        if len(secret) >= MIN_SUBSTRING_SECRET and secret in text:
            text = text.replace(secret, token_mask(secret))
    return TOKEN_LIKE.sub(lambda match: token_mask(match.group()), text)


def mask_value(value, secrets: frozenset[str] = frozenset()):
    """A JSON-like value with every string (keys too) masked; depth is bounded by the caller
    (structure_check), so recursion is safe here."""
    if isinstance(value, str):
        return mask_text(value, secrets)
    if isinstance(value, dict):
        return {mask_text(str(k), secrets): mask_value(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(v, secrets) for v in value]
    return value


def secrets_of(value) -> frozenset[str]:
    """The token(s) a caller sent: non-empty string values of top-level token keys."""
    if not isinstance(value, dict):
        return frozenset()
    found = set()
    for key, item in value.items():
        if isinstance(key, str) and isinstance(item, str) and item and normalize_key(key) == "token":
            found.add(safe_text(item))
    return frozenset(found)
