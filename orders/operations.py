"""Operator-side services behind the management commands and admin actions."""

from dataclasses import dataclass

from django.db.models import Q

from accounts.models import ExchangeAccount
from orders.cancellation import account_cancel, cancellable_orders
from orders.models import OPEN_STATUSES, Order, OrderEvent
from strategies.models import Strategy


class TargetError(Exception):
    """The operator named no target, or one that does not exist or is ambiguous."""


@dataclass(frozen=True)
class CancelTarget:
    account: ExchangeAccount
    strategy_id: int | None

    def describe(self) -> str:
        whose = f"strategy {self.strategy_id}" if self.strategy_id else "all strategies"
        return f"{self.account.label} ({self.account.exchange}, {self.account.environment}) — {whose}"


def cancel_targets_resolve(
    *, group_name=None, owner=None, account_id=None, everything=False, exchange=None
) -> list[CancelTarget]:
    """Which (account, strategy) pairs a cancel-all addresses. Raises TargetError."""
    strategy = None
    if group_name:
        strategies = Strategy.objects.filter(group_name=group_name)
        if owner:
            strategies = strategies.filter(owner__username=owner)
        if strategies.count() != 1:
            raise TargetError(
                f"{strategies.count()} strategies are named {group_name!r}; use --owner."
                if strategies.count()
                else f"No strategy named {group_name!r}."
            )
        strategy = strategies.get()
    if account_id is not None:
        account = ExchangeAccount.objects.filter(pk=account_id).first()
        if account is None:
            raise TargetError(f"No exchange account with id {account_id}.")
        accounts = [account]
    elif strategy is not None:
        accounts = [link.account for link in strategy.links.select_related("account")]
    elif everything:
        ids = Order.objects.filter(status__in=OPEN_STATUSES).values_list("account_id", flat=True).distinct()
        accounts = list(ExchangeAccount.objects.filter(pk__in=ids))
    else:
        raise TargetError("Name a target: --strategy, --account or --all.")
    if exchange:
        accounts = [a for a in accounts if a.exchange == exchange]
    return [CancelTarget(account=a, strategy_id=strategy.pk if strategy else None) for a in accounts]


def cancel_preview(*, target: CancelTarget, filters: dict) -> list[Order]:
    return list(
        cancellable_orders(strategy_id=target.strategy_id, account_id=target.account.pk, filters=filters)
    )


def cancel_run(*, target: CancelTarget, filters: dict, include_untracked: bool, source: str) -> dict:
    return account_cancel(
        account=target.account,
        strategy_id=target.strategy_id,
        filters=filters,
        source=source,
        include_untracked=include_untracked,
    )


def strategies_cancel_from_admin(*, strategies) -> dict:
    """Admin action: cancel every open order of the selected strategies."""
    totals = {"cancelled_orders": 0, "failed_orders": 0, "already_closed_orders": 0}
    for strategy in strategies:
        accounts = ExchangeAccount.objects.filter(
            Q(strategy_links__strategy=strategy)
            | Q(orders__strategy=strategy, orders__status__in=OPEN_STATUSES)
        ).distinct()
        for account in accounts:
            result = account_cancel(
                account=account, strategy_id=strategy.pk, filters={}, source=OrderEvent.Source.ADMIN
            )
            for key in totals:
                totals[key] += result[key]
    return totals
