from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class WebhookToken(models.Model):
    """A webhook token. Only a SHA-256 digest is kept; the raw token is shown once."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_tokens"
    )
    name = models.CharField(max_length=100, default="default")
    prefix = models.CharField(max_length=16, db_index=True, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        if self.revoked_at is not None and self.revoked_at <= now:
            return False
        return self.expires_at is None or self.expires_at > now


class WebhookLog(models.Model):
    """One row per webhook request, good or bad. The payload is stored with the token masked."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        SUCCESS = "success", "Success"
        PARTIAL = "partial", "Partial"
        FAILED = "failed", "Failed"
        REJECTED = "rejected", "Rejected"
        DUPLICATE = "duplicate", "Duplicate"
        ERROR = "error", "Error (500)"

    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="webhook_logs",
    )
    token = models.ForeignKey(
        WebhookToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="logs"
    )
    strategy = models.ForeignKey(
        "strategies.Strategy",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="webhook_logs",
    )
    action = models.CharField(max_length=40, blank=True)
    signal_id = models.CharField(max_length=100, null=True, blank=True)
    payload = models.JSONField(null=True, blank=True, help_text="As received, token masked.")
    raw_body = models.TextField(blank=True, help_text="Body that was not a JSON object, cut short.")
    signal = models.JSONField(null=True, blank=True, help_text="The normalised signal.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    error_code = models.CharField(max_length=50, blank=True)
    response = models.JSONField(null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    duration_ms = models.FloatField(null=True, blank=True)
    # Stage times of an accepted signal (received_at is the arrival): when its log, orders and
    # jobs committed, and when the webhook's answer was written.
    committed_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "webhook_logs"
        ordering = ["-received_at", "-id"]
        constraints = [
            # The idempotency key: one executing request per strategy and signal_id. Duplicates
            # and rejected requests are logged too, so they are outside the constraint.
            models.UniqueConstraint(
                fields=["strategy", "signal_id"],
                condition=Q(signal_id__isnull=False)
                & Q(status__in=["received", "success", "partial", "failed"]),
                name="webhook_signal_id_unique_per_strategy",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "received_at"]),
            models.Index(fields=["owner", "received_at"]),
        ]

    def __str__(self):
        return f"#{self.pk} {self.action or '-'} {self.status}"
