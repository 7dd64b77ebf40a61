"""CANCEL_ALL_ORDER against the simulator with real ccxt, on Binance, Bybit and OKX: each filter
cancels exactly this strategy's matching orders, stop orders included; another strategy's orders
on the same account survive; an order filled just before is reported as closed, not failed; a
fired stop order is cancelled as the order it became. The last test goes through the real web
and qcluster processes."""

from decimal import Decimal

import pytest
from django_q.models import Schedule

from accounts.exchange import client as exchange
from orders.models import Order, Position
from orders.sync import orders_sync
from tests import factories
from tests.sim_trading import api_key, place, sim_account, sim_status

pytestmark = pytest.mark.integration

EXCHANGES = ["BINANCE", "BYBIT", "OKX"]
RESULT_KEYS = {"account_id", "account_name", "exchange", "cancelled_orders", "failed_orders", "success"}
SUMMARY_KEYS = {
    "total_accounts",
    "processed_accounts",
    "successful_accounts",
    "failed_accounts",
    "total_cancelled_orders",
    "total_failed_orders",
}


@pytest.fixture
def in_process(settings, simulator_url):
    """Exchange clients built in this process point at the test simulator, and no scheduled sync
    of the running qcluster settles an order before the cancel that these tests watch does."""
    settings.EXCHANGE_SIMULATOR_URL = simulator_url
    Schedule.objects.filter(func="orders.tasks.sync_open_orders").delete()
    exchange.forget_clients()
    yield
    exchange.forget_clients()


def _cancel(post, trader, group_name="my_strategy", **filters) -> dict:
    payload = {"group_name": group_name, "token": trader.token, "order_type": "CANCEL_ALL_ORDER", **filters}
    response = post(payload)
    assert response.status_code == 200, response.content
    result = response.json()["result"]
    assert result["action"] == "cancel_all_orders"
    return result


def _statuses(orders) -> dict:
    return {name: Order.objects.get(pk=o.pk).status for name, o in orders.items()}


@pytest.mark.parametrize("exchange_name", EXCHANGES)
def test_each_filter_cancels_exactly_this_strategys_matching_orders(
    exchange_name, make_trader, sim, in_process, sync_tasks, post
):
    trader = make_trader(exchange_name, "FUTURES")
    account = trader.accounts[0]
    mine, other = trader.strategies["my_strategy"], trader.strategies["test1"]
    spot = factories.strategy(trader.user, group_name="spot_s", market_type="SPOT")
    factories.link(spot, account)
    orders = {
        "limit": place(mine, account, "LIMIT", price=100000),
        "stop_limit": place(mine, account, "STOP_LIMIT", price=115500, stop_price=115000),
        "stop_market": place(mine, account, "STOP_MARKET", side="sell", stop_price=105000),
        "eth": place(mine, account, "LIMIT", base="ETH", price=3800),
        "other": place(other, account, "LIMIT", price=100000),
        "spot_limit": place(spot, account, "LIMIT", price=100000),
        "spot_stop": place(spot, account, "STOP_LIMIT", price=115500, stop_price=115000),
    }

    by_symbol = _cancel(post, trader, symbol="ETHUSDT")
    assert by_symbol["results"][0]["cancelled_orders"] == 1
    futures_of_spot = _cancel(post, trader, group_name="spot_s", market_type="FUTURES")
    assert futures_of_spot["summary"]["total_cancelled_orders"] == 0
    assert _statuses(orders) == {
        **dict.fromkeys(orders, "PENDING"),
        "eth": "CANCELLED",
    }

    everything = _cancel(post, trader)
    entry = everything["results"][0]
    assert (entry["cancelled_orders"], entry["failed_orders"], entry["success"]) == (3, 0, True), entry
    spot_only = _cancel(post, trader, group_name="spot_s", market_type="SPOT", symbol="BTCUSDT")
    assert spot_only["summary"]["total_cancelled_orders"] == 2, spot_only

    expected = {**dict.fromkeys(orders, "CANCELLED"), "other": "PENDING"}
    assert _statuses(orders) == expected
    on_exchange = {name: sim_status(sim, o) for name, o in orders.items()}
    assert on_exchange == {**dict.fromkeys(orders, "cancelled"), "other": "new"}


def test_the_exchange_filter_leaves_the_other_exchanges_accounts_alone(
    make_trader, sim, in_process, sync_tasks, post
):
    trader = make_trader("BINANCE", "FUTURES")
    okx = sim_account(sim, trader.user, "OKX", label="OKX Account")
    mine = trader.strategies["my_strategy"]
    factories.link(mine, okx)
    on_binance = place(mine, trader.accounts[0], "LIMIT", price=100000)
    on_okx = place(mine, okx, "STOP_MARKET", side="sell", stop_price=105000)

    result = _cancel(post, trader, exchange="OKX")

    assert [(r["exchange"], r["cancelled_orders"]) for r in result["results"]] == [("okx", 1)]
    assert (sim_status(sim, on_okx), sim_status(sim, on_binance)) == ("cancelled", "new")
    assert Order.objects.get(pk=on_binance.pk).status == "PENDING"


