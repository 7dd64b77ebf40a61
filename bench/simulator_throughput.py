"""How many signed Binance order requests per second the exchange simulator answers.

Starts the simulator (rate limits off: one IP could not send more than ~100 spot orders/s under
Binance's real 6000 weight/min), creates accounts, then fires signed POST /api/v3/order and
/fapi/v1/order requests from an aiohttp client at a fixed concurrency, and prints orders/second.

    .venv/bin/python bench/simulator_throughput.py [--orders 6000] [--concurrency 64] [--accounts 20]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import itertools
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from exchange_simulator.testing import start_simulator  # noqa: E402

TARGET = 500.0


def order_requests(accounts: list[tuple[str, str]]):
    """Endless (path, api_key, secret, params): limit orders that rest, market orders that fill."""
    shapes = [
        ("/api/v3/order", {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
                           "quantity": "0.001", "price": "50000"}),
        ("/api/v3/order", {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"}),
        ("/fapi/v1/order", {"symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT", "timeInForce": "GTC",
                            "quantity": "0.002", "price": "70000"}),
        ("/fapi/v1/order", {"symbol": "SOLUSDT", "side": "BUY", "type": "MARKET", "quantity": "1"}),
    ]  # fmt: skip
    for n, (path, params), (key, secret) in zip(
        itertools.count(), itertools.cycle(shapes), itertools.cycle(accounts)
    ):
        yield path, key, secret, params | {"newClientOrderId": f"bench{n}"}


def sign(params: dict, secret: str) -> str:
    query = urlencode({**params, "timestamp": int(time.time() * 1000), "recvWindow": 10_000})
    return query + "&signature=" + hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()


async def run(base_url: str, orders: int, concurrency: int, n_accounts: int) -> tuple[float, dict]:
    accounts = [(f"benchkey{i}", f"benchsecret{i}") for i in range(n_accounts)]
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(base_url, connector=connector) as http:
        for key, secret in accounts:
            balances = {"spot": {"USDT": "100000000"}, "futures": {"USDT": "100000000"}}
            body = {"exchange": "binance", "api_key": key, "secret": secret, "balances": balances}
            async with http.post("/_sim/accounts", json=body) as resp:
                resp.raise_for_status()
        work = order_requests(accounts)
        statuses: dict[int, int] = {}

        async def worker(count: int) -> None:
            for _ in range(count):
                path, key, secret, params = next(work)
                headers = {"X-MBX-APIKEY": key, "Content-Type": "application/x-www-form-urlencoded"}
                async with http.post(path, data=sign(params, secret), headers=headers) as resp:
                    await resp.read()
                    statuses[resp.status] = statuses.get(resp.status, 0) + 1

        per_worker = orders // concurrency
        started = time.perf_counter()
        await asyncio.gather(*(worker(per_worker) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        return per_worker * concurrency / elapsed, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--rate-limits", choices=("real", "off"), default="off")
    args = parser.parse_args()
    with start_simulator(rate_limits=args.rate_limits) as base_url:
        rate, statuses = asyncio.run(run(base_url, args.orders, args.concurrency, args.accounts))
    print(f"simulator throughput: {rate:.0f} signed Binance order requests/s "
          f"(target >= {TARGET:.0f}; statuses {statuses})")  # fmt: skip
    if statuses.keys() - {200}:
        sys.exit("some order requests failed")


if __name__ == "__main__":
    main()
