"""Admin list filters shared by the order and webhook-log lists: account (only the operator's
own), exchange, and error kind. `path` is the lookup from the listed model to the order."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.models import Exchange, ExchangeAccount
from orders.error_kinds import KINDS, OTHER, error_kind_q
from orders.models import Order


def _prefix(path: str) -> str:
    return f"{path}__" if path else ""


def account_filter(path: str = ""):
    class AccountFilter(admin.SimpleListFilter):
        title = _("account")
        parameter_name = "account"

        def lookups(self, request, model_admin):
            accounts = ExchangeAccount.objects.order_by("label")
            if not request.user.is_superuser:
                accounts = accounts.filter(owner=request.user)
            return [(str(a.pk), f"{a.label} ({a.exchange})") for a in accounts]

        def queryset(self, request, queryset):
            if not self.value():
                return queryset
            return queryset.filter(**{f"{_prefix(path)}account_id": self.value()}).distinct()

    return AccountFilter


def exchange_filter(path: str = ""):
    class ExchangeFilter(admin.SimpleListFilter):
        title = _("exchange")
        parameter_name = "exchange"

        def lookups(self, request, model_admin):
            return Exchange.choices

        def queryset(self, request, queryset):
            if not self.value():
                return queryset
            return queryset.filter(**{f"{_prefix(path)}account__exchange": self.value()}).distinct()

    return ExchangeFilter


def error_kind_filter(path: str = ""):
    class ErrorKindFilter(admin.SimpleListFilter):
        title = _("error kind")
        parameter_name = "error_kind"

        def lookups(self, request, model_admin):
            return [(key, label) for key, label, _pattern in KINDS] + [OTHER]

        def queryset(self, request, queryset):
            if not self.value():
                return queryset
            if not path:
                return queryset.filter(error_kind_q(self.value()))
            # "has an order of this kind": a subquery, since the kinds' exclusions must hold for
            # the same order, not for any order of the row.
            ids = Order.objects.filter(error_kind_q(self.value())).values("webhook_log_id")
            return queryset.filter(pk__in=ids)

    return ErrorKindFilter
