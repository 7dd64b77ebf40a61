"""OKX v5 failures through real ccxt: each arrives as the exception class (and code) that the real
exchange's answer produces in ccxt 4.5.90's `okx.exceptions` map."""

from __future__ import annotations

import ccxt
import pytest

from tests.simulator.clients import SimControl, make_client, unique_key

BALANCES = {"spot": {"USDT": "100000", "BTC": "1"}, "futures": {"USDT": "100000"}}
SPOT, SWAP = "BTC/USDT", "BTC/USDT:USDT"


def okx_account(sim: SimControl, balances: dict | None = None) -> tuple[str, str, str]:
    api_key, secret, passphrase = unique_key("okx"), unique_key("secret"), unique_key("Pass")
    sim.account("okx", api_key, secret, BALANCES if balances is None else balances, passphrase=passphrase)
    return api_key, secret, passphrase


def okx_client(sim: SimControl, sim_url: str, balances: dict | None = None) -> ccxt.okx:
    api_key, secret, passphrase = okx_account(sim, balances)
    client = make_client("okx", sim_url, api_key, secret, password=passphrase)
    client.load_markets()
    return client


def raw_order(**fields: str) -> dict:
    """One order of a batch-orders body, as ccxt's implicit API sends it (bypassing its rounding)."""
    return {
        "instId": "BTC-USDT-SWAP",
        "tdMode": "cross",
        "side": "buy",
        "ordType": "market",
        "sz": "1",
        **fields,
    }


# ---- authentication --------------------------------------------------------------------------------


def test_okx_wrong_secret_is_an_invalid_signature(sim, sim_url):
    api_key, _, passphrase = okx_account(sim)
    client = make_client("okx", sim_url, api_key, "not-the-secret", password=passphrase)

    with pytest.raises(ccxt.AuthenticationError, match="50113"):
        client.fetch_balance()


def test_okx_unknown_api_key_is_refused(sim, sim_url):
    client = make_client("okx", sim_url, unique_key("nobody"), "secret", password="Pass1")

    with pytest.raises(ccxt.AuthenticationError, match="50111"):
        client.fetch_balance()


def test_okx_wrong_passphrase_is_refused(sim, sim_url):
    api_key, secret, _ = okx_account(sim)
    client = make_client("okx", sim_url, api_key, secret, password="WrongPass1")

    with pytest.raises(ccxt.AuthenticationError, match="50105"):
        client.fetch_balance()


def test_okx_stale_timestamp_is_refused_as_an_invalid_nonce(sim, sim_url):
    api_key, secret, passphrase = okx_account(sim)
    client = make_client("okx", sim_url, api_key, secret, password=passphrase)
    client.options["timeDifference"] = 45_000  # requests stamped 45 s in the past

    with pytest.raises(ccxt.InvalidNonce, match="50102"):
        client.fetch_balance()
    client.options["timeDifference"] = 0
    assert client.fetch_balance()["USDT"]["total"] == 200000


def test_okx_auth_failures_answer_http_401_and_public_data_needs_no_key(sim, sim_url):
    client = make_client("okx", sim_url, unique_key("nobody"), "secret", password="Pass1")

    assert client.fetch_ticker(SWAP)["last"] == 60000
    with pytest.raises(ccxt.AuthenticationError):
        client.fetch_positions()
    assert sim.requests(exchange="okx", path_contains="positions")[-1]["status"] == 401


# ---- order rejections (sCode in the per-order result, top-level code "1") ----------------------------


def test_okx_order_below_the_minimum_size_is_an_invalid_order(sim, sim_url):
    client = okx_client(sim, sim_url)

    with pytest.raises(ccxt.InvalidOrder, match="51020"):
        client.create_order(SPOT, "market", "buy", 0.000005, None)  # minSz 0.00001 BTC
    with pytest.raises(ccxt.InvalidOrder, match="51020"):
        client.create_order("XRP/USDT", "limit", "buy", 0.5, 0.5)  # minSz 1 XRP


def test_okx_size_off_the_lot_grid_is_an_invalid_order(sim, sim_url):
    client = okx_client(sim, sim_url)

    with pytest.raises(ccxt.InvalidOrder, match="51121"):
        client.private_post_trade_batch_orders([raw_order(sz="1.005")])  # lotSz 0.01 contract


def test_okx_insufficient_spot_balance_and_swap_margin_are_insufficient_funds(sim, sim_url):
    client = okx_client(sim, sim_url, {"spot": {"USDT": "100"}, "futures": {"USDT": "50"}})

    with pytest.raises(ccxt.InsufficientFunds, match="51008"):
        client.create_order(SPOT, "limit", "buy", 0.01, 50000)  # 500 USDT
    with pytest.raises(ccxt.InsufficientFunds, match="51008"):
        client.create_order(SPOT, "market", "sell", 0.01, None)  # no BTC
    with pytest.raises(ccxt.InsufficientFunds, match="51008"):
        client.create_order(SWAP, "market", "buy", 10, None)  # 0.1 BTC at 10x: 600 USDT margin
    assert sim.orders(exchange="okx", api_key=client.apiKey) == []


def test_okx_reduce_only_without_a_position_is_refused(sim, sim_url):
    client = okx_client(sim, sim_url)

    with pytest.raises(ccxt.ExchangeError, match="51169") as raised:
        client.create_order(SWAP, "market", "sell", 1, None, {"reduceOnly": True})
    # 51169 is not in ccxt's map: the real answer arrives as a plain ExchangeError.
    assert type(raised.value) is ccxt.ExchangeError

    client.create_order(SWAP, "market", "buy", 1, None)
    with pytest.raises(ccxt.ExchangeError, match="51170"):
        client.create_order(SWAP, "market", "buy", 1, None, {"reduceOnly": True})
    closing = client.create_order(SWAP, "market", "sell", 1, None, {"reduceOnly": True})
    assert client.fetch_order(closing["id"], SWAP)["reduceOnly"] is True


