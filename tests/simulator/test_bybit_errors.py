"""Bybit v5 rejections arrive in ccxt as the exception class the real retCode produces."""

from __future__ import annotations

import ccxt
import pytest

from tests.simulator.clients import make_client, unique_key

SPOT, LINEAR = "BTC/USDT", "BTC/USDT:USDT"
BALANCES = {"spot": {"USDT": "1000", "BTC": "0.01"}, "futures": {"USDT": "1000"}}


@pytest.fixture
def bybit(sim, sim_url):
    key = unique_key("bybit")
    sim.account("bybit", key, "s-" + key, BALANCES)
    client = make_client("bybit", sim_url, key, "s-" + key)
    client.load_markets()
    return client


def no_orders(sim, client) -> bool:
    return sim.orders(exchange="bybit", api_key=client.apiKey) == []


def test_bybit_bad_signature_is_an_authentication_error(sim, sim_url, bybit):
    forged = make_client("bybit", sim_url, bybit.apiKey, "not-the-secret")
    forged.markets = bybit.markets
    with pytest.raises(ccxt.AuthenticationError, match="10004"):
        forged.fetch_balance()
    with pytest.raises(ccxt.AuthenticationError, match="10004"):
        forged.create_order(LINEAR, "market", "buy", 0.01)
    assert no_orders(sim, bybit)


def test_bybit_unknown_api_key_is_an_authentication_error(sim, sim_url, bybit):
    stranger = make_client("bybit", sim_url, "no-such-key", "whatever")
    stranger.markets = bybit.markets
    with pytest.raises(ccxt.AuthenticationError, match="10003"):
        stranger.fetch_balance()


def test_bybit_stale_timestamp_is_an_invalid_nonce(sim, bybit):
    bybit.options["timeDifference"] = 6_000  # timestamps 6 s old, recvWindow is 5 s
    with pytest.raises(ccxt.InvalidNonce, match="10002"):
        bybit.fetch_balance()
    bybit.options["timeDifference"] = -1_500  # 1.5 s ahead of the server
    with pytest.raises(ccxt.InvalidNonce, match="10002"):
        bybit.fetch_balance()
    bybit.options["timeDifference"] = 4_000  # inside the window
    assert bybit.fetch_balance()["USDT"]["total"] == 2000


@pytest.mark.parametrize(("symbol", "code"), [(SPOT, "170140"), (LINEAR, "110094")], ids=["spot", "linear"])
def test_bybit_order_below_min_notional_is_an_invalid_order(sim, bybit, symbol, code):
    with pytest.raises(ccxt.InvalidOrder, match=code):
        bybit.create_order(symbol, "limit", "buy", 0.001 if symbol == LINEAR else 0.00005, 1000)
    assert no_orders(sim, bybit)


@pytest.mark.parametrize(("symbol", "code"), [(SPOT, "170131"), (LINEAR, "110007")], ids=["spot", "linear"])
def test_bybit_insufficient_balance_is_insufficient_funds(sim, bybit, symbol, code):
    with pytest.raises(ccxt.InsufficientFunds, match=code):
        bybit.create_order(symbol, "limit", "buy", 1, 59000)
    assert no_orders(sim, bybit)


def test_bybit_spot_sell_beyond_the_base_balance_is_insufficient_funds(sim, bybit):
    with pytest.raises(ccxt.InsufficientFunds, match="170131"):
        bybit.create_order(SPOT, "market", "sell", 0.02)


def test_bybit_reduce_only_without_a_position_is_an_invalid_order(sim, bybit):
    with pytest.raises(ccxt.InvalidOrder, match="110017"):
        bybit.create_order(LINEAR, "market", "sell", 0.001, None, {"reduceOnly": True})
    bybit.create_order(LINEAR, "market", "buy", 0.001)
    with pytest.raises(ccxt.InvalidOrder, match="same side"):
        bybit.create_order(LINEAR, "market", "buy", 0.001, None, {"reduceOnly": True})
    bybit.create_order(LINEAR, "market", "sell", 0.001, None, {"reduceOnly": True})
    assert bybit.fetch_positions() == []


