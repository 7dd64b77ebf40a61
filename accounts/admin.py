from django import forms
from django.contrib import admin

from accounts.admin_checks import ConnectionCheckMixin
from accounts.crypto import decrypt
from accounts.models import AccountSymbolSetting, ExchangeAccount, RateLimitBlock, RateLimitHit
from orders.admin_actions import cancel_action_report
from orders.operations import cancel_targets_of_accounts
from tradingsite.admin_scoping import OwnedAdmin


class ExchangeAccountForm(forms.ModelForm):
    """Credentials are write-only: a stored secret is never rendered back. Leaving a field
    blank on change keeps the stored value."""

    api_key = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False))
    api_secret = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False))
    passphrase = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="OKX only.",
    )

    class Meta:
        model = ExchangeAccount
        fields = [
            "owner",
            "label",
            "exchange",
            "environment",
            "position_mode",
            "margin_mode",
            "is_active",
        ]

    def clean(self):
        cleaned = super().clean()
        creating = self.instance.pk is None
        if creating and not (cleaned.get("api_key") and cleaned.get("api_secret")):
            raise forms.ValidationError("A new account needs an API key and secret.")
        if cleaned.get("exchange") == "OKX" and creating and not cleaned.get("passphrase"):
            raise forms.ValidationError("OKX accounts need the API passphrase.")
        return cleaned

    def save(self, commit=True):
        account = super().save(commit=False)
        api_key = self.cleaned_data.get("api_key")
        api_secret = self.cleaned_data.get("api_secret")
        passphrase = self.cleaned_data.get("passphrase")
        if api_key or api_secret or passphrase:
            account.set_credentials(
                api_key=api_key or decrypt(account.api_key_encrypted),
                api_secret=api_secret or decrypt(account.api_secret_encrypted),
                passphrase=passphrase or decrypt(account.passphrase_encrypted),
            )
        if commit:
            account.save()
        return account


@admin.register(ExchangeAccount)
class ExchangeAccountAdmin(ConnectionCheckMixin, OwnedAdmin):
    form = ExchangeAccountForm
    list_display = [
        "label",
        "exchange",
        "environment",
        "owner",
        "masked_api_key",
        "position_mode",
        "margin_mode",
        "is_active",
        "last_check_status",
        "failed_today",
    ]
    list_filter = ["exchange", "environment", "is_active", "position_mode"]
    search_fields = ["label", "owner__username"]
    readonly_fields = ["masked_api_key", "last_check_summary", "created_at", "updated_at"]
    actions = ["test_connection", "cancel_open_orders"]

    @admin.action(description="Cancel all tracked open orders (every strategy)", permissions=["change"])
    def cancel_open_orders(self, request, queryset):
        targets = cancel_targets_of_accounts(accounts=queryset)
        cancel_action_report(model_admin=self, request=request, targets=targets)

    @admin.display(description="API key")
    def masked_api_key(self, obj):
        return f"••••{obj.api_key_hint}" if obj.api_key_hint else "—"


@admin.register(AccountSymbolSetting)
class AccountSymbolSettingAdmin(OwnedAdmin):
    owner_path = "account__owner"
    list_display = ["account", "symbol", "leverage", "margin_mode", "updated_at"]
    list_filter = ["account__exchange"]
    search_fields = ["symbol", "account__label"]
    readonly_fields = ["account", "symbol", "leverage", "margin_mode", "updated_at"]

    def has_add_permission(self, request):
        return False


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
