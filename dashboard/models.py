"""The dashboard's hourly rollup: per hour, owner, exchange and strategy, what the signals did.
Written by the rollup (a schedule, and the dashboard itself for hours it finds missing); the
signal path never writes here."""

from django.conf import settings
from django.db import models


class HourlyStat(models.Model):
    hour = models.DateTimeField(help_text="Start of the hour (UTC) the signals arrived in.")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+")
    strategy = models.ForeignKey("strategies.Strategy", null=True, on_delete=models.CASCADE, related_name="+")
    exchange = models.CharField(
        max_length=10, blank=True, help_text="Empty: requests refused before routing."
    )
    signals = models.PositiveIntegerField(default=0)
    runs = models.PositiveIntegerField(default=0, help_text="Account jobs (one account's share of a signal).")
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    refused_requests = models.PositiveIntegerField(default=0)
    # Counts of arrival → first order sent, per bucket of dashboard.rollup.LATENCY_BUCKETS_MS.
    latency_counts = models.JSONField(default=list)
    errors = models.JSONField(default=dict, help_text='{"order:<kind>" | "code:<error_code>": count}')

    class Meta:
        indexes = [models.Index(fields=["hour"])]

    def __str__(self):
        return f"{self.hour:%Y-%m-%d %H}h {self.exchange or '-'} {self.strategy_id}"


class RolledHour(models.Model):
    """An hour whose HourlyStat rows are written (an hour without signals has none)."""

    hour = models.DateTimeField(unique=True)
    rolled_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.hour:%Y-%m-%d %H}h"
