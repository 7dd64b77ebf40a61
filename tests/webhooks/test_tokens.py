from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from tests.guide import guide_example
from webhooks.models import WebhookToken
from webhooks.services import token_authenticate


def _rotate(*args):
    out = StringIO()
    call_command("rotate_webhook_token", *args, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def test_rotation_prints_the_new_token_alone_on_the_last_line_and_the_old_one_stops(trader):
    new = _rotate("trader")
    assert new.startswith("whk_") and " " not in new
    assert token_authenticate(raw=new).owner == trader.user
    assert token_authenticate(raw=trader.token) is None
    assert not WebhookToken.objects.filter(digest=new).exists()


def test_rotation_with_grace_keeps_the_old_token_until_the_grace_ends(trader):
    new = _rotate("trader", "--grace", "3600")
    assert token_authenticate(raw=trader.token) is not None
    assert token_authenticate(raw=new) is not None
    old = WebhookToken.objects.get(pk=trader.token_row.pk)
    assert timezone.now() + timezone.timedelta(minutes=59) < old.revoked_at
    old.revoked_at = timezone.now() - timezone.timedelta(seconds=1)  # the grace period has passed
    old.save()
    assert token_authenticate(raw=trader.token) is None


def test_rotation_of_an_unknown_user_is_an_operator_error(db):
    with pytest.raises(CommandError, match="No user"):
        _rotate("ghost")


def test_a_rotated_token_works_at_the_webhook(trader, fake_exchange, sync_tasks, post):
    new = _rotate("trader")
    assert post(guide_example("single_market_buy", new)).status_code == 200
    assert post(guide_example("single_market_buy", trader.token)).status_code == 401


def test_last_used_is_recorded(trader):
    token_authenticate(raw=trader.token)
    assert WebhookToken.objects.get(pk=trader.token_row.pk).last_used_at is not None


def _admin(client):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("boss", password="pw-boss-123")
    client.force_login(admin)


def test_admin_rotation_shows_the_new_token_once_and_retires_the_old(trader, client):
    _admin(client)
    response = client.post(
        reverse("admin:webhooks_webhooktoken_changelist"),
        {"action": "rotate_now", "_selected_action": [trader.token_row.pk]},
        follow=True,
    )
    page = response.content.decode()
    new = page.split("shown only now: ")[1].split("<")[0].strip()
    assert token_authenticate(raw=new) is not None
    assert token_authenticate(raw=trader.token) is None
    assert new not in client.get(reverse("admin:webhooks_webhooktoken_changelist")).content.decode()


def test_admin_rotation_with_grace_keeps_the_old_token_working(trader, client):
    _admin(client)
    client.post(
        reverse("admin:webhooks_webhooktoken_changelist"),
        {"action": "rotate_with_grace", "_selected_action": [trader.token_row.pk]},
    )
    assert token_authenticate(raw=trader.token) is not None
    assert WebhookToken.objects.filter(owner=trader.user).count() == 2


def test_admin_add_generates_a_token_and_stores_only_its_digest(trader, client):
    _admin(client)
    response = client.post(
        reverse("admin:webhooks_webhooktoken_add"), {"owner": trader.user.pk, "name": "bot"}, follow=True
    )
    raw = response.content.decode().split("shown only now: ")[1].split("<")[0].strip()
    token = token_authenticate(raw=raw)
    assert token.name == "bot" and token.digest != raw
