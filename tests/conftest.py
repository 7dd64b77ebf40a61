import json
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django_q.conf import Conf

from tests import factories
from tests.fakes import FakeExchange


@pytest.fixture
def owner(db):
    return get_user_model().objects.create_user(username="alice", password="pw-alice-123")


@pytest.fixture
def other_owner(db):
    return get_user_model().objects.create_user(username="bob", password="pw-bob-123")


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser(username="root", password="pw-root-123")


@pytest.fixture
def staff_user(db):
    """A staff member with every permission on the project's apps, but not a superuser."""
    user = get_user_model().objects.create_user(username="carol", password="pw-carol-123", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["accounts", "strategies", "webhooks", "orders"]
        )
    )
    return user


@pytest.fixture
def make(db):
    """The object factories, as a fixture so tests ask for the database explicitly."""
    return factories


@pytest.fixture
def fake_exchange(monkeypatch):
    fake = FakeExchange()
    monkeypatch.setattr("accounts.exchange.client.client_for", fake.client)
    monkeypatch.setattr("accounts.connection.account_check", fake.account_check)
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
