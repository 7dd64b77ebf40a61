"""OKX v5's quirks (spot and USDT swaps), as ccxt 4.5 sees them."""

from accounts.exchange.venue import Venue


class Okx(Venue):
    name = "OKX"
    ccxt_id = "okx"
    ccxt_options = {"fetchMarkets": {"types": ["spot", "swap"]}}
    has_overrides = {"fetchCurrencies": False}
    cancel_all_by_listing = True  # OKX has no cancel-all endpoint
    duplicate_id_markers = ('"sCode":"51016"',)
    rate_limit_markers = ('"code":"50061"', '"sCode":"50061"')  # the sub-account's order rate
    stale_market_markers = ('"sCode":"51001"', '"code":"51001"', '"sCode":"51121"')

    def order_margin_params(self, margin_mode: str) -> dict:
        # tdMode must be the leverage's mgnMode; ccxt defaults it to cross
        return {"marginMode": margin_mode}

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

    def client_id_params(self, client_order_id: str, *, is_trigger: bool) -> dict:
        # order-algo's client id field is algoClOrdId; ccxt sends the id as clOrdId there (kept,
        # the same value, as ccxt's recorded real answers show it echoed).
        if is_trigger:
            return {"clientOrderId": client_order_id, "algoClOrdId": client_order_id}
        return {"clientOrderId": client_order_id}

    def order_ids(self, raw: dict, *, is_trigger: bool) -> tuple[str | None, str | None]:
        info = raw.get("info") or {}
        if is_trigger:  # ccxt reads only clOrdId, which OKX leaves empty on algo orders
            return raw.get("id"), raw.get("clientOrderId") or info.get("algoClOrdId") or None
        # ccxt prefers algoId, which an order placed by a fired algo order also carries: the
        # order's own id is ordId; its client id is its algo order's (ours).
        return info.get("ordId") or raw.get("id"), raw.get("clientOrderId") or info.get("algoClOrdId") or None
