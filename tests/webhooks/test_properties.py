"""Arbitrary JSON never makes the webhook answer 5xx, and an invalid body never creates an Order."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders.models import Order
from webhooks.models import WebhookLog
from webhooks.signals import KNOWN_FIELDS

FIELDS = [*sorted(KNOWN_FIELDS), "orderType", "qtyPer", "type", "platform"]  # and a few spellings
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(
        [
            "BINANCE",
            "FUTURES",
            "USDT",
            "BTCUSDT",
            "LIMIT",
            "buy",
            "NaN",
            "-1",
            "100",
            "CANCEL_ALL_ORDER",
            "my_strategy",
        ]
    ),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), children, max_size=5),
    ),
    max_leaves=20,
)
payloads = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(payloads, json_values))
def test_arbitrary_json_gets_a_4xx_or_2xx_and_invalid_bodies_place_nothing(
    body, trader, client, fake_exchange, sync_tasks
):
    if isinstance(body, dict) and "token" in body:
        body["token"] = trader.token if body["token"] == "my_strategy" else body["token"]
    orders_before = Order.objects.count()
    logs_before = WebhookLog.objects.count()
    response = client.post("/api/webhook", data=json.dumps(body), content_type="application/json")
    assert response.status_code < 500
    assert WebhookLog.objects.count() == logs_before + 1
    if response.status_code >= 400:
        assert Order.objects.count() == orders_before
        assert response.json()["success"] is False


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200))
def test_arbitrary_bytes_never_answer_5xx(raw, trader, client):
    response = client.post("/api/webhook", data=raw, content_type="text/plain")
    assert 400 <= response.status_code < 500
    assert Order.objects.count() == 0
