from django.contrib import admin

from orders.models import AccountJob, Order, OrderEvent, RateLimitBlock, RateLimitHit
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
    list_filter = ["status", "order_type", "side", "market_type", "account__exchange"]
    search_fields = ["client_order_id", "exchange_order_id", "symbol", "strategy__group_name"]
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


@admin.register(RateLimitHit)
class RateLimitHitAdmin(admin.ModelAdmin):
    """The database rate limiter's window (used only without Redis): superusers, read-only."""

    list_display = ["key", "at", "cost"]
    search_fields = ["key"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RateLimitBlock)
class RateLimitBlockAdmin(RateLimitHitAdmin):
    list_display = ["key", "until"]
