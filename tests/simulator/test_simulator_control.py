"""The /_sim/ control API and start-up seeding, independent of any one exchange's adapter."""

from __future__ import annotations

import requests

from exchange_simulator.testing import start_simulator
from tests.simulator.binance_support import SPOT, binance_account
from tests.simulator.clients import SimControl, make_client


def test_seed_file_creates_accounts_and_prices_at_start_up():
    seed = {
        "accounts": [
            {"exchange": "binance", "api_key": "seeded", "secret": "s", "balances": {"spot": {"USDT": "7"}}}
        ],
        "prices": {"BTCUSDT": "65000"},
    }
    with start_simulator(seed=seed) as base_url:
        client = make_client("binance", base_url, "seeded", "s")
        assert client.fetch_balance()["USDT"]["free"] == 7
        assert client.fetch_ticker(SPOT)["last"] == 65000


def test_sim_orders_filter_by_exchange_key_and_symbol(sim, sim_url):
    client, key = binance_account(sim, sim_url)
    other, _ = binance_account(sim, sim_url)
    client.create_order(SPOT, "limit", "buy", 0.01, 50000)
    client.create_order("ETH/USDT", "limit", "buy", 0.01, 2000)
    other.create_order(SPOT, "limit", "buy", 0.01, 50000)

    assert len(sim.orders(exchange="binance")) == 3
    assert len(sim.orders(api_key=key)) == 2
    assert [o["symbol"] for o in sim.orders(api_key=key, symbol="ETHUSDT")] == ["ETHUSDT"]
    assert sim.orders(exchange="okx") == []


def test_requests_log_records_each_exchange_call(sim, sim_url):
    client, key = binance_account(sim, sim_url)
    client.fetch_balance()

    [row] = sim.requests(api_key=key)
    assert (row["method"], row["path"], row["status"], row["exchange"]) == (
        "GET",
        "/api/v3/account",
        200,
        "binance",
    )
    assert isinstance(row["received_at"], float)


def test_fault_with_an_unknown_kind_is_refused(sim, sim_url):
    resp = requests.post(sim_url + "/_sim/faults", json={"error": "explode", "fail_next_n": 1}, timeout=5)

    assert resp.status_code == 400


def test_reset_forgets_accounts_orders_and_faults(sim, sim_url):
    client, key = binance_account(sim, sim_url)
    client.create_order(SPOT, "market", "buy", 0.01)
    sim.faults(exchange="binance", latency_ms=5)

    sim.reset()

    assert sim.orders() == [] and sim.balances() == [] and sim.positions() == []
    assert requests.get(sim_url + "/_sim/faults", timeout=5).json() == {"faults": []}


def test_prices_answer_with_the_orders_they_filled(sim, sim_url):
    client, _ = binance_account(sim, sim_url)
    client.create_order(SPOT, "limit", "buy", 0.01, 59000, {"clientOrderId": "touch1"})

    answer = SimControl(sim_url).price("BTCUSDT", "58000")

    assert [(o["client_order_id"], o["status"], o["average"]) for o in answer["touched"]] == [
        ("touch1", "filled", "59000")
    ]
