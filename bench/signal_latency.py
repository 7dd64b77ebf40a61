"""Latency of one signal: from the webhook's arrival to the order reaching the exchange (the
simulator's own arrival stamp) and to the webhook's response, over N single-account signals.

Defaults: PostgreSQL + Redis (DATABASE_URL / REDIS_URL), simulator at zero latency, gunicorn.
Usage: python bench/signal_latency.py [--signals 200] [--rate 20]
"""

import argparse
import http.client
import json
import os
import statistics
import time
import urllib.parse

from figures import publish
from harness import (
    describe,
    limit_buy,
    make_strategy,
    percentile,
    running_stack,
    setup_django,
    stage_medians,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signals", type=int, default=200)
    parser.add_argument("--exchange", default="BINANCE")
    parser.add_argument("--q-workers", type=int, default=4)
    # One account takes them all: paced under Binance's 300 orders / 10 s per account, which our
    # rate limiter keeps (a faster loop measures the limiter's wait, not the latency).
    parser.add_argument("--rate", type=float, default=20.0, help="signals per second at most")
    args = parser.parse_args()

    setup_django()
    from exchange_simulator.testing import start_simulator
    from tests.simulator.clients import SimControl

    with start_simulator() as simulator_url:
        sim = SimControl(simulator_url)
        sim.price("BTCUSDT", "110000")
        token, (key,) = make_strategy(sim=sim, exchange=args.exchange, market_type="FUTURES", n_accounts=1)
        with running_stack(simulator_url=simulator_url, q_workers=args.q_workers) as stack:
            client = Bot(stack.web_url)

            def signal(index: int) -> tuple[float, float, str]:
                payload = limit_buy(token=token, exchange=args.exchange, price=80000 - index % 500, qty_per=5)
                sent, answered, body = client.post("/api/webhook", payload)
                entry = body["result"]["results"][0]
                assert entry["success"], entry
                return sent, answered, entry["client_order_id"]

            for index in range(10):  # warm up: connections, the ccxt client, markets, leverage
                signal(index)
            samples = []
            for index in range(args.signals):
                slot = time.monotonic() + 1 / args.rate
                samples.append(signal(index))
                time.sleep(max(0.0, slot - time.monotonic()))
            arrivals = {o["client_order_id"]: o["received_at"] for o in sim.orders(api_key=key)}
    to_exchange = [(arrivals[cid] - sent) * 1000 for sent, _, cid in samples]
    to_response = [(answered - sent) * 1000 for sent, answered, _ in samples]
    database = "PostgreSQL" if os.environ["DATABASE_URL"].startswith("postgres") else "SQLite"
    broker = "Redis" if os.environ.get("REDIS_URL") else "ORM broker"
    print(
        f"signal latency over {args.signals} single-account signals ({args.exchange} futures LIMIT, "
        f"simulator latency 0, {database} + {broker})"
    )
    print(f"  webhook arrival → order at exchange: {describe(to_exchange)}")
    print(f"  webhook arrival → webhook response:  {describe(to_response)}")
    print("  where the time goes, the medians of each signal's own stage times (its log and job rows):")
    for stage, median in stage_medians([cid for _, _, cid in samples]).items():
        print(f"    {stage:<42} {median:6.2f} ms")
    for stage, median in _edges(samples, arrivals).items():
        print(f"    {stage:<42} {median:6.2f} ms")
    latency = {"median": _ms(statistics.median(to_exchange)), "p99": _ms(percentile(to_exchange, 0.99))}
    response = {"median": _ms(statistics.median(to_response)), "p99": _ms(percentile(to_response, 0.99))}
    if os.environ.get("BENCH_EMBEDDED"):
        publish(embedded_latency_ms=latency, embedded_response_ms=response)
    else:
        publish(latency_ms=latency, response_ms=response)


class Bot:
    """One keep-alive connection, as a bot holds, whose request is built before its send is
    stamped: `sent` is when the request leaves, not when the client starts building it (`requests`
    costs the client 0.6–0.9 ms more CPU per call than http.client, part of it before the request
    leaves, which is not the service's latency)."""

    def __init__(self, base_url: str):
        parts = urllib.parse.urlsplit(base_url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)

    def post(self, path: str, payload: dict) -> tuple[float, float, dict]:
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        sent = time.time()
        self.connection.request("POST", path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        answered = time.time()
        assert response.status == 200, (response.status, data[:300])
        return sent, answered, json.loads(data)


def _edges(samples, arrivals: dict) -> dict[str, float]:
    """The two stages the rows alone cannot tell: the request's way to the view (the bot's send
    stamp to the log's `received_at`) and the order's way to the exchange (the job's `sent_at`,
    stamped before the rate limiter and ccxt, to the simulator's arrival stamp)."""
    from orders.models import AccountJob, Order

    sent_by_cid = {cid: sent for sent, _, cid in samples}
    orders = Order.objects.filter(client_order_id__in=sent_by_cid).select_related("webhook_log")
    received = {o.client_order_id: o.webhook_log.received_at for o in orders}
    job_sent = dict(
        AccountJob.objects.filter(webhook_log__orders__client_order_id__in=sent_by_cid).values_list(
            "webhook_log__orders__client_order_id", "sent_at"
        )
    )
    to_view = [(received[cid].timestamp() - sent) * 1000 for cid, sent in sent_by_cid.items()]
    to_exchange = [(arrivals[cid] - at.timestamp()) * 1000 for cid, at in job_sent.items() if at]
    edges = {}
    if to_view:
        edges["request sent → received (client to the view)"] = statistics.median(to_view)
    if to_exchange:
        edges["order sent → at the exchange (limiter, ccxt)"] = statistics.median(to_exchange)
    return edges


def _ms(value: float) -> float:
    return round(value, 2)


if __name__ == "__main__":
    main()
