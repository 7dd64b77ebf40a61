"""Owners never cross: a strategy trades only on its own owner's accounts. The models check it in
`clean()` (admin forms show it) and again in `save()` (commands, services, shells); the webhook
intake refuses to trade a crossing link that a raw update might still have made."""

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.utils.translation import gettext as _


def link_owners_differ(link) -> bool:
    """True when both ends of the link are known and belong to different owners."""
    try:
        strategy, account = link.strategy, link.account
    except ObjectDoesNotExist:  # an end not chosen yet: the form reports that itself
        return False
    if strategy.owner_id is None or account.owner_id is None:
        return False
    return strategy.owner_id != account.owner_id


def link_owners_check(link) -> None:
    """Raise ValidationError (on `account`) when the link would cross owners."""
    if link_owners_differ(link):
        raise ValidationError(
            {"account": _("다른 소유자의 계좌에는 연결할 수 없습니다: 전략과 계좌의 소유자가 같아야 합니다")}
        )


def strategy_owner_check(strategy) -> None:
    """Raise ValidationError (on `owner`) when a new owner would leave links to others' accounts."""
    if strategy.pk is None or strategy.owner_id is None:
        return
    if strategy.links.exclude(account__owner_id=strategy.owner_id).exists():
        raise ValidationError(
            {"owner": _("이 전략은 다른 소유자의 계좌에 연결되어 있습니다: 먼저 연결을 해제하세요")}
        )
