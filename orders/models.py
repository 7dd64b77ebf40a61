from decimal import Decimal

from django.db import models
from django.db.models import Q

from accounts.exchange.types import OrderType
from strategies.models import MarketType

__all__ = ["OrderType"]  # defined with the exchange boundary, which speaks it too


class Side(models.TextChoices):
    BUY = "buy", "Buy"
    SELL = "sell", "Sell"


class OrderStatus(models.TextChoices):
    PROCESSING = "PROCESSING", "Processing"  # accepted by us, not yet confirmed by the exchange
    PENDING = "PENDING", "Pending"  # resting on the exchange
    PARTIALLY_FILLED = "PARTIALLY_FILLED", "Partially filled"
    FILLED = "FILLED", "Filled"
    CANCELLED = "CANCELLED", "Cancelled"
    REJECTED = "REJECTED", "Rejected"  # by the exchange, or by us before sending
    EXPIRED = "EXPIRED", "Expired"
    NOT_FOUND = "NOT_FOUND", "Not found on exchange"


OPEN_STATUSES = (OrderStatus.PENDING, OrderStatus.PARTIALLY_FILLED)
FINAL_STATUSES = (
    OrderStatus.FILLED,
    OrderStatus.CANCELLED,
    OrderStatus.REJECTED,
    OrderStatus.EXPIRED,
    OrderStatus.NOT_FOUND,
)


class Order(models.Model):
    """One order of one signal on one account. `client_order_id` is deterministic, so a retried
    job finds the order it placed instead of placing a second one."""

    strategy = models.ForeignKey("strategies.Strategy", on_delete=models.PROTECT, related_name="orders")
    account = models.ForeignKey("accounts.ExchangeAccount", on_delete=models.PROTECT, related_name="orders")
    link = models.ForeignKey(
        "strategies.StrategyAccount",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    webhook_log = models.ForeignKey(
        "webhooks.WebhookLog",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    order_index = models.PositiveSmallIntegerField(default=0)
    client_order_id = models.CharField(max_length=32, unique=True)
    exchange_order_id = models.CharField(max_length=64, blank=True, db_index=True)
    symbol = models.CharField(max_length=40, help_text="Unified symbol, e.g. BTC/USDT:USDT")
    market_type = models.CharField(max_length=10, choices=MarketType.choices)
    side = models.CharField(max_length=4, choices=Side.choices)
    order_type = models.CharField(max_length=12, choices=OrderType.choices)
    price = models.DecimalField(max_digits=28, decimal_places=12, null=True, blank=True)
    stop_price = models.DecimalField(max_digits=28, decimal_places=12, null=True, blank=True)
    qty_per = models.DecimalField(max_digits=9, decimal_places=4, default=Decimal("100"))
    quantity = models.DecimalField(max_digits=28, decimal_places=12, null=True, blank=True)
    reduce_only = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.PROCESSING)
    filled_quantity = models.DecimalField(max_digits=28, decimal_places=12, default=Decimal("0"))
    average_price = models.DecimalField(max_digits=28, decimal_places=12, null=True, blank=True)
    # How much of filled_quantity has been applied to the position: fills count exactly once.
    position_applied_quantity = models.DecimalField(
        max_digits=28, decimal_places=12, default=Decimal("0"), editable=False
    )
    position_applied_cost = models.DecimalField(
        max_digits=32,
        decimal_places=12,
        default=Decimal("0"),
        editable=False,
        help_text="quantity × price of the fills already applied, to price the next increment",
    )
    # The exchange refused our client id as a duplicate: the order exists there even while its
    # look-ups miss it (order histories lag), so it is never REJECTED; the sweeper keeps looking.
    known_on_exchange = models.BooleanField(default=False)
    # Fees the exchange took from the coin received (spot buys): the position holds the net.
    fee_base_quantity = models.DecimalField(max_digits=28, decimal_places=12, default=Decimal("0"))
    # What the service changed in the order and the account's result says (a capped spot sell).
    note = models.TextField(blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["webhook_log", "account", "order_index"],
                condition=Q(webhook_log__isnull=False),
                name="order_unique_per_log_account_index",
            ),
            models.CheckConstraint(
                condition=Q(qty_per__gt=0) & Q(qty_per__lte=100), name="order_qty_per_range"
            ),
            models.CheckConstraint(condition=Q(filled_quantity__gte=0), name="order_filled_not_negative"),
        ]
        indexes = [
            models.Index(fields=["status", "updated_at"]),
            models.Index(fields=["account", "status"]),
            models.Index(fields=["strategy", "status"]),
        ]

    def __str__(self):
        return f"{self.client_order_id} {self.side} {self.symbol} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_trigger(self) -> bool:
        return self.order_type in OrderType.TRIGGERS

    @property
    def net_filled_quantity(self) -> Decimal:
        """What the fill added to the wallet: the fill less fees taken from the coin received."""
        return self.filled_quantity - self.fee_base_quantity


