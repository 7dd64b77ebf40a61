from django.core.management.base import BaseCommand, CommandError

from accounts.exchange.simulator import SimulatorUnavailable
from tradingsite.demo import demo_create, demo_register


class Command(BaseCommand):
    help = "Create the local demo data once; with --simulator-url, register it in the simulator."

    def add_arguments(self, parser):
        parser.add_argument(
            "--simulator-url",
            default=None,
            help="The running exchange simulator, e.g. http://127.0.0.1:8900 (its state is lost on exit).",
        )

    def handle(self, *args, simulator_url=None, **options):
        # Printed before the simulator is contacted: a first run's secrets must reach the screen
        # even if the simulator then fails.
        for line in demo_create():
            self.stdout.write(line)
        if simulator_url is None:
            self.stdout.write("Simulator not contacted (no --simulator-url).")
            return
        try:
            lines = demo_register(simulator_url=simulator_url.rstrip("/"))
        except SimulatorUnavailable as error:
            raise CommandError(str(error)) from error
        for line in lines:
            self.stdout.write(line)
