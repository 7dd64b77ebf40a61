"""manage.py cluster_health: exit 0 when the task cluster takes work, 1 when it does not."""

from django.core.management.base import BaseCommand, CommandError

from orders.liveness import cluster_health


class Command(BaseCommand):
    help = "Check that the django-q2 cluster takes work: a probe task through the broker, and queue age."

    def add_arguments(self, parser):
        parser.add_argument(
            "--timeout", type=float, help="seconds to wait for the probe (LIVENESS_PROBE_TIMEOUT)"
        )
        parser.add_argument(
            "--max-queued",
            type=float,
            help="oldest queued job allowed, seconds (LIVENESS_MAX_QUEUED_SECONDS)",
        )
        parser.add_argument(
            "--probes", type=int, default=1, help="probe tasks to send (a few per qcluster sharing the queue)"
        )

    def handle(self, *args, **options):
        health = cluster_health(
            timeout=options["timeout"], max_queued=options["max_queued"], probes=options["probes"]
        )
        if not health.healthy:
            raise CommandError(health.line(), returncode=1)
        self.stdout.write(health.line())
