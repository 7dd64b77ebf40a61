"""필드 표준화: spellings, aliases and value variants are accepted and mean the same thing."""

from decimal import Decimal

import pytest

from orders.models import Order
from tests.guide import guide_example
from webhooks.errors import WebhookError
from webhooks.normalize import normalize_key
from webhooks.signals import parse_signal

BASE = {
    "group_name": "g",
    "token": "t",
    "exchange": "BINANCE",
    "market_type": "FUTURES",
    "currency": "USDT",
    "symbol": "BTCUSDT",
    "order_type": "LIMIT",
    "side": "buy",
    "price": 80000,
}


@pytest.mark.parametrize(
    "key, canonical",
    [
        ("orderType", "order_type"),
        ("order-type", "order_type"),
        ("ORDER_TYPE", "order_type"),
        ("marketType", "market_type"),
        ("stopPrice", "stop_price"),
        ("qtyPer", "qty_per"),
        ("groupName", "group_name"),
        ("signalId", "signal_id"),
        ("platform", "exchange"),
        ("user_token", "token"),
        ("type", "order_type"),
        ("Symbol", "symbol"),
        ("qty-per", "qty_per"),
        ("STOP PRICE", "stop_price"),
    ],
)
def test_key_spellings_map_to_the_canonical_field(key, canonical):
    assert normalize_key(key) == canonical


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("exchange", "binance", "BINANCE"),
        ("exchange", " Bybit ", "BYBIT"),
        ("market_type", "future", "FUTURES"),
        ("market_type", "perp", "FUTURES"),
        ("market_type", "PERPETUAL", "FUTURES"),
        ("market_type", "swap", "FUTURES"),
        ("market_type", "linear", "FUTURES"),
        ("order_type", "limit", "LIMIT"),
        ("order_type", "stop-limit", "STOP_LIMIT"),
        ("order_type", "Stop Market", "STOP_MARKET"),
        ("side", "BUY", "buy"),
        ("side", "Long", "buy"),
        ("side", "short", "sell"),
        ("currency", "usdt", "USDT"),
    ],
)
def test_value_variants_are_normalised(field, value, expected):
    payload = {**BASE, field: value}
    if expected in ("STOP_LIMIT", "STOP_MARKET"):
        payload["stop_price"] = 79000
    signal = parse_signal(payload)
    assert getattr(signal, field) == expected


@pytest.mark.parametrize("value", ["spot", "CASH"])
def test_spot_spellings(value):
    assert parse_signal({**BASE, "market_type": value}).market_type == "SPOT"


@pytest.mark.parametrize(
    "symbol, market, unified",
    [
        ("BTCUSDT", "FUTURES", "BTC/USDT:USDT"),
        ("btcusdt", "SPOT", "BTC/USDT"),
        ("BTC/USDT", "SPOT", "BTC/USDT"),
        ("BTC/USDT:USDT", "FUTURES", "BTC/USDT:USDT"),
        ("BINANCE:BTCUSDT.P", "FUTURES", "BTC/USDT:USDT"),
        ("BINANCE:ETHUSDT", "SPOT", "ETH/USDT"),
        ("BTC-USDT", "FUTURES", "BTC/USDT:USDT"),
    ],
)
def test_symbol_spellings(symbol, market, unified):
    signal = parse_signal({**BASE, "symbol": symbol, "market_type": market})
    assert signal.unified_symbol == unified
    assert signal.symbol == unified.split(":")[0].replace("/", "")


def test_a_perpetual_symbol_on_spot_is_refused():
    with pytest.raises(WebhookError, match="symbol"):
        parse_signal({**BASE, "symbol": "BINANCE:BTCUSDT.P", "market_type": "SPOT"})


@pytest.mark.parametrize(
    "value, expected",
    [(80000, "80000"), ("80000", "80000"), (" 3200.5 ", "3200.5"), (Decimal("0.1"), "0.1"), ("1e3", "1E+3")],
)
def test_numbers_arrive_as_numbers_or_numeric_strings(value, expected):
    assert parse_signal({**BASE, "price": value}).legs[0].price == Decimal(expected)


def test_qty_per_defaults_to_100_for_a_single_order():
    assert parse_signal(BASE).legs[0].qty_per == Decimal("100")


def test_keys_inside_orders_are_normalised_too():
    signal = parse_signal(
        {
            **BASE,
            "order_type": "stop_limit",
            "price": None,
            "orders": [{"Price": "105000", "stopPrice": 104000, "qtyPer": "10"}],
        }
    )
    leg = signal.legs[0]
    assert (leg.price, leg.stop_price, leg.qty_per) == (Decimal("105000"), Decimal("104000"), Decimal("10"))


def test_unknown_top_level_keys_are_ignored_and_kept_in_the_log():
    signal = parse_signal({**BASE, "comment": "from tv", "strategy.position_size": 3})
    assert signal.ignored_keys == ("comment", "strategy.position_size")


def test_a_camel_case_guide_example_places_the_same_order(trader, fake_exchange, sync_tasks, post):
    payload = guide_example("single_limit_sell", trader.token)
    camel = {
        "groupName": payload["group_name"],
        "user_token": payload["token"],
        "platform": "binance",
        "marketType": "perp",
        "currency": "usdt",
        "symbol": "BINANCE:BTCUSDT.P",
        "type": "Limit",
        "side": "Short",
        "price": "105000",
        "qtyPer": "50",
    }
    response = post(camel)
    assert response.status_code == 200, response.content
    order = Order.objects.get()
    assert (order.symbol, order.side, order.order_type, order.price, order.qty_per) == (
        "BTC/USDT:USDT",
        "sell",
        "LIMIT",
        Decimal("105000"),
        Decimal("50"),
    )


def test_text_plain_content_type_is_read_as_json(trader, fake_exchange, sync_tasks, post):
    import json

    response = post(
        None,
        raw=json.dumps(guide_example("single_market_buy", trader.token)).encode(),
        content_type="text/plain",
    )
    assert response.status_code == 200
