from django.contrib import admin

from orders.admin_filters import account_filter, error_kind_filter, exchange_filter
from orders.models import AccountJob, Order, OrderEvent, Position
from tradingsite.admin_scoping import ReadOnlyAdmin


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    fields = ["at", "source", "from_status", "to_status", "filled_quantity", "detail"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    owner_path = "strategy__owner"
    list_display = [
        "id",
        "created_at",
        "strategy",
        "account",
        "symbol",
        "side",
        "order_type",
        "price",
        "stop_price",
        "quantity",
        "status",
        "filled_quantity",
        "average_price",
        "reduce_only",
        "error",
    ]
    list_filter = [
        "status",
        account_filter(),
        exchange_filter(),
        error_kind_filter(),
        "created_at",
        "order_type",
        "side",
        "market_type",
    ]
    search_fields = [
        "client_order_id",
        "exchange_order_id",
        "=webhook_log__signal_id",
        "symbol",
        "strategy__group_name",
    ]
    date_hierarchy = "created_at"
    list_select_related = ["strategy", "account"]
    inlines = [OrderEventInline]


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyAdmin):
    owner_path = "order__strategy__owner"
    list_display = ["at", "order", "source", "from_status", "to_status", "filled_quantity", "detail"]
    list_filter = ["source", "to_status"]
    search_fields = ["order__client_order_id"]


@admin.register(AccountJob)
class AccountJobAdmin(ReadOnlyAdmin):
    owner_path = "strategy__owner"
    list_display = [
        "id",
        "created_at",
        "kind",
        "strategy",
        "account",
        "state",
        "attempts",
        "started_at",
        "finished_at",
        "error",
    ]
    list_filter = ["kind", "state", "account__exchange"]
    search_fields = ["=webhook_log__id", "strategy__group_name", "account__label"]
    list_select_related = ["strategy", "account"]


@admin.register(Position)
class PositionAdmin(ReadOnlyAdmin):
    owner_path = "link__strategy__owner"
    list_display = ["link", "symbol", "quantity", "entry_price", "realized_pnl", "updated_at"]
    list_filter = ["link__strategy", "link__account__exchange"]
    search_fields = ["symbol", "link__strategy__group_name", "link__account__label"]
    list_select_related = ["link__strategy", "link__account"]
