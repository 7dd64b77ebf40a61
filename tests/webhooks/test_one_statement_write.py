"""On PostgreSQL an accepted signal's rows (log, jobs, orders, first events) are written by one
statement, atomic on its own (orders.services.orders_create_with_log): the same rows the
transaction path writes, in one round trip instead of seven."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders import services
from orders.client_ids import client_order_id
from orders.models import AccountJob, Order, OrderEvent
from tests import factories
from tests.guide import guide_example
from webhooks.models import WebhookLog

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the one-statement write is PostgreSQL's (SQLite keeps the transaction)",
)

WRITTEN = ("webhook_logs", "orders_accountjob", "orders_order", "orders_orderevent")


@pytest.fixture
def jobs_not_run(monkeypatch, settings):
    """The jobs stay queued (nothing runs them) and the answer is the deadline's 202."""
    monkeypatch.setattr(services, "_enqueue_on_commit", lambda jobs, log_id: None)
    settings.WEBHOOK_RESPONSE_DEADLINE = 0.05


def _second_account(trader):
    account = factories.account(trader.user, label="Second", exchange="BINANCE")
    strategy = trader.strategies["my_strategy"]
    factories.link(strategy, account)
    return account


def test_an_accepted_batch_is_written_by_one_insert_statement(trader, post, jobs_not_run):
    second = _second_account(trader)
    with CaptureQueriesContext(connection) as queries:
        response = post(guide_example("batch_limit", trader.token))
    assert response.status_code == 202, response.json()
    inserts = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "WITH"))]
    assert len(inserts) == 1 and all(table in inserts[0] for table in WRITTEN)
    log = WebhookLog.objects.get()
    jobs = list(AccountJob.objects.filter(webhook_log=log).order_by("account_id"))
    assert [job.account_id for job in jobs] == sorted([trader.account.pk, second.pk])
    assert all(job.state == AccountJob.State.QUEUED and job.send_by is not None for job in jobs)
    orders = list(Order.objects.filter(webhook_log=log).order_by("account_id", "order_index"))
    legs = len(guide_example("batch_limit", trader.token)["orders"])
    assert len(orders) == 2 * legs
    for order in orders:
        expected = client_order_id(log_id=log.pk, account_id=order.account_id, order_index=order.order_index)
        assert order.client_order_id == expected and order.status == "PROCESSING"
        (event,) = OrderEvent.objects.filter(order=order)
        assert (event.source, event.to_status, event.detail) == (
            "webhook",
            "PROCESSING",
            f"webhook log {log.pk}",
        )
    assert all(order.client_order_id in response.content.decode() for order in orders)


def test_the_one_statement_writes_what_the_transaction_writes(trader, post, jobs_not_run, monkeypatch):
    post(guide_example("batch_limit", trader.token))
    at_once = WebhookLog.objects.get()
    monkeypatch.setattr("webhooks.intake._accept_at_once", lambda *args: None)  # the transaction path
    post({**guide_example("batch_limit", trader.token), "group_name": "test1"})
    in_transaction = WebhookLog.objects.exclude(pk=at_once.pk).get()

    def rows(log):
        skip = {"id", "webhook_log", "strategy", "link", "client_order_id"}
        skip |= {"created_at", "updated_at", "send_by"}
        fields = [f for f in Order._meta.concrete_fields if f.name not in skip]
        orders = Order.objects.filter(webhook_log=log).order_by("order_index")
        jobs = AccountJob.objects.filter(webhook_log=log)
        events = OrderEvent.objects.filter(order__webhook_log=log)
        return (
            [{f.name: getattr(order, f.attname) for f in fields} for order in orders],
            list(jobs.values("account_id", "kind", "state", "attempts")),
            list(events.values("source", "from_status", "to_status")),
            (log.status, log.action, log.owner_id, log.token_id),
        )

    assert rows(at_once) == rows(in_transaction)


def test_a_claimed_signal_id_writes_nothing_and_answers_the_duplicate(trader, post, jobs_not_run):
    payload = {**guide_example("single_market_buy", trader.token), "signal_id": "once"}
    post(payload)
    before = (Order.objects.count(), AccountJob.objects.count(), OrderEvent.objects.count())
    body = post(payload).json()
    assert body["duplicate"] is True
    assert (Order.objects.count(), AccountJob.objects.count(), OrderEvent.objects.count()) == before
