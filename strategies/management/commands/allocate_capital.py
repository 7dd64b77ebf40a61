from django.core.management.base import BaseCommand, CommandError

from strategies.services import capital_allocate


class Command(BaseCommand):
    help = "Recompute every active link's allocated capital from the accounts' balances."

    def add_arguments(self, parser):
        parser.add_argument("--account", type=int, action="append", metavar="ID", help="Only these accounts.")
        parser.add_argument("--currency", default="USDT", help="Quote currency whose balance is split.")

    def handle(self, *args, account=None, currency="USDT", **options):
        updated, errors = capital_allocate(account_ids=account, currency=currency)
        for link in updated:
            self.stdout.write(
                f"  {link.strategy.group_name} @ {link.account.label}: {link.allocated_capital}"
            )
        for failed_account, message in errors:
            self.stderr.write(f"  {failed_account.label}: balance unavailable ({message})")
        self.stdout.write(f"{len(updated)} links updated, {len(errors)} accounts failed")
        if errors:
            raise CommandError("Some balances could not be read.", returncode=1)
