"""Exchange faults through the real processes and real ccxt: lost answers never duplicate an order,
one account's trouble never touches another, and a burst is paced to the exchange's limit."""

import time
from decimal import Decimal

import pytest

from orders.models import AccountJob, Order
from tests.guide import guide_example

pytestmark = pytest.mark.integration

CREATE_PATHS = {"BINANCE": "/fapi/v1/order", "BYBIT": "/v5/order/create", "OKX": "/api/v5/trade/batch-orders"}


def _orders_with_prefix(sim, client_order_id):
    prefix = client_order_id.split("N")[0] + "N"
    return [o for o in sim.orders() if (o["client_order_id"] or "").startswith(prefix)]


def _wait_for_jobs(log_id, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = AccountJob.objects.filter(webhook_log_id=log_id)
        if jobs and all(job.finished for job in jobs):
            return
        time.sleep(0.1)
    raise AssertionError("jobs did not finish")


@pytest.mark.parametrize("mode", ["504", "close"])
@pytest.mark.parametrize("exchange", ["BINANCE", "BYBIT", "OKX"])
def test_a_lost_create_response_never_yields_a_duplicate_order(exchange, mode, stack, make_trader, sim):
    trader = make_trader(exchange, "FUTURES")
    sim.faults(
        exchange=exchange.lower(),
        path_contains=CREATE_PATHS[exchange],
        error="lost_response",
        fail_next_n=1,
        lost_mode=mode,
        api_key=_key(trader),
    )
    payload = {**guide_example("single_market_buy", trader.token), "exchange": exchange}
    response = stack.post(payload)
    assert response.status_code == 200, response.text
    entry = response.json()["result"]["results"][0]
    assert entry["success"] is True and entry["status"] == "FILLED", entry
    placed = _orders_with_prefix(sim, entry["client_order_id"])
    assert len(placed) == 1, placed


def test_a_create_that_times_out_is_found_not_resent(stack, make_trader, sim):
    trader = make_trader("BYBIT", "FUTURES")
    sim.faults(
        exchange="bybit",
        path_contains=CREATE_PATHS["BYBIT"],
        error="timeout",
        timeout_s=5,
        fail_next_n=1,
        api_key=_key(trader),
    )
    response = stack.post({**guide_example("curl_single_limit", trader.token), "exchange": "BYBIT"})
    body = response.json()
    log_id = Order.objects.get(strategy__owner=trader.user).webhook_log_id
    _wait_for_jobs(log_id)
    order = Order.objects.get(webhook_log_id=log_id)
    assert order.status == "PENDING", (response.status_code, body, order.error)
    assert len(_orders_with_prefix(sim, order.client_order_id)) == 1


def test_a_failing_account_leaves_the_other_accounts_successful(stack, make_trader, sim):
    trader = make_trader("BINANCE", "FUTURES", n_accounts=3)
    broken = trader.accounts[1]
    sim.faults(exchange="binance", path_contains="/fapi/", error="5xx", error_rate=1, api_key=_key(trader, 1))
    try:
        response = stack.post(guide_example("single_market_buy", trader.token))
    finally:
        sim.faults(
            exchange="binance", path_contains="/fapi/", api_key=_key(trader, 1)
        )  # inert: removes the rule
    assert response.status_code in (200, 202), response.text
    results = {r["account_id"]: r for r in response.json()["result"]["results"]}
    for account in trader.accounts:
        if account.pk != broken.pk:
            assert results[account.pk]["success"] is True, results[account.pk]
    assert results[broken.pk]["success"] is not True
    assert not [o for o in sim.orders() if o["api_key"] == _key(trader, 1)]


def test_a_burst_of_50_orders_is_paced_to_the_exchanges_limit(stack, make_trader, sim):
    """Bybit allows 10 linear order creations per second per account: 50 orders need 4.0 s."""
    trader = make_trader("BYBIT", "FUTURES", capital=Decimal("10000"))
    payload = {
        **guide_example("batch_limit", trader.token),
        "exchange": "BYBIT",
        "orders": [{"price": 70000 - 100 * i, "qty_per": 2} for i in range(50)],
    }
    response = stack.post(payload, timeout=30)
    assert response.status_code in (200, 202), response.text
    log_id = Order.objects.filter(strategy__owner=trader.user).first().webhook_log_id
    _wait_for_jobs(log_id, timeout=30)
    orders = Order.objects.filter(webhook_log_id=log_id)
    assert all(o.status == "PENDING" for o in orders), [
        (o.status, o.error) for o in orders if o.status != "PENDING"
    ]
    received = sorted(o["received_at"] for o in sim.orders() if o["api_key"] == _key(trader))
    assert len(received) == 50
    took = received[-1] - received[0]
    required = 4.0  # 10 at once, then 10 more each second
    print(f"50 Bybit orders took {took:.2f} s; the limit requires {required:.1f} s")
    assert took <= 1.2 * required
    refused = [
        r
        for r in sim.requests()
        if r["status"] == 403 or r.get("api_key") == _key(trader) and r["status"] == 429
    ]
    assert not refused


def _key(trader, index=0):
    from accounts.crypto import decrypt

    return decrypt(trader.accounts[index].api_key_encrypted)


@pytest.mark.parametrize("exchange", ["BINANCE", "BYBIT", "OKX"])
def test_an_exchange_rate_limit_refusal_is_waited_out_and_the_order_placed_once(
    exchange, stack, make_trader, sim
):
    trader = make_trader(exchange, "FUTURES")
    sim.faults(
        exchange=exchange.lower(),
        path_contains=CREATE_PATHS[exchange],
        error="429",
        fail_next_n=1,
        api_key=_key(trader),
    )
    response = stack.post({**guide_example("curl_single_limit", trader.token), "exchange": exchange})
    assert response.status_code == 200, response.text
    entry = response.json()["result"]["results"][0]
    assert entry["success"] is True and entry["status"] == "PENDING", entry
    assert len(_orders_with_prefix(sim, entry["client_order_id"])) == 1
    refused = [r for r in sim.requests() if r.get("api_key") == _key(trader) and r["status"] == 429]
    assert len(refused) == 1  # the refusal happened, and was answered by waiting, not by failing
