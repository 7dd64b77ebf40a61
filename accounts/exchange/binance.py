"""Binance's quirks (spot and USDT-M futures), as ccxt 4.5 sees them."""

from decimal import Decimal

from accounts.exchange.types import OrderType
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

    margin_mode_by = "symbol"  # /fapi/v1/marginType, per symbol
    leverage_brackets = True  # /fapi/v1/leverageBracket; above the cap: -2027

    def margin_mode_unchanged(self, message: str) -> bool:
        return '"code":-4046' in message  # "No need to change margin type."

    def needs_reference_price(self, *, order_type: str, market_type: str) -> bool:
        return order_type in OrderType.TRIGGERS

    def trigger_params(
        self, *, side: str, stop_price: Decimal, reference: Decimal | None, contract: bool
    ) -> dict:
        # ccxt's triggerPrice is the STOP family (STOP/STOP_MARKET, spot STOP_LOSS(_LIMIT)), which
        # Binance fires only when a sell's price falls to it or a buy's rises to it, and refuses
        # on the other side (-2021, spot -2010). There the TAKE_PROFIT family fires instead.
        rising = stop_price > reference if reference is not None else side == "buy"
        if rising == (side == "buy"):
            return {"triggerPrice": float(stop_price)}
        return {"takeProfitPrice": float(stop_price)}

    key_permissions_call = "sapi_get_account_apirestrictions"

    def read_key_permissions(self, answer: dict, check) -> None:
        # GET /sapi/v1/account/apiRestrictions: {"ipRestrict", "enableWithdrawals",
        # "enableSpotAndMarginTrading", "enableFutures", ...}
        check.can_trade = bool(answer.get("enableSpotAndMarginTrading") or answer.get("enableFutures"))
        check.withdrawals_enabled = bool(answer.get("enableWithdrawals"))
        check.ip_restricted = bool(answer.get("ipRestrict"))

    def balance_params(self, market_type: str) -> dict:
        return {"type": "future"} if market_type == "FUTURES" else {"type": "spot"}

    def cancel_all_passes(self, market_type: str) -> list[dict]:
        # USDT-M trigger orders live in the Algo Order service, cancelled by their own call.
        return [{}, {"trigger": True}] if market_type == "FUTURES" else [{}]
