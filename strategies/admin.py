from django.contrib import admin, messages

from orders.admin_actions import cancel_action_report
from orders.operations import cancel_targets_of_strategies
from strategies.models import Strategy, StrategyAccount
from strategies.services import capital_allocate
from tradingsite.admin_scoping import OwnedAdmin, OwnedInline


class StrategyAccountInline(OwnedInline):
    model = StrategyAccount
    extra = 0
    fields = ["account", "weight", "leverage", "max_symbols", "allocated_capital", "is_active"]


@admin.register(Strategy)
class StrategyAdmin(OwnedAdmin):
    list_display = ["group_name", "name", "market_type", "owner", "is_active", "link_count", "updated_at"]
    list_filter = ["market_type", "is_active"]
    search_fields = ["group_name", "name", "owner__username"]
    inlines = [StrategyAccountInline]
    actions = ["allocate_capital", "cancel_open_orders"]

    @admin.action(description="Cancel their open orders on the exchanges", permissions=["change"])
    def cancel_open_orders(self, request, queryset):
        targets = cancel_targets_of_strategies(strategies=queryset)
        cancel_action_report(model_admin=self, request=request, targets=targets)

    @admin.action(description="Recompute allocated capital from balances")
    def allocate_capital(self, request, queryset):
        account_ids = list(
            StrategyAccount.objects.filter(strategy__in=queryset).values_list("account_id", flat=True)
        )
        _report_allocation(self, request, account_ids)

    def save_related(self, request, form, formsets, change):
        """Links added, removed or re-weighted change every split on their accounts: recompute,
        unless the operator set the capital by hand in the same edit."""
        super().save_related(request, form, formsets, change)
        touched = set()
        for formset in formsets:
            if formset.model is not StrategyAccount:
                continue
            for link_form in formset.forms:
                changed = set(link_form.changed_data)
                if (
                    changed & {"account", "weight", "is_active", "DELETE"}
                    and "allocated_capital" not in changed
                ):
                    account = link_form.cleaned_data.get("account")
                    if account is not None:
                        touched.add(account.pk)
        if touched:
            _report_allocation(self, request, sorted(touched))

    @admin.display(description="accounts")
    def link_count(self, obj):
        return obj.links.count()


@admin.register(StrategyAccount)
class StrategyAccountAdmin(OwnedAdmin):
    owner_path = "strategy__owner"
    list_display = [
        "strategy",
        "account",
        "weight",
        "leverage",
        "max_symbols",
        "allocated_capital",
        "is_active",
    ]
    list_filter = ["is_active", "account__exchange", "strategy__market_type"]
    search_fields = ["strategy__group_name", "account__label"]
    list_select_related = ["strategy", "account"]
    actions = ["allocate_capital"]

    @admin.action(description="Recompute allocated capital from balances")
    def allocate_capital(self, request, queryset):
        _report_allocation(self, request, list(queryset.values_list("account_id", flat=True)))


def _report_allocation(model_admin, request, account_ids):
    updated, errors = capital_allocate(account_ids=account_ids)
    model_admin.message_user(request, f"Allocated capital recomputed for {len(updated)} link(s).")
    for account, message in errors:
        model_admin.message_user(
            request, f"{account.label}: balance unavailable ({message})", messages.WARNING
        )
