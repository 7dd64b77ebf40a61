"""Fan-out: one signal to a strategy linked to N accounts (default 100), with every exchange
request delayed by the simulator (default 100 ms). Prints the time from the webhook's arrival
until the last account's order reaches the exchange. Sequentially this would take N × latency.

Usage: python bench/fanout.py [--accounts 100] [--latency-ms 100] [--q-workers 50] [--signals 3]
"""

import argparse
import statistics
import time

import requests
from figures import process_tree_cpu_seconds, publish
from harness import limit_buy, make_strategy, running_stack, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--latency-ms", type=int, default=100)
    # More, lighter workers (measured: 20 → ~0.9 s, 40 → ~0.8 s, 50 → ~0.6 s on 2 cores): each
    # account is its own django-q2 job, and 20 workers alone floor 100 accounts at 5 × 100 ms.
    parser.add_argument("--q-workers", type=int, default=50)
    parser.add_argument("--signals", type=int, default=3)
    parser.add_argument("--exchange", default="BYBIT")
    args = parser.parse_args()

    setup_django()
    from exchange_simulator.testing import start_simulator
    from tests.simulator.clients import SimControl

    with start_simulator() as simulator_url:
        sim = SimControl(simulator_url)
        sim.price("BTCUSDT", "110000")
        token, keys = make_strategy(
            sim=sim, exchange=args.exchange, market_type="FUTURES", n_accounts=args.accounts
        )
        with running_stack(
            simulator_url=simulator_url,
            q_workers=args.q_workers,
            extra_env={"WEBHOOK_RESPONSE_DEADLINE": "5"},
        ) as stack:
            sim.faults(exchange=args.exchange.lower(), latency_ms=args.latency_ms)

            def signal(price: int) -> tuple[float, dict]:
                payload = limit_buy(token=token, exchange=args.exchange, price=price, qty_per=2)
                sent = time.time()
                body = requests.post(stack.web_url + "/api/webhook", json=payload, timeout=30).json()
                answered.append(time.time() - sent)
                return sent, body

            answered: list[float] = []
            clusters = [stack.processes[name].pid for name in stack.cluster_names]

            # Warm-up: every worker builds its clients and sets leverage once, as in steady use.
            for price in (70000, 70100):
                signal(price)
            spans, responses = [], []
            answered.clear()
            cpu_before = sum(process_tree_cpu_seconds(pid) for pid in clusters)
            for index in range(args.signals):
                sent, body = signal(75000 + index)
                ids = {r["client_order_id"] for r in body["result"]["results"]}
                deadline = time.time() + 30
                while True:
                    arrived = [o["received_at"] for o in sim.orders() if o["client_order_id"] in ids]
                    if len(arrived) == len(ids) or time.time() > deadline:
                        break
                    time.sleep(0.2)
                assert len(arrived) == args.accounts, f"only {len(arrived)} of {args.accounts} orders arrived"
                spans.append(max(arrived) - sent)
                responses.append(body["result"]["summary"])
            time.sleep(0.5)  # the last jobs record their answers
            cpu = sum(process_tree_cpu_seconds(pid) for pid in clusters) - cpu_before
            sim.faults(exchange=args.exchange.lower(), latency_ms=0)
    print(
        f"fan-out of one signal to {args.accounts} accounts ({args.exchange} futures LIMIT), "
        f"exchange latency {args.latency_ms} ms, {args.q_workers} workers:"
    )
    print(
        f"  arrival → last order at the exchange: median {statistics.median(spans):.2f} s "
        f"(runs: {', '.join(f'{s:.2f}' for s in spans)}); sequential would take "
        f"{args.accounts * args.latency_ms / 1000:.1f} s"
    )
    print(f"  arrival → webhook response: median {statistics.median(answered):.2f} s")
    cpu_ms_per_job = cpu * 1000 / (args.signals * args.accounts)
    print(
        f"  qcluster CPU per account job: {cpu_ms_per_job:.1f} ms "
        f"({cpu:.2f} CPU-s for {args.signals} signals)"
    )
    print(f"  last summary: {responses[-1]}")
    publish(
        fanout_100_s=round(statistics.median(spans), 3),
        fanout_100_response_s=round(statistics.median(answered), 3),
        cpu_ms_per_job=round(cpu_ms_per_job, 2),
    )


if __name__ == "__main__":
    main()
