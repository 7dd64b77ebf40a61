from django.conf import settings
from django.http.request import RawPostDataException
from django.utils import translation
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from webhooks import errors, schema
from webhooks.intake import Outcome, Request, webhook_receive, webhook_refuse
from webhooks.throttles import WebhookTokenThrottle


class RawBodyParser(BaseParser):
    """Accept any Content-Type: TradingView sends text/plain for alert text. The view decodes."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return None


class WebhookView(APIView):
    """POST /api/webhook: a trading signal, a batch, or CANCEL_ALL_ORDER (see CONTRACT.md)."""

    parser_classes = [RawBodyParser]
    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(**schema.WEBHOOK_SCHEMA)
    def post(self, request):
        with translation.override(settings.LANGUAGE_CODE):
            outcome = self._handle(request)
        return Response(outcome.body, status=outcome.status)

    def _handle(self, request) -> Outcome:
        limit = settings.WEBHOOK_MAX_BODY_BYTES
        remote = client_address(request)
        declared = request.META.get("CONTENT_LENGTH") or "0"
        body = b""
        too_large = declared.isdigit() and int(declared) > limit
        if not too_large:
            try:
                body = request._request.body
            except RawPostDataException:
                body = b""
            except Exception:  # RequestDataTooBig and friends
                too_large = True
            too_large = too_large or len(body) > limit
        if too_large:
            return webhook_refuse(remote_addr=remote, error=errors.body_too_large(limit))
        return webhook_receive(
            request=Request(body=body, remote_addr=remote), throttle=WebhookTokenThrottle().check
        )


def client_address(request) -> str | None:
    """The caller's address: the socket's, or the Nth-from-last X-Forwarded-For entry when
    WEBHOOK_TRUSTED_PROXIES proxies sit in front of us."""
    proxies = settings.WEBHOOK_TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR")
