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
