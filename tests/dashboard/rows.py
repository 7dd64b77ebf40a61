"""Synthetic signal history for the dashboard's tests and its benchmark: webhook logs with their
account jobs and orders, spread over a window, written in bulk (no exchange, no workers)."""

import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import OuterRef, Subquery

from orders.models import AccountJob, Order, OrderStatus
from webhooks.models import WebhookLog

ERRORS = [
    '인증 실패: AuthenticationError: binance {"code":-2015,"msg":"Invalid API-key"}',
    'InsufficientFunds: bybit {"retCode":110007,"retMsg":"ab not enough for new order"}',
    'InvalidOrder: okx {"code":"1","data":[{"sCode":"51008"}]}',
    "최소 주문 금액 미달: 5 USDT 필요",
]


def generate(
    *, owner, strategies, accounts, n_logs: int, now: datetime, span: timedelta, seed: int = 1
) -> dict:
    """`n_logs` signals to one random (strategy, account) each, arrived within `span` before
    `now`: 90 % placed, 7 % refused by the exchange or by sizing, 3 % refused requests.
    Returns the counts written, to compare with what the dashboard reports."""
    rng = random.Random(seed)
    logs, plans = [], []
    for index in range(n_logs):
        received = now - timedelta(seconds=rng.uniform(1, span.total_seconds()))
        strategy, account = rng.choice(strategies), rng.choice(accounts)
        roll = rng.random()
        if roll < 0.03:
            logs.append(
                WebhookLog(
                    received_at=received,
                    owner=owner,
                    strategy=strategy,
                    status=WebhookLog.Status.REJECTED,
                    http_status=400,
                    error_code=rng.choice(["invalid_field", "missing_field", "invalid_token"]),
                )
            )
            plans.append(None)
            continue
        failed = roll < 0.10
        latency = timedelta(milliseconds=max(rng.lognormvariate(3.2, 0.4), 1))
        logs.append(
            WebhookLog(
                received_at=received,
                owner=owner,
                strategy=strategy,
                action="trading_signal",
                status=WebhookLog.Status.FAILED if failed else WebhookLog.Status.SUCCESS,
                http_status=200,
                committed_at=received + timedelta(milliseconds=4),
                answered_at=received + latency * 2,
            )
        )
        plans.append((index, strategy, account, failed, received, latency))
    created = WebhookLog.objects.bulk_create(logs, batch_size=2000)
    jobs, orders = [], []
    for log, plan in zip(created, plans, strict=True):
        if plan is None:
            continue
        index, strategy, account, failed, received, latency = plan
        jobs.append(
            AccountJob(
                webhook_log=log,
                strategy=strategy,
                account=account,
                kind=AccountJob.Kind.ORDERS,
                state=AccountJob.State.DONE,
                started_at=received + timedelta(milliseconds=6),
                sent_at=received + latency,
                exchange_answered_at=received + latency * 1.5,
                finished_at=received + latency * 1.6,
            )
        )
        orders.append(
            Order(
                strategy=strategy,
                account=account,
                webhook_log=log,
                client_order_id=f"BENCH{seed}x{index:08d}",
                exchange_order_id="" if failed else str(9_000_000 + index),
                symbol="BTC/USDT:USDT",
                market_type="FUTURES",
                side="buy",
                order_type="LIMIT",
                price=Decimal("80000"),
                quantity=Decimal("0.01"),
                status=OrderStatus.REJECTED if failed else OrderStatus.PENDING,
                error=rng.choice(ERRORS) if failed else "",
            )
        )
    AccountJob.objects.bulk_create(jobs, batch_size=2000)
    Order.objects.bulk_create(orders, batch_size=2000)
    # created_at / updated_at are set by Django to now; a real order's are near its arrival.
    arrival = Subquery(WebhookLog.objects.filter(pk=OuterRef("webhook_log_id")).values("received_at")[:1])
    ours = {"webhook_log_id__gte": created[0].pk, "webhook_log_id__lte": created[-1].pk} if created else {}
    Order.objects.filter(**ours).update(created_at=arrival, updated_at=arrival)
    AccountJob.objects.filter(**ours).update(created_at=arrival)
    return {
        "signals": sum(1 for p in plans if p is not None),
        "refused_requests": sum(1 for p in plans if p is None),
        "failed": sum(1 for p in plans if p is not None and p[3]),
    }
