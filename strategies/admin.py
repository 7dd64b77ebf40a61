from django.contrib import admin

from strategies.models import Position, Strategy, StrategyAccount
from tradingsite.admin_scoping import OwnedAdmin, OwnedInline, ReadOnlyAdmin


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


@admin.register(Position)
class PositionAdmin(ReadOnlyAdmin):
    owner_path = "link__strategy__owner"
    list_display = ["link", "symbol", "quantity", "entry_price", "realized_pnl", "updated_at"]
    list_filter = ["link__strategy", "link__account__exchange"]
    search_fields = ["symbol", "link__strategy__group_name", "link__account__label"]
    list_select_related = ["link__strategy", "link__account"]
