from django.core.management.base import BaseCommand
from rich.progress import Progress

from orders.models import OrderEvent
from orders.sync import orders_sync, orders_to_follow


class Command(BaseCommand):
    help = "Follow every resting or stuck order on its exchange once, now."

    def add_arguments(self, parser):
        parser.add_argument("--account", type=int, action="append", metavar="ID", help="Only these accounts.")

    def handle(self, *args, account=None, **options):
        total = orders_to_follow(account_ids=account).count()
        with Progress(transient=True, disable=not self.stdout.isatty()) as progress:
            bar = progress.add_task("Syncing", total=total)
            summary = orders_sync(
                source=OrderEvent.Source.COMMAND, account_ids=account, progress=lambda: progress.advance(bar)
            )
        for client_order_id, before, after in summary.changes:
            self.stdout.write(f"  {client_order_id}: {before} → {after}")
        self.stdout.write(summary.line())
