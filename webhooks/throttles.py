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


class WebhookAddressThrottle(SimpleRateThrottle):
    """Per source address (WEBHOOK_IP_THROTTLE_RATE), checked before the body is parsed or the
    token looked up, so a stream of random tokens costs a cache hit each, not a query. The address
    is the one WEBHOOK_TRUSTED_PROXIES resolves, each with its own budget."""

    scope = "webhook_address"

    def get_cache_key(self, request, view):
        return None  # checked explicitly by the intake, see `check`

    def check(self, address: str | None) -> None:
        self.key = self.cache_format % {"scope": self.scope, "ident": address or "unknown"}
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            raise errors.throttled(self.wait())
        self.throttle_success()
