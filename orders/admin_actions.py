"""The admin's one cancel action, shared by the strategy and account lists."""

from django.contrib import messages
from django.utils.translation import gettext as _

from orders.models import OrderEvent
from orders.operations import cancel_targets_run


def cancel_action_report(*, model_admin, request, targets) -> None:
    """Cancel the targets' open orders and tell the operator what happened, account by account."""
    summary = cancel_targets_run(
        targets=targets, filters={}, include_untracked=False, source=OrderEvent.Source.ADMIN
    )
    level = messages.ERROR if summary.failed else messages.SUCCESS
    model_admin.message_user(request, _("Cancel-all: %(line)s") % {"line": summary.line()}, level)
    for line in summary.account_errors:
        model_admin.message_user(request, line, messages.ERROR)
