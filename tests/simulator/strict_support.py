"""Helpers for the strict-simulator tests: a funded account with a ccxt client on any exchange."""

from __future__ import annotations

from tests.simulator.clients import SimControl, make_client, unique_key

SPOT, PERP = "BTC/USDT", "BTC/USDT:USDT"
EXCHANGES = ("binance", "bybit", "okx")
# ccxt amount for 0.01 BTC: OKX swaps trade in contracts of 0.01 BTC.
PERP_001_BTC = {"binance": 0.01, "bybit": 0.01, "okx": 1}


def funded(sim: SimControl, sim_url: str, exchange: str, balances: dict):
    """(ccxt client with markets loaded, api key) for a fresh account funded with `balances`."""
    api_key, secret = unique_key(exchange[:3]), unique_key("secret")
    passphrase = unique_key("Pass") if exchange == "okx" else None
    sim.account(exchange, api_key, secret, balances, passphrase=passphrase)
    client = make_client(exchange, sim_url, api_key, secret, password=passphrase)
    client.load_markets()
    return client, api_key
