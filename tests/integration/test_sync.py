"""Order sync and the sweeper against the simulator with real ccxt, on Binance, Bybit and OKX:
partial fills move the position by each part, fired stop orders are followed to their fill, a
second pass changes nothing, an order the exchange has no trace of is NOT_FOUND (never filled),
and orders stuck in PROCESSING are settled by their client order id."""

import uuid
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule

from accounts.exchange import client as exchange
from accounts.exchange.types import OrderRequest
from orders.models import Order, OrderEvent, Position
from orders.sync import orders_sync
from strategies.models import StrategyAccount
from tests.sim_trading import api_key, events, place

pytestmark = pytest.mark.integration

EXCHANGES = ["BINANCE", "BYBIT", "OKX"]
BTC_PER_UNIT = {"OKX": Decimal("0.01")}  # OKX swap quantities are contracts of 0.01 BTC


@pytest.fixture
def in_process(settings, simulator_url):
    """Exchange clients built in this process point at the test simulator, and no scheduled sync
    of a running qcluster races the passes these tests make."""
    settings.EXCHANGE_SIMULATOR_URL = simulator_url
    Schedule.objects.filter(func="orders.tasks.sync_open_orders").delete()
    exchange.forget_clients()
    yield
    exchange.forget_clients()


def _units(exchange_name: str, btc: str) -> str:
    return str(Decimal(btc) / BTC_PER_UNIT.get(exchange_name, Decimal("1")))


def _position(order: Order) -> tuple:
    position = Position.objects.filter(link_id=order.link_id, symbol=order.symbol).first()
    return (position.quantity, position.entry_price) if position else (Decimal("0"), None)


@pytest.mark.parametrize("exchange_name", EXCHANGES)
def test_a_limit_order_filled_in_two_parts_ends_filled_and_moves_the_position_by_each_part(
    exchange_name, make_trader, sim, in_process
):
    # 20 % of 10 020 USDT at 100 000, less the taker fee the margin check counts: 0.0200
    trader = make_trader(exchange_name, "FUTURES", capital=Decimal("10020"))
    account = trader.accounts[0]
    order = place(trader.strategies["my_strategy"], account, "LIMIT", price=100000, qty_per="20")
    assert order.quantity == Decimal("0.02")
    which = {"client_order_id": order.client_order_id, "api_key": api_key(account)}

    sim.fill(exchange_name.lower(), _units(exchange_name, "0.01"), price="100000", **which)
    first = orders_sync(account_ids=[account.pk])
    order.refresh_from_db()
    assert (first.changed, order.status, order.filled_quantity) == (1, "PARTIALLY_FILLED", Decimal("0.01"))
    assert _position(order) == (Decimal("0.01"), Decimal("100000"))
    events_after_first = events(order)

    again = orders_sync(account_ids=[account.pk])
    assert (again.checked, again.changed) == (1, 0)
    assert events(order) == events_after_first
    assert _position(order) == (Decimal("0.01"), Decimal("100000"))

    sim.fill(exchange_name.lower(), _units(exchange_name, "0.01"), price="99000", **which)
    orders_sync(account_ids=[account.pk])
    order.refresh_from_db()
    assert (order.status, order.filled_quantity, order.average_price) == (
        "FILLED",
        Decimal("0.02"),
        Decimal("99500"),
    )
    assert _position(order) == (Decimal("0.02"), Decimal("99500"))
    assert events(order)[-2:] == [
        ("sync", "PENDING", "PARTIALLY_FILLED"),
        ("sync", "PARTIALLY_FILLED", "FILLED"),
    ]
    assert order.events.filter(source="sync").values_list("filled_quantity", flat=True)[0] == Decimal("0.01")


@pytest.mark.parametrize("exchange_name", EXCHANGES)
def test_a_triggered_stop_order_is_followed_to_its_fill(exchange_name, make_trader, sim, in_process):
    trader = make_trader(exchange_name, "FUTURES")
    account = trader.accounts[0]
    stop = place(trader.strategies["my_strategy"], account, "STOP_LIMIT", price=111500, stop_price=111000)

    sim.price("BTCUSDT", "112000", exchange=exchange_name.lower())  # fires; its limit buy rests
    fired = orders_sync(account_ids=[account.pk])
    stop.refresh_from_db()
    assert (fired.changed, stop.status, stop.filled_quantity) == (0, "PENDING", Decimal("0"))

    sim.price("BTCUSDT", "111000", exchange=exchange_name.lower())  # through the limit
    orders_sync(account_ids=[account.pk])
    stop.refresh_from_db()
    assert (stop.status, stop.filled_quantity) == ("FILLED", stop.quantity)
    assert stop.average_price == Decimal("111500")
    assert _position(stop) == (stop.quantity, Decimal("111500"))
    assert events(stop)[-1] == ("sync", "PENDING", "FILLED")


