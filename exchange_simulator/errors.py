"""Engine exceptions. Reasons are exchange-neutral; each adapter maps them to its real codes."""

from __future__ import annotations

# Every reason the engine raises in Reject, so adapters can map them exhaustively.
REJECT_REASONS = (
    "unknown_symbol",  # no such instrument on this exchange and market
    "invalid_order_type",  # type not one of MARKET/LIMIT/STOP_MARKET/STOP_LIMIT or not listed for the market
    "invalid_quantity",  # missing, <= 0, or not a multiple of the step size
    "invalid_price",  # missing for a limit type, <= 0, not a tick multiple, or outside min/max price
    "invalid_trigger_price",  # missing, <= 0 or not a tick multiple
    "below_min_qty",
    "above_max_qty",
    "below_min_notional",
    "above_max_notional",
    "insufficient_balance",  # spot: free quote (buys) or base (sells) too small
    "insufficient_margin",  # futures: free margin too small for notional / leverage
    "reduce_only_rejected",  # no position, or the order would increase it; or reduce_only on spot
    "duplicate_client_order_id",
    "would_trigger_immediately",  # trigger already crossed and the request asked to reject that
    "invalid_leverage",
    "order_not_open",  # cancel/fill of an order that is filled, cancelled, rejected or expired
)


class SimError(Exception):
    """Base class of the engine's exceptions."""


class Reject(SimError):
    """The request is refused; `reason` is one of REJECT_REASONS, `detail` is free text."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class NotFound(SimError):
    """No such order (or account) for this caller."""

    def __init__(self, what: str = "order") -> None:
        super().__init__(f"{what} not found")
        self.what = what
