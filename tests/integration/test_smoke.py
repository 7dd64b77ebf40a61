import pytest

from tests.guide import guide_example

pytestmark = pytest.mark.integration


def test_a_guide_limit_order_reaches_the_simulator_through_web_and_qcluster(stack, make_trader, sim):
    trader = make_trader("BINANCE", "FUTURES")
    response = stack.post(guide_example("curl_single_limit", trader.token))
    assert response.status_code == 200, (response.text, stack.logs())
    entry = response.json()["result"]["results"][0]
    assert entry["success"] is True, entry
    orders = [o for o in sim.orders(exchange="binance") if o["client_order_id"] == entry["client_order_id"]]
    assert len(orders) == 1
    assert orders[0]["type"] == "LIMIT" and orders[0]["price"] == "80000"
