"""A job's last order write goes out with the job's close, in one statement
(tradingsite/write_behind.py), and only that one: no write is ever held while a request goes to
the exchange, and any other statement sends the held write first."""

import logging

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from orders.models import AccountJob, Order, OrderEvent
from tests.fakes import FakeClient
from tests.guide import guide_example
from tradingsite import write_behind
from tradingsite.rows import row_update_then_insert, rows_update_where

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="writes are held on PostgreSQL only (one WITH statement)"
)
EXCHANGE_REQUESTS = [
    "create_order",
    "fetch_order",
    "find_order",
    "order_state",
    "cancel_order",
    "set_leverage",
]


@pytest.fixture
def requests_see_nothing_held(monkeypatch):
    """Every request to the (fake) exchange records whether a write was held when it left."""
    held_at_request = []
    for name in EXCHANGE_REQUESTS:
        original = getattr(FakeClient, name)

        def checked(self, *args, _original=original, _name=name, **kwargs):
            held_at_request.append((_name, getattr(write_behind._state, "held", None) is not None))
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(FakeClient, name, checked)
    return held_at_request


def _statements_writing(queries, *tables):
    return [q["sql"] for q in queries if all(f'UPDATE "{table}"' in q["sql"] for table in tables)]


@on_postgres
def test_a_limit_orders_placed_state_and_the_jobs_close_are_one_statement(
    trader, fake_exchange, sync_tasks, post
):
    with CaptureQueriesContext(connection) as queries:
        response = post(guide_example("curl_single_limit", trader.token))
    assert response.status_code == 200, response.json()
    (joined,) = _statements_writing(queries, "orders_order", "orders_accountjob")
    assert 'INSERT INTO "orders_orderevent"' in joined
    closes = [q for q in _statements_writing(queries, "orders_accountjob") if '"finished_at" = ' in q]
    assert closes == [joined]  # the job's close is that statement, not one of its own
    order = Order.objects.get()
    assert order.exchange_order_id == fake_exchange.placed()[0].id and order.status != "PROCESSING"
    assert OrderEvent.objects.filter(order=order, detail="placed", to_status=order.status).count() == 1
    assert AccountJob.objects.get().state == AccountJob.State.DONE
    assert response.json()["result"]["results"][0]["success"] is True


def test_a_batch_holds_only_its_last_write_and_never_across_a_request(
    trader, fake_exchange, sync_tasks, post, requests_see_nothing_held
):
    response = post(guide_example("batch_limit", trader.token))
    assert response.status_code == 200, response.json()
    assert [name for name, _ in requests_see_nothing_held].count("create_order") == 3
    assert not any(held for _, held in requests_see_nothing_held)
    orders = Order.objects.order_by("order_index")
    assert [o.exchange_order_id for o in orders] == [o.id for o in fake_exchange.placed()]
    assert OrderEvent.objects.filter(detail="placed").count() == 3


def test_a_market_orders_write_is_not_held_before_its_fill_is_fetched(
    trader, fake_exchange, sync_tasks, post, requests_see_nothing_held, monkeypatch
):
    monkeypatch.setattr("orders.sending.time.sleep", lambda seconds: None)
    response = post(guide_example("single_market_buy", trader.token))
    assert response.status_code == 200, response.json()
    assert "create_order" in [name for name, _ in requests_see_nothing_held]
    assert not any(held for _, held in requests_see_nothing_held)
    assert Order.objects.get().status == "FILLED"


@on_postgres
def test_any_other_statement_sends_the_held_write_first(trader, fake_exchange, sync_tasks, post):
    response = post(guide_example("curl_single_limit", trader.token))
    order = Order.objects.get()
    event = OrderEvent(order=order, source="worker", from_status="NEW", to_status="CANCELED", detail="t")
    with write_behind.write_behind():
        order.status = "CANCELED"
        row_update_then_insert(order, ["status"], event, hold=True)
        assert event.pk is None  # held, not sent
        # Another statement (here a read of the same row) sees the write: it went first.
        assert Order.objects.get(pk=order.pk).status == "CANCELED"
        assert event.pk is not None
    assert response.status_code == 200


@on_postgres
def test_leaving_the_block_sends_what_is_still_held(trader, fake_exchange, sync_tasks, post):
    post(guide_example("curl_single_limit", trader.token))
    order = Order.objects.get()
    event = OrderEvent(order=order, source="worker", from_status="NEW", to_status="CANCELED", detail="t")
    with write_behind.write_behind():
        order.status = "CANCELED"
        row_update_then_insert(order, ["status"], event, hold=True)
    assert event.pk is not None and connection.execute_wrappers == []
    assert Order.objects.get(pk=order.pk).status == "CANCELED"
    assert OrderEvent.objects.filter(order=order, to_status="CANCELED").count() == 1


def test_outside_the_block_nothing_is_held(trader, fake_exchange, sync_tasks, post):
    post(guide_example("curl_single_limit", trader.token))
    order = Order.objects.get()
    event = OrderEvent(order=order, source="worker", from_status="NEW", to_status="CANCELED", detail="t")
    order.status = "CANCELED"
    row_update_then_insert(order, ["status"], event, hold=True)  # e.g. the order sweeper
    assert event.pk is not None
    assert Order.objects.get(pk=order.pk).status == "CANCELED"


def _held_event_for_a_vanished_order(trader, post):
    """A write held for an order row that is gone (as save(update_fields=…) would find it)."""
    post(guide_example("curl_single_limit", trader.token))
    order = Order.objects.get()
    event = OrderEvent(order=order, source="worker", from_status="NEW", to_status="CANCELED", detail="t")
    OrderEvent.objects.filter(order=order).delete()
    Order.objects.filter(pk=order.pk).delete()
    order.status = "CANCELED"
    return order, event


@on_postgres
def test_a_held_write_that_matches_no_row_fails_the_joined_close_after_closing_the_job(
    trader, fake_exchange, sync_tasks, post
):
    order, event = _held_event_for_a_vanished_order(trader, post)
    job = AccountJob.objects.get()
    with pytest.raises(DatabaseError), write_behind.write_behind():
        row_update_then_insert(order, ["status"], event, hold=True)
        rows_update_where(AccountJob, {"error": "closed"}, {"id": job.pk})
    assert AccountJob.objects.get().error == "closed"  # the close went out in the same statement
    assert event.pk is None and not OrderEvent.objects.filter(to_status="CANCELED").exists()
    assert connection.execute_wrappers == []


@on_postgres
def test_a_held_write_that_fails_on_leaving_the_block_is_logged_not_raised(
    trader, fake_exchange, sync_tasks, post, caplog
):
    order, event = _held_event_for_a_vanished_order(trader, post)
    with caplog.at_level(logging.ERROR, logger="tradingsite.write_behind"):
        with write_behind.write_behind():
            row_update_then_insert(order, ["status"], event, hold=True)
    assert "a held order write could not be sent" in caplog.text
    assert event.pk is None and connection.execute_wrappers == []
