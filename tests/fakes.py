"""A fake exchange at our own boundary (`accounts.exchange.client.client_for`), for unit tests.
Integration tests use the real ccxt against the simulator instead."""

import itertools
from dataclasses import dataclass, field, replace
from decimal import Decimal

from accounts.exchange.types import (
    ConnectionCheck,
    ExchangeOrder,
    MarketRules,
    OrderNotFound,
    OrderRejected,
    OrderRequest,
)

RULES = {
    "BTC/USDT:USDT": MarketRules(
        "BTC/USDT:USDT", "FUTURES", Decimal("0.001"), Decimal("0.1"), Decimal("0.001"), Decimal("100")
    ),
    "ETH/USDT:USDT": MarketRules(
        "ETH/USDT:USDT", "FUTURES", Decimal("0.001"), Decimal("0.01"), Decimal("0.001"), Decimal("20")
    ),
    "BTC/USDT": MarketRules(
        "BTC/USDT", "SPOT", Decimal("0.00001"), Decimal("0.01"), Decimal("0.00001"), Decimal("5")
    ),
}


@dataclass
class FakeOrder:
    account_id: int
    request: OrderRequest
    id: str
    status: str = "PENDING"
    filled: Decimal = Decimal("0")
    average: Decimal | None = None

    def state(self) -> ExchangeOrder:
        return ExchangeOrder(
            id=self.id,
            client_order_id=self.request.client_order_id,
            status=self.status,
            amount=self.request.amount,
            filled=self.filled,
            average=self.average,
            price=self.request.price,
            is_trigger=self.request.is_trigger,
        )


@dataclass
class FakeExchange:
    prices: dict = field(
        default_factory=lambda: {
            "BTC/USDT:USDT": Decimal("110000"),
            "BTC/USDT": Decimal("110000"),
            "ETH/USDT:USDT": Decimal("4000"),
        }
    )
    orders: list = field(default_factory=list)
    leverage_calls: list = field(default_factory=list)
    failures: dict = field(default_factory=dict)  # (account_id or None, method) -> [exceptions]
    lose_next_response: int = 0
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1000))

    checks: dict = field(default_factory=dict)  # account id -> ConnectionCheck

    def client(self, account):
        return FakeClient(self, account.pk)

    def account_check(self, account) -> ConnectionCheck:
        """`accounts.connection.account_check`: what `checks` says, else a healthy key."""
        return self.checks.get(account.pk) or ConnectionCheck(
            balances={"SPOT": "10000", "FUTURES": "10000"},
            can_trade=True,
            withdrawals_enabled=False,
            ip_restricted=False,
            clock_offset_ms=1.5,
        )

    def fail(self, method: str, *errors, account_id=None):
        self.failures.setdefault((account_id, method), []).extend(errors)

    def _maybe_fail(self, account_id, method):
        for key in ((account_id, method), (None, method)):
            queue = self.failures.get(key)
            if queue:
                raise queue.pop(0)

    def placed(self, account_id=None):
        return [o for o in self.orders if account_id is None or o.account_id == account_id]


class FakeClient:
    def __init__(self, fake: FakeExchange, account_id: int):
        self.fake, self.account_id = fake, account_id

    def market_rules(self, symbol):
        if symbol not in RULES:
            raise OrderRejected(f"unknown symbol {symbol}")
        return RULES[symbol]

    def needs_reference_price(self, *, order_type, market_type):
        return False  # the fake places triggers without a direction

    def last_price(self, symbol, market_type):
        self.fake._maybe_fail(self.account_id, "last_price")
        return self.fake.prices[symbol]

    def balance(self, market_type, currency, *, part="total"):
        return Decimal("10000")

    def reload_markets(self):
        pass

    def hedge_mode(self, symbol):
        return False

    def apply_margin_mode(self, symbol, margin_mode):
        self.fake._maybe_fail(self.account_id, "apply_margin_mode")

    def max_position_notional(self, symbol, leverage):
        return None

    def net_position(self, symbol):
        """The account's net filled position on the symbol, every strategy's."""
        net = Decimal("0")
        for order in self.fake.placed(self.account_id):
            if order.request.symbol == symbol:
                net += order.filled if order.request.side == "buy" else -order.filled
        return net

    def set_leverage(self, symbol, leverage, margin_mode=None):
        self.fake._maybe_fail(self.account_id, "set_leverage")
        self.fake.leverage_calls.append((self.account_id, symbol, leverage))

    def create_order(self, request: OrderRequest):
        if any(o.request.client_order_id == request.client_order_id for o in self.fake.orders):
            raise OrderRejected("InvalidOrder: duplicate client order id")
        self.fake._maybe_fail(self.account_id, "create_order_before")
        order = FakeOrder(self.account_id, request, str(next(self.fake._ids)))
        mark = self.fake.prices.get(request.symbol)
        marketable = request.order_type == "LIMIT" and (
            (request.side == "buy" and request.price >= mark)
            or (request.side == "sell" and request.price <= mark)
        )
        if request.order_type == "MARKET" or marketable:
            order.status, order.filled, order.average = "FILLED", request.amount, request.price or mark
        self.fake.orders.append(order)
        self.fake._maybe_fail(self.account_id, "create_order")  # after placing: a lost response
        return replace(order.state(), status="PENDING", filled=Decimal("0"), average=None)  # ids only

    def _find(self, **match):
        for order in self.fake.orders:
            if order.account_id != self.account_id:
                continue
            if all(
                getattr(order, k, None) == v or getattr(order.request, k, None) == v for k, v in match.items()
            ):
                return order
        return None

    def find_order(self, *, symbol, market_type, client_order_id, is_trigger):
        self.fake._maybe_fail(self.account_id, "find_order")
        order = self._find(client_order_id=client_order_id)
        return order.state() if order else None

    def order_state(self, *, symbol, market_type, order_id, client_order_id, is_trigger):
        return self.find_order(
            symbol=symbol, market_type=market_type, client_order_id=client_order_id, is_trigger=is_trigger
        )

    def fetch_order(self, *, symbol, market_type, order_id, is_trigger):
        order = self._find(id=order_id)
        if order is None:
            raise OrderNotFound(order_id)
        return order.state()

    def open_orders(self, *, symbol, market_type):
        return [
            o.state()
            for o in self.fake.orders
            if o.account_id == self.account_id and o.status in ("PENDING", "PARTIALLY_FILLED")
        ]

    def cancel_order(self, *, symbol, market_type, order_id, is_trigger):
        self.fake._maybe_fail(self.account_id, "cancel_order")
        order = self._find(id=order_id)
        if order is None or order.status not in ("PENDING", "PARTIALLY_FILLED"):
            raise OrderNotFound(order_id)
        order.status = "CANCELLED"
