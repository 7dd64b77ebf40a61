"""Capital allocation (CONTRACT.md "Sizing"): a link's allocated capital is the account's total
balance of the quote currency in that market's wallet × its weight / the sum of the weights of
that account's active links in the same market."""

import logging
from collections import defaultdict
from decimal import ROUND_DOWN, Decimal

from django.db import transaction

from accounts.exchange import client as exchange
from accounts.exchange.types import ExchangeError
from strategies.models import StrategyAccount

logger = logging.getLogger(__name__)
CENT = Decimal("0.00000001")
# Bybit's unified account and OKX's trading account hold spot and futures in one wallet: there a
# link's share is of the whole wallet, split over all the account's links, whatever their market.
UNIFIED_WALLET_EXCHANGES = {"BYBIT", "OKX"}


def capital_allocate(*, account_ids=None, currency: str = "USDT") -> tuple[list, list]:
    """Recompute allocated_capital of active links from live balances. Returns (updated links,
    errors as (account, message)); an account whose balance cannot be read keeps its values."""
    links = StrategyAccount.objects.filter(is_active=True, strategy__is_active=True, account__is_active=True)
    if account_ids is not None:
        links = links.filter(account_id__in=account_ids)
    groups = defaultdict(list)
    for link in links.select_related("account", "strategy"):
        unified = link.account.exchange in UNIFIED_WALLET_EXCHANGES
        groups[(link.account, "FUTURES" if unified else link.strategy.market_type)].append(link)
    updated, errors = [], []
    for (account, market_type), members in groups.items():
        try:
            balance = exchange.client_for(account).balance(market_type, currency)
        except ExchangeError as error:
            errors.append((account, str(error)))
            logger.warning("capital: balance of account %s unavailable: %s", account.pk, error)
            continue
        total_weight = sum(link.weight for link in members)
        with transaction.atomic():
            for link in members:
                link.allocated_capital = (balance * link.weight / total_weight).quantize(
                    CENT, rounding=ROUND_DOWN
                )
                link.save(update_fields=["allocated_capital", "updated_at"])
                updated.append(link)
        logger.info(
            "capital: account %s %s balance %s split over %s links",
            account.pk,
            market_type,
            balance,
            len(members),
        )
    return updated, errors
