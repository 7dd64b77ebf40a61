"""Issue 15's reproducers: bodies a hostile sender writes get the contract's 400 (never a 500), every
request leaves its log row, and a 500 that still happens is short, generic and logged once."""

import json
import logging

import pytest
from django.test import override_settings

from orders.models import Order
from tests.guide import guide_example
from webhooks.models import WebhookLog


def _market_buy(trader, **changes):
    payload = guide_example("single_market_buy", trader.token)
    payload.update(changes)
    return payload


def _refused(response, code):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["success"] is False and body["code"] == code, body
    assert set(body) == {"success", "error", "code"}
    assert Order.objects.count() == 0
    log = WebhookLog.objects.get()
    assert log.status == "rejected" and log.http_status == 400
    return body, log


@pytest.mark.parametrize("depth", [25, 400, 900, 5000])
def test_a_deeply_nested_body_is_a_400_with_its_log_row(depth, trader, post):
    nested = "[" * depth + "1" + "]" * depth
    raw = f'{{"group_name": "test1", "token": "{trader.token}", "foo": {nested}}}'
    body, log = _refused(post(None, raw=raw.encode()), "too_deep")
    assert "중첩" in body["error"]
    assert len(log.raw_body) < 2200  # cut short, not the whole body


def test_a_deep_body_in_an_orders_entry_is_refused_before_any_field_is_read(trader, post):
    payload = _market_buy(trader)
    nested = 1
    for _ in range(30):
        nested = {"a": nested}
    payload["orders"] = [{"price": nested}]
    _refused(post(payload), "too_deep")


@pytest.mark.parametrize("where", ["exchange", "group_name", "symbol", "signal_id", "key", "orders"])
def test_a_lone_surrogate_anywhere_is_a_400_with_its_log_row(where, trader, post):
    sent = {k: v for k, v in _market_buy(trader).items() if k != where}
    payload = json.dumps(sent)[:-1]
    escaped = {
        "exchange": ', "exchange": "\\ud800"',
        "group_name": ', "group_name": "x\\udfffy"',
        "symbol": ', "symbol": "BTC\\ud83dUSDT"',
        "signal_id": ', "signal_id": "\\udc00"',
        "key": ', "\\ud800": 1',
        "orders": ', "orders": [{"price": "\\ud800"}]',
    }[where]
    raw = (payload + escaped + "}").encode()
    body, log = _refused(post(None, raw=raw), "invalid_characters")
    log.refresh_from_db()  # what the database holds is valid text


@pytest.mark.parametrize("value", ["1_000", "１０００", "١٠٠٠", "१०००", "1 000", "80,000", "0x10", "٣.٥"])
def test_a_number_that_is_not_ascii_decimal_is_a_400(value, trader, post):
    payload = guide_example("curl_single_limit", trader.token) | {"price": value}
    body, _log = _refused(post(payload), "invalid_field")
    assert "price" in body["error"]


def test_an_ascii_numeric_string_still_works(trader, post, fake_exchange, sync_tasks):
    payload = guide_example("curl_single_limit", trader.token) | {"price": " 80000.50 "}
    assert post(payload).status_code == 200


@pytest.mark.parametrize(
    "symbol", ["BYBIT:BTCUSDT.P", "OKX:BTCUSDT.P", "COINBASE:BTCUSDT", "BINANCEUS:BTCUSDT"]
)
def test_a_venue_prefix_that_contradicts_the_exchange_is_a_400(symbol, trader, post):
    body, _log = _refused(post(_market_buy(trader, symbol=symbol, exchange="BINANCE")), "invalid_field")
    assert "symbol" in body["error"] and "BINANCE" in body["error"]


def test_a_venue_prefix_matching_the_exchange_trades(trader, post, fake_exchange, sync_tasks):
    assert post(_market_buy(trader, symbol="BINANCE:BTCUSDT.P")).status_code == 200


def _forget_tracebacks():
    """The traceback filter logs a repeated failure's traceback once a minute: start afresh."""
    from tradingsite.logging import RepeatedTracebackFilter

    for handler in logging.getLogger().handlers:
        for log_filter in handler.filters:
            if isinstance(log_filter, RepeatedTracebackFilter):
                log_filter._seen.clear()


