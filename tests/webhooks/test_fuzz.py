"""Fuzzing the webhook in-process (Django's test client, no server): schemathesis from /api/schema/
and a hypothesis property over raw bodies, 10 000 cases between them. Each prints its figures: cases,
answers >= 500, orders from invalid input, raw tokens found in stored values or log lines; all but
the cases must be 0."""

import io
import json
import logging
import re
import time
from collections import Counter

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from orders.models import Order
from tests.guide import guide_example
from tradingsite.logging import BoundedFormatter, RedactSecretsFilter, RepeatedTracebackFilter
from webhooks.models import WebhookLog
from webhooks.signals import KNOWN_FIELDS

SCHEMATHESIS_CASES = 1_000
RAW_BODY_CASES = 9_000
# A token-format string longer than the 12-character prefix a mask keeps: stored or logged, a leak.
RAW_TOKEN = re.compile(r"whk_[A-Za-z0-9_\-]{9,}")

CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "text/plain; charset=latin-1",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
    "text/html",
    "application/octet-stream",
    "application/javascript",
    "application/vnd.api+json",
    "application/json-patch+json",
    "text/csv",
    "image/png",
    "",
    "*/*",
]
FIELDS = [*sorted(KNOWN_FIELDS), "orderType", "qtyPer", "type", "platform", "user_token", "memo"]
NASTY_NUMBERS = ["1_000", "１０００", "١٠٠٠", "1e999", "-0", "0.0000000000001", "NaN", "Infinity", "9" * 40]
NASTY_TEXT = ["\ud800", "\udfff", "\x00", "BYBIT:BTCUSDT.P", "OKX:BTCUSDT.P", "<script>", "'; DROP TABLE"]


@pytest.fixture
def log_lines():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(BoundedFormatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RepeatedTracebackFilter())
    handler.addFilter(RedactSecretsFilter())
    logging.getLogger().addHandler(handler)
    yield stream
    logging.getLogger().removeHandler(handler)


class Figures:
    def __init__(self, name, token):
        self.name, self.token, self.statuses = name, token, Counter()
        self.started = time.monotonic()

    def record(self, response):
        self.statuses[response.status_code] += 1
        assert self.token not in response.content.decode("utf-8", "replace")

    def finish(self, capsys, log_lines):
        rows = WebhookLog.objects.values_list(
            "payload", "signal", "error", "response", "raw_body", "signal_id"
        )
        leaks = sum(1 for row in rows if self._leaks(json.dumps(row, ensure_ascii=False)))
        leaks += self._leaks(log_lines.getvalue())
        invalid_orders = Order.objects.exclude(webhook_log__http_status__in=[200, 202]).count()
        cases, server_errors = (
            sum(self.statuses.values()),
            sum(n for code, n in self.statuses.items() if code >= 500),
        )
        with capsys.disabled():
            print(
                f"\n{self.name}: {cases} cases, {server_errors} answers >= 500, "
                f"{invalid_orders} orders from invalid input, {leaks} stored/logged raw tokens; "
                f"statuses {dict(sorted(self.statuses.items()))}, {time.monotonic() - self.started:.0f} s"
            )
        assert server_errors == 0
        assert invalid_orders == 0
        assert leaks == 0
        assert WebhookLog.objects.count() == cases  # every request left its row
        return cases

    def _leaks(self, text):
        return int(self.token in text or bool(RAW_TOKEN.search(text)))


def _post(client, raw: bytes, content_type: str, address: str = "127.0.0.1"):
    # generic(), not post(): post() re-encodes the bytes for a declared charset (a test-client step
    # a real sender does not take).
    return client.generic("POST", "/api/webhook", raw, content_type=content_type, REMOTE_ADDR=address)


# Senders from many addresses: the throttles keep a list of recent request times per address, and
# ten thousand from one address in a minute would make each request re-read a list that long.
addresses = st.builds("10.20.{}.{}".format, st.integers(0, 15), st.integers(1, 254))