@pytest.mark.parametrize("exchange_name", EXCHANGES)
def test_a_fired_stop_order_found_by_client_id_is_not_read_as_filled(
    exchange_name, make_trader, sim, in_process
):
    """The trigger part of a fired stop reads as "closed" in ccxt (OKX even fills it whole): on
    its own it must say only "no longer waiting", never "filled"."""
    trader = make_trader(exchange_name, "FUTURES")
    stop = place(
        trader.strategies["my_strategy"], trader.accounts[0], "STOP_LIMIT", price=111500, stop_price=111000
    )
    sim.price("BTCUSDT", "112000", exchange=exchange_name.lower())

    client = exchange.client_for(trader.accounts[0])
    found = client.find_order(
        symbol=stop.symbol, market_type="FUTURES", client_order_id=stop.client_order_id, is_trigger=True
    )

    assert (found.status, found.filled) == ("PENDING", Decimal("0"))


@pytest.mark.parametrize("exchange_name", EXCHANGES)
def test_an_order_the_exchange_does_not_know_ends_not_found_and_is_reported(
    exchange_name, make_trader, sim, in_process
):
    trader = make_trader(exchange_name, "FUTURES")
    account = trader.accounts[0]
    strategy = trader.strategies["my_strategy"]
    ghost = Order.objects.create(
        strategy=strategy,
        account=account,
        link=StrategyAccount.objects.get(strategy=strategy, account=account),
        client_order_id="ghost" + uuid.uuid4().hex[:20],
        exchange_order_id="987654321",
        symbol="BTC/USDT:USDT",
        market_type="FUTURES",
        side="buy",
        order_type="LIMIT",
        price=Decimal("100000"),
        quantity=Decimal("0.01"),
        status="PENDING",
    )
    out = StringIO()

    call_command("sync_orders", "--account", str(account.pk), stdout=out)

    ghost.refresh_from_db()
    assert (ghost.status, ghost.filled_quantity, ghost.average_price) == ("NOT_FOUND", Decimal("0"), None)
    assert _position(ghost) == (Decimal("0"), None)
    assert events(ghost) == [("command", "PENDING", "NOT_FOUND")]
    text = out.getvalue()
    assert f"not found on the exchange: {ghost.client_order_id}" in text
    assert "checked 1 orders: 1 changed, 1 not found on the exchange, 0 errors" in text


@pytest.mark.parametrize("exchange_name", EXCHANGES)
def test_the_sweeper_adopts_a_stuck_order_the_exchange_has_and_expires_one_never_sent(
    exchange_name, make_trader, sim, in_process, settings
):
    trader = make_trader(exchange_name, "FUTURES")
    account = trader.accounts[0]
    strategy = trader.strategies["my_strategy"]
    link = StrategyAccount.objects.get(strategy=strategy, account=account)

    def stuck(order_type, price=None):
        return Order.objects.create(
            strategy=strategy,
            account=account,
            link=link,
            client_order_id="stuck" + uuid.uuid4().hex[:20],
            symbol="BTC/USDT:USDT",
            market_type="FUTURES",
            side="buy",
            order_type=order_type,
            price=price,
            quantity=Decimal("0.01"),
        )

    resting, filled, never_sent = stuck("LIMIT", Decimal("100000")), stuck("MARKET"), stuck("MARKET")
    client = exchange.client_for(account)
    for order in (resting, filled):  # the worker placed them, then died before recording it
        client.create_order(
            OrderRequest(
                symbol=order.symbol,
                market_type="FUTURES",
                order_type=order.order_type,
                side="buy",
                amount=order.quantity,
                client_order_id=order.client_order_id,
                price=order.price,
            )
        )
    old = timezone.now() - timedelta(seconds=settings.ORDER_STUCK_AFTER_SECONDS + 60)
    Order.objects.filter(pk__in=[resting.pk, filled.pk, never_sent.pk]).update(updated_at=old)

    summary = orders_sync(account_ids=[account.pk])

    assert (summary.checked, summary.changed) == (3, 3)
    for order in (resting, filled, never_sent):
        order.refresh_from_db()
    assert (resting.status, bool(resting.exchange_order_id)) == ("PENDING", True)
    assert (filled.status, filled.filled_quantity, filled.average_price) == (
        "FILLED",
        Decimal("0.01"),
        Decimal("110000"),
    )
    assert _position(filled) == (Decimal("0.01"), Decimal("110000"))
    # Never sent (no submitted_at): EXPIRED with its reason, never called REJECTED.
    assert (never_sent.status, never_sent.filled_quantity) == ("EXPIRED", Decimal("0"))
    assert never_sent.error
    assert events(resting) == [("sweeper", "PROCESSING", "PENDING")]
    assert events(filled) == [("sweeper", "PROCESSING", "FILLED")]
    assert events(never_sent) == [("sweeper", "PROCESSING", "EXPIRED")]
    assert not OrderEvent.objects.filter(order__account=account).exclude(source="sweeper").exists()
