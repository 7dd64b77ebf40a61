"""The venue of each exchange we trade on."""

from accounts.exchange.binance import Binance
from accounts.exchange.bybit import Bybit
from accounts.exchange.okx import Okx
from accounts.exchange.venue import Venue

VENUES: dict[str, Venue] = {venue.name: venue for venue in (Binance(), Bybit(), Okx())}


def venue_for(exchange: str) -> Venue:
    return VENUES[exchange]
