import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from tests import factories


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