def test_okx_reduce_only_on_spot_is_an_invalid_order(sim, sim_url):
    client = okx_client(sim, sim_url)

    with pytest.raises(ccxt.InvalidOrder, match="51205"):
        client.create_order(SPOT, "market", "sell", 0.01, None, {"reduceOnly": True})


def test_okx_duplicate_client_order_id_is_an_invalid_order_while_the_first_is_open(sim, sim_url):
    client = okx_client(sim, sim_url)
    first = client.create_order(SWAP, "limit", "buy", 1, 50000, {"clientOrderId": "dup1"})

    with pytest.raises(ccxt.InvalidOrder, match="51016"):
        client.create_order(SWAP, "limit", "buy", 1, 50000, {"clientOrderId": "dup1"})
    client.create_order(SWAP, "market", "buy", 1, None, {"triggerPrice": 65000, "algoClOrdId": "algo1"})
    with pytest.raises(ccxt.InvalidOrder, match="51016"):
        client.create_order(SWAP, "market", "buy", 1, None, {"triggerPrice": 65000, "algoClOrdId": "algo1"})

    client.cancel_order(first["id"], SWAP)
    again = client.create_order(SWAP, "limit", "buy", 1, 50000, {"clientOrderId": "dup1"})
    assert client.fetch_order(None, SWAP, {"clientOrderId": "dup1"})["id"] == again["id"]


def test_okx_client_order_id_outside_the_okx_format_is_a_bad_request(sim, sim_url):
    client = okx_client(sim, sim_url)

    with pytest.raises(ccxt.BadRequest, match="51000"):
        client.create_order(SWAP, "market", "buy", 1, None, {"clientOrderId": "has-dashes"})


def test_okx_unknown_instrument_is_a_bad_symbol(sim, sim_url):
    client = okx_client(sim, sim_url)
    fake = {
        **client.markets[SPOT],
        "id": "PEPE-USDT",
        "symbol": "PEPE/USDT",
        "base": "PEPE",
        "baseId": "PEPE",
    }
    client.set_markets([*client.markets.values(), fake])

    with pytest.raises(ccxt.BadSymbol, match="51001"):
        client.create_order("PEPE/USDT", "market", "buy", 1000, None)
    with pytest.raises(ccxt.BadSymbol, match="51001"):
        client.fetch_ticker("PEPE/USDT")


def test_okx_limit_price_beyond_the_price_limit_is_an_invalid_order(sim, sim_url):
    client = okx_client(sim, sim_url)

    with pytest.raises(ccxt.InvalidOrder, match="51006"):
        client.create_order(SWAP, "limit", "buy", 1, 66000)  # mark 60000, buys up to +5%
    with pytest.raises(ccxt.InvalidOrder, match="51006"):
        client.create_order(SPOT, "limit", "sell", 0.01, 54000)
    client.create_order(SWAP, "limit", "buy", 1, 62000)  # marketable, inside the limit: fills


def test_okx_unknown_orders_are_order_not_found(sim, sim_url):
    client = okx_client(sim, sim_url)
    filled = client.create_order(SWAP, "market", "buy", 1, None)

    with pytest.raises(ccxt.OrderNotFound, match="51603"):
        client.fetch_order("123", SWAP)
    with pytest.raises(ccxt.OrderNotFound, match="51603"):
        client.fetch_order("123", SWAP, {"trigger": True})
    with pytest.raises(ccxt.OrderNotFound, match="51603"):
        client.fetch_order(filled["id"], SPOT)  # another instrument
    with pytest.raises(ccxt.OrderNotFound, match="51400"):
        client.cancel_order("123", SWAP)
    with pytest.raises(ccxt.OrderNotFound, match="51400"):
        client.cancel_order("123", SWAP, {"trigger": True})
    with pytest.raises(ccxt.OrderNotFound, match="51402"):
        client.cancel_order(filled["id"], SWAP)


def test_okx_leverage_above_the_instrument_maximum_is_refused(sim, sim_url):
    client = okx_client(sim, sim_url)

    with pytest.raises(ccxt.ExchangeError, match="59102"):
        client.set_leverage(75, "SOL/USDT:USDT")  # SOL-USDT-SWAP: 50x
    assert client.set_leverage(50, "SOL/USDT:USDT")["data"][0]["lever"] == "50"


# ---- injected faults ---------------------------------------------------------------------------------


def test_okx_injected_429_is_rate_limit_exceeded_and_5xx_exchange_not_available(sim, sim_url):
    client = okx_client(sim, sim_url)

    sim.faults(exchange="okx", path_contains="batch-orders", error="429", fail_next_n=1)
    with pytest.raises(ccxt.RateLimitExceeded, match="50011"):
        client.create_order(SWAP, "market", "buy", 1, None)
    sim.faults(exchange="okx", path_contains="batch-orders", error="5xx", fail_next_n=1)
    with pytest.raises(ccxt.ExchangeNotAvailable, match="50013"):
        client.create_order(SWAP, "market", "buy", 1, None)

    assert sim.orders(exchange="okx", api_key=client.apiKey) == []
    client.create_order(SWAP, "market", "buy", 1, None)
