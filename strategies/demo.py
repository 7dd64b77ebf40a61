"""Local demo data for `make run`: created once, reused afterwards."""

import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model

CREDENTIALS_FILE = Path(settings.BASE_DIR) / ".demo" / "credentials.txt"
ADMIN_USERNAME = "admin"


@dataclass
class DemoResult:
    created: bool
    lines: list[str]


def demo_bootstrap() -> DemoResult:
    """Create the local superuser (and the demo data) once; a second run changes nothing."""
    User = get_user_model()
    if User.objects.filter(username=ADMIN_USERNAME).exists():
        return DemoResult(
            created=False,
            lines=[
                f"Demo data already present. Credentials: {CREDENTIALS_FILE}",
            ],
        )
    password = secrets.token_urlsafe(12)
    User.objects.create_superuser(username=ADMIN_USERNAME, email="", password=password)
    lines = [f"Admin user: {ADMIN_USERNAME}", f"Admin password: {password}"]
    CREDENTIALS_FILE.parent.mkdir(parents=True, exist_ok=True)
    CREDENTIALS_FILE.write_text("\n".join(lines) + "\n")
    CREDENTIALS_FILE.chmod(0o600)
    return DemoResult(
        created=True,
        lines=[
            "Created a local superuser (first run).",
            *lines,
            f"Saved to {CREDENTIALS_FILE}",
        ],
    )
