"""OKX v5's quirks (spot and USDT swaps), as ccxt 4.5 sees them."""

from accounts.exchange.venue import Venue


class Okx(Venue):
    name = "OKX"
    ccxt_id = "okx"
    ccxt_options = {"fetchMarkets": {"types": ["spot", "swap"]}}
    has_overrides = {"fetchCurrencies": False}
    cancel_all_by_listing = True  # OKX has no cancel-all endpoint

    key_permissions_call = "private_get_account_config"

    def read_key_permissions(self, answer: dict, check) -> None:
        # GET /api/v5/account/config: data[0] {"perm": "read_only,trade[,withdraw]", "ip": "a,b"}
        data = (answer or {}).get("data") or [{}]
        perms = {p.strip() for p in str(data[0].get("perm") or "").split(",")}
        check.can_trade = "trade" in perms
        check.withdrawals_enabled = "withdraw" in perms
        ips = [ip.strip() for ip in str(data[0].get("ip") or "").split(",") if ip.strip()]
        check.ip_restricted, check.ip_whitelist = bool(ips), ips

    def enter_demo(self, client) -> None:
        client.set_sandbox_mode(True)  # OKX's demo trading is ccxt's sandbox (x-simulated-trading)

    def leverage_params(self, margin_mode: str) -> dict:
        return {"mgnMode": margin_mode}

    def order_ids(self, raw: dict, *, is_trigger: bool) -> tuple[str | None, str | None]:
        if is_trigger:
            return raw.get("id"), raw.get("clientOrderId")
        # ccxt prefers algoId, which an order placed by a fired algo order also carries: the
        # order's own id is ordId; its client id is its algo order's (ours).
        info = raw.get("info") or {}
        return info.get("ordId") or raw.get("id"), raw.get("clientOrderId") or info.get("algoClOrdId") or None
