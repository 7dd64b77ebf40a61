"""Sustained load: single-order signals at a fixed rate (default 100/s for 60 s) from this load
process, against gunicorn + one or more qcluster processes sharing PostgreSQL and Redis. Prints
the response p99, and checks that every signal was logged, that every order reached the simulator
exactly once, and how many requests the exchange refused for rate limits.

Each signal goes to its own single-account strategy, round robin over N accounts, so that no one
account's order limit binds and what is measured is the service (Bybit's per-IP budget of 600
requests / 5 s is shared by all of them, across every cluster).

Usage: python bench/throughput.py [--rate 100] [--seconds 60] [--warmup 5] [--qclusters 2] [--accounts 20]
"""

import argparse
import asyncio
import os
import statistics
import threading
import time
from collections import Counter

import aiohttp
import requests
from figures import CpuSplit, MachineBusy, process_tree_cpu_seconds, processes_cpu_seconds, publish
from harness import limit_buy, percentile, running_stack, setup_django

REFUSED_STATUSES = (418, 429, 403)
WINDOW_SECONDS = 10.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--qclusters", type=int, default=2)
    parser.add_argument("--q-workers", type=int, default=4)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--exchange", default="BYBIT")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes")
    # Few threads: more requests in flight than the cores can serve only queue in front of the GIL
    # (measured: 8 per process held 100/s where 32 let the backlog grow; README "Benchmarks").
    parser.add_argument("--web-threads", type=int, default=8, help="gunicorn threads per process")
    parser.add_argument(
        "--warmup", type=float, default=5.0, help="seconds of the same load before the measured run"
    )
    args = parser.parse_args()

    setup_django()
    from exchange_simulator.testing import start_simulator
    from tests.simulator.clients import SimControl
    from webhooks.models import WebhookLog

    with start_simulator() as simulator_url:
        sim = SimControl(simulator_url)
        sim.price("BTCUSDT", "110000")
        tokens = _strategies(sim, args.exchange, args.accounts)
        env = {
            # The load is the point: throttles that let it through. Over a 1 s window: DRF's history
            # of a minute's window would be a 6000-entry list to load and store per request.
            "WEBHOOK_THROTTLE_RATE": "10000/s",
            "WEBHOOK_IP_THROTTLE_RATE": "10000/s",
            "GUNICORN_EXTRA": f"-w {args.web_workers} -k gthread --threads {args.web_threads}",
            "WEBHOOK_RESPONSE_DEADLINE": "2.5",
        }
        with running_stack(
            simulator_url=simulator_url, q_workers=args.q_workers, extra_env=env, qclusters=args.qclusters
        ) as stack:
            for index, (group, token) in enumerate(tokens):  # warm-up: clients, markets, leverage
                _send(
                    stack.web_url,
                    limit_buy(
                        token=token, exchange=args.exchange, price=60000 + index, qty_per=1, group_name=group
                    ),
                )
            warmup = {}
            if args.warmup:  # the service's steady state, not its first seconds (README: cold start)
                warm, _ = _load(
                    stack.web_url, tokens, argparse.Namespace(**{**vars(args), "seconds": args.warmup})
                )
                cold = [(answered - started) * 1000 for started, answered, _, _ in warm]
                print(
                    f"  warm-up: {len(warm)} signals in {args.warmup:g} s, response median "
                    f"{statistics.median(cold):.1f} ms, p99 {percentile(cold, 0.99):.1f} ms (not counted)"
                )
                warmup = {"signals": len(warm), "median_ms": round(statistics.median(cold), 1)}
                warmup["p99_ms"] = round(percentile(cold, 0.99), 1)
                time.sleep(2)
            logs_before = WebhookLog.objects.count()
            requests_before = len(sim.requests(limit=10_000_000))
            split = _cpu_split(stack, simulator_url)
            split.start()
            busy = MachineBusy(WINDOW_SECONDS)
            busy.start()
            samples, errors = _load(stack.web_url, tokens, args)
            cpu = split.stop()
            busy_by_window = busy.stop()
            expected = {cid for _, _, _, cids in samples for cid in cids}
            deadline = time.time() + 60
            while time.time() < deadline:  # 202s finish in the background
                at_exchange = Counter(o["client_order_id"] for o in sim.orders())
                if expected <= set(at_exchange):
                    break
                time.sleep(1)
            logged = WebhookLog.objects.count() - logs_before
            refused = sum(
                1 for r in sim.requests(limit=10_000_000)[requests_before:] if r["status"] in REFUSED_STATUSES
            )
    sent = len(samples) + errors
    lost = len(expected - set(at_exchange)) + errors
    duplicated = sum(1 for cid in expected if at_exchange.get(cid, 0) > 1)
    responses = [(answered - started) * 1000 for started, answered, _, _ in samples]
    statuses = Counter(status for _, _, status, _ in samples)
    p99 = percentile(responses, 0.99)
    print(
        f"throughput: {sent} single-order signals at {args.rate:g}/s for {args.seconds:g} s, "
        f"{args.qclusters} qcluster(s) × {args.q_workers} workers, {args.accounts} {args.exchange} accounts"
    )
    print(
        f"  response median {statistics.median(responses):.1f} ms, p99 {p99:.1f} ms; "
        f"statuses {dict(statuses)}"
    )
    print(
        f"  logged {logged}/{sent}; orders lost {lost}, duplicated {duplicated}; "
        f"rate-limit refusals at the exchange {refused}"
    )
    windows = _windows(samples, busy_by_window)
    print(
        f"  by {WINDOW_SECONDS:g} s of sending (response median / max, the machine's CPU busy): "
        + ", ".join(f"{w['median_ms']:.0f}/{w['max_ms']:.0f} ms {w['busy_percent']:.0f}%" for w in windows)
    )
    signals = max(len(samples), 1)
    print(
        "  CPU per signal while loading (ms): "
        + ", ".join(f"{name} {seconds * 1000 / signals:.1f}" for name, seconds in cpu.items())
        + f"; total {sum(cpu.values()) * 1000 / signals:.1f} of the {2000 / args.rate:.0f} that 2 cores have"
    )
    publish(
        throughput={
            "rate": args.rate,
            "seconds": args.seconds,
            "p99_ms": round(p99, 1),
            "median_ms": round(statistics.median(responses), 1),
            "signals": sent,
            "logged": logged,
            "lost": lost,
            "duplicated": duplicated,
            "warmup": warmup,
            "windows": windows,
        },
        scale_out={"qclusters": args.qclusters, "rate_limit_errors": refused},
    )


