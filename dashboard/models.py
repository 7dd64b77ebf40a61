"""The dashboard's hourly rollup: per hour, owner, exchange and strategy, what the signals did.
Written by the rollup (a schedule, and the dashboard itself for hours it finds missing); the
signal path never writes here. Every number is a column, so a week is summed by the database."""

from django.conf import settings
from django.db import models

# Upper bounds (ms) of the arrival → exchange histogram; one more bucket holds everything slower.
LATENCY_BUCKETS_MS = [10, 20, 30, 40, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000]
LATENCY_BUCKETS_MS += [5000, 10000]
LATENCY_FIELDS = [f"latency_{index:02d}" for index in range(len(LATENCY_BUCKETS_MS) + 1)]
COUNT_FIELDS = ["signals", "runs", "succeeded", "failed", "refused_requests"]


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

    class Meta:
        indexes = [models.Index(fields=["hour"])]

    def __str__(self):
        return f"{self.hour:%Y-%m-%d %H}h {self.exchange or '-'} {self.strategy_id}"


# latency_00 … latency_18: arrival → first order sent, counted per bucket of LATENCY_BUCKETS_MS.
for _name in LATENCY_FIELDS:
    HourlyStat.add_to_class(_name, models.PositiveIntegerField(default=0))


class HourlyError(models.Model):
    """Errors per hour: `key` is "order:<error kind>" or "code:<refused request's error_code>"."""

    hour = models.DateTimeField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=60)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["hour"])]

    def __str__(self):
        return f"{self.hour:%Y-%m-%d %H}h {self.key}: {self.count}"


class RolledHour(models.Model):
    """An hour whose rollup rows are written (an hour without signals has none)."""

    hour = models.DateTimeField(unique=True)
    rolled_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.hour:%Y-%m-%d %H}h"
