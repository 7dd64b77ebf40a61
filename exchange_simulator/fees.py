"""Trading fees at the exchanges' default (VIP 0) rates, and what each exchange counts in a margin check.

Real accounts pay these, so the simulator charges them by default: a sizing that leaves no room for
the fee fails here as it fails live. Spot buys pay in the coin received, spot sells in the quote
coin, futures in the settle coin (USDT). A fill is a taker fill when the order trades on arrival
(market orders, marketable limits, fired stops) and a maker fill when the market later comes
through a resting limit.

Rates can be changed while running (`POST /_sim/fees`) or at start (`--fees`, `SIM_FEES`);
`/_sim/reset` restores the start-up rates.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .models import FUTURES, SPOT, ZERO, dec


@dataclass(frozen=True, slots=True)
class Rates:
    maker: Decimal
    taker: Decimal

    def of(self, maker: bool) -> Decimal:
        return self.maker if maker else self.taker


# EXCHANGES.md "Fees (VIP 0)".
DEFAULT_RATES: dict[tuple[str, str], Rates] = {
    ("binance", SPOT): Rates(Decimal("0.001"), Decimal("0.001")),
    ("binance", FUTURES): Rates(Decimal("0.0002"), Decimal("0.0005")),
    ("bybit", SPOT): Rates(Decimal("0.001"), Decimal("0.001")),
    ("bybit", FUTURES): Rates(Decimal("0.0002"), Decimal("0.00055")),
    ("okx", SPOT): Rates(Decimal("0.0008"), Decimal("0.001")),
    ("okx", FUTURES): Rates(Decimal("0.0002"), Decimal("0.0005")),
}

# Which fees an exchange adds to the initial margin when it checks a futures order:
# Binance and OKX the fee to open; Bybit's "order cost" also the fee to close at the bankruptcy
# price (Bybit help: Order Cost = Initial Margin + Fee to Open + Fee to Close).
CLOSE_FEE_IN_ORDER_COST = frozenset({"bybit"})


class FeeSchedule:
    """Maker/taker rates per (exchange, market), with the start-up rates to return to on reset."""

    def __init__(self, rates: dict[tuple[str, str], Rates] | None = None) -> None:
        self._initial = dict(DEFAULT_RATES if rates is None else rates)
        self._rates = dict(self._initial)

    def reset(self) -> None:
        self._rates = dict(self._initial)

    def rates(self, exchange: str, market: str) -> Rates:
        return self._rates.get((exchange, market), Rates(ZERO, ZERO))

    def rate(self, exchange: str, market: str, maker: bool) -> Decimal:
        return self.rates(exchange, market).of(maker)

    def set(self, exchange: str, market: str, maker: object, taker: object) -> None:
        maker, taker = dec(maker), dec(taker)
        if maker < 0 or taker < 0 or maker >= 1 or taker >= 1:
            raise ValueError("fee rates must be in [0, 1)")
        self._rates[(exchange, market)] = Rates(maker, taker)

    def set_initial(self, exchange: str, market: str, maker: object, taker: object) -> None:
        """Change a start-up rate (the `--fees` flag): kept across /_sim/reset."""
        self.set(exchange, market, maker, taker)
        self._initial[(exchange, market)] = self._rates[(exchange, market)]

    def as_list(self) -> list[dict]:
        return [
            {"exchange": e, "market": m, "maker": str(r.maker), "taker": str(r.taker)}
            for (e, m), r in sorted(self._rates.items())
        ]

    def order_cost_fee(self, exchange: str, notional: Decimal, leverage: int, side: str) -> Decimal:
        """The fee part of a futures margin check for `notional` opened at `leverage`."""
        taker = self.rate(exchange, FUTURES, maker=False)
        fee = notional * taker
        if exchange in CLOSE_FEE_IN_ORDER_COST:
            # Closing at the bankruptcy price: below the entry for a long, above it for a short.
            factor = 1 - Decimal(1) / leverage if side == "buy" else 1 + Decimal(1) / leverage
            fee += notional * factor * taker
        return fee


def parse_fee_spec(text: str, schedule: FeeSchedule) -> None:
    """`--fees` / SIM_FEES: "default", "zero", or "exchange:market:maker:taker,..." (e.g.
    "binance:futures:0.0002:0.0005"); `exchange` or `market` may be "*"."""
    text = (text or "").strip()
    if text in ("", "default"):
        return
    if text in ("zero", "0", "off"):
        for exchange, market in DEFAULT_RATES:
            schedule.set_initial(exchange, market, 0, 0)
        return
    for part in text.split(","):
        fields = part.strip().split(":")
        if len(fields) != 4:
            raise ValueError(f"bad fee spec {part!r}: want exchange:market:maker:taker")
        exchange, market, maker, taker = fields
        for e, m in DEFAULT_RATES:
            if exchange in ("*", e) and market in ("*", m):
                schedule.set_initial(e, m, maker, taker)
