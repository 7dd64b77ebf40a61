"""Bybit v5's quirks (unified account, spot and linear), as ccxt 4.5 sees them."""

from decimal import Decimal

from accounts.exchange.types import OrderType
from accounts.exchange.venue import Venue

LEVERAGE_NOT_MODIFIED = "110043"


class Bybit(Venue):
    name = "BYBIT"
    ccxt_id = "bybit"
    ccxt_options = {
        "fetchMarkets": {"types": ["spot", "linear"]},
        "enableUnifiedAccount": True,
        "enableUnifiedMargin": False,
    }
    has_overrides = {"fetchCurrencies": False}
    ip_ban_seconds = 600  # Bybit answers 403 and lifts it after ten minutes (EXCHANGES.md)
    # Bybit has no fetch-by-client-id: an order is found in the open, then the closed list.
    lookup_by_listing = True

    key_permissions_call = "private_get_v5_user_query_api"

    def read_key_permissions(self, answer: dict, check) -> None:
        # GET /v5/user/query-api: result {"readOnly": 0|1, "permissions": {"Spot": ["SpotTrade"],
        # "ContractTrade": ["Order", "Position"], "Wallet": [..., "Withdraw"?]}, "ips": ["*"] | [...]}
        result = (answer or {}).get("result") or {}
        permissions = result.get("permissions") or {}
        trades = bool(permissions.get("Spot") or permissions.get("ContractTrade"))
        check.can_trade = trades and str(result.get("readOnly")) == "0"
        check.withdrawals_enabled = "Withdraw" in (permissions.get("Wallet") or [])
        ips = [ip for ip in result.get("ips") or [] if ip and ip != "*"]
        check.ip_restricted, check.ip_whitelist = bool(ips), ips

    def leverage_unchanged(self, message: str) -> bool:
        return "not modified" in message.lower() or LEVERAGE_NOT_MODIFIED in message

    def needs_reference_price(self, *, order_type: str, market_type: str) -> bool:
        return order_type in OrderType.TRIGGERS

    def trigger_params(
        self, *, side: str, stop_price: Decimal, reference: Decimal | None, contract: bool
    ) -> dict:
        if not contract:  # ccxt refuses triggerDirection on Bybit spot
            return {}
        if reference is None:  # a buy stop waits for a rise, a sell stop for a fall
            return {"triggerDirection": "ascending" if side == "buy" else "descending"}
        return {"triggerDirection": "ascending" if stop_price > reference else "descending"}

    def fetch_order_params(self) -> dict:
        # ccxt's Bybit fetch_order only reads the last 500 orders and says so unless acknowledged
        return {"acknowledged": True}

    def cancel_all_passes(self, market_type: str) -> list[dict]:
        return [{}, {"trigger": True}]