def _windows(samples, busy: list[float]) -> list[dict]:
    """The response median and max of the signals sent in each WINDOW_SECONDS of the run, with
    how busy the machine's cores were then: a p99 over the goal reads differently when one window
    holds it (a burst) than when the medians climb window after window (a backlog that grows
    while the cores are saturated)."""
    if not samples:
        return []
    begin = min(started for started, _, _, _ in samples)
    by_window: dict[int, list[float]] = {}
    for started, answered, _, _ in samples:
        by_window.setdefault(int((started - begin) // WINDOW_SECONDS), []).append((answered - started) * 1000)
    return [
        {
            "from_s": index * WINDOW_SECONDS,
            "median_ms": round(statistics.median(values), 1),
            "max_ms": round(max(values), 1),
            "busy_percent": round(busy[index], 1) if index < len(busy) else None,
        }
        for index, values in sorted(by_window.items())
    ]


def _cpu_split(stack, simulator_url: str) -> CpuSplit:
    """Where the machine's CPU goes during the load: the service's processes, its databases, the
    simulator, and this load process itself."""
    port = simulator_url.rsplit(":", 1)[1]
    return CpuSplit(
        {
            "web": lambda: process_tree_cpu_seconds(stack.processes["web"].pid),
            "qclusters": lambda: sum(
                process_tree_cpu_seconds(stack.processes[name].pid) for name in stack.cluster_names
            ),
            "PostgreSQL": lambda: processes_cpu_seconds("postgres:"),
            "Redis": lambda: processes_cpu_seconds("redis-server"),
            "simulator": lambda: processes_cpu_seconds(f"--port {port}"),
            "load": lambda: sum(os.times()[:2]),
        }
    )


def _strategies(sim, exchange: str, n: int) -> list[tuple[str, str]]:
    """n single-account strategies of one user: (group_name, token)."""
    import uuid
    from decimal import Decimal

    from tests import factories

    user = factories.user("load" + uuid.uuid4().hex[:8])
    _, token = factories.token(user)
    out = []
    for index in range(n):
        key, secret = "lk" + uuid.uuid4().hex, "ls" + uuid.uuid4().hex
        sim.account(exchange.lower(), key, secret, {"futures": {"USDT": "10000000"}})
        account = factories.account(
            user, label=f"load {index}", exchange=exchange, api_key=key, api_secret=secret
        )
        strategy = factories.strategy(user, group_name=f"load{index}", market_type="FUTURES")
        factories.link(strategy, account, allocated_capital=Decimal("100000"))
        out.append((strategy.group_name, token))
    return out


_local = threading.local()


def _send(url: str, payload: dict) -> tuple[int, list[str]]:
    session = getattr(_local, "session", None) or requests.Session()
    _local.session = session
    response = session.post(url + "/api/webhook", json=payload, timeout=30)
    body = response.json()
    results = (body.get("result") or {}).get("results") or []
    return response.status_code, [r["client_order_id"] for r in results]


def _load(url: str, tokens, args) -> tuple[list[tuple[float, float, int, list[str]]], int]:
    """Send at a fixed rate; returns (sent, answered, status, client ids) and the number of
    requests that failed outright. One asyncio loop on aiohttp's keep-alive pool: a thread and a
    `requests` session per request in flight cost this load process ~1.5 ms of CPU per signal, on
    the same two cores as the service it measures."""
    return asyncio.run(_load_async(url, tokens, args))


async def _load_async(url: str, tokens, args):
    samples, failures = [], [0]
    total = int(args.rate * args.seconds)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256), timeout=timeout) as session:

        async def one(index: int, group: str, token: str) -> None:
            payload = limit_buy(
                token=token, exchange=args.exchange, price=70000 + index % 5000, qty_per=1, group_name=group
            )
            started = time.time()
            try:
                async with session.post(url + "/api/webhook", json=payload) as response:
                    body = await response.json(content_type=None)
                    status = response.status
            except (TimeoutError, ValueError, aiohttp.ClientError):  # no answer, or not JSON
                failures[0] += 1
                return
            results = (body.get("result") or {}).get("results") or []
            samples.append((started, time.time(), status, [r["client_order_id"] for r in results]))

        pending = set()
        begin = time.monotonic()
        for index in range(total):
            pause = begin + index / args.rate - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            group, token = tokens[index % len(tokens)]
            task = asyncio.create_task(one(index, group, token))
            pending.add(task)
            task.add_done_callback(pending.discard)
        if pending:
            await asyncio.wait(pending)
    return samples, failures[0]


if __name__ == "__main__":
    main()
