"""The floor: a bare ccxt `create_order` loop against the same simulator, nothing of ours in the
way (no Django, no rate limiter, no database). Prints the median and p99 per order.

Usage: python bench/floor.py [--orders 300]
"""

import argparse
import statistics
import time
import uuid

from figures import publish
from harness import percentile

from exchange_simulator.testing import start_simulator
from tests.simulator.clients import SimControl, make_client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300)
    args = parser.parse_args()
    with start_simulator(rate_limits="off") as url:  # the floor is the loop itself, unpaced
        sim = SimControl(url)
        sim.price("BTCUSDT", "110000")
        key, secret = "fk" + uuid.uuid4().hex, "fs" + uuid.uuid4().hex
        sim.account("binance", key, secret, {"futures": {"USDT": "1000000"}})
        client = make_client("binance", url, api_key=key, secret=secret)
        client.load_markets()
        samples = []
        for index in range(args.orders + 10):
            started = time.perf_counter()
            client.create_order("BTC/USDT:USDT", "limit", "buy", 0.002, 80000 - index % 500)
            if index >= 10:  # warm-up: connection, signing caches
                samples.append((time.perf_counter() - started) * 1000)
    median, p99 = statistics.median(samples), percentile(samples, 0.99)
    print(f"floor: bare ccxt create_order against the simulator, {args.orders} orders")
    print(f"  median {median:.2f} ms   p99 {p99:.2f} ms")
    publish(floor_ms={"median": round(median, 2), "p99": round(p99, 2)})


if __name__ == "__main__":
    main()
