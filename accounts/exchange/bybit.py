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
    # Server timeout / system error, answered as HTTP 200: the request may have been carried out.
    outcome_unknown_markers = ('"retCode":10000,', '"retCode":10016,')
    duplicate_id_markers = ('"retCode":110072,', '"retCode":170141,')
    stale_market_markers = (
        '"retCode":170121,',  # spot: invalid symbol
        '"retCode":170134,',  # spot: price has too many decimals
        '"retCode":170137,',  # spot: quantity has too many decimals
        "symbol invalid",
        "Qty invalid",
        "has too many decimals",
    )
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

    # The unified account has one margin mode for all its positions (/v5/account/info): checked.
    margin_mode_by = "account"
    position_mode_from_positions = True  # hedge mode lists positionIdx 1 and 2

    def account_margin_mode(self, raw_mode: str | None) -> str | None:
        return {"cross": "cross", "isolated": "isolated"}.get(raw_mode or "", raw_mode)

    def leverage_unchanged(self, message: str) -> bool:
        return "not modified" in message.lower() or LEVERAGE_NOT_MODIFIED in message

    def needs_reference_price(self, *, order_type: str, market_type: str) -> bool:
        return order_type in OrderType.TRIGGERS

    def trigger_params(
        self, *, side: str, stop_price: Decimal, reference: Decimal | None, contract: bool
    ) -> dict:
        params = {"triggerPrice": float(stop_price)}
        if not contract:  # ccxt refuses triggerDirection on Bybit spot, which infers it
            return params
        if reference is None:  # a buy stop waits for a rise, a sell stop for a fall
            return {**params, "triggerDirection": "ascending" if side == "buy" else "descending"}
        return {**params, "triggerDirection": "ascending" if stop_price > reference else "descending"}

    def fetch_order_params(self) -> dict:
        # ccxt's Bybit fetch_order only reads the last 500 orders and says so unless acknowledged
        return {"acknowledged": True}

    def cancel_all_passes(self, market_type: str) -> list[dict]:
        return [{}, {"trigger": True}]