def _break_the_intake(monkeypatch, error=RuntimeError("boom " + "x" * 5000)):
    def broken(**kwargs):
        raise error

    # Both ways of writing a signal build its jobs and orders there (one statement on
    # PostgreSQL, a transaction elsewhere).
    monkeypatch.setattr("orders.services._orders_build", broken)


@pytest.mark.parametrize("debug", [False, True])
def test_an_unexpected_exception_answers_a_short_generic_500_and_keeps_its_log_row(
    debug, trader, post, monkeypatch, caplog
):
    _break_the_intake(monkeypatch)
    _forget_tracebacks()
    with override_settings(DEBUG=debug), caplog.at_level(logging.ERROR):
        response = post(_market_buy(trader))
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {
        "success": False,
        "error": "서버 내부 오류가 발생했습니다. 관리자에게 문의하세요",
        "code": "internal_error",
    }
    assert len(response.content) < 300  # never a debug page
    log = WebhookLog.objects.get()
    assert log.http_status == 500 and log.error_code == "internal_error" and log.status == "error"
    assert log.owner == trader.user  # what was known before the failure is kept
    assert trader.token not in json.dumps([log.payload, log.raw_body, log.error, log.response])
    failures = [r for r in caplog.records if r.name == "webhooks.failures"]
    assert len(failures) == 1 and failures[0].exc_info
    assert "xxxxxxxxxx" not in failures[0].getMessage()  # one line: the exception's type, not its text


def test_a_failure_after_the_claim_keeps_the_claim_and_records_the_500(trader, post, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("collect failed")

    monkeypatch.setattr("webhooks.reports.signal_collect", broken)
    monkeypatch.setattr("orders.services.orders_create", lambda **kwargs: [])
    response = post(_market_buy(trader, signal_id="sig-1"))
    assert response.status_code == 500
    log = WebhookLog.objects.get()
    assert log.http_status == 500 and log.error_code == "internal_error"
    assert log.status == "received"  # still the signal_id's claim: a resend is a duplicate, not new orders


def test_a_failure_in_the_view_itself_still_leaves_a_row(trader, post, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("view broke")

    monkeypatch.setattr("webhooks.views.webhook_receive", broken)
    response = post(_market_buy(trader))
    assert response.status_code == 500 and response.json()["code"] == "internal_error"
    assert WebhookLog.objects.get().http_status == 500


def test_a_forged_forwarded_address_is_not_a_500(trader, post, settings):
    settings.WEBHOOK_TRUSTED_PROXIES = 1
    response = post(_market_buy(trader, group_name="nope"), HTTP_X_FORWARDED_FOR="not-an-address")
    assert response.status_code == 404
    assert WebhookLog.objects.get().remote_addr is None


def test_a_refused_body_is_stored_cut_short(trader, post):
    payload = {"token": trader.token, "group_name": "x" * 200, "junk": ["y" * 1000] * 60}
    response = post(payload)
    assert response.status_code == 400
    log = WebhookLog.objects.get()
    assert log.payload is None
    assert len(log.raw_body) < 2100 and log.raw_body.startswith('{"token": "whk_')
    assert trader.token not in log.raw_body
    assert len(log.error) <= 2000 and len(json.dumps(log.response)) < 2500


def test_a_huge_non_string_value_in_an_error_is_cut(trader, post):
    body = post(_market_buy(trader, price={"a": ["b" * 100] * 500}, order_type="LIMIT")).json()
    assert len(body["error"]) < 500


@override_settings(LANGUAGE_CODE="en")
def test_the_new_refusals_have_english_messages(trader, post):
    raw = b'{"group_name": "g", "token": "t", "x": "\\ud800"}'
    assert post(None, raw=raw).json()["error"].startswith("The request body contains a lone surrogate")
    WebhookLog.objects.all().delete()
    body = post(_market_buy(trader, symbol="BYBIT:BTCUSDT")).json()
    assert "does not match exchange BINANCE" in body["error"]
