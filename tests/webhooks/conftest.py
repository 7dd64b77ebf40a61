import json
from decimal import Decimal
from pathlib import Path

import pytest
from django_q.conf import Conf

from tests import factories
from tests.fakes import FakeExchange

EXAMPLES = Path(__file__).parent / "guide_examples"


def guide_example(name: str, token: str) -> dict:
    payload = json.loads((EXAMPLES / f"{name}.json").read_text())
    payload["token"] = token
    return payload


@pytest.fixture
def fake_exchange(monkeypatch):
    fake = FakeExchange()
    monkeypatch.setattr("orders.exchange.client_for", fake.client)
    return fake


@pytest.fixture
def sync_tasks(monkeypatch):
    """django-q2 runs tasks inline (Conf is read at import, so patch it, not settings)."""
    monkeypatch.setattr(Conf, "SYNC", True)


@pytest.fixture
def trader(transactional_db):
    """A user with a token, FUTURES strategies `my_strategy` and `test1` and a SPOT `spot_demo`,
    each linked to one Binance account with 10 000 USDT allocated."""
    user = factories.user("trader")
    token, raw = factories.token(user)
    account = factories.account(user, label="Main Account", exchange="BINANCE")
    strategies = {}
    for name, market in [("my_strategy", "FUTURES"), ("test1", "FUTURES"), ("spot_demo", "SPOT")]:
        strategies[name] = factories.strategy(user, group_name=name, market_type=market)
        factories.link(strategies[name], account, allocated_capital=Decimal("10000"))
    return type(
        "Trader",
        (),
        {"user": user, "token": raw, "token_row": token, "account": account, "strategies": strategies},
    )


@pytest.fixture
def post(client):
    def send(payload, *, raw: bytes | None = None, content_type="application/json", **extra):
        body = raw if raw is not None else json.dumps(payload)
        return client.post("/api/webhook", data=body, content_type=content_type, **extra)

    return send
