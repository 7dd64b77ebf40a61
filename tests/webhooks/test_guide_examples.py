"""Every example of the user's guide, unchanged but for the token, passes and gets the guide's
response shape (against a fake exchange; the integration suite plays them against the simulator)."""

import json

import pytest

from orders.models import Order
from tests.guide import EXAMPLES, guide_example
from webhooks.models import WebhookLog

ORDER_EXAMPLES = ["single_market_buy", "single_limit_sell", "single_stop_limit", "curl_single_limit"]
BATCH_EXAMPLES = [
    "batch_limit",
    "batch_stop_limit",
    "curl_batch_limit",
    "curl_batch_stop_limit",
    "python_batch_limit",
]
CANCEL_EXAMPLES = ["cancel_all", "cancel_symbol", "curl_cancel"]


def _keys(example: dict) -> set:
    return set(example)


def _guide_response(name):
    return json.loads((EXAMPLES / f"response_{name}.json").read_text())


@pytest.mark.parametrize("name", ORDER_EXAMPLES)
def test_single_order_examples_answer_in_the_guides_shape(name, trader, fake_exchange, sync_tasks, post):
    response = post(guide_example(name, trader.token))
    assert response.status_code == 200, response.content
    body = response.json()
    guide = _guide_response("single")
    assert _keys(body) >= _keys(guide)
    assert body["success"] is True and body["message"] == "웹훅 처리 성공"
    result = body["result"]
    assert _keys(result) >= _keys(guide["result"])
    assert result["action"] == "trading_signal"
    assert len(result["results"]) == 1
    entry = result["results"][0]
    assert _keys(entry) >= _keys(guide["result"]["results"][0])
    assert entry["account_name"] == "Main Account" and entry["exchange"] == "binance"
    assert entry["success"] is True, entry
    assert isinstance(entry["quantity"], float) and isinstance(entry["order_price"], float)
    assert isinstance(entry["order_id"], str)
    assert _keys(result["summary"]) >= _keys(guide["result"]["summary"])
    assert result["summary"]["successful_trades"] == 1 and result["summary"]["failed_trades"] == 0
    assert len(fake_exchange.placed()) == 1


@pytest.mark.parametrize("name", BATCH_EXAMPLES)
def test_batch_examples_answer_in_the_guides_shape(name, trader, fake_exchange, sync_tasks, post):
    payload = guide_example(name, trader.token)
    response = post(payload)
    assert response.status_code == 200, response.content
    guide = _guide_response("batch")
    result = response.json()["result"]
    assert _keys(result) >= _keys(guide["result"])
    assert result["action"] == "batch_trading_signal" and result["symbol"] == "BTCUSDT"
    assert result["total_orders"] == len(payload["orders"])
    account = result["accounts"][0]
    assert _keys(account) >= _keys(guide["result"]["accounts"][0])
    assert [o["order_index"] for o in account["orders"]] == list(range(len(payload["orders"])))
    for sent, got in zip(payload["orders"], account["orders"], strict=True):
        assert _keys(got) >= _keys(guide["result"]["accounts"][0]["orders"][0])
        assert got["requested_price"] == sent["price"] and got["requested_qty_per"] == float(sent["qty_per"])
        assert got["success"] is True, got
    assert _keys(result["summary"]) >= _keys(guide["result"]["summary"])
    assert result["summary"]["total_orders_successful"] == len(payload["orders"])
    assert len(fake_exchange.placed()) == len(payload["orders"])


@pytest.mark.parametrize("name", CANCEL_EXAMPLES)
def test_cancel_examples_are_accepted(name, trader, fake_exchange, sync_tasks, post):
    resting = "curl_batch_limit" if name == "curl_cancel" else "batch_limit"  # same group_name as the cancel
    assert post(guide_example(resting, trader.token)).status_code == 200
    response = post(guide_example(name, trader.token))
    assert response.status_code == 200, response.content
    result = response.json()["result"]
    assert result["action"] == "cancel_all_orders"
    assert result["summary"]["total_cancelled_orders"] == 3
    assert Order.objects.filter(status="CANCELLED").count() == 3


def test_the_error_example_is_what_a_missing_exchange_answers(trader, post):
    payload = guide_example("single_market_buy", trader.token)
    del payload["exchange"]
    response = post(payload)
    assert response.status_code == 400
    assert response.json() == {**_guide_response("error"), "code": "missing_field"}
    assert WebhookLog.objects.get().status == "rejected"
