from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from webhooks.services import token_rotate


class Command(BaseCommand):
    help = "Issue a new webhook token for USERNAME; the token is printed once, alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="default", help="Token name (default: default).")
        parser.add_argument(
            "--grace",
            type=int,
            default=0,
            metavar="SECONDS",
            help="Keep the user's previous token of that name working this long (default 0).",
        )

    def handle(self, *args, username, name, grace, **options):
        if grace < 0:
            raise CommandError("--grace must be 0 or more seconds.")
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        token, raw = token_rotate(owner=user, name=name, grace_seconds=grace)
        old = "stops now" if grace == 0 else f"keeps working for {grace} s"
        self.stdout.write(f"New webhook token {token.name!r} for {username} (previous one {old}):")
        self.stdout.write(raw)
