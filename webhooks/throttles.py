"""The webhook's two budgets, DRF throttles kept in the cache: per source address and per token.

Both are checked together, after the body is parsed and before the token is looked up: one
cache read for both, and one write once the signal is handed over or refused (DRF's own check
is a read and a write each, and on this machine every Redis round trip on the way from a
webhook to its order costs ~0.3 ms).
"""

import logging

from rest_framework.throttling import SimpleRateThrottle

from webhooks import errors
from webhooks.tokens import token_digest

logger = logging.getLogger(__name__)


class WebhookTokenThrottle(SimpleRateThrottle):
    """Per-token request rate (WEBHOOK_THROTTLE_RATE). Keyed by the token's digest, so the raw
    token never reaches the cache."""

    scope = "webhook_token"

    def get_cache_key(self, request, view):
        return None  # checked explicitly once the token is known, see WebhookThrottles

    def ident_of(self, raw_token: str) -> str:
        return token_digest(raw_token)[:32]


class WebhookAddressThrottle(SimpleRateThrottle):
    """Per source address (WEBHOOK_IP_THROTTLE_RATE), checked before the token is looked up, so a
    stream of random tokens costs a cache hit each, not a query. The address is the one
    WEBHOOK_TRUSTED_PROXIES resolves, each with its own budget."""

    scope = "webhook_address"

    def get_cache_key(self, request, view):
        return None  # checked explicitly by the intake, see WebhookThrottles

    def ident_of(self, address: str | None) -> str:
        return address or "unknown"


class WebhookThrottles:
    """The address's and the token's budgets. `check` decides and raises the 429 of the first one
    spent (the budgets before it are charged at once, as DRF's throttles checked one by one would
    be); a request that passes is charged by `charge()`, which the intake calls once its signal
    is handed to the workers or refused, so that the cache write is not on the way to the
    exchange. Like DRF's own read-then-write, concurrent requests may each see the budget before
    the others' charges (a few requests over, never fewer allowed)."""

    def __init__(self):
        self.address, self.token = WebhookAddressThrottle(), WebhookTokenThrottle()
        self._pending: dict = {}
        self._timeout = 0

    def check(self, *, address: str | None, raw_token: str | None = None) -> None:
        """Decide for the address (and the token when known); raise AddressThrottled or the
        token's 429 when a budget is spent."""
        throttles = [(self.address, self.address.ident_of(address))]
        if raw_token is not None:
            throttles.append((self.token, self.token.ident_of(raw_token)))
        cache = self.address.cache
        keys = [t.cache_format % {"scope": t.scope, "ident": ident} for t, ident in throttles]
        histories = cache.get_many(keys)
        now = self.address.timer()
        # Kept as long as the longest window: older entries are dropped on reading.
        self._timeout = max(throttle.duration for throttle, _ in throttles)
        self._pending = {}
        for (throttle, _), key in zip(throttles, keys, strict=True):
            throttle.key, throttle.now = key, now
            throttle.history = [at for at in histories.get(key, []) if at > now - throttle.duration]
            if len(throttle.history) >= throttle.num_requests:
                self.charge()
                error = errors.throttled(throttle.wait())
                raise AddressThrottled(error) if throttle is self.address else error
            throttle.history.insert(0, now)
            self._pending[key] = throttle.history

    def charge(self) -> None:
        """Write what `check` let through (once; later calls do nothing). Never raises: it runs
        after a signal was accepted, whose answer must not become a 500 (a resend) because the
        cache went away; a lost charge only lets one request through uncounted."""
        if self._pending:
            pending, self._pending = self._pending, {}
            try:
                self.address.cache.set_many(pending, self._timeout)
            except Exception as error:
                logger.warning("webhook throttles: charge not written: %s", type(error).__name__)


class AddressThrottled(errors.WebhookError):
    """The source address's budget is spent: the request is refused as if its body was never read."""

    def __init__(self, error: errors.WebhookError):
        super().__init__(error.message, code=error.code, status=error.status)
