"""Operator-side services behind the management commands and admin actions."""

from dataclasses import dataclass

from django.db.models import Q

from accounts.models import ExchangeAccount
from orders.cancellation import account_cancel, cancellable_orders
from orders.models import OPEN_STATUSES, Order, OrderEvent
from strategies.models import Strategy

TOTAL_KEYS = ("cancelled_orders", "failed_orders", "already_closed_orders", "untracked_cancelled_orders")


class TargetError(Exception):
    """The operator named no target, or one that does not exist or is ambiguous."""


@dataclass(frozen=True)
class CancelTarget:
    account: ExchangeAccount
    strategy: Strategy | None

    @property
    def strategy_id(self) -> int | None:
        return self.strategy.pk if self.strategy else None

    def describe(self) -> str:
        whose = f"strategy {self.strategy.group_name}" if self.strategy else "all strategies"
        account = self.account
        return f"account {account.pk} {account.label} ({account.exchange}, {account.environment}) — {whose}"


def cancel_targets_resolve(
    *, group_name=None, owner=None, account_id=None, everything=False, exchange=None
) -> list[CancelTarget]:
    """Which (account, strategy) pairs a cancel-all addresses. Raises TargetError."""
    if everything and (group_name or account_id is not None):
        raise TargetError("--all cancels everything: use it without --strategy and --account.")
    if owner and not group_name:
        raise TargetError("--owner only says whose --strategy is meant.")
    strategy = _strategy(group_name, owner) if group_name else None
    if account_id is not None:
        account = ExchangeAccount.objects.filter(pk=account_id).first()
        if account is None:
            raise TargetError(f"No exchange account with id {account_id}.")
        accounts = [account]
    elif strategy is not None:
        accounts = _strategy_accounts(strategy)
    elif everything:
        ids = Order.objects.filter(status__in=OPEN_STATUSES).values_list("account_id", flat=True)
        accounts = list(ExchangeAccount.objects.filter(pk__in=ids).order_by("id"))
    else:
        raise TargetError("Name a target: --strategy, --account or --all.")
    if exchange:
        accounts = [a for a in accounts if a.exchange == exchange]
    return [CancelTarget(account=a, strategy=strategy) for a in accounts]


def _strategy(group_name: str, owner: str | None) -> Strategy:
    strategies = Strategy.objects.filter(group_name=group_name)
    if owner:
        strategies = strategies.filter(owner__username=owner)
    found = list(strategies[:2])
    if not found:
        whose = f" owned by {owner!r}" if owner else ""
        raise TargetError(f"No strategy named {group_name!r}{whose}.")
    if len(found) > 1:
        raise TargetError(f"Several strategies are named {group_name!r}; add --owner USERNAME.")
    return found[0]


def _strategy_accounts(strategy: Strategy) -> list[ExchangeAccount]:
    """Linked now, or holding its open orders from a link since removed."""
    return list(
        ExchangeAccount.objects.filter(
            Q(strategy_links__strategy=strategy)
            | Q(orders__strategy=strategy, orders__status__in=OPEN_STATUSES)
        )
        .distinct()
        .order_by("id")
    )


def cancel_preview(*, target: CancelTarget, filters: dict) -> list[Order]:
    """The tracked orders a cancel of `target` would cancel; changes nothing."""
    return list(
        cancellable_orders(strategy_id=target.strategy_id, account_id=target.account.pk, filters=filters)
    )


def cancel_run(*, target: CancelTarget, filters: dict, include_untracked: bool, source: str) -> dict:
    """Cancel for one target; the per-account counts. Raises only if the client cannot be built."""
    return account_cancel(
        account=target.account,
        strategy_id=target.strategy_id,
        filters=filters,
        source=source,
        include_untracked=include_untracked,
    )


def cancel_totals() -> dict:
    """Zeroed sums of per-account results, with the accounts counted and those that failed."""
    return {**dict.fromkeys(TOTAL_KEYS, 0), "accounts": 0, "account_errors": []}


def cancel_totals_add(*, totals: dict, result: dict) -> None:
    for key in TOTAL_KEYS:
        totals[key] += result.get(key, 0)


def cancel_totals_line(*, totals: dict) -> str:
    """The one-line summary the command prints and the admin shows."""
    line = (
        f"{totals['accounts']} accounts: {totals['cancelled_orders']} cancelled, "
        f"{totals['already_closed_orders']} already closed, {totals['failed_orders']} failed"
    )
    if totals["untracked_cancelled_orders"]:
        line += f", {totals['untracked_cancelled_orders']} untracked cancelled"
    return line


def strategies_cancel_from_admin(*, strategies) -> dict:
    """Admin action: cancel every open order of the selected strategies; cancel_totals()."""
    totals = cancel_totals()
    for strategy in strategies:
        for account in _strategy_accounts(strategy):
            _admin_run(CancelTarget(account=account, strategy=strategy), totals)
    return totals


def accounts_cancel_from_admin(*, accounts) -> dict:
    """Admin action: cancel every tracked open order (all strategies) on the selected accounts."""
    totals = cancel_totals()
    for account in accounts:
        _admin_run(CancelTarget(account=account, strategy=None), totals)
    return totals


def _admin_run(target: CancelTarget, totals: dict) -> None:
    totals["accounts"] += 1
    try:
        result = cancel_run(
            target=target, filters={}, include_untracked=False, source=OrderEvent.Source.ADMIN
        )
    except Exception as error:  # one account's trouble must not stop the others
        totals["account_errors"].append(f"{target.account.label}: {type(error).__name__}: {error}")
        return
    cancel_totals_add(totals=totals, result=result)
