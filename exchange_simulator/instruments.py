"""Instrument and default-price data files under exchange_simulator/data/.

Each `<exchange>.json` holds {"exchange", "source", "default_leverage", "instruments": [...]}; see
ENGINE_API.md for the instrument fields. A missing file simply means that exchange has no markets.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from .models import Instrument, dec

DATA_DIR = Path(__file__).parent / "data"
EXCHANGES = ("binance", "bybit", "okx")


def _opt(raw: dict, key: str) -> Decimal | None:
    value = raw.get(key)
    return None if value in (None, "") else dec(value)


def parse_instrument(exchange: str, raw: dict, default_leverage: int) -> Instrument:
    return Instrument(
        exchange=exchange,
        market=raw["market"],
        symbol=raw["symbol"],
        base=raw["base"],
        quote=raw["quote"],
        settle=raw.get("settle"),
        tick_size=dec(raw["tick_size"]),
        step_size=dec(raw["step_size"]),
        min_qty=dec(raw["min_qty"]),
        max_qty=_opt(raw, "max_qty"),
        min_notional=dec(raw.get("min_notional", "0")),
        max_notional=_opt(raw, "max_notional"),
        min_price=_opt(raw, "min_price"),
        max_price=_opt(raw, "max_price"),
        contract_size=dec(raw.get("contract_size", "1")),
        max_leverage=int(raw.get("max_leverage", 100)),
        default_leverage=int(raw.get("default_leverage", default_leverage)),
        order_types=list(raw.get("order_types", [])),
        extra=dict(raw.get("extra", {})),
    )


def load_instruments(data_dir: Path = DATA_DIR) -> list[Instrument]:
    result: list[Instrument] = []
    for exchange in EXCHANGES:
        path = data_dir / f"{exchange}.json"
        if not path.exists():
            continue
        doc = json.loads(path.read_text())
        default_leverage = int(doc.get("default_leverage", 10))
        result.extend(parse_instrument(exchange, raw, default_leverage) for raw in doc["instruments"])
    return result


def load_default_prices(data_dir: Path = DATA_DIR) -> dict[str, Decimal]:
    path = data_dir / "prices.json"
    if not path.exists():
        return {}
    return {pair: dec(price) for pair, price in json.loads(path.read_text())["prices"].items()}
