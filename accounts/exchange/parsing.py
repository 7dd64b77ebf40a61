"""ccxt's orders in our terms (`ExchangeOrder`): statuses, ids, base units, and the fees a spot
fill paid in the coin received. A mixin of `ExchangeClient` (`client.py`, the only ccxt import)."""

from decimal import Decimal

from accounts.exchange.types import ExchangeOrder, MarketRules

STATUS_MAP = {
    "open": "PENDING",
    "closed": "FILLED",
    "canceled": "CANCELLED",
    "cancelled": "CANCELLED",
    "rejected": "REJECTED",
    "expired": "EXPIRED",
}


def decimal_or_none(value) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value))


def _fees_in(raw: dict, coin: str) -> Decimal | None:
    """The fees of a ccxt order or trade charged in `coin`; None when it carries no fee at all."""
    fees = [fee for fee in (raw.get("fees") or [raw.get("fee")]) if fee and fee.get("cost") is not None]
    if not fees:
        return None
    return sum((abs(Decimal(str(fee["cost"]))) for fee in fees if fee.get("currency") == coin), Decimal("0"))


class OrderParsing:
    def _with_fees(self, order: ExchangeOrder, rules: MarketRules, market_type: str) -> ExchangeOrder:
        """A filled spot order's fee in the base coin, from its trades where the order does not
        carry it (Binance reports fees only on trades)."""
        if market_type != "SPOT" or order.filled <= 0 or order.fee_base is not None or not order.id:
            return order
        trades = self._call(
            "fetch_order",
            market_type,
            self._ccxt.fetch_order_trades,
            order.id,
            rules.symbol,
            symbol=rules.symbol,
        )
        order.fee_base = sum((_fees_in(trade, rules.base) or Decimal("0") for trade in trades), Decimal("0"))
        return order

    def _parse(self, raw: dict, rules: MarketRules, *, is_trigger: bool) -> ExchangeOrder:
        size = rules.contract_size
        amount, filled = (
            decimal_or_none(raw.get("amount")),
            decimal_or_none(raw.get("filled")) or Decimal("0"),
        )
        status = STATUS_MAP.get(raw.get("status") or "open", "PENDING")
        if status == "PENDING" and filled > 0:
            status = "PARTIALLY_FILLED"
        if status == "FILLED" and amount is not None and filled < amount:
            status = "CANCELLED"  # ccxt reads Bybit's PartiallyFilledCanceled as closed (ccxt #18685)
        info = raw.get("info") or {}
        triggered_id = info.get("actualOrderId") or info.get("ordId") if is_trigger else None
        order_id, client_order_id = self.venue.order_ids(raw, is_trigger=is_trigger)
        average = decimal_or_none(raw.get("average"))
        if triggered_id:
            # A fired trigger order's own record (Binance TRIGGERED/FINISHED, OKX effective) reads
            # as closed in ccxt, even "filled" with its whole amount; the fill is the order it
            # became, which order_state follows. Alone, it only says: no longer waiting.
            status, filled, average = "PENDING", Decimal("0"), None
        return ExchangeOrder(
            id=str(order_id) if order_id is not None else None,
            client_order_id=client_order_id,
            status=status,
            amount=amount * size if amount is not None else None,
            filled=filled * size,
            average=average,
            price=decimal_or_none(raw.get("price")),
            is_trigger=is_trigger,
            triggered_order_id=str(triggered_id) if triggered_id else None,
            fee_base=_fees_in(raw, rules.base) if rules.market_type == "SPOT" and not triggered_id else None,
        )