@pytest.mark.parametrize(("symbol", "code"), [(SPOT, "170141"), (LINEAR, "110072")], ids=["spot", "linear"])
def test_bybit_duplicate_client_order_id_is_an_invalid_order(sim, bybit, symbol, code):
    first = bybit.create_order(symbol, "limit", "buy", 0.001, 50000, {"clientOrderId": "dup1"})
    with pytest.raises(ccxt.InvalidOrder, match=code):
        bybit.create_order(symbol, "limit", "buy", 0.001, 50000, {"clientOrderId": "dup1"})
    # orderLinkId stays taken after the first order is gone.
    bybit.cancel_order(first["id"], symbol)
    with pytest.raises(ccxt.InvalidOrder, match=code):
        bybit.create_order(symbol, "limit", "buy", 0.001, 50000, {"clientOrderId": "dup1"})
    assert len(sim.orders(exchange="bybit", api_key=bybit.apiKey)) == 1


@pytest.mark.parametrize(
    ("symbol", "error", "code"),
    [(SPOT, ccxt.InvalidOrder, "170121"), (LINEAR, ccxt.BadRequest, "10001")],
    ids=["spot", "linear"],
)
def test_bybit_unknown_symbol_is_rejected_by_the_exchange(sim, bybit, symbol, error, code):
    # A market ccxt believes in but the exchange does not list.
    fake = dict(bybit.markets[symbol], id="FOOUSDT", symbol=symbol.replace("BTC", "FOO"), base="FOO")
    bybit.markets[fake["symbol"]] = fake
    with pytest.raises(error, match=code):
        bybit.create_order(fake["symbol"], "market", "buy", 0.001)
    with pytest.raises(ccxt.BadSymbol):
        bybit.fetch_ticker(fake["symbol"])
    assert no_orders(sim, bybit)


@pytest.mark.parametrize(("symbol", "code"), [(SPOT, "170213"), (LINEAR, "110001")], ids=["spot", "linear"])
def test_bybit_cancel_of_an_unknown_order_is_order_not_found(sim, bybit, symbol, code):
    with pytest.raises(ccxt.OrderNotFound, match=code):
        bybit.cancel_order("123456", symbol)
    with pytest.raises(ccxt.OrderNotFound, match=code):
        bybit.cancel_order(None, symbol, {"orderLinkId": "never-sent"})


def test_bybit_cancel_of_a_filled_order_is_order_not_found(sim, bybit):
    filled = bybit.create_order(LINEAR, "market", "buy", 0.001)
    with pytest.raises(ccxt.OrderNotFound, match="too late to cancel"):
        bybit.cancel_order(filled["id"], LINEAR)


def test_bybit_leverage_above_the_maximum_or_unchanged_is_a_bad_request(sim, bybit):
    with pytest.raises(ccxt.BadRequest, match="110013"):
        bybit.set_leverage(101, LINEAR)
    bybit.set_leverage(20, LINEAR)
    with pytest.raises(ccxt.BadRequest, match="110043"):
        bybit.set_leverage(20, LINEAR)


@pytest.mark.parametrize(
    ("fault", "error"),
    [("5xx", ccxt.ExchangeNotAvailable), ("429", ccxt.RateLimitExceeded)],
)
def test_bybit_injected_faults_look_like_bybit_failures(sim, bybit, fault, error):
    sim.faults(exchange="bybit", error=fault, fail_next_n=1, path_contains="/v5/order/create")
    with pytest.raises(error):
        bybit.create_order(LINEAR, "market", "buy", 0.001)
    assert no_orders(sim, bybit)
    bybit.create_order(LINEAR, "market", "buy", 0.001)
    assert len(sim.orders(exchange="bybit", api_key=bybit.apiKey)) == 1
