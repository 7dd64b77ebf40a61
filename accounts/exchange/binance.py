"""Binance's quirks (spot and USDT-M futures), as ccxt 4.5 sees them."""

from accounts.exchange.venue import Venue


class Binance(Venue):
    name = "BINANCE"
    ccxt_id = "binance"
    ccxt_options = {
        "fetchMarkets": {"types": ["spot", "linear"]},
        "fetchCurrencies": False,
        "fetchMargins": False,
    }
    # Spot says "Duplicate order sent." under -2010, a code it also uses for other refusals.
    duplicate_id_markers = ('"code":-4116', "Duplicate order sent")
    stale_market_markers = (
        '"code":-1121',  # invalid symbol
        '"code":-1111',  # precision over the maximum
        '"code":-4014',  # price not increased by tick size
        "Filter failure: LOT_SIZE",
        "Filter failure: PRICE_FILTER",
    )

    def balance_params(self, market_type: str) -> dict:
        return {"type": "future"} if market_type == "FUTURES" else {"type": "spot"}

    def cancel_all_passes(self, market_type: str) -> list[dict]:
        # USDT-M trigger orders live in the Algo Order service, cancelled by their own call.
        return [{}, {"trigger": True}] if market_type == "FUTURES" else [{}]
