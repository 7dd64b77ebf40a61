"""The admin's "Test connection", at the boundary: the key's balances, its permissions and IP
whitelist as the exchange reports them (each venue reads its own endpoint), and the clock offset.
Never raises for exchange errors: each failed step is named in `errors`."""

import logging
import time

from accounts.exchange.client import client_for
from accounts.exchange.types import ConnectionCheck, ExchangeError

logger = logging.getLogger(__name__)

CHECK_CURRENCY = "USDT"


def account_check(account) -> ConnectionCheck:
    """Read balances, key permissions and the clock offset of the account's exchange."""
    client = client_for(account)
    check = ConnectionCheck()
    _step(check, "clock", lambda: _clock(client, check))
    for market_type in ("SPOT", "FUTURES"):
        _step(
            check,
            f"balance {market_type}",
            lambda m=market_type: check.balances.__setitem__(m, str(client.balance(m, CHECK_CURRENCY))),
        )
    _step(check, "permissions", lambda: client.venue.read_key_permissions(client.key_permissions(), check))
    logger.info("account %s connection check: ok=%s errors=%s", account.pk, check.ok, len(check.errors))
    return check


def _step(check: ConnectionCheck, name: str, step) -> None:
    try:
        step()
    except ExchangeError as error:
        check.errors.append(f"{name}: {error}")


def _clock(client, check: ConnectionCheck) -> None:
    before = time.time() * 1000
    server_ms = client.server_time_ms()
    after = time.time() * 1000
    check.clock_offset_ms = round(server_ms - (before + after) / 2, 1)
