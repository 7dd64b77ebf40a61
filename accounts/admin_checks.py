"""The exchange account admin's "Test connection" action, how its stored result reads, and the
one-click "failed today" link to the account's refused orders."""

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.connection import account_connection_test


def check_summary(result: dict | None) -> str:
    """One line an operator reads: OK or FAILED, then what was found."""
    if not result:
        return "—"

    def yes_no(value):
        return "?" if value is None else (_("yes") if value else _("no"))

    balances = ", ".join(f"{m} {v} USDT" for m, v in (result.get("balances") or {}).items()) or "—"
    offset = result.get("clock_offset_ms")
    parts = [
        _("OK") if result.get("ok") else _("FAILED"),
        _("balance: %(b)s") % {"b": balances},
        _("trading: %(v)s") % {"v": yes_no(result.get("can_trade"))},
        _("withdrawals: %(v)s") % {"v": yes_no(result.get("withdrawals_enabled"))},
        _("IP whitelist: %(v)s")
        % {"v": ", ".join(result.get("ip_whitelist") or []) or yes_no(result.get("ip_restricted"))},
        _("clock offset: %(v)s ms") % {"v": "?" if offset is None else offset},
    ]
    return " · ".join(parts)


class ConnectionCheckMixin:
    """For ExchangeAccountAdmin."""

    @admin.action(description=gettext_lazy("Test connection"), permissions=["change"])
    def test_connection(self, request, queryset):
        for account in queryset:
            check = account_connection_test(account=account)
            level = messages.SUCCESS if check.ok else messages.ERROR
            self.message_user(request, f"{account.label}: {check_summary(check.as_dict())}", level)
            for error in check.errors:
                self.message_user(request, f"{account.label}: {error[:300]}", messages.ERROR)

    @admin.display(description=gettext_lazy("last connection test"))
    def last_check_summary(self, obj):
        if not obj.last_checked_at:
            return "—"
        errors = (obj.last_check or {}).get("errors") or []
        lines = format_html_join("", "<div class='check-error'>{}</div>", ((e[:300],) for e in errors))
        return format_html(
            "<span class='check-summary'>{}</span> <small>({})</small>{}",
            check_summary(obj.last_check),
            timezone.localtime(obj.last_checked_at).strftime("%Y-%m-%d %H:%M:%S"),
            lines,
        )

    @admin.display(description=gettext_lazy("connection"))
    def last_check_status(self, obj):
        """The list's short form: OK / FAILED and when (the details are on the account's page)."""
        if not obj.last_checked_at:
            return "—"
        ok = (obj.last_check or {}).get("ok")
        return format_html(
            "<span class='check-status'>{}</span> <small>{}</small>",
            _("OK") if ok else _("FAILED"),
            timezone.localtime(obj.last_checked_at).strftime("%m-%d %H:%M"),
        )

    @admin.display(description=gettext_lazy("failed today"))
    def failed_today(self, obj):
        midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        query = {"account": obj.pk, "status__exact": "REJECTED", "created_at__gte": midnight.isoformat()}
        url = reverse("admin:orders_order_changelist") + "?" + urlencode(query)
        return format_html('<a href="{}">{}</a>', url, _("orders"))
