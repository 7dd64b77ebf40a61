"""Every order example of the user's guide, on every exchange × market type, through the real
web server, a real qcluster and real ccxt against the simulator. The response must match the
guide's shape key for key, and the simulator must have received exactly the expected orders."""

import json
from decimal import Decimal

import pytest

from tests.guide import guide_example, guide_response

pytestmark = pytest.mark.integration

EXCHANGES = ["BINANCE", "BYBIT", "OKX"]
MARKETS = ["FUTURES", "SPOT"]
SINGLE = ["single_market_buy", "single_limit_sell", "single_stop_limit", "curl_single_limit"]
BATCH = ["batch_limit", "batch_stop_limit", "curl_batch_limit", "curl_batch_stop_limit", "python_batch_limit"]
CONTRACT_SIZE = {("OKX", "BTC"): Decimal("0.01")}


def _keys_match(actual: dict, expected: dict, where: str) -> None:
    missing = set(expected) - set(actual)
    assert not missing, f"{where}: missing keys {missing}"
    for key, value in expected.items():
        if isinstance(value, dict):
            _keys_match(actual[key], value, f"{where}.{key}")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            assert actual[key], f"{where}.{key} is empty"
            for index, item in enumerate(actual[key]):
                _keys_match(item, value[0], f"{where}.{key}[{index}]")


def _prepare(payload: dict, exchange: str, market: str) -> dict:
    return {**payload, "exchange": exchange, "market_type": market}


def _sim_order(sim, client_order_id: str) -> dict:
    found = [o for o in sim.orders() if o["client_order_id"] == client_order_id]
    assert len(found) == 1, f"{len(found)} orders with client id {client_order_id}"
    return found[0]


def _check_sim_order(sim_order: dict, *, exchange, market, sent: dict, order_type, side, quantity):
    expected_type = {
        "LIMIT": "LIMIT",
        "MARKET": "MARKET",
        "STOP_LIMIT": "STOP_LIMIT",
        "STOP_MARKET": "STOP_MARKET",
    }[order_type]
    assert sim_order["type"] == expected_type
    assert sim_order["side"] == side
    assert sim_order["market"] == ("futures" if market == "FUTURES" else "spot")
    if order_type in ("LIMIT", "STOP_LIMIT"):
        assert Decimal(sim_order["price"]) == Decimal(str(sent["price"]))
    if order_type.startswith("STOP"):
        assert Decimal(sim_order["trigger_price"]) == Decimal(str(sent["stop_price"]))
    size = CONTRACT_SIZE.get((exchange, "BTC"), Decimal("1")) if market == "FUTURES" else Decimal("1")
    assert Decimal(sim_order["quantity"]) * size == Decimal(str(quantity))
    assert sim_order["reduce_only"] is False


def _open_spot_position(stack, trader, exchange, group_name):
    buy = _prepare(guide_example("single_market_buy", trader.token), exchange, "SPOT") | {
        "group_name": group_name
    }
    response = stack.post(buy)
    assert response.status_code == 200 and response.json()["result"]["results"][0]["success"], response.text


def _send(name, exchange, market, stack, make_trader, shape) -> tuple[dict, dict]:
    """Send the guide's example `name` on this exchange × market; returns (sent, answer) once the
    answer has passed as 200 with every key of the guide's response of that `shape`."""
    trader = make_trader(exchange, market)
    sent = _prepare(guide_example(name, trader.token), exchange, market)
    if market == "SPOT" and sent["side"] == "sell":  # spot cannot sell what it has not bought
        _open_spot_position(stack, trader, exchange, sent["group_name"])
    response = stack.post(sent)
    assert response.status_code == 200, response.text
    body = response.json()
    _keys_match(body, guide_response(shape), "response")
    return sent, body


@pytest.mark.parametrize("market", MARKETS)
@pytest.mark.parametrize("exchange", EXCHANGES)
@pytest.mark.parametrize("name", SINGLE)
def test_single_examples(name, exchange, market, stack, make_trader, sim):
    sent, body = _send(name, exchange, market, stack, make_trader, "single")
    entry = body["result"]["results"][0]
    assert entry["success"] is True, json.dumps(entry, ensure_ascii=False)
    assert entry["exchange"] == exchange.lower()
    _check_sim_order(
        _sim_order(sim, entry["client_order_id"]),
        exchange=exchange,
        market=market,
        sent=sent,
        order_type=sent["order_type"],
        side=sent["side"],
        quantity=entry["quantity"],
    )


@pytest.mark.parametrize("market", MARKETS)
@pytest.mark.parametrize("exchange", EXCHANGES)
@pytest.mark.parametrize("name", BATCH)
def test_batch_examples(name, exchange, market, stack, make_trader, sim):
    sent, body = _send(name, exchange, market, stack, make_trader, "batch")
    result = body["result"]
    assert result["summary"]["total_orders_successful"] == len(sent["orders"]), result
    account = result["accounts"][0]
    for leg, order in zip(sent["orders"], account["orders"], strict=True):
        assert order["success"] is True, order
        _check_sim_order(
            _sim_order(sim, order["client_order_id"]),
            exchange=exchange,
            market=market,
            sent={**sent, **leg},
            order_type=sent["order_type"],
            side=sent["side"],
            quantity=order["quantity"],
        )
    log_prefix = account["orders"][0]["client_order_id"].split("A")[0] + "A"
    assert len([o for o in sim.orders() if o["client_order_id"].startswith(log_prefix)]) == len(
        sent["orders"]
    )
