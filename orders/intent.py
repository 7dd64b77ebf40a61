"""What the layers above ask `orders` to do, in orders' own terms: no webhook types cross here."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class Leg:
    """One order of a signal: its prices and its share of the capital or position (percent)."""

    price: Decimal | None
    stop_price: Decimal | None
    qty_per: Decimal


@dataclass(frozen=True)
class OrderIntent:
    """Place these legs, in order, on every given link's account."""

    symbol: str  # ccxt's unified symbol, e.g. BTC/USDT:USDT
    market_type: str  # SPOT | FUTURES
    side: str  # buy | sell
    order_type: str  # MARKET | LIMIT | STOP_LIMIT | STOP_MARKET
    legs: tuple[Leg, ...]
    received_at: datetime | None = None  # when the signal arrived: the stale-signal guard counts from it
    max_delay: Decimal | None = None  # the signal's own guard (seconds), else the strategy's or the default


@dataclass(frozen=True)
class CancelIntent:
    """Cancel the strategy's open orders on every given link's account; None filters nothing."""

    exchange: str | None = None
    market_type: str | None = None
    base: str | None = None
    quote: str | None = None

    def as_filters(self) -> dict:
        return {
            "exchange": self.exchange,
            "market_type": self.market_type,
            "base": self.base,
            "quote": self.quote,
        }
