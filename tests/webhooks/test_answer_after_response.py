"""The answer goes out before its log row records it: the view's response writes the row's answer
when the server closes it (webhooks/views.py AnsweredResponse), one round trip less between the
jobs' end and the caller. WSGI servers close a response after its last byte; Django's test client
closes it before returning, so the other tests see the row as the caller left it."""

import json
import logging

import pytest
from django.core.signals import request_finished
from django.db import DatabaseError
from rest_framework.test import APIRequestFactory

from orders import services
from tests.guide import guide_example
from webhooks.models import WebhookLog
from webhooks.views import WebhookView


@pytest.fixture
def jobs_not_run(monkeypatch, settings):
    """The jobs stay queued (nothing runs them) and the answer is the deadline's 202."""
    monkeypatch.setattr(services, "_enqueue_on_commit", lambda jobs, log_id: None)
    settings.WEBHOOK_RESPONSE_DEADLINE = 0.05


def _answered(payload):
    """The view's response as a server has it before sending: rendered, not yet closed."""
    request = APIRequestFactory().post(
        "/api/webhook", data=json.dumps(payload), content_type="application/json"
    )
    response = WebhookView.as_view()(request)
    response.render()
    return response


def test_the_row_records_the_answer_when_the_response_is_closed(trader, jobs_not_run):
    response = _answered(guide_example("single_market_buy", trader.token))
    assert response.status_code == 202
    log = WebhookLog.objects.get()
    # Committed with its orders before the answer; the answer itself not yet.
    assert log.status == WebhookLog.Status.RECEIVED and log.committed_at is None
    assert log.http_status is None and log.response is None

    response.close()
    log.refresh_from_db()
    assert log.http_status == 202 and log.response == json.loads(response.content)
    assert log.committed_at is not None and log.answered_at is not None
    response.close()  # a second close writes nothing more
    assert WebhookLog.objects.get().answered_at == log.answered_at


def test_a_failed_answer_write_is_logged_and_the_response_still_closes(
    trader, jobs_not_run, monkeypatch, caplog
):
    response = _answered(guide_example("single_market_buy", trader.token))

    def database_gone(*args, **kwargs):
        raise DatabaseError("server closed the connection")

    monkeypatch.setattr("webhooks.intake.row_update", database_gone)
    finished = []

    def on_finished(**kwargs):
        finished.append(1)

    request_finished.connect(on_finished)
    try:
        with caplog.at_level(logging.ERROR, logger="webhooks.views"):
            response.close()  # raises nothing: the answer has gone out already
    finally:
        request_finished.disconnect(on_finished)
    assert finished == [1]  # Django's end of request (closing old connections) still runs
    assert "recording the answer failed" in caplog.text
    log = WebhookLog.objects.get()
    assert log.http_status is None and log.status == WebhookLog.Status.RECEIVED