@pytest.mark.parametrize("exchange_name", EXCHANGES)
def test_the_webhook_cancel_reports_fills_and_cancels_a_fired_stop_as_the_order_it_became(
    exchange_name, stack, make_trader, sim, in_process
):
    trader = make_trader(exchange_name, "FUTURES")
    account = trader.accounts[0]
    mine, other = trader.strategies["my_strategy"], trader.strategies["test1"]
    resting = place(mine, account, "LIMIT", price=100000)
    to_fill = place(mine, account, "LIMIT", price=108000)
    stop = place(mine, account, "STOP_LIMIT", price=111500, stop_price=111000)
    survivor = place(other, account, "LIMIT", price=100000)
    sim.price("BTCUSDT", "107000", exchange=exchange_name.lower())  # fills `to_fill` only
    sim.price("BTCUSDT", "112000", exchange=exchange_name.lower())  # fires `stop`; its limit rests
    fired = [o for o in sim.orders(api_key=api_key(account)) if o["client_order_id"] == stop.client_order_id]
    assert fired[0]["triggered_at"] and fired[0]["status"] == "new", fired

    response = stack.post(
        {"group_name": "my_strategy", "token": trader.token, "order_type": "CANCEL_ALL_ORDER"}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    result = body["result"]
    assert result["action"] == "cancel_all_orders"
    assert SUMMARY_KEYS <= set(result["summary"]) and all(RESULT_KEYS <= set(r) for r in result["results"])
    entry = result["results"][0]
    assert entry["account_id"] == account.pk and entry["account_name"] == account.label
    assert entry["exchange"] == exchange_name.lower()
    assert (entry["cancelled_orders"], entry["failed_orders"], entry["success"]) == (2, 0, True), entry
    assert entry["already_closed_orders"] == 1
    outcomes = {o["client_order_id"]: (o["outcome"], o["status"]) for o in entry["orders"]}
    assert outcomes == {
        resting.client_order_id: ("cancelled", "CANCELLED"),
        to_fill.client_order_id: ("already_closed", "FILLED"),
        stop.client_order_id: ("cancelled", "CANCELLED"),
    }
    assert {k: result["summary"][k] for k in SUMMARY_KEYS} == {
        "total_accounts": 1,
        "processed_accounts": 1,
        "successful_accounts": 1,
        "failed_accounts": 0,
        "total_cancelled_orders": 2,
        "total_failed_orders": 0,
    }
    assert [sim_status(sim, o) for o in (resting, to_fill, stop, survivor)] == [
        "cancelled",
        "filled",
        "cancelled",
        "new",
    ]
    filled = Order.objects.get(pk=to_fill.pk)
    assert filled.filled_quantity == filled.quantity and filled.average_price == Decimal("108000")
    position = Position.objects.get(link__strategy=mine, symbol="BTC/USDT:USDT")
    assert (position.quantity, position.entry_price) == (filled.quantity, Decimal("108000"))
    assert Order.objects.get(pk=survivor.pk).status == "PENDING"
    # OKX refuses to cancel a fired algo order: the order it became (its ordId) was cancelled.
    # The simulator's Binance and Bybit accept the cancel by the stop's own id.
    became = "cancelled the order its trigger became" if exchange_name == "OKX" else "cancelled"
    assert Order.objects.get(pk=stop.pk).events.last().detail == became


def test_a_cancel_whose_result_cannot_be_read_is_settled_by_the_next_sync_with_its_fills(
    make_trader, sim, in_process, sync_tasks, post
):
    trader = make_trader("BYBIT", "FUTURES")
    account = trader.accounts[0]
    order = place(trader.strategies["my_strategy"], account, "LIMIT", price=100000, qty_per="20")
    key = api_key(account)
    sim.fill("bybit", "0.01", client_order_id=order.client_order_id, api_key=key)  # not seen by us yet
    sim.faults(exchange="bybit", path_contains="/v5/order/realtime", error="5xx", fail_next_n=10, api_key=key)
    try:
        result = _cancel(post, trader)
    finally:
        sim.faults(exchange="bybit", path_contains="/v5/order/realtime", api_key=key)  # inert: removed

    assert result["results"][0]["cancelled_orders"] == 1
    assert sim_status(sim, order) == "cancelled"
    order.refresh_from_db()
    assert (order.status, order.filled_quantity) == ("PENDING", Decimal("0"))  # not closed blind

    orders_sync(account_ids=[account.pk])

    order.refresh_from_db()
    assert (order.status, order.filled_quantity) == ("CANCELLED", Decimal("0.01"))
    position = Position.objects.get(link__strategy=order.strategy, symbol=order.symbol)
    assert (position.quantity, position.entry_price) == (Decimal("0.01"), Decimal("100000"))


@pytest.mark.parametrize("exchange_name", EXCHANGES)
def test_a_partly_filled_order_ends_cancelled_with_its_filled_part_in_the_position(
    exchange_name, make_trader, sim, in_process, sync_tasks, post
):
    trader = make_trader(exchange_name, "FUTURES")
    account = trader.accounts[0]
    order = place(trader.strategies["my_strategy"], account, "LIMIT", price=100000, qty_per="20")
    half = "1" if exchange_name == "OKX" else "0.01"  # OKX counts contracts of 0.01 BTC
    sim.fill(exchange_name.lower(), half, client_order_id=order.client_order_id, api_key=api_key(account))

    entry = _cancel(post, trader)["results"][0]

    assert (entry["cancelled_orders"], entry["already_closed_orders"], entry["failed_orders"]) == (1, 0, 0)
    order.refresh_from_db()
    assert (order.status, order.filled_quantity, order.average_price) == (
        "CANCELLED",
        Decimal("0.01"),
        Decimal("100000"),
    )
    position = Position.objects.get(link__strategy=order.strategy, symbol=order.symbol)
    assert (position.quantity, position.entry_price) == (Decimal("0.01"), Decimal("100000"))
