from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from accounts import crypto


class Exchange(models.TextChoices):
    BINANCE = "BINANCE", "Binance"
    BYBIT = "BYBIT", "Bybit"
    OKX = "OKX", "OKX"


class Environment(models.TextChoices):
    LIVE = "live", "Live"
    DEMO = "demo", "Demo / testnet"
    SIMULATOR = "simulator", "Local simulator"


class PositionMode(models.TextChoices):
    ONE_WAY = "one_way", "One-way"
    HEDGE = "hedge", "Hedge"


class MarginMode(models.TextChoices):
    CROSS = "cross", "Cross"
    ISOLATED = "isolated", "Isolated"


class ExchangeAccount(models.Model):
    """One API key on one exchange. Credentials are stored as Fernet ciphertext only."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="exchange_accounts"
    )
    label = models.CharField(max_length=100)
    exchange = models.CharField(max_length=10, choices=Exchange.choices)
    environment = models.CharField(max_length=10, choices=Environment.choices, default=Environment.SIMULATOR)
    api_key_encrypted = models.TextField(editable=False, default="")
    api_secret_encrypted = models.TextField(editable=False, default="")
    passphrase_encrypted = models.TextField(editable=False, default="", blank=True)
    # The last characters of the API key, so operators can tell keys apart without the secret.
    api_key_hint = models.CharField(max_length=8, editable=False, default="")
    position_mode = models.CharField(
        max_length=10, choices=PositionMode.choices, default=PositionMode.ONE_WAY
    )
    margin_mode = models.CharField(max_length=10, choices=MarginMode.choices, default=MarginMode.CROSS)
    is_active = models.BooleanField(default=True)
    # The admin's "Test connection": when it last ran and what it found (ConnectionCheck as JSON).
    last_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_check = models.JSONField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "label"], name="account_label_unique_per_owner"),
        ]
        indexes = [models.Index(fields=["exchange", "is_active"])]

    def __str__(self):
        return f"{self.label} ({self.get_exchange_display()}, {self.environment})"

    def save(self, *args, **kwargs):
        fields = kwargs.get("update_fields")
        if fields is None or "owner" in fields or "owner_id" in fields:
            self._owner_check()  # every path: a new owner must not inherit others' strategies
        super().save(*args, **kwargs)

    def clean(self):
        self._owner_check()

    def _owner_check(self):
        """A strategy trades only on its own owner's accounts (strategies/ownership.py)."""
        if self.pk is None or self.owner_id is None:
            return
        if self.strategy_links.exclude(strategy__owner_id=self.owner_id).exists():
            raise ValidationError(
                {"owner": _("이 계좌는 다른 소유자의 전략에 연결되어 있습니다: 먼저 연결을 해제하세요")}
            )

    def set_credentials(self, *, api_key: str, api_secret: str, passphrase: str = "") -> None:
        self.api_key_encrypted = crypto.encrypt(api_key)
        self.api_secret_encrypted = crypto.encrypt(api_secret)
        self.passphrase_encrypted = crypto.encrypt(passphrase)
        self.api_key_hint = api_key[-4:] if api_key else ""

    @property
    def has_credentials(self) -> bool:
        return bool(self.api_key_encrypted and self.api_secret_encrypted)


class AccountSymbolSetting(models.Model):
    """What we last set on the exchange for one account and symbol (leverage, margin mode),
    so that leverage is sent before the first order and again only when it changes."""

    account = models.ForeignKey(ExchangeAccount, on_delete=models.CASCADE, related_name="symbol_settings")
    symbol = models.CharField(max_length=40)
    leverage = models.PositiveSmallIntegerField()
    margin_mode = models.CharField(max_length=10, choices=MarginMode.choices, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "symbol"], name="symbol_setting_unique_per_account"),
        ]

    def __str__(self):
        return f"{self.account_id} {self.symbol} x{self.leverage}"


class RateLimitHit(models.Model):
    """One counted request in the database-backed rate limiter (used when Redis is absent)."""

    key = models.CharField(max_length=120)
    at = models.FloatField(help_text="Epoch seconds")
    cost = models.PositiveIntegerField(default=1)

    class Meta:
        db_table = "orders_ratelimithit"  # created by the orders app, moved here with the limiter
        indexes = [models.Index(fields=["key", "at"])]

    def __str__(self):
        return f"{self.key} @ {self.at:.3f}"


class RateLimitBlock(models.Model):
    """A key that may not be used before `until` (Retry-After, bans), in the database limiter."""

    key = models.CharField(max_length=120, unique=True)
    until = models.FloatField(help_text="Epoch seconds")

    class Meta:
        db_table = "orders_ratelimitblock"

    def __str__(self):
        return f"{self.key} blocked until {self.until:.0f}"
