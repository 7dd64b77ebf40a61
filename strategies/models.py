from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.models import ExchangeAccount
from strategies import ownership


class MarketType(models.TextChoices):
    SPOT = "SPOT", "Spot"
    FUTURES = "FUTURES", "USDT-margined futures"


class Strategy(models.Model):
    """A signal group: the webhook's `group_name` names one of its owner's strategies."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="strategies")
    group_name = models.CharField(max_length=100)
    name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    market_type = models.CharField(max_length=10, choices=MarketType.choices)
    is_active = models.BooleanField(default=True)
    signal_max_delay = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Seconds after its webhook arrived past which an unsent order is not sent (EXPIRED). "
        "Empty: SIGNAL_MAX_DELAY_SECONDS for MARKET, SIGNAL_MAX_DELAY_OTHER_SECONDS for other types.",
    )
    accounts = models.ManyToManyField(ExchangeAccount, through="StrategyAccount", related_name="strategies")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["group_name"]
        verbose_name_plural = "strategies"
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "group_name"], name="strategy_group_name_unique_per_owner"
            ),
        ]

    def __str__(self):
        return self.group_name

    def save(self, *args, **kwargs):
        fields = kwargs.get("update_fields")
        if fields is None or "owner" in fields or "owner_id" in fields:
            ownership.strategy_owner_check(self)  # every path, not only the admin's forms
        super().save(*args, **kwargs)

    def clean(self):
        ownership.strategy_owner_check(self)


class StrategyAccount(models.Model):
    """The link that makes a strategy trade on an account, and how much of it."""

    strategy = models.ForeignKey(Strategy, on_delete=models.CASCADE, related_name="links")
    account = models.ForeignKey(ExchangeAccount, on_delete=models.PROTECT, related_name="strategy_links")
    weight = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.0001"))],
    )
    leverage = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(125)]
    )
    max_symbols = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="At most this many symbols with an open position."
    )
    allocated_capital = models.DecimalField(
        max_digits=28,
        decimal_places=8,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Quote currency this link trades with; computed from the balance or set here.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["strategy_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["strategy", "account"], name="link_unique_per_strategy_account"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="link_weight_positive"),
            models.CheckConstraint(
                condition=Q(leverage__gte=1) & Q(leverage__lte=125), name="link_leverage_range"
            ),
            models.CheckConstraint(condition=Q(allocated_capital__gte=0), name="link_capital_not_negative"),
        ]

    def __str__(self):
        return f"{self.strategy} → {self.account.label}"

    def save(self, *args, **kwargs):
        fields = kwargs.get("update_fields")
        if fields is None or {"strategy", "strategy_id", "account", "account_id"} & set(fields):
            ownership.link_owners_check(self)  # every path, not only the admin's forms
        super().save(*args, **kwargs)

    def clean(self):
        ownership.link_owners_check(self)
