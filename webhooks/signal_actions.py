"""Operator actions on one signal (a webhook log): re-run the accounts whose orders were refused,
and cancel the signal's open orders. The admin only calls these."""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from accounts.exchange import client as exchange
from orders.cancellation import CANCELLED, FAILED, order_cancel
from orders.lifecycle import order_update
from orders.models import OPEN_STATUSES, AccountJob, Order, OrderEvent, OrderStatus
from webhooks.models import WebhookLog

logger = logging.getLogger(__name__)

# The sweep gives a final status only to logs of the last two days (logs_finalize_pending): a
# re-run of an older signal would leave its log "received" for ever. It is also stale by then.
RETRY_MAX_AGE = timedelta(days=2)


class RetryRefused(Exception):
    """The signal cannot be retried now; the message says why (operator-facing)."""


@dataclass
class RetryResult:
    account_ids: list = field(default_factory=list)
    order_ids: list = field(default_factory=list)


def retryable(order: Order) -> bool:
    """Refused without being placed: REJECTED (by us before sending, or by the exchange at the
    door) and no exchange order id. Such an order cannot exist on the exchange."""
    return order.status == OrderStatus.REJECTED and not order.exchange_order_id


def signal_retry_failed(*, log) -> RetryResult:
    """Re-run, with the same client order ids, only the orders of the signal that were not
    placed, on their accounts' jobs. Raises RetryRefused while any order of the signal is
    PROCESSING (its outcome is unknown until the sweeper settles it), while a job still runs,
    for cancel signals, old signals, or when nothing was refused."""
    with transaction.atomic():
        # Row locks: two operators clicking at once re-run the accounts once.
        log = WebhookLog.objects.select_for_update().get(pk=log.pk)
        if log.action == "cancel_all_orders":
            raise RetryRefused(_("취소 신호는 재실행할 수 없습니다"))
        if timezone.now() - log.received_at > RETRY_MAX_AGE:
            raise RetryRefused(_("이틀이 지난 신호는 재실행할 수 없습니다"))
        orders = list(Order.objects.select_for_update().filter(webhook_log=log).order_by("id"))
        if any(o.status == OrderStatus.PROCESSING for o in orders):
            raise RetryRefused(_("결과를 모르는 주문(PROCESSING)이 있습니다: 정리된 뒤 재실행하세요"))
        jobs = AccountJob.objects.filter(webhook_log=log, kind=AccountJob.Kind.ORDERS)
        if jobs.filter(state__in=[AccountJob.State.QUEUED, AccountJob.State.RUNNING]).exists():
            raise RetryRefused(_("아직 실행 중인 계좌 작업이 있습니다"))
        again = [o for o in orders if retryable(o)]
        if not again:
            raise RetryRefused(_("재실행할 실패 주문이 없습니다"))
        for order in again:
            # Back to PROCESSING: the job places only PROCESSING orders, and one that was ever
            # sent (submitted_at) is looked up by its client order id before it is sent again.
            order_update(
                order=order,
                source=OrderEvent.Source.ADMIN,
                status=OrderStatus.PROCESSING,
                error="",
                closed_at=None,
                detail=f"retry by operator (was: {order.error[:200]})",
            )
        account_ids = sorted({o.account_id for o in again})
        rerun = jobs.filter(account_id__in=account_ids)
        job_ids = list(rerun.values_list("pk", flat=True))
        # created_at restarts too: the sweeper measures a queued job's age from it.
        rerun.update(
            state=AccountJob.State.QUEUED,
            created_at=timezone.now(),
            started_at=None,
            sent_at=None,
            exchange_answered_at=None,
            finished_at=None,
            error="",
            result=None,
        )
        # The sweep sets the final status again once the re-run jobs have finished.
        WebhookLog.objects.filter(pk=log.pk).update(status=WebhookLog.Status.RECEIVED)
        log_id = log.pk

        def enqueue():
            for job_id in job_ids:
                async_task("orders.tasks.run_account_job", job_id, group=f"log-{log_id}")

        transaction.on_commit(enqueue)
    logger.info("webhook %s: retrying %s order(s) on accounts %s", log_id, len(again), account_ids)
    return RetryResult(account_ids=account_ids, order_ids=[o.pk for o in again])


def signal_cancel_open(*, log) -> dict:
    """Cancel the signal's orders still open on their exchanges; {"cancelled", "failed",
    "already_closed", "errors"}. One account's trouble does not stop the others."""
    totals = {"cancelled": 0, "failed": 0, "already_closed": 0, "errors": []}
    orders = list(Order.objects.filter(webhook_log=log, status__in=OPEN_STATUSES).select_related("account"))
    clients = {}
    for order in orders:
        try:
            if order.account_id not in clients:
                clients[order.account_id] = exchange.client_for(order.account)
        except Exception as error:  # reported to the operator, per account
            totals["errors"].append(f"{order.account.label}: {type(error).__name__}")
            totals["failed"] += 1
            continue
        outcome, _order = order_cancel(
            client=clients[order.account_id], order=order, source=OrderEvent.Source.ADMIN
        )
        key = {CANCELLED: "cancelled", FAILED: "failed"}.get(outcome, "already_closed")
        totals[key] += 1
    return totals
