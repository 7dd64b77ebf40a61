"""What crosses the exchange boundary, without ccxt: our exceptions and plain data.

Every ccxt exception is translated (in `accounts/exchange/client.py`) into one of these. `retry_safe`
says whether sending the same request again cannot do harm *by itself*; for order creation even
then we look the order up by client order id first, because a timeout may mean it was placed.
"""

import enum
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.db import models


class OrderType(models.TextChoices):
    """Our four order types: the vocabulary of the boundary and of `orders.models.Order`."""

    MARKET = "MARKET", "Market"
    LIMIT = "LIMIT", "Limit"
    STOP_LIMIT = "STOP_LIMIT", "Stop limit"
    STOP_MARKET = "STOP_MARKET", "Stop market"

    TRIGGERS = enum.nonmember(frozenset({"STOP_LIMIT", "STOP_MARKET"}))  # wait for stop_price
    PRICED = enum.nonmember(frozenset({"LIMIT", "STOP_LIMIT"}))  # carry a limit price


class ExchangeError(Exception):
    retry_safe = False


class ExchangeUnavailable(ExchangeError):
    """Network error, timeout, 5xx, maintenance: the outcome of the request is unknown."""

    retry_safe = True


class RateLimited(ExchangeUnavailable):
    """The exchange refused for rate or IP limits; nothing was done. Wait `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float | None = None, banned: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.banned = banned


class AuthenticationFailed(ExchangeError):
    """Key, secret, passphrase or permissions are wrong."""


class OrderRejected(ExchangeError):
    """The exchange refused the order (invalid, below minimum, unknown symbol...); nothing was placed."""


class InsufficientFunds(OrderRejected):
    pass


class MarketRulesStale(OrderRejected):
    """Refused for an unknown symbol or a price/quantity precision: nothing was placed, and our
    copy of the exchange's markets may be out of date (a new listing, a changed tick or step)."""


class DuplicateOrder(ExchangeError):
    """The exchange refused our client order id because it already has an order with it (Binance
    -4116, Bybit 110072, OKX 51016): after a lost answer this means the order exists."""


class OrderNotFound(ExchangeError):
    pass


class SizingError(Exception):
    """The order cannot be sized (below the market's minimum, no position to close...): not sent."""


@dataclass(frozen=True)
class MarketRules:
    """A market's trading rules, in base-currency units even where the exchange counts contracts."""

    symbol: str
    market_type: str  # SPOT | FUTURES
    amount_step: Decimal
    price_tick: Decimal | None
    min_amount: Decimal | None
    min_cost: Decimal | None
    contract_size: Decimal = Decimal("1")
    base: str = ""  # the base coin (BTC of BTC/USDT)
    taker_fee: Decimal = Decimal("0")  # the taker rate ccxt knows for the market (0.0005 = 0.05 %)
    max_market_amount: Decimal | None = None  # the largest MARKET quantity (Binance MARKET_LOT_SIZE)


@dataclass
class ExchangeOrder:
    """An order as the exchange reports it, in base units and our status names."""

    id: str | None
    client_order_id: str | None
    status: str  # PENDING | PARTIALLY_FILLED | FILLED | CANCELLED | REJECTED | EXPIRED
    amount: Decimal | None = None
    filled: Decimal = Decimal("0")
    average: Decimal | None = None
    price: Decimal | None = None
    is_trigger: bool = False
    triggered_order_id: str | None = None
    # Fees charged in the base coin (a spot buy's fee on Binance, Bybit and OKX comes out of the
    # coin received), in base units; None when the exchange did not say.
    fee_base: Decimal | None = None


@dataclass(frozen=True)
class OrderRequest:
    symbol: str
    market_type: str
    order_type: str  # MARKET | LIMIT | STOP_LIMIT | STOP_MARKET
    side: str  # buy | sell
    amount: Decimal  # base units
    client_order_id: str
    price: Decimal | None = None
    stop_price: Decimal | None = None
    reduce_only: bool = False
    reference_price: Decimal | None = None  # last price, for trigger directions

    @property
    def is_trigger(self) -> bool:
        return self.order_type in OrderType.TRIGGERS


@dataclass
class ConnectionCheck:
    """What the admin's "Test connection" found on one account. None: the exchange does not say
    (or the call failed; `errors` says which). Balances are strings of Decimals (JSON-safe)."""

    balances: dict = field(default_factory=dict)  # {"SPOT": "1000", "FUTURES": "1000"} in USDT
    can_trade: bool | None = None
    withdrawals_enabled: bool | None = None
    ip_restricted: bool | None = None
    ip_whitelist: list = field(default_factory=list)
    clock_offset_ms: float | None = None  # the exchange's clock minus ours
    errors: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Usable for trading: balances read, trading allowed, withdrawals not enabled."""
        return not self.errors and self.can_trade is not False and self.withdrawals_enabled is not True

    def as_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}
