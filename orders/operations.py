"""Operator-side services behind the management commands and admin actions."""

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import ExchangeAccount
from orders.cancellation import account_cancel, cancellable_orders
from orders.models import OPEN_STATUSES, Order
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


@dataclass
class CancelSummary:
    """Sums of per-account cancel results, with the accounts counted and those that failed."""

    accounts: int = 0
    cancelled_orders: int = 0
    failed_orders: int = 0
    already_closed_orders: int = 0
    untracked_cancelled_orders: int = 0
    account_errors: list[str] = field(default_factory=list)

    def add(self, result: dict) -> None:
        for key in TOTAL_KEYS:
            setattr(self, key, getattr(self, key) + result.get(key, 0))

    @property
    def failed(self) -> bool:
        return bool(self.failed_orders or self.account_errors)

    def line(self) -> str:
        """The one-line summary the command prints and the admin shows."""
        line = _(
            "%(accounts)s accounts: %(cancelled)s cancelled, %(closed)s already closed, %(failed)s failed"
        ) % {
            "accounts": self.accounts,
            "cancelled": self.cancelled_orders,
            "closed": self.already_closed_orders,
            "failed": self.failed_orders,
        }
        if self.untracked_cancelled_orders:
            line += _(", %(count)s untracked cancelled") % {"count": self.untracked_cancelled_orders}
        return line


def cancel_targets_run(*, targets, filters: dict, include_untracked: bool, source: str, on_each=None):
    """Cancel for each target in turn; one account's trouble never stops the others. `on_each`
    (target, result or None when the account failed) is called after each. Returns the summary."""
    summary = CancelSummary()
    for target in targets:
        summary.accounts += 1
        try:
            result = cancel_run(
                target=target, filters=filters, include_untracked=include_untracked, source=source
            )
        except Exception as error:  # noqa: BLE001 - reported per account, the others go on
            summary.account_errors.append(f"{target.account.label}: {type(error).__name__}: {error}")
            result = None
        else:
            summary.add(result)
        if on_each is not None:
            on_each(target, result)
    return summary


def cancel_targets_of_strategies(*, strategies) -> list[CancelTarget]:
    """Admin: every account holding or linked to each selected strategy."""
    return [
        CancelTarget(account=account, strategy=strategy)
        for strategy in strategies
        for account in _strategy_accounts(strategy)
    ]


def cancel_targets_of_accounts(*, accounts) -> list[CancelTarget]:
    """Admin: every tracked open order (all strategies) on each selected account."""
    return [CancelTarget(account=account, strategy=None) for account in accounts]
