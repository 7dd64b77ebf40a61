"""python -m exchange_simulator --host 127.0.0.1 --port 8900 [--seed-file F] [--rate-limits real|off]
[--fees default|zero|exchange:market:maker:taker,...]"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys

from aiohttp import web

from .app import create_app


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="exchange_simulator", description="Local Binance/Bybit/OKX REST simulator."
    )
    parser.add_argument("--host", default=os.environ.get("SIM_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("SIM_PORT", "8900")))
    parser.add_argument("--seed-file", default=os.environ.get("SIM_SEED_FILE") or None)
    parser.add_argument(
        "--rate-limits",
        choices=("real", "off"),
        default=os.environ.get("SIM_RATE_LIMITS", "real"),
        help="'off' is for debugging only: limits are counted but never enforced",
    )
    parser.add_argument(
        "--fees",
        default=os.environ.get("SIM_FEES", "default"),
        help="'default' (VIP 0 rates), 'zero', or exchange:market:maker:taker,... "
        "(e.g. binance:futures:0.0002:0.0005; '*' for any exchange or market)",
    )
    parser.add_argument("--log-level", default=os.environ.get("SIM_LOG_LEVEL", "WARNING"))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    seed = None
    if args.seed_file:
        try:
            with open(args.seed_file) as fh:
                seed = json.load(fh)
        except (OSError, ValueError) as exc:
            sys.exit(f"exchange_simulator: cannot read seed file {args.seed_file}: {exc}")
    try:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:  # uvloop is optional: it only makes the hot path faster
        pass
    try:
        app = create_app(seed=seed, rate_limits=args.rate_limits, fees=args.fees)
    except ValueError as exc:
        sys.exit(f"exchange_simulator: {exc}")
    print(f"exchange_simulator listening on http://{args.host}:{args.port}", flush=True)
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