def _fuzz_settings(cases):
    """No example database and no shrinking: every run explores fresh cases, and a failure
    reports the case as found (the figures line says what failed)."""
    return settings(
        max_examples=cases,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


def test_schemathesis_cases_from_the_openapi_schema(
    trader, client, fake_exchange, sync_tasks, capsys, log_lines
):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    operation = schema["/api/webhook"]["POST"]
    cases = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    figures = Figures("schemathesis", trader.token)

    @_fuzz_settings(SCHEMATHESIS_CASES)
    @given(case=cases, with_token=st.booleans(), address=addresses)
    def run(case, with_token, address):
        body = case.body
        if with_token and isinstance(body, dict):
            body = {**body, "token": trader.token}
        raw = (
            body
            if isinstance(body, bytes)
            else json.dumps(body, default=str).encode("utf-8", "surrogatepass")
        )
        figures.record(_post(client, raw, case.media_type or "application/json", address))

    run()
    assert figures.finish(capsys, log_lines) >= SCHEMATHESIS_CASES * 0.9


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(NASTY_NUMBERS + NASTY_TEXT + ["BINANCE", "FUTURES", "USDT", "BTCUSDT", "LIMIT", "buy"]),
)


def _containers(children):
    keys = st.sampled_from(FIELDS) | st.text(max_size=6)
    return st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5))


json_values = st.recursive(json_scalars, _containers, max_leaves=8)


def raw_bodies(token):
    """Bytes a hostile sender might post: noise, nesting, mutated guide examples, tokens anywhere.
    Every strategy is built once, here, not on each draw: a strategy built inside the draw is
    validated again on every case (2/3 of this test's time went to that, measured by cProfile)."""
    kinds = st.sampled_from(["bytes", "text", "json", "deep", "mutated", "mutated", "mutated"])
    noise, text = st.binary(max_size=300), st.text(max_size=200)
    depths = st.integers(min_value=15, max_value=3000)
    brackets = st.sampled_from([("[", "]"), ('{"a":', "}")])
    examples = st.sampled_from(["single_market_buy", "curl_single_limit", "batch_limit", "cancel_all"])
    # Mostly a wrong token: an accepted signal runs its orders (slow), and a few per run suffice.
    tokens = st.sampled_from([token] + ["whk_" + "A" * 43] * 8 + ["nope"] * 8)
    mutations = st.integers(min_value=0, max_value=3)
    fields = st.sampled_from(FIELDS)
    values = st.one_of(json_values, st.sampled_from(NASTY_NUMBERS + NASTY_TEXT + [token]))
    ascii_only = st.booleans()

    @st.composite
    def bodies(draw):
        kind = draw(kinds)
        if kind == "bytes":
            return draw(noise)
        if kind == "text":
            return draw(text).encode("utf-8", "surrogatepass")
        if kind == "json":
            return json.dumps(draw(json_values)).encode()
        if kind == "deep":
            depth = draw(depths)
            opener, closer = draw(brackets)
            nested = opener * depth + "1" + closer * depth
            return f'{{"token": "{token}", "x": {nested}}}'.encode()
        payload = guide_example(draw(examples), draw(tokens))
        for _ in range(draw(mutations)):
            key = draw(fields)
            payload[key] = draw(values)
        body = json.dumps(payload, ensure_ascii=draw(ascii_only), default=str)
        return body.encode("utf-8", "surrogatepass")

    return bodies()


def test_hypothesis_raw_bodies(trader, client, fake_exchange, sync_tasks, capsys, log_lines):
    figures = Figures("raw bodies", trader.token)

    @_fuzz_settings(RAW_BODY_CASES)
    @given(raw=raw_bodies(trader.token), content_type=st.sampled_from(CONTENT_TYPES), address=addresses)
    def run(raw, content_type, address):
        figures.record(_post(client, raw, content_type, address))

    run()
    assert figures.finish(capsys, log_lines) >= RAW_BODY_CASES * 0.9
