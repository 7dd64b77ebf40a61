"""Webhook token lifecycle: create, rotate, revoke, authenticate."""

import functools
import logging
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from tradingsite.rows import JoinedSelect, Part
from webhooks.models import WebhookToken
from webhooks.tokens import digests_match, token_digest, token_generate, token_lookup_prefix

logger = logging.getLogger(__name__)
_NO_DIGEST = "0" * 64  # compared against when no row shares the prefix


def token_create(
    *, owner, name: str = "default", expires_at: datetime | None = None
) -> tuple[WebhookToken, str]:
    """Create a token; returns (token row, raw token). The raw token is not stored anywhere."""
    raw = token_generate()
    token = WebhookToken.objects.create(
        owner=owner,
        name=name,
        prefix=token_lookup_prefix(raw),
        digest=token_digest(raw),
        expires_at=expires_at,
    )
    logger.info("webhook token %s created for user %s", token.pk, owner.pk)
    return token, raw


@transaction.atomic
def token_rotate(*, owner, name: str = "default", grace_seconds: int = 0) -> tuple[WebhookToken, str]:
    """Create a new token named `name` and retire the owner's other live tokens of that name,
    at once or after `grace_seconds`. Returns (new token row, raw token)."""
    now = timezone.now()
    retire_at = now + timedelta(seconds=max(grace_seconds, 0))
    live = WebhookToken.objects.select_for_update().filter(owner=owner, name=name)
    for old in live:
        if old.is_usable(now):
            old.revoked_at = retire_at
            old.save(update_fields=["revoked_at"])
    return token_create(owner=owner, name=name)


def token_revoke(*, token: WebhookToken) -> None:
    """Stop a token from working now."""
    if token.revoked_at is None or token.revoked_at > timezone.now():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


@functools.cache
def _token_select() -> JoinedSelect:
    """Tokens sharing a prefix, with their owners: one precompiled read per webhook
    (tradingsite/rows.py). Built on first use: the user model is known once apps are loaded."""
    return JoinedSelect(
        Part("t", WebhookToken),
        Part("u", get_user_model()),
        tables="{t} t JOIN {u} u ON u.id = t.owner_id",
        where="t.prefix = %s",
    )


def token_authenticate(*, raw: str) -> WebhookToken | None:
    """The usable token whose digest matches `raw` (constant-time compare), or None."""
    if not token_plausible(raw):
        return None
    candidates = []
    for row in _token_select().fetch([token_lookup_prefix(raw)]):
        row["t"].owner = row["u"]
        candidates.append(row["t"])
    return token_pick(raw=raw, candidates=candidates)


def token_plausible(raw) -> bool:
    """Worth a look-up at all: a string of a token's length."""
    return isinstance(raw, str) and bool(raw) and len(raw) <= 200


def token_pick(*, raw: str, candidates: list[WebhookToken]) -> WebhookToken | None:
    """Of the tokens sharing raw's look-up prefix (each with its `owner`), the usable one whose
    digest matches `raw`, or None. For a caller that read the candidates along with other rows."""
    now = timezone.now()
    found = None
    # The same digest work whether or not the prefix matched a row: only the lookup's own
    # (index) time still differs, and all it can reveal is a 12-character prefix match.
    for candidate in candidates or [None]:
        if digests_match(raw, candidate.digest if candidate else _NO_DIGEST) and candidate:
            found = candidate
    if found is None or not found.is_usable(now) or not found.owner.is_active:
        return None
    # Only touch last_used_at once a minute: a hot token should not rewrite its row per request.
    if found.last_used_at is None or now - found.last_used_at > timedelta(seconds=60):
        WebhookToken.objects.filter(pk=found.pk).update(last_used_at=now)
        found.last_used_at = now
    return found
