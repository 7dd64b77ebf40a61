"""The admin login locks after AXES_FAILURE_LIMIT failures from one address for one username, and
`manage.py axes_reset` (or `axes_reset_username`) unlocks it, as the README says."""

import pytest
from django.conf import settings
from django.core.management import call_command

LOGIN = "/admin/login/"


def _login(client, password, username="root", address="10.9.8.7"):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=address
    )


def test_the_admin_login_locks_after_repeated_failures_even_for_the_right_password(client, superuser):
    assert settings.AXES_ENABLED and settings.AXES_FAILURE_LIMIT == 5
    statuses = [_login(client, f"wrong-{n}").status_code for n in range(200)]
    assert statuses[:4] == [200] * 4  # the form again, "please enter a correct username"
    assert set(statuses[5:]) == {429}
    print(f"200 wrong admin passwords: {statuses.count(429)} x 429 (locked after {statuses.index(429)})")
    assert _login(client, "pw-root-123").status_code == 429


def test_the_lock_is_per_username_and_address(client, superuser):
    for n in range(5):
        _login(client, f"wrong-{n}")
    assert _login(client, "pw-root-123", address="10.1.1.1").status_code == 302  # another address


@pytest.mark.parametrize("command", [["axes_reset"], ["axes_reset_username", "root"]])
def test_a_reset_command_unlocks_the_login(command, client, superuser):
    for n in range(6):
        _login(client, f"wrong-{n}")
    assert _login(client, "pw-root-123").status_code == 429
    call_command(*command)
    assert _login(client, "pw-root-123").status_code == 302


def test_a_successful_login_resets_the_count(client, superuser):
    for n in range(4):
        _login(client, f"wrong-{n}")
    assert _login(client, "pw-root-123").status_code == 302
    client.logout()
    for n in range(4):
        assert _login(client, f"wrong-again-{n}").status_code == 200
