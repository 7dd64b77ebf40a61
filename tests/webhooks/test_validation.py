"""The contract's errors: status, exact message, machine code; and that a refused request places
nothing and leaves exactly one log row."""

import json

import pytest
from django.test import override_settings
from django.utils import timezone

from orders.models import Order
from tests import factories
from tests.guide import guide_example
from webhooks.models import WebhookLog


def _market_buy(trader, **changes):
    payload = guide_example("single_market_buy", trader.token)
    payload.update(changes)
    return {k: v for k, v in payload.items() if v is not None}


def _assert_refused(response, status, error, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False
    assert body["error"].startswith(error), body["error"]
    if code:
        assert body["code"] == code
    assert Order.objects.count() == 0
    log = WebhookLog.objects.get()
    assert log.status == "rejected" and log.http_status == status
    return body


@pytest.mark.parametrize(
    "field", ["group_name", "token", "exchange", "market_type", "currency", "symbol", "order_type", "side"]
)
def test_a_missing_required_field_is_named_exactly(field, trader, post):
    body = _assert_refused(
        post(_market_buy(trader, **{field: None})), 400, f"필수 필드 누락: {field}", "missing_field"
    )
    assert body["error"] == f"필수 필드 누락: {field}"


def test_required_fields_are_reported_in_the_contracts_order(trader, post):
    body = _assert_refused(post({"group_name": "my_strategy", "token": trader.token}), 400, "")
    assert body["error"] == "필수 필드 누락: exchange"


def test_an_empty_string_counts_as_missing(trader, post):
    _assert_refused(post(_market_buy(trader, symbol="  ")), 400, "필수 필드 누락: symbol")


def test_an_unknown_token_is_refused(trader, post):
    _assert_refused(
        post(_market_buy(trader, token="whk_not-a-real-token-at-all")),
        401,
        "웹훅 토큰이 유효하지 않습니다",
        "invalid_token",
    )


def test_a_revoked_token_is_refused(trader, post):
    trader.token_row.revoked_at = timezone.now()
    trader.token_row.save()
    _assert_refused(post(_market_buy(trader)), 401, "웹훅 토큰이 유효하지 않습니다")


def test_an_expired_token_is_refused(trader, post):
    trader.token_row.expires_at = timezone.now() - timezone.timedelta(seconds=1)
    trader.token_row.save()
    _assert_refused(post(_market_buy(trader)), 401, "웹훅 토큰이 유효하지 않습니다")


def test_an_unknown_group_name_is_not_found(trader, post):
    _assert_refused(
        post(_market_buy(trader, group_name="nope")),
        404,
        "활성 전략을 찾을 수 없습니다",
        "strategy_not_found",
    )


def test_an_inactive_strategy_is_not_found(trader, post):
    trader.strategies["my_strategy"].is_active = False
    trader.strategies["my_strategy"].save()
    _assert_refused(post(_market_buy(trader)), 404, "활성 전략을 찾을 수 없습니다")


def test_another_owners_strategy_name_is_not_found(trader, post):
    stranger = factories.user("stranger")
    factories.strategy(stranger, group_name="their_strategy")
    _assert_refused(
        post(_market_buy(trader, group_name="their_strategy")), 404, "활성 전략을 찾을 수 없습니다"
    )


def test_a_strategy_without_accounts_is_refused(trader, post):
    factories.strategy(trader.user, group_name="lonely")
    _assert_refused(
        post(_market_buy(trader, group_name="lonely")),
        400,
        "전략에 연결된 계좌가 없습니다",
        "no_linked_accounts",
    )


def test_a_strategy_without_accounts_on_the_signals_exchange_names_it(trader, post):
    body = _assert_refused(post(_market_buy(trader, exchange="OKX")), 400, "전략에 연결된 계좌가 없습니다")
    assert "OKX" in body["error"]


def test_a_market_type_other_than_the_strategys_is_refused_naming_both(trader, post):
    body = _assert_refused(
        post(_market_buy(trader, market_type="SPOT")), 400, "시장 타입 불일치", "market_type_mismatch"
    )
    assert "SPOT" in body["error"] and "FUTURES" in body["error"]


@pytest.mark.parametrize(
    "field, value",
    [
        ("exchange", "KRAKEN"),
        ("market_type", "MARGIN"),
        ("order_type", "TRAILING"),
        ("side", "hold"),
        ("price", "abc"),
        ("price", True),
        ("price", 0),
        ("price", -1),
        ("price", "NaN"),
        ("price", "Infinity"),
        ("qty_per", 0),
        ("qty_per", 100.5),
        ("qty_per", -3),
        ("qty_per", False),
        ("qty_per", "1e400"),
        ("symbol", "BTC/EUR"),
        ("symbol", "!!"),
        ("currency", 5),
        ("group_name", ["x"]),
        ("stop_price", {"a": 1}),
    ],
)
def test_invalid_values_are_refused_naming_field_and_value(field, value, trader, post):
    body = _assert_refused(
        post(_market_buy(trader, **{field: value})), 400, "잘못된 필드 값", "invalid_field"
    )
    assert field in body["error"]


@pytest.mark.parametrize(
    "field, raw_value, shown",
    [
        ("price", "1e30", "price=1E+30 "),
        ("price", "true", "price=true "),
        ("symbol", '["BTCUSDT"]', 'symbol=["BTCUSDT"] '),
        ("stop_price", '{"a": 1, "b": [false, 2.5]}', 'stop_price={"a": 1, "b": [false, 2.5]} '),
        ("price", "NaN", "price=NaN "),
        ("price", "-Infinity", "price=-Infinity "),
    ],
)
def test_a_refused_value_is_shown_as_the_sender_wrote_it_in_json(field, raw_value, shown, trader, post):
    """Not as Python shows it (Decimal('1E+30'), True, ['BTCUSDT']): the sender wrote JSON."""
    payload = _market_buy(trader, order_type="STOP_MARKET" if field == "stop_price" else "MARKET")
    payload.pop(field, None)
    raw = json.dumps(payload)[:-1] + f', "{field}": {raw_value}}}'
    body = _assert_refused(post(None, raw=raw.encode()), 400, "잘못된 필드 값", "invalid_field")
    assert shown in body["error"], body["error"]


@pytest.mark.parametrize("field, digits", [("qty_per", 5000), ("price", 60000)])
def test_an_integer_too_long_for_python_is_refused_by_name_not_as_bad_json(field, digits, trader, post):
    """Valid JSON all the same: past Python's int-string limit (4 300 digits) json.loads raised."""
    payload = _market_buy(trader, order_type="LIMIT", price=70000)
    payload.pop(field)
    raw = json.dumps(payload)[:-1] + f', "{field}": {"9" * digits}}}'
    body = _assert_refused(post(None, raw=raw.encode()), 400, f"잘못된 필드 값: {field}=", "invalid_field")
    assert "너무 큽니다" in body["error"] and len(body["error"]) < 200


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_literals_are_refused(literal, trader, post):
    raw = json.dumps(_market_buy(trader))[:-1] + f', "price": {literal}}}'
    _assert_refused(post(None, raw=raw.encode()), 400, "잘못된 필드 값: price")


def test_a_limit_order_without_price_names_price(trader, post):
    _assert_refused(post(_market_buy(trader, order_type="LIMIT")), 400, "필수 필드 누락: price")


def test_a_stop_order_without_stop_price_names_it(trader, post):
    _assert_refused(post(_market_buy(trader, order_type="STOP_MARKET")), 400, "필수 필드 누락: stop_price")


@pytest.mark.parametrize(
    "orders, message",
    [
        ([], "잘못된 필드 값: orders"),
        ([{"price": 1, "qty_per": 1}] * 21, "잘못된 필드 값: orders"),
        ("not-a-list", "잘못된 필드 값: orders"),
        ([{"price": 78000}], "필수 필드 누락: orders[0].qty_per"),
        ([{"qty_per": 3}], "필수 필드 누락: orders[0].price"),
        ([{"price": 78000, "qty_per": 3, "side": "sell"}], "잘못된 필드 값: orders[0].side"),
        ([{"price": 78000, "qty_per": 60}, {"price": 77000, "qty_per": 50}], "잘못된 필드 값: orders"),
        ([1, 2], "잘못된 필드 값: orders[0]"),
    ],
)
def test_bad_batch_arrays_are_refused(orders, message, trader, post):
    payload = guide_example("batch_limit", trader.token)
    payload["orders"] = orders
    _assert_refused(post(payload), 400, message)


@override_settings(WEBHOOK_MAX_BATCH_ORDERS=2)
def test_the_batch_size_limit_is_configurable(trader, post):
    _assert_refused(post(guide_example("batch_limit", trader.token)), 400, "잘못된 필드 값: orders")


def test_price_beside_a_batch_is_refused(trader, post):
    payload = guide_example("batch_limit", trader.token)
    payload["qty_per"] = 10
    _assert_refused(post(payload), 400, "잘못된 필드 값: qty_per")


@pytest.mark.parametrize(
    "raw, code",
    [
        (b"not json at all", "invalid_json"),
        (b"", "invalid_json"),
        (b"\xff\xfe", "invalid_json"),
        (b"[1, 2]", "not_an_object"),
        (b'"text"', "not_an_object"),
        (b"42", "not_an_object"),
        (b"null", "not_an_object"),
    ],
)
def test_bodies_that_are_not_json_objects_are_refused(raw, code, trader, post):
    _assert_refused(post(None, raw=raw, content_type="text/plain"), 400, "", code)


def test_an_oversized_body_gets_413(trader, post):
    payload = _market_buy(trader, note="x" * 70_000)
    _assert_refused(post(payload), 413, "요청 본문이 너무 큽니다", "body_too_large")


def test_two_spellings_of_one_field_with_different_values_are_an_error(trader, post):
    payload = _market_buy(trader)
    payload["orderType"] = "LIMIT"
    _assert_refused(post(payload), 400, "필드 충돌", "conflicting_fields")


def test_a_repeated_json_key_with_different_values_is_an_error(trader, post):
    raw = json.dumps(_market_buy(trader))[:-1] + ', "side": "sell"}'
    _assert_refused(post(None, raw=raw.encode()), 400, "필드 충돌")


def test_the_log_never_holds_the_token(trader, post):
    payload = _market_buy(trader, user_token=None)
    payload["group_name"] = "nope"
    post(payload)
    log = WebhookLog.objects.get()
    assert trader.token not in json.dumps(log.payload)
    assert trader.token not in json.dumps(log.response)
    assert log.payload["token"].endswith("***")


def test_a_non_json_body_containing_a_token_is_logged_masked(trader, post):
    raw = f'token={trader.token} and "token": "{trader.token}" broken'.encode()
    post(None, raw=raw, content_type="text/plain")
    log = WebhookLog.objects.get()
    assert trader.token not in log.raw_body


@override_settings(WEBHOOK_ALLOWED_IPS=["52.89.214.238"])
def test_an_allowlist_refuses_other_addresses(trader, post):
    _assert_refused(post(_market_buy(trader)), 403, "허용되지 않은 IP", "ip_not_allowed")


@override_settings(WEBHOOK_ALLOWED_IPS=["52.89.214.238"], WEBHOOK_TRUSTED_PROXIES=1)
def test_an_allowlist_reads_the_address_a_trusted_proxy_forwarded(trader, post, fake_exchange, sync_tasks):
    response = post(_market_buy(trader), HTTP_X_FORWARDED_FOR="52.89.214.238")
    assert response.status_code == 200


def test_a_token_over_its_rate_is_throttled(trader, post, monkeypatch):
    from webhooks.throttles import WebhookTokenThrottle

    monkeypatch.setattr(WebhookTokenThrottle, "THROTTLE_RATES", {"webhook_token": "2/min"})
    from django.core.cache import cache

    cache.clear()
    payload = _market_buy(trader, group_name="nope")
    assert post(payload).status_code == 404
    assert post(payload).status_code == 404
    response = post(payload)
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert WebhookLog.objects.count() == 3


@pytest.mark.parametrize(
    "raw", [b'{"group_name": "a\\u0000b", "token": "x"}', b'{"\\u0000": 1}', b"not json \x00 at all"]
)
def test_nul_characters_are_refused_not_stored(raw, trader, post):
    response = post(None, raw=raw)
    assert response.status_code == 400
    assert "\x00" not in WebhookLog.objects.get().raw_body


def test_messages_stay_korean_whatever_the_client_asks(trader, post):
    response = post(_market_buy(trader, exchange=None), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.json()["error"] == "필수 필드 누락: exchange"


@override_settings(LANGUAGE_CODE="en")
def test_an_english_installation_answers_in_english(trader, post):
    response = post(_market_buy(trader, exchange=None))
    assert response.json()["error"] == "Missing required field: exchange"
