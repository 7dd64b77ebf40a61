import ipaddress
import logging
import time

from django.conf import settings
from django.http import StreamingHttpResponse
from django.http.request import RawPostDataException
from django.utils import translation
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from tradingsite.client_ip import client_address
from webhooks import errors, schema
from webhooks.failures import webhook_fail
from webhooks.intake import Outcome, Request, webhook_receive, webhook_refuse
from webhooks.models import WebhookLog
from webhooks.throttles import WebhookThrottles

logger = logging.getLogger(__name__)


class RawBodyParser(BaseParser):
    """Accept any Content-Type: TradingView sends text/plain for alert text. The view decodes."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return None


class _AfterTheAnswer:
    """Runs `after` when the server closes the response, once the answer has been sent (WSGI
    servers call close() after the last byte; Django's test client calls it too)."""

    def __init__(self, *args, after=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.after = after

    def close(self):
        after, self.after = self.after, None  # once, however often close() is called
        try:
            if after is not None:
                after()
        except Exception:  # the answer is out: what is left must not turn into a 500 page
            logger.exception("webhook: recording the answer failed")
        finally:
            super().close()  # request_finished (Django closes old connections) comes after


class AnsweredResponse(_AfterTheAnswer, Response):
    """The webhook's answer (DRF renders it)."""


class ClosingAnswer(_AfterTheAnswer, StreamingHttpResponse):
    """An answer sent without a length, so that the server closes the connection after it:
    runserver, left with a chunked body it could not hand over, would otherwise read the rest of
    that body as the connection's next request."""

    def __init__(self, body: dict, *, status: int, after=None):
        content = JSONRenderer().render(body)
        super().__init__(iter([content]), status=status, content_type="application/json", after=after)


class WebhookView(APIView):
    """POST /api/webhook: a trading signal, a batch, or CANCEL_ALL_ORDER (see CONTRACT.md)."""

    parser_classes = [RawBodyParser]
    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(**schema.WEBHOOK_SCHEMA)
    def post(self, request):
        with translation.override(settings.LANGUAGE_CODE):
            try:
                outcome = self._handle(request)
            except Exception as error:  # a bug outside the intake: still a row and a short 500
                started = time.monotonic()
                log = WebhookLog(remote_addr=_address(request))
                outcome = Outcome(*webhook_fail(log=log, body=b"", error=error, started=started))
        if outcome.status == 411:  # chunks left unread on the connection (`_chunked_body`)
            return ClosingAnswer(outcome.body, status=outcome.status, after=outcome.after)
        return AnsweredResponse(outcome.body, status=outcome.status, after=outcome.after)

    def _handle(self, request) -> Outcome:
        remote = _address(request)
        try:
            body = _body(request, settings.WEBHOOK_MAX_BODY_BYTES)
        except errors.WebhookError as error:
            return webhook_refuse(remote_addr=remote, error=error)
        return webhook_receive(request=Request(body=body, remote_addr=remote), throttles=WebhookThrottles())


def _body(request, limit: int) -> bytes:
    """The request's body, at most `limit` bytes; raises the refusal that says why not."""
    if _chunked(request.META):
        return _chunked_body(request._request.environ, limit)
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > limit:
        raise errors.body_too_large(limit)
    try:
        body = request._request.body
    except RawPostDataException:
        body = b""
    except Exception:  # RequestDataTooBig and friends
        raise errors.body_too_large(limit) from None
    if len(body) > limit:
        raise errors.body_too_large(limit)
    return body


def _chunked(meta) -> bool:
    return not meta.get("CONTENT_LENGTH") and "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower()


def _chunked_body(environ, limit: int) -> bytes:
    """A body sent in chunks has no Content-Length, and Django reads none of it: it would be
    answered as empty. A server that de-chunks it (gunicorn says so with `wsgi.input_terminated`)
    lets us read it ourselves, up to the limit; another (runserver) hands over the raw chunks,
    so the sender is told to send a length (411)."""
    if not environ.get("wsgi.input_terminated"):
        raise errors.length_required()
    try:
        body = environ["wsgi.input"].read(limit + 1)
    except Exception:  # a malformed or cut-off chunk: gunicorn's InvalidChunkSize, NoMoreData, …
        raise errors.body_unreadable() from None
    if len(body) > limit:
        raise errors.body_too_large(limit)
    return body


def _address(request) -> str | None:
    """The caller's address if it is one: a forged X-Forwarded-For entry is not (None)."""
    address = client_address(request)
    try:
        return str(ipaddress.ip_address((address or "").strip()))
    except ValueError:
        return None
