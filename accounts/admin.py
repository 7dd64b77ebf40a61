from django import forms
from django.contrib import admin, messages

from accounts.admin_checks import ConnectionCheckMixin
from accounts.models import AccountSymbolSetting, ExchangeAccount
from orders.operations import accounts_cancel_from_admin, cancel_totals_line
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
            from accounts.crypto import decrypt

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
        totals = accounts_cancel_from_admin(accounts=queryset)
        failed = totals["failed_orders"] or totals["account_errors"]
        level = messages.ERROR if failed else messages.SUCCESS
        self.message_user(request, f"Cancel-all: {cancel_totals_line(totals=totals)}", level)
        for line in totals["account_errors"]:
            self.message_user(request, line, messages.ERROR)

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
