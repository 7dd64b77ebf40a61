"""The caller's address, as the webhook's throttle, its allowlist and the admin login lockout see it."""

from django.conf import settings


def client_address(request) -> str | None:
    """The socket's address, or the Nth-from-last X-Forwarded-For entry when WEBHOOK_TRUSTED_PROXIES
    proxies sit in front of us (entries further left are the client's to forge)."""
    proxies = settings.WEBHOOK_TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR")
