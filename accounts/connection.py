"""The admin's "Test connection": run the exchange boundary's check and keep it on the account."""

import logging

from django.utils import timezone

from accounts.exchange.connection import account_check
from accounts.exchange.types import ConnectionCheck
from accounts.models import ExchangeAccount

logger = logging.getLogger(__name__)


def account_connection_test(*, account: ExchangeAccount) -> ConnectionCheck:
    """Check the account's key on its exchange and store when and what (last_checked_at,
    last_check). Never raises: a client that cannot be built is a failed check."""
    try:
        check = account_check(account)
    except Exception as error:  # decryption or configuration: the check itself could not start
        logger.warning("account %s: connection check could not start: %s", account.pk, type(error).__name__)
        check = ConnectionCheck(errors=[f"client: {type(error).__name__}"])
    # update(), not save(): updated_at keys the cached exchange client, which stays valid.
    ExchangeAccount.objects.filter(pk=account.pk).update(
        last_checked_at=timezone.now(), last_check=check.as_dict()
    )
    return check
