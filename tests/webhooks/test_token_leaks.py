"""A token is never stored raw, wherever the sender puts it: not in the log row's payload, signal,
error, answer or body, not in the answer sent back, not in a log line, not on an admin page."""

import io
import json
import logging

import pytest
from django.urls import reverse

from tests.guide import guide_example
from tradingsite.logging import BoundedFormatter, RedactSecretsFilter, RepeatedTracebackFilter
from webhooks.models import WebhookLog


@pytest.fixture
def log_lines():
    """Every log line as the app's handlers would write it (same formatter and filters)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(BoundedFormatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RepeatedTracebackFilter())
    handler.addFilter(RedactSecretsFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def _stored(log: WebhookLog) -> str:
    log.refresh_from_db()
    return json.dumps(
        [log.payload, log.signal, log.error, log.response, log.raw_body, log.signal_id], ensure_ascii=False
    )


def _placements(token):
    base = guide_example("single_market_buy", token)
    batch = guide_example("batch_limit", token)
    return {
        "inside orders[]": batch | {"orders": [{"price": "76000", "qty_per": 5, "note": token}]},
        "orders entry price": batch | {"orders": [{"price": token, "qty_per": 5}]},
        "under an unknown key": base | {"memo": token},
        "as a key": base | {token: 1},
        "as group_name": base | {"group_name": token},
        "as exchange": base | {"exchange": token},
        "as signal_id": base | {"signal_id": token},
        "inside a longer string": base | {"comment": f"my token is {token}!"},
        "nested deep": base | {"meta": {"a": [{"b": token}]}},
    }


@pytest.mark.parametrize(
    "placement",
    [
        "inside orders[]",
        "orders entry price",
        "under an unknown key",
        "as a key",
        "as group_name",
        "as exchange",
        "as signal_id",
        "inside a longer string",
        "nested deep",
    ],
)
def test_a_token_sent_in_the_wrong_place_is_never_stored_raw(
    placement, trader, post, client, superuser, log_lines, fake_exchange, sync_tasks
):
    other_token = "whk_" + "Q" * 43  # someone else's token, or a guess: masked as well
    for token in (trader.token, other_token):
        WebhookLog.objects.all().delete()
        response = post(_placements(token)[placement])
        assert token not in response.content.decode()
        log = WebhookLog.objects.get()
        assert token not in _stored(log), placement
        client.force_login(superuser)
        for url in (
            reverse("admin:webhooks_webhooklog_change", args=[log.pk]),
            reverse("admin:webhooks_webhooklog_changelist"),
        ):
            assert token not in client.get(url).content.decode()
    assert trader.token not in log_lines.getvalue()
    assert other_token not in log_lines.getvalue()


def test_a_callers_token_of_another_format_is_masked_where_else_it_appears(trader, post):
    secret = "my-own-secret-token-value"
    response = post(guide_example("single_market_buy", secret) | {"memo": secret, "note": f"x {secret} y"})
    assert response.status_code == 401
    assert secret not in _stored(WebhookLog.objects.get())


def test_a_token_sent_correctly_is_nowhere_in_the_database_logs_or_admin(
    trader, post, client, superuser, log_lines, fake_exchange, sync_tasks
):
    assert post(guide_example("single_market_buy", trader.token)).status_code == 200
    log = WebhookLog.objects.get()
    assert trader.token not in _stored(log)
    assert log.payload["token"].endswith("***")
    client.force_login(superuser)
    pages = [
        reverse("admin:webhooks_webhooklog_change", args=[log.pk]),
        reverse("admin:webhooks_webhooklog_changelist"),
        reverse("admin:webhooks_webhooktoken_changelist"),
        reverse("admin:orders_order_changelist"),
        reverse("admin:orders_accountjob_changelist"),
    ]
    for url in pages:
        assert trader.token not in client.get(url).content.decode(), url
    assert trader.token not in log_lines.getvalue()


def test_a_traceback_in_a_log_line_is_redacted_too(log_lines):
    token = "whk_" + "Z" * 43
    try:
        raise ValueError(f"bad value {token}")
    except ValueError:
        logging.getLogger("tests").exception("failed")
    assert "ValueError" in log_lines.getvalue()
    assert token not in log_lines.getvalue()


def test_stored_markup_is_escaped_on_the_admin_pages(trader, post, client, superuser):
    script = "<script>alert(1)</script>"
    post(guide_example("single_market_buy", trader.token) | {"group_name": script, "memo": script})
    log = WebhookLog.objects.get()
    client.force_login(superuser)
    for url in (
        reverse("admin:webhooks_webhooklog_change", args=[log.pk]),
        reverse("admin:webhooks_webhooklog_changelist"),
    ):
        page = client.get(url).content.decode()
        assert script not in page
