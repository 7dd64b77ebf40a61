"""OpenAPI description of the webhook (drf-spectacular). Documentation only: validation lives in
`webhooks/signals.py`, which is more lenient in spelling than a schema can say."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, PolymorphicProxySerializer
from rest_framework import serializers

CHOICES = {
    "exchange": ["BINANCE", "BYBIT", "OKX"],
    "market_type": ["SPOT", "FUTURES"],
    "order_type": ["MARKET", "LIMIT", "STOP_LIMIT", "STOP_MARKET"],
    "side": ["buy", "sell", "long", "short"],
}


class _Common(serializers.Serializer):
    group_name = serializers.CharField(help_text="전략 그룹명")
    token = serializers.CharField(help_text="웹훅 토큰")
    signal_id = serializers.CharField(required=False, help_text="Idempotency key, unique per strategy")
    max_delay = serializers.DecimalField(
        max_digits=9,
        decimal_places=3,
        required=False,
        help_text="Seconds after arrival past which unsent orders are not sent (EXPIRED); "
        "default: the strategy's, else 30 for MARKET and 300 for other types",
    )


class SingleOrderRequest(_Common):
    exchange = serializers.ChoiceField(CHOICES["exchange"])
    market_type = serializers.ChoiceField(CHOICES["market_type"])
    currency = serializers.CharField(help_text="USDT")
    symbol = serializers.CharField(help_text="BTCUSDT, BTC/USDT, BTC/USDT:USDT, BINANCE:BTCUSDT.P")
    order_type = serializers.ChoiceField(CHOICES["order_type"])
    side = serializers.ChoiceField(CHOICES["side"])
    price = serializers.DecimalField(max_digits=28, decimal_places=12, required=False)
    stop_price = serializers.DecimalField(max_digits=28, decimal_places=12, required=False)
    qty_per = serializers.DecimalField(max_digits=7, decimal_places=4, required=False, default=100)


class BatchEntry(serializers.Serializer):
    price = serializers.DecimalField(max_digits=28, decimal_places=12, required=False)
    stop_price = serializers.DecimalField(max_digits=28, decimal_places=12, required=False)
    qty_per = serializers.DecimalField(max_digits=7, decimal_places=4)


class BatchOrderRequest(_Common):
    exchange = serializers.ChoiceField(CHOICES["exchange"])
    market_type = serializers.ChoiceField(CHOICES["market_type"])
    currency = serializers.CharField()
    symbol = serializers.CharField()
    order_type = serializers.ChoiceField(CHOICES["order_type"])
    side = serializers.ChoiceField(CHOICES["side"])
    orders = BatchEntry(many=True, help_text="1–20 entries (WEBHOOK_MAX_BATCH_ORDERS)")


class CancelAllRequest(_Common):
    order_type = serializers.ChoiceField(["CANCEL_ALL_ORDER"], help_text="고정값")
    exchange = serializers.ChoiceField(CHOICES["exchange"], required=False)
    market_type = serializers.ChoiceField(CHOICES["market_type"], required=False)
    symbol = serializers.CharField(required=False)


class SuccessResponse(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()
    result = serializers.DictField(help_text="action, strategy, results/accounts, summary")


class ErrorResponse(serializers.Serializer):
    success = serializers.BooleanField(default=False)
    error = serializers.CharField()
    code = serializers.CharField()


def _example(name, value):
    return OpenApiExample(name, value=value, request_only=True)


_BASE = {
    "group_name": "my_strategy",
    "token": "your_webhook_token",
    "exchange": "BINANCE",
    "market_type": "FUTURES",
    "currency": "USDT",
    "symbol": "BTCUSDT",
}

WEBHOOK_SCHEMA = {
    "summary": "Trading signal webhook",
    "request": {
        "application/json": PolymorphicProxySerializer(
            component_name="WebhookRequest",
            serializers=[SingleOrderRequest, BatchOrderRequest, CancelAllRequest],
            resource_type_field_name=None,
        )
    },
    "responses": {
        200: OpenApiResponse(SuccessResponse, description="Processed (failures per account inside)"),
        202: OpenApiResponse(SuccessResponse, description="Accepted; some accounts still running"),
        400: OpenApiResponse(ErrorResponse, description="필수 필드 누락 / invalid value / no accounts"),
        401: OpenApiResponse(ErrorResponse, description="웹훅 토큰이 유효하지 않습니다"),
        404: OpenApiResponse(ErrorResponse, description="활성 전략을 찾을 수 없습니다"),
        411: OpenApiResponse(ErrorResponse, description="Chunked body the server cannot de-chunk"),
        413: OpenApiResponse(ErrorResponse, description="Body over 64 KiB"),
        403: OpenApiResponse(ErrorResponse, description="Source address not in WEBHOOK_ALLOWED_IPS"),
        429: OpenApiResponse(ErrorResponse, description="Too many requests from this address or token"),
        500: OpenApiResponse(ErrorResponse, description="A bug on our side: short and generic, logged"),
    },
    "examples": [
        _example("Market buy", {**_BASE, "order_type": "MARKET", "side": "buy", "qty_per": 10}),
        _example(
            "Limit sell", {**_BASE, "order_type": "LIMIT", "side": "sell", "price": 105000, "qty_per": 50}
        ),
        _example(
            "Stop limit",
            {
                **_BASE,
                "order_type": "STOP_LIMIT",
                "side": "sell",
                "price": 105000,
                "stop_price": 104000,
                "qty_per": 25,
            },
        ),
        _example(
            "Limit batch",
            {
                **_BASE,
                "order_type": "LIMIT",
                "side": "buy",
                "orders": [
                    {"price": 78000, "qty_per": 3},
                    {"price": 77000, "qty_per": 4},
                    {"price": 76000, "qty_per": 5},
                ],
            },
        ),
        _example(
            "Cancel all",
            {"group_name": "my_strategy", "token": "your_webhook_token", "order_type": "CANCEL_ALL_ORDER"},
        ),
    ],
}
