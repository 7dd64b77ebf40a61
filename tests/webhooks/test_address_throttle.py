"""The per-address throttle: random tokens from one address are 429s before any token is looked up,
and each address has its own budget (TradingView's four senders never starve each other)."""

import random

import pytest
from django.core.cache import cache

from tests.guide import guide_example
from webhooks.models import WebhookLog
from webhooks.throttles import WebhookAddressThrottle

TRADINGVIEW = ["52.89.214.238", "34.212.75.30", "54.218.53.128", "52.32.178.7"]


@pytest.fixture
def address_rate(monkeypatch):
    def set_rate(rate):
        monkeypatch.setattr(WebhookAddressThrottle, "THROTTLE_RATES", {"webhook_address": rate})

    return set_rate


def _fresh_address():
    """An address no other test (or parallel run sharing Redis) has counted yet."""
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def _random_token():
    return "whk_" + "".join(random.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=43))


def test_random_tokens_from_one_address_are_throttled_before_the_token_lookup(
    trader, post, address_rate, monkeypatch
):
    address_rate("20/min")
    lookups = []
    real = __import__("webhooks.intake", fromlist=["_authenticate"])._authenticate
    monkeypatch.setattr("webhooks.intake._authenticate", lambda signal: lookups.append(1) or real(signal))
    address = _fresh_address()
    statuses = [
        post(guide_example("single_market_buy", _random_token()), REMOTE_ADDR=address).status_code
        for _ in range(100)
    ]
    print(f"100 random tokens from one address: {statuses.count(401)} x 401, {statuses.count(429)} x 429")
    assert statuses.count(401) == 20 and statuses.count(429) == 80
    assert len(lookups) == 20  # the 80 throttled requests never reached the token table
    assert WebhookLog.objects.count() == 100  # each still leaves its row
    throttled = WebhookLog.objects.filter(http_status=429).first()
    assert throttled.payload is None and throttled.raw_body == ""  # and costs no body storage


def test_each_tradingview_address_has_its_own_budget(trader, post, address_rate, fake_exchange, sync_tasks):
    address_rate("3/min")
    flooded, *others = TRADINGVIEW

    for address in TRADINGVIEW:
        cache.delete(f"throttle_webhook_address_{address}")
    for _ in range(5):
        post(guide_example("single_market_buy", _random_token()), REMOTE_ADDR=flooded)
    for address in others:
        response = post(guide_example("single_market_buy", trader.token), REMOTE_ADDR=address)
        assert response.status_code == 200, address
    assert post(guide_example("single_market_buy", trader.token), REMOTE_ADDR=flooded).status_code == 429


def test_the_throttle_keys_the_address_a_trusted_proxy_forwarded(trader, post, address_rate, settings):
    address_rate("1/min")
    settings.WEBHOOK_TRUSTED_PROXIES = 1
    first, second = _fresh_address(), _fresh_address()
    payload = guide_example("single_market_buy", _random_token())
    assert post(payload, HTTP_X_FORWARDED_FOR=first).status_code == 401
    assert post(payload, HTTP_X_FORWARDED_FOR=second).status_code == 401
    assert post(payload, HTTP_X_FORWARDED_FOR=first).status_code == 429


def test_a_wrong_token_costs_the_same_digest_work_whether_or_not_its_prefix_matches(trader, monkeypatch):
    from webhooks import services

    compared = []
    real = services.digests_match
    monkeypatch.setattr(
        services, "digests_match", lambda raw, digest: compared.append(digest) or real(raw, digest)
    )
    sharing_prefix = trader.token[:12] + "x" * (len(trader.token) - 12)
    unrelated = _random_token()
    assert services.token_authenticate(raw=sharing_prefix) is None
    assert services.token_authenticate(raw=unrelated) is None
    assert len(compared) == 2  # one comparison each: no early return for the unknown prefix


def test_a_malformed_body_spends_its_address_budget_and_is_then_a_429_storing_nothing(
    trader, post, address_rate
):
    address_rate("2/min")
    address = _fresh_address()
    statuses = [post(None, raw=b"{not json", REMOTE_ADDR=address).status_code for _ in range(3)]
    assert statuses == [400, 400, 429]
    throttled = WebhookLog.objects.get(http_status=429)
    assert throttled.payload is None and throttled.raw_body == ""


def test_both_budgets_cost_one_cache_read_and_one_write(trader, post, monkeypatch):

    calls, depth = [], [0]

    def counted(name, real):
        def call(*args, **kwargs):
            if depth[0] == 0:  # a backend's set_many may call its own set: count the outer call
                calls.append(name)
            depth[0] += 1
            try:
                return real(*args, **kwargs)
            finally:
                depth[0] -= 1

        return call

    for name in ("get", "get_many", "set", "set_many"):
        monkeypatch.setattr(cache, name, counted(name, getattr(cache, name)))
    post(guide_example("single_market_buy", _random_token()), REMOTE_ADDR=_fresh_address())
    assert calls == ["get_many", "set_many"]


def test_a_charge_the_cache_refuses_does_not_turn_an_accepted_signal_into_a_500(
    trader, post, fake_exchange, sync_tasks, monkeypatch
):
    def down(*args, **kwargs):
        raise ConnectionError("cache went away")

    monkeypatch.setattr(cache, "set_many", down)
    response = post(guide_example("single_market_buy", trader.token), REMOTE_ADDR=_fresh_address())
    assert response.status_code == 200 and len(fake_exchange.placed()) == 1
