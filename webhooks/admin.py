from django.contrib import admin, messages
from django.utils import timezone

from orders.admin_filters import account_filter, error_kind_filter, exchange_filter
from orders.models import Order
from tradingsite.admin_scoping import OwnedAdmin, ReadOnlyAdmin
from webhooks import services
from webhooks.admin_signal import ErrorCodeFilter, SignalOperationsMixin
from webhooks.models import WebhookLog, WebhookToken
from webhooks.tokens import token_digest, token_generate, token_lookup_prefix


@admin.register(WebhookToken)
class WebhookTokenAdmin(OwnedAdmin):
    list_display = [
        "name",
        "owner",
        "prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "usable",
    ]
    list_filter = ["revoked_at", "expires_at"]
    search_fields = ["name", "prefix", "owner__username"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    actions = ["rotate_now", "rotate_with_grace", "revoke"]

    @admin.display(boolean=True)
    def usable(self, obj):
        return obj.is_usable()

    def save_model(self, request, obj, form, change):
        raw = None
        if not change:
            raw = token_generate()
            obj.prefix, obj.digest = token_lookup_prefix(raw), token_digest(raw)
        super().save_model(request, obj, form, change)
        if raw:
            self._show_once(request, obj, raw)

    def _show_once(self, request, token, raw):
        self.message_user(
            request,
            f"New webhook token for {token.owner} ({token.name}), shown only now: {raw}",
            messages.WARNING,
        )

    def _rotate(self, request, queryset, grace_seconds):
        for old in queryset.select_related("owner"):
            new, raw = services.token_rotate(owner=old.owner, name=old.name, grace_seconds=grace_seconds)
            self._show_once(request, new, raw)

    @admin.action(description="Rotate: new token, old one stops now")
    def rotate_now(self, request, queryset):
        self._rotate(request, queryset, 0)

    @admin.action(description="Rotate: new token, old one keeps working for 24 hours")
    def rotate_with_grace(self, request, queryset):
        self._rotate(request, queryset, 24 * 3600)

    @admin.action(description="Revoke now")
    def revoke(self, request, queryset):
        for token in queryset:
            services.token_revoke(token=token)
        self.message_user(request, f"Revoked {queryset.count()} token(s) at {timezone.now():%H:%M:%S}.")


class OrderInline(admin.TabularInline):
    model = Order
    extra = 0
    can_delete = False
    show_change_link = True
    fields = [
        "account",
        "order_index",
        "symbol",
        "side",
        "order_type",
        "price",
        "stop_price",
        "quantity",
        "status",
        "filled_quantity",
        "average_price",
        "exchange_order_id",
        "error",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookLog)
class WebhookLogAdmin(SignalOperationsMixin, ReadOnlyAdmin):
    list_display = [
        "id",
        "received_at",
        "owner",
        "strategy",
        "action",
        "status",
        "http_status",
        "error_code",
        "duration_ms",
        "remote_addr",
        "matrix_link",
    ]
    list_filter = [
        "status",
        account_filter("orders"),
        exchange_filter("orders"),
        ErrorCodeFilter,
        error_kind_filter("orders"),
        "received_at",
        "action",
        "http_status",
    ]
    # Client and exchange order ids are exact matches: the one order an operator pasted.
    search_fields = [
        "=id",
        "signal_id",
        "=orders__client_order_id",
        "=orders__exchange_order_id",
        "strategy__group_name",
        "error",
    ]
    date_hierarchy = "received_at"
    list_select_related = ["owner", "strategy"]
    readonly_fields = ["matrix_link"]
    inlines = [OrderInline]