class OrderEvent(models.Model):
    """Audit trail: every status change of an order, when, and who caused it."""

    class Source(models.TextChoices):
        WEBHOOK = "webhook", "Webhook"
        WORKER = "worker", "Worker"
        SYNC = "sync", "Sync"
        COMMAND = "command", "Command"
        ADMIN = "admin", "Admin"
        SWEEPER = "sweeper", "Sweeper"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    filled_quantity = models.DecimalField(max_digits=28, decimal_places=12, null=True, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.order_id}: {self.from_status or '-'} → {self.to_status}"


class AccountJob(models.Model):
    """One account's share of one signal: the unit a django-q2 task executes and reports on."""

    class Kind(models.TextChoices):
        ORDERS = "orders", "Place orders"
        CANCEL = "cancel", "Cancel orders"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    webhook_log = models.ForeignKey(
        "webhooks.WebhookLog", null=True, blank=True, on_delete=models.CASCADE, related_name="jobs"
    )
    strategy = models.ForeignKey("strategies.Strategy", on_delete=models.CASCADE, related_name="jobs")
    account = models.ForeignKey("accounts.ExchangeAccount", on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    filters = models.JSONField(default=dict, blank=True, help_text="Cancel filters.")
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # Stage times: the job's first order leaving for the exchange, and its last order's answer.
    sent_at = models.DateTimeField(null=True, blank=True)
    exchange_answered_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # A running job holds a lease its worker renews; a worker that died lets it expire, and the
    # job is resumed by the next claimant (orders/leases.py), at most JOB_MAX_ATTEMPTS times.
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The stale-signal guard: an order not sent by then is not sent at all (EXPIRED).
    send_by = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["webhook_log", "account", "kind"],
                condition=Q(webhook_log__isnull=False),
                name="job_unique_per_log_account_kind",
            ),
        ]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self):
        return f"{self.kind} job #{self.pk} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)


class Position(models.Model):
    """This strategy's position on one account and symbol, built from fills only."""

    link = models.ForeignKey("strategies.StrategyAccount", on_delete=models.CASCADE, related_name="positions")
    symbol = models.CharField(max_length=40, help_text="Unified symbol, e.g. BTC/USDT:USDT")
    quantity = models.DecimalField(
        max_digits=28,
        decimal_places=12,
        default=Decimal("0"),
        help_text="Signed: positive is long, negative is short.",
    )
    entry_price = models.DecimalField(max_digits=28, decimal_places=12, null=True, blank=True)
    realized_pnl = models.DecimalField(max_digits=28, decimal_places=12, default=Decimal("0"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "strategies_position"  # created by the strategies app, moved here with its writer
        ordering = ["link_id", "symbol"]
        constraints = [
            models.UniqueConstraint(fields=["link", "symbol"], name="position_unique_per_link_symbol"),
        ]

    def __str__(self):
        return f"{self.symbol} {self.quantity}"

    @property
    def is_open(self) -> bool:
        return self.quantity != 0
