"""Accounts and prices in the local exchange simulator, for the offline demo (`make run`).

The simulator keeps its state in memory, so every start needs the simulator-mode accounts
registered again. It verifies each request's signature as the real exchange does, so it must be
told the account's key, secret and passphrase: this is the one place besides `accounts/exchange/client.py`
that decrypts credentials, and it refuses any account that is not in `simulator` mode, so that a
live or testnet key never leaves for the simulator.
"""

import logging
import time

import requests

from accounts.crypto import decrypt
from accounts.models import Environment

logger = logging.getLogger(__name__)

SIMULATOR_IDS = {"BINANCE": "binance", "BYBIT": "bybit", "OKX": "okx"}
TIMEOUT_SECONDS = 5


class SimulatorUnavailable(Exception):
    """The simulator did not answer, or refused a control call."""


def simulator_wait(*, simulator_url: str, timeout: float = 15.0) -> None:
    """Return once the simulator answers /_sim/health; raises SimulatorUnavailable after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(f"{simulator_url}/_sim/health", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        if time.monotonic() >= deadline:
            raise SimulatorUnavailable(f"no answer from the exchange simulator at {simulator_url}")
        time.sleep(0.1)


def simulator_register_account(*, account, balances: dict, simulator_url: str) -> None:
    """Create or replace a simulator-mode account; raises ValueError (other modes), SimulatorUnavailable."""
    if account.environment != Environment.SIMULATOR:
        raise ValueError(f"account {account.pk} is in {account.environment!r} mode, not simulator")
    body = {
        "exchange": SIMULATOR_IDS[account.exchange],
        "api_key": decrypt(account.api_key_encrypted),
        "secret": decrypt(account.api_secret_encrypted),
        "passphrase": decrypt(account.passphrase_encrypted) or None,
        "balances": balances,
    }
    _post(simulator_url, "/_sim/accounts", body)
    logger.info("simulator: account %s (%s) registered", account.pk, account.exchange)


def simulator_set_prices(*, prices: dict[str, str], simulator_url: str) -> None:
    """Set mark prices ({"BTCUSDT": "110000"}) on all three exchanges; raises SimulatorUnavailable."""
    for symbol, price in prices.items():
        _post(simulator_url, "/_sim/prices", {"symbol": symbol, "price": str(price)})


def _post(simulator_url: str, path: str, body: dict) -> None:
    try:
        response = requests.post(simulator_url + path, json=body, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as error:
        raise SimulatorUnavailable(f"{path}: {type(error).__name__}") from error
    if not response.ok:
        # The body names the field at fault; it never echoes the secret back.
        raise SimulatorUnavailable(f"{path}: HTTP {response.status_code} {response.text[:200]}")
