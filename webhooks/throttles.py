from rest_framework.throttling import SimpleRateThrottle

from webhooks import errors
from webhooks.tokens import token_digest


class WebhookTokenThrottle(SimpleRateThrottle):
    """Per-token request rate (WEBHOOK_THROTTLE_RATE). Keyed by the token's digest, so the raw
    token never reaches the cache."""

    scope = "webhook_token"

    def get_cache_key(self, request, view):
        return None  # checked explicitly once the token is known, see `check`

    def check(self, raw_token: str) -> None:
        self.key = self.cache_format % {"scope": self.scope, "ident": token_digest(raw_token)[:32]}
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            raise errors.throttled(self.wait())
        self.throttle_success()
