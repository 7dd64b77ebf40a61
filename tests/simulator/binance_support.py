"""Binance test helpers: a funded account with its own key, and a ccxt client for it."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode

from tests.simulator.clients import SimControl, make_client, unique_key

DEFAULT_BALANCES = {"spot": {"USDT": "100000", "BTC": "1"}, "futures": {"USDT": "100000"}}
SPOT = "BTC/USDT"
PERP = "BTC/USDT:USDT"


def binance_account(sim: SimControl, sim_url: str, balances: dict | None = None, **client_kwargs):
    """(ccxt client, api_key) for a fresh Binance account funded with `balances`."""
    api_key, secret = unique_key("bnb"), unique_key("secret")
    sim.account("binance", api_key, secret, DEFAULT_BALANCES if balances is None else balances)
    return make_client("binance", sim_url, api_key, secret, **client_kwargs), api_key


def signed_query(params: dict, secret: str) -> str:
    """A Binance signed query string, as ccxt builds it (for raw-HTTP tests and benchmarks)."""
    query = urlencode({**params, "timestamp": int(time.time() * 1000), "recvWindow": 10_000})
    signature = hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()
    return f"{query}&signature={signature}"
