"""Plain data held by the engine: instruments, accounts, balances, orders and positions.

Quantities are in the exchange's own unit for the instrument (contracts for OKX swaps, base
currency elsewhere); `Instrument.contract_size` converts them to the base currency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal(0)

SPOT = "spot"
FUTURES = "futures"

# Order types as the project's signals name them (CONTRACT.md); adapters translate to and from
# the exchange's own names.
MARKET = "MARKET"
LIMIT = "LIMIT"
STOP_MARKET = "STOP_MARKET"
STOP_LIMIT = "STOP_LIMIT"
ORDER_TYPES = (MARKET, LIMIT, STOP_MARKET, STOP_LIMIT)

# Order statuses.
NEW = "new"
PARTIALLY_FILLED = "partially_filled"
FILLED = "filled"
CANCELLED = "cancelled"
REJECTED = "rejected"
EXPIRED = "expired"
OPEN_STATUSES = frozenset({NEW, PARTIALLY_FILLED})

# Position modes of a futures account.
ONE_WAY = "one_way"
HEDGE = "hedge"

# Trigger directions: RISE fires when the mark goes up to the trigger, FALL when it comes down.
RISE = "rise"
FALL = "fall"


def dec(value: object) -> Decimal:
    """Decimal from a string, int, float (through its repr) or Decimal."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value).strip())


def fmt(value: Decimal | None) -> str | None:
    """Plain decimal string without exponent or trailing zeros ("0.001", "60000")."""
    if value is None:
        return None
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text


@dataclass(slots=True)
class Instrument:
    exchange: str
    market: str  # SPOT or FUTURES
    symbol: str  # exchange-native id (BTCUSDT, BTC-USDT-SWAP, ...)
    base: str
    quote: str
    settle: str | None
    tick_size: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal | None
    min_notional: Decimal
    max_notional: Decimal | None
    min_price: Decimal | None
    max_price: Decimal | None
    contract_size: Decimal
    max_leverage: int
    default_leverage: int
    order_types: list[str]
    extra: dict

    @property
    def pair(self) -> str:
        """Exchange-neutral pair name, as the control API takes it (BTCUSDT)."""
        return self.base + self.quote


@dataclass(slots=True)
class Balance:
    free: Decimal = ZERO
    locked: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.free + self.locked


@dataclass(slots=True)
class Account:
    exchange: str
    api_key: str
    secret: str
    passphrase: str | None = None
    # wallet ("spot" / "futures") -> asset -> Balance
    wallets: dict[str, dict[str, Balance]] = field(default_factory=dict)
    # Futures margin mode per native symbol ("cross" / "isolated"); absent: the exchange default.
    margin_modes: dict[str, str] = field(default_factory=dict)
    # ONE_WAY or HEDGE (two-way): set through the control API; the engine trades one-way only,
    # so adapters refuse orders of a hedge-mode account the way the exchange refuses one-way ones.
    position_mode: str = "one_way"

    def balance(self, wallet: str, asset: str) -> Balance:
        assets = self.wallets.setdefault(wallet, {})
        found = assets.get(asset)
        if found is None:
            found = assets[asset] = Balance()
        return found


@dataclass(slots=True)
class Position:
    exchange: str
    api_key: str
    symbol: str
    qty: Decimal = ZERO  # signed: > 0 long, < 0 short (one-way mode)
    entry_price: Decimal = ZERO
    margin: Decimal = ZERO  # initial margin held for the position, in the settle asset
    realized_pnl: Decimal = ZERO  # before fees
    fees: Decimal = ZERO  # trading fees paid on this position since it opened, in the settle asset
    updated_at: float = 0.0


@dataclass(slots=True)
class Fill:
    """One trade of an order (the trades endpoints list these)."""

    id: str
    qty: Decimal
    price: Decimal
    fee: Decimal
    fee_asset: str
    maker: bool
    time: float
    realized_pnl: Decimal = ZERO


@dataclass(slots=True)
class OrderRequest:
    """What an adapter asks the engine to place, already translated to neutral terms."""

    market: str
    symbol: str
    side: str  # "buy" / "sell"
    type: str  # one of ORDER_TYPES
    quantity: Decimal | None = None
    price: Decimal | None = None
    trigger_price: Decimal | None = None
    # RISE / FALL; None lets the engine infer it from the mark at placement.
    trigger_direction: str | None = None
    # True: reject a trigger order whose trigger the mark has already crossed (Binance does).
    reject_immediate_trigger: bool = False
    reduce_only: bool = False
    client_order_id: str | None = None
    time_in_force: str = "GTC"
    # Spot MARKET orders sized in quote currency (Binance quoteOrderQty).
    quote_quantity: Decimal | None = None
    # Duplicate client order ids: "open" rejects only while an order with that id is open,
    # "all" rejects any earlier order of the account with that id.
    duplicate_scope: str = "open"
    # Client ids are unique within a namespace per account (e.g. Binance keeps algo orders apart).
    id_namespace: str = ""
    received_at: float = 0.0
    extra: dict = field(default_factory=dict)


@dataclass(slots=True)
class Order:
    id: str
    exchange: str
    market: str
    symbol: str
    pair: str
    api_key: str
    side: str
    type: str
    quantity: Decimal
    price: Decimal | None
    trigger_price: Decimal | None
    trigger_direction: str | None
    reduce_only: bool
    client_order_id: str | None
    time_in_force: str
    id_namespace: str
    received_at: float
    created_at: float
    updated_at: float
    status: str = NEW
    filled: Decimal = ZERO
    cost: Decimal = ZERO  # sum of fill qty * contract size * fill price, in the quote currency
    triggered_at: float | None = None
    # A second id given when a trigger order fires, for exchanges whose triggered order shows up
    # under a new id (Binance algo orders' actualOrderId, OKX algo child ordId).
    triggered_id: str | None = None
    locked: Decimal = ZERO  # funds still reserved for the unfilled part
    lock_asset: str | None = None
    reject_reason: str | None = None
    extra: dict = field(default_factory=dict)
    fee: Decimal = ZERO  # fees charged so far, in fee_asset (positive: paid)
    fee_asset: str | None = None
    fills: list[Fill] = field(default_factory=list)
    # Look-ups do not see the order before this time (the order-history lag fault).
    visible_at: float = 0.0

    @property
    def is_trigger(self) -> bool:
        return self.trigger_price is not None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def waiting_for_trigger(self) -> bool:
        return self.trigger_price is not None and self.triggered_at is None and self.is_open

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.filled

    @property
    def executes_as_market(self) -> bool:
        return self.type in (MARKET, STOP_MARKET)

    def average(self, contract_size: Decimal) -> Decimal | None:
        if self.filled == 0:
            return None
        return self.cost / (self.filled * contract_size)
