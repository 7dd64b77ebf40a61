from django.core.management.base import BaseCommand

from strategies.demo import demo_bootstrap


class Command(BaseCommand):
    help = "Create the local demo data (superuser, demo user, token, accounts, strategies) once."

    def add_arguments(self, parser):
        parser.add_argument("--simulator-url", default=None, help="Where the exchange simulator runs.")

    def handle(self, *args, **options):
        result = demo_bootstrap()
        for line in result.lines:
            self.stdout.write(line)
