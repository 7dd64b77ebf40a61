"""The webhook log admin's operator tools: the signal matrix page, "Retry failed accounts" and
"Cancel open orders", and the error-code filter. Actions call services and report."""

from datetime import timedelta

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from dashboard.rollup import hour_invalidate
from webhooks.matrix import signal_matrix
from webhooks.models import WebhookLog
from webhooks.signal_actions import RetryRefused, signal_cancel_open, signal_retry_failed


class ErrorCodeFilter(admin.SimpleListFilter):
    """Codes of requests refused in the last 7 days (bounded by the status/arrival index)."""

    title = _("error code")
    parameter_name = "error_code"

    def lookups(self, request, model_admin):
        codes = (
            WebhookLog.objects.filter(
                status=WebhookLog.Status.REJECTED, received_at__gte=timezone.now() - timedelta(days=7)
            )
            .exclude(error_code="")
            .values_list("error_code", flat=True)
            .distinct()
            .order_by("error_code")
        )
        return [(code, code) for code in codes]

    def queryset(self, request, queryset):
        return queryset.filter(error_code=self.value()) if self.value() else queryset


class SignalOperationsMixin:
    """For WebhookLogAdmin: matrix page, retry and cancel actions (staff who may change orders)."""

    actions = ["retry_failed_accounts", "cancel_open_orders"]

    def has_operate_permission(self, request):
        return request.user.is_superuser or request.user.has_perm("orders.change_order")

    @admin.display(description=_("matrix"))
    def matrix_link(self, obj):
        if not obj.pk or not obj.action or obj.status == WebhookLog.Status.REJECTED:
            return "—"
        url = reverse("admin:webhooks_webhooklog_matrix", args=[obj.pk])
        return format_html('<a href="{}" class="matrix-link">{}</a>', url, _("accounts × orders"))

    def get_urls(self):
        view = self.admin_site.admin_view(self.matrix_view)
        return [path("<int:pk>/matrix/", view, name="webhooks_webhooklog_matrix"), *super().get_urls()]

    def matrix_view(self, request, pk):
        log = get_object_or_404(self.get_queryset(request), pk=pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Signal #%(pk)s: accounts × orders") % {"pk": log.pk},
            "log": log,
            "opts": self.model._meta,
            "matrix": signal_matrix(log=log),
            "can_operate": self.has_operate_permission(request),
            "actions": [
                ("retry_failed_accounts", _("Retry failed accounts")),
                ("cancel_open_orders", _("Cancel open orders")),
            ],
            "changelist": reverse("admin:webhooks_webhooklog_changelist"),
        }
        return TemplateResponse(request, "admin/webhooks/webhooklog/matrix.html", context)

    def _back_to_matrix(self, request, queryset):
        """From the matrix page's buttons: back to the matrix, where the operator was."""
        if request.POST.get("from_matrix") and len(queryset) == 1:
            return HttpResponseRedirect(reverse("admin:webhooks_webhooklog_matrix", args=[queryset[0].pk]))
        return None

    @admin.action(description=_("Retry failed accounts (orders not placed)"), permissions=["operate"])
    def retry_failed_accounts(self, request, queryset):
        for log in queryset:
            try:
                result = signal_retry_failed(log=log)
            except RetryRefused as refused:
                self.message_user(request, f"#{log.pk}: {refused}", messages.ERROR)
                continue
            hour_invalidate(at=log.received_at)
            self.message_user(
                request,
                _("#%(pk)s: retrying %(orders)s order(s) on %(accounts)s account(s)")
                % {"pk": log.pk, "orders": len(result.order_ids), "accounts": len(result.account_ids)},
                messages.SUCCESS,
            )
        return self._back_to_matrix(request, queryset)

    @admin.action(description=_("Cancel open orders of the signal"), permissions=["operate"])
    def cancel_open_orders(self, request, queryset):
        for log in queryset:
            totals = signal_cancel_open(log=log)
            level = messages.ERROR if totals["failed"] else messages.SUCCESS
            line = _("#%(pk)s: %(cancelled)s cancelled, %(closed)s already closed, %(failed)s failed") % {
                "pk": log.pk,
                "cancelled": totals["cancelled"],
                "closed": totals["already_closed"],
                "failed": totals["failed"],
            }
            self.message_user(request, line, level)
            for error in totals["errors"]:
                self.message_user(request, error, messages.ERROR)
        return self._back_to_matrix(request, queryset)
