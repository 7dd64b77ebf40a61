from django.core.management.base import BaseCommand, CommandError
from rich.progress import Progress

from orders.models import OrderEvent
from orders.operations import TargetError, cancel_preview, cancel_run, cancel_targets_resolve
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
        if options["include_untracked"] and not filters["base"]:
            raise CommandError("--include-untracked needs --symbol.")
        if options["dry_run"]:
            return self._dry_run(targets, filters)
        live = [t.account.label for t in targets if t.account.environment == "live"]
        if live and not options["yes"]:
            raise CommandError(f"Live accounts would be touched ({', '.join(live)}): add --yes to confirm.")
        totals, failed_accounts = {"cancelled_orders": 0, "failed_orders": 0, "already_closed_orders": 0}, []
        with Progress(transient=True, disable=not self.stdout.isatty()) as progress:
            bar = progress.add_task("Cancelling", total=len(targets))
            for target in targets:
                try:
                    result = cancel_run(
                        target=target,
                        filters=filters,
                        include_untracked=options["include_untracked"],
                        source=OrderEvent.Source.COMMAND,
                    )
                except Exception as error:  # one account's trouble must not stop the others
                    failed_accounts.append(f"{target.account.label}: {type(error).__name__}: {error}")
                    result = {"failed_orders": 0}
                for key in totals:
                    totals[key] += result.get(key, 0)
                progress.advance(bar)
        for line in failed_accounts:
            self.stderr.write(f"account failed — {line}")
        summary = (
            f"{len(targets)} accounts: {totals['cancelled_orders']} cancelled, "
            f"{totals['already_closed_orders']} already closed, {totals['failed_orders']} failed"
        )
        self.stdout.write(summary)
        if totals["failed_orders"] or failed_accounts:
            raise CommandError("Some cancels failed (see above).", returncode=1)

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

    def _dry_run(self, targets, filters):
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
        self.stdout.write(f"dry run: {count} orders on {len(targets)} accounts would be cancelled")
