from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import Progress

from orders.models import OrderEvent
from orders.sync import orders_sync, orders_to_follow


class Command(BaseCommand):
    help = "Follow every resting or stuck order on its exchange once, now."

    def add_arguments(self, parser):
        parser.add_argument("--account", type=int, action="append", metavar="ID", help="Only these accounts.")

    def handle(self, *args, account=None, **options):
        total = orders_to_follow(account_ids=account).count()
        console = Console(file=getattr(self.stdout, "_out", self.stdout))
        with Progress(console=console, transient=True, disable=not console.is_terminal) as progress:
            bar = progress.add_task("Syncing", total=total)
            summary = orders_sync(
                source=OrderEvent.Source.COMMAND, account_ids=account, progress=lambda: progress.advance(bar)
            )
        for client_order_id, before, after in summary.changes:
            self.stdout.write(f"  {client_order_id}: {before} → {after}")
        for order in summary.missing:
            self.stdout.write(
                f"  not found on the exchange: {order.client_order_id} {order.symbol} "
                f"(account {order.account_id}, exchange id {order.exchange_order_id or '-'})"
            )
        self.stdout.write(summary.line())
        if summary.errors:
            raise CommandError(f"{summary.errors} orders could not be checked (see the log).", returncode=1)
