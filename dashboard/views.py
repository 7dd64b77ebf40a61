"""The operator's dashboard page (linked from the admin index). Thin: reads, renders."""

from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from dashboard import svg
from dashboard.models import LATENCY_BUCKETS_MS
from dashboard.rollup import HOUR
from dashboard.selectors import WINDOWS, dashboard_data


def dashboard_view(request):
    window = request.GET.get("window", "24h")
    if window not in WINDOWS:
        window = "24h"
    data = dashboard_data(user=request.user, window=window)
    labels = [f"{(data['start'] + i * HOUR):%m-%d %H}h" for i in range(data["hours"])]
    groups = [data["total"], *data["by_exchange"], *data["by_strategy"]]
    for group in groups:
        group.chart = svg.bars(group.per_hour, labels=labels)
    buckets = [f"≤{b}" for b in LATENCY_BUCKETS_MS] + [f">{LATENCY_BUCKETS_MS[-1]}"]
    context = {
        **admin.site.each_context(request),
        "title": _("Dashboard"),
        "data": data,
        "windows": list(WINDOWS),
        "latency_chart": svg.histogram(data["total"].latency_counts, buckets),
    }
    return TemplateResponse(request, "admin/dashboard.html", context)
