from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from orders.models import OrderEvent
from orders.operations import (
    CancelSummary,
    TargetError,
    cancel_preview,
    cancel_targets_resolve,
    cancel_targets_run,
)
from webhooks.errors import WebhookError
from webhooks.normalize import exchange_value, market_type_value, symbol_value


class Command(BaseCommand):
    help = "Cancel the open orders this system placed, for a strategy, an account, or everything."

    def add_arguments(self, parser):
        target = parser.add_argument_group("target (one of)")
        target.add_argument("--strategy", metavar="GROUP_NAME", help="A strategy's orders on its accounts.")
        target.add_argument("--owner", metavar="USERNAME", help="Whose strategy, when the name is ambiguous.")
        target.add_argument(
            "--account", type=int, metavar="ID", help="Every strategy's orders on one account."
        )
        target.add_argument("--all", action="store_true", help="Every open order this system placed.")
        parser.add_argument("--exchange", help="Only this exchange (BINANCE, BYBIT, OKX).")
        parser.add_argument("--market-type", help="Only SPOT or FUTURES orders.")
        parser.add_argument("--symbol", help="Only this symbol (BTCUSDT, BTC/USDT...).")
        parser.add_argument(
            "--include-untracked",
            action="store_true",
            help="Also cancel orders on --symbol that this system did not place.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be cancelled; change nothing."
        )
        parser.add_argument("--yes", action="store_true", help="Confirm cancelling on live accounts.")

    def handle(self, *args, **options):
        filters = self._filters(options)
        if options["include_untracked"] and not filters["base"]:
            raise CommandError("--include-untracked needs --symbol.")
        try:
            targets = cancel_targets_resolve(
                group_name=options["strategy"],
                owner=options["owner"],
                account_id=options["account"],
                everything=options["all"],
                exchange=filters["exchange"],
            )
        except TargetError as error:
            raise CommandError(str(error)) from None
        if options["dry_run"]:
            return self._dry_run(targets, filters, options["include_untracked"])
        live = [t.account.label for t in targets if t.account.environment == "live"]
        if live and not options["yes"]:
            raise CommandError(f"Live accounts would be touched ({', '.join(live)}): add --yes to confirm.")
        summary = self._run(targets, filters, options["include_untracked"])
        for line in summary.account_errors:
            self.stderr.write(f"account failed — {line}")
        self.stdout.write(summary.line())
        if summary.failed:
            raise CommandError("Some cancels failed (see above).", returncode=1)

    def _run(self, targets, filters, include_untracked) -> CancelSummary:
        # Rich draws on the real stream (Django's wrapper would add a newline to each redraw),
        # and only on a terminal: redirected output stays plain lines.
        console = Console(file=getattr(self.stdout, "_out", self.stdout))
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("accounts"),
        )
        with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as progress:
            bar = progress.add_task("Cancelling", total=len(targets))

            def account_done(target, result):
                if result is not None:  # through rich, so that on a terminal it lands above the bar
                    console.print(
                        self._account_line(target, result), markup=False, highlight=False, soft_wrap=True
                    )
                progress.advance(bar)

            return cancel_targets_run(
                targets=targets,
                filters=filters,
                include_untracked=include_untracked,
                source=OrderEvent.Source.COMMAND,
                on_each=account_done,
            )

    def _account_line(self, target, result) -> str:
        line = (
            f"{target.describe()}: {result['cancelled_orders']} cancelled, "
            f"{result['already_closed_orders']} already closed, {result['failed_orders']} failed"
        )
        for order in result["orders"]:
            if order["outcome"] != "cancelled":
                line += f"\n  {order['client_order_id']} {order['symbol']}: {order['outcome']}"
                line += f" ({order['status']}{', ' + order['error'] if order.get('error') else ''})"
        return line

    def _filters(self, options) -> dict:
        try:
            exchange = exchange_value(options["exchange"]) if options["exchange"] else None
            market = market_type_value(options["market_type"]) if options["market_type"] else None
            base = quote = None
            if options["symbol"]:
                base, quote = symbol_value(
                    options["symbol"], currency="USDT", market_type=market or "FUTURES"
                )
        except WebhookError as error:
            raise CommandError(error.message) from None
        return {"exchange": exchange, "market_type": market, "base": base, "quote": quote}

    def _dry_run(self, targets, filters, include_untracked):
        count = 0
        for target in targets:
            orders = cancel_preview(target=target, filters=filters)
            count += len(orders)
            self.stdout.write(f"{target.describe()}: {len(orders)} open orders")
            for order in orders:
                self.stdout.write(
                    f"  {order.client_order_id} {order.symbol} {order.side} {order.order_type} "
                    f"{order.quantity} @ {order.price or order.stop_price} [{order.status}]"
                )
        if include_untracked:
            self.stdout.write(
                f"  and any order on {filters['base']}/{filters['quote']} this system did not place"
            )
        self.stdout.write(f"dry run: {count} orders on {len(targets)} accounts would be cancelled")
