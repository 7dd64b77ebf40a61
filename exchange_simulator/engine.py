"""Exchange-agnostic in-memory exchange: accounts, balances, orders, positions, marks, matching.

All public methods are synchronous and take an internal lock, so a call is atomic whether it comes
from the event loop (the normal case: aiohttp handlers never await while holding state) or from
another thread. Adapters translate their exchange's requests into these calls and the engine's
`Reject` / `NotFound` into the exchange's real errors. See ENGINE_API.md.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from decimal import Decimal

from . import matching, validation
from .errors import NotFound, Reject
from .fees import FeeSchedule
from .instruments import load_default_prices, load_instruments
from .models import (
    CANCELLED,
    FUTURES,
    LIMIT,
    MARKET,
    STOP_LIMIT,
    STOP_MARKET,
    Account,
    Instrument,
    Order,
    OrderRequest,
    Position,
    dec,
)

# First order id per exchange: large, exchange-looking numbers.
_FIRST_IDS = {"binance": 8_100_000_000, "bybit": 1_900_000_000, "okx": 2_100_000_000_000}


class Engine:
    def __init__(
        self,
        instruments: list[Instrument] | None = None,
        default_prices: dict[str, Decimal] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._lock = threading.RLock()
        self.now = clock
        # The start-up markets; /_sim/reset returns to them after listings and precision changes.
        self._startup_instruments = load_instruments() if instruments is None else instruments
        self._default_prices = load_default_prices() if default_prices is None else default_prices
        self.fees = FeeSchedule()
        # (exchange, api_key) -> seconds a new order stays invisible to look-ups (faults.py).
        self.history_lag: Callable[[str, str], float] = lambda exchange, api_key: 0.0
        self.reset()

    # ---- state ------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget accounts, orders, positions and leverage; marks go back to the defaults."""
        with self._lock:
            self.accounts: dict[tuple[str, str], Account] = {}
            self.orders: list[Order] = []
            self._by_id: dict[tuple[str, str], Order] = {}
            self.client_index: dict[tuple, Order] = {}
            self._by_triggered_id: dict[tuple[str, str], Order] = {}
            self._open: dict[tuple[str, str, str], dict[str, Order]] = {}
            self._positions: dict[tuple[str, str, str], Position] = {}
            self._leverage: dict[tuple[str, str, str], int] = {}
            self._marks: dict[tuple[str, str], Decimal] = {}
            self._instrument_list = copy.deepcopy(self._startup_instruments)
            self._instruments = {(i.exchange, i.market, i.symbol): i for i in self._instrument_list}
            self._next_id = dict(_FIRST_IDS)
            self._next_trade_id = {name: first // 10 for name, first in _FIRST_IDS.items()}
            self.fees.reset()
            for inst in self._instrument_list:
                price = self._default_prices.get(inst.pair)
                if price is not None:
                    self._marks[(inst.exchange, inst.pair)] = price

    def new_order_id(self, exchange: str) -> str:
        with self._lock:
            value = self._next_id.get(exchange, 1_000_000)
            self._next_id[exchange] = value + 1
            return str(value)

    def new_trade_id(self, exchange: str) -> str:
        with self._lock:
            value = self._next_trade_id.get(exchange, 1_000_000)
            self._next_trade_id[exchange] = value + 1
            return str(value)

    # ---- instruments ------------------------------------------------------------------------

    def instruments(self, exchange: str, market: str | None = None) -> list[Instrument]:
        return [i for i in self._instrument_list if i.exchange == exchange and market in (None, i.market)]

    def add_instrument(self, inst: Instrument) -> None:
        """List a new symbol while running (control API); ValueError if it exists."""
        key = (inst.exchange, inst.market, inst.symbol)
        with self._lock:
            if key in self._instruments:
                raise ValueError(f"{inst.exchange} {inst.market} {inst.symbol} is already listed")
            self._instrument_list.append(inst)
            self._instruments[key] = inst

    def find_instrument(self, exchange: str, market: str, symbol: str) -> Instrument | None:
        return self._instruments.get((exchange, market, symbol))

    def instrument(self, exchange: str, market: str, symbol: str) -> Instrument:
        inst = self._instruments.get((exchange, market, symbol))
        if inst is None:
            raise Reject("unknown_symbol", f"{exchange} {market} {symbol}")
        return inst

    # ---- accounts and balances ----------------------------------------------------------------

    def upsert_account(
        self,
        exchange: str,
        api_key: str,
        secret: str,
        passphrase: str | None = None,
        balances: dict[str, dict[str, object]] | None = None,
    ) -> Account:
        """Create or replace an account; `balances` is {"spot": {"USDT": "1000"}, "futures": {...}}."""
        with self._lock:
            account = Account(exchange=exchange, api_key=api_key, secret=secret, passphrase=passphrase)
            for wallet, assets in (balances or {}).items():
                for asset, amount in assets.items():
                    account.balance(wallet, asset).free = dec(amount)
            self.accounts[(exchange, api_key)] = account
            return account

    def account(self, exchange: str, api_key: str) -> Account | None:
        return self.accounts.get((exchange, api_key))

    def account_of(self, order: Order) -> Account:
        return self.accounts[(order.exchange, order.api_key)]

    # ---- prices -------------------------------------------------------------------------------

    def mark(self, exchange: str, pair: str) -> Decimal | None:
        return self._marks.get((exchange, pair))

    def mark_of(self, inst: Instrument) -> Decimal | None:
        return self._marks.get((inst.exchange, inst.pair))

    def set_price(self, pair: str, price: object, exchange: str | None = None) -> list[Order]:
        """Set the mark of `pair` (BTCUSDT) on one exchange or all, then run matching."""
        price = dec(price)
        pair = pair.upper().replace("-", "").replace("/", "")
        touched: list[Order] = []
        with self._lock:
            for inst in self._instrument_list:
                if inst.pair != pair or exchange not in (None, inst.exchange):
                    continue
                self._marks[(inst.exchange, pair)] = price
                touched.extend(matching.run_matching(self, inst, price))
            if exchange is not None:
                self._marks[(exchange, pair)] = price
        return touched

    # ---- leverage and positions ---------------------------------------------------------------

    def get_leverage(self, account: Account, inst: Instrument) -> int:
        return self._leverage.get((account.exchange, account.api_key, inst.symbol), inst.default_leverage)

    def set_leverage(self, account: Account, inst: Instrument, leverage: int) -> int:
        if not 1 <= leverage <= inst.max_leverage:
            raise Reject("invalid_leverage", f"{leverage} not in 1..{inst.max_leverage}")
        with self._lock:
            self._leverage[(account.exchange, account.api_key, inst.symbol)] = leverage
        return leverage

    def position(self, account: Account, inst: Instrument) -> Position:
        key = (account.exchange, account.api_key, inst.symbol)
        found = self._positions.get(key)
        if found is None:
            found = self._positions[key] = Position(account.exchange, account.api_key, inst.symbol)
        return found

    def positions(self, exchange: str | None = None, api_key: str | None = None) -> list[Position]:
        return [
            p
            for p in self._positions.values()
            if p.qty != 0 and exchange in (None, p.exchange) and api_key in (None, p.api_key)
        ]

    def unrealized_pnl(self, position: Position) -> Decimal:
        inst = self._instruments[(position.exchange, FUTURES, position.symbol)]
        mark = self.mark_of(inst) or position.entry_price
        return position.qty * inst.contract_size * (mark - position.entry_price)

    # ---- orders -------------------------------------------------------------------------------

    def place_order(self, account: Account, req: OrderRequest) -> Order:
        """Validate, reserve funds, store and match an order; raises Reject."""
        with self._lock:
            inst = self.instrument(account.exchange, req.market, req.symbol)
            mark = self.mark_of(inst)
            qty = validation.validate(self, account, inst, req, mark)
            direction = validation.trigger_direction(req, mark)
            now = self.now()
            order = Order(
                id=self.new_order_id(account.exchange),
                exchange=account.exchange,
                market=inst.market,
                symbol=inst.symbol,
                pair=inst.pair,
                api_key=account.api_key,
                side=req.side,
                type=req.type,
                quantity=qty,
                price=req.price if req.type in (LIMIT, STOP_LIMIT) else None,
                trigger_price=req.trigger_price if req.type in (STOP_MARKET, STOP_LIMIT) else None,
                trigger_direction=direction,
                reduce_only=req.reduce_only,
                client_order_id=req.client_order_id,
                time_in_force=req.time_in_force,
                id_namespace=req.id_namespace,
                received_at=req.received_at or now,
                created_at=now,
                updated_at=now,
                extra=dict(req.extra),
                visible_at=now + self.history_lag(account.exchange, account.api_key),
            )
            validation.reserve(self, account, inst, order, mark)
            self.orders.append(order)
            self._by_id[(order.exchange, order.id)] = order
            if order.client_order_id:
                self.client_index[
                    self.client_key(account, inst.market, order.id_namespace, order.client_order_id)
                ] = order
            self._open.setdefault((inst.exchange, inst.market, inst.symbol), {})[order.id] = order
            if not order.is_trigger and mark is not None:
                if order.type == MARKET:
                    matching.execute_fill(self, inst, order, order.remaining, mark)
                elif matching.limit_marketable(order.side, order.price, mark):
                    matching.execute_fill(self, inst, order, order.remaining, mark)
            return order

    def cancel_order(
        self,
        account: Account,
        market: str,
        *,
        order_id: str | None = None,
        client_order_id: str | None = None,
        namespace: str = "",
        symbol: str | None = None,
    ) -> Order:
        """Cancel one open order; NotFound if unknown, Reject("order_not_open") if already final."""
        with self._lock:
            order = self.find_order(
                account,
                market,
                order_id=order_id,
                client_order_id=client_order_id,
                namespace=namespace,
                symbol=symbol,
            )
            if order is None:
                raise NotFound("order")
            if not order.is_open:
                raise Reject("order_not_open", order.status)
            matching.close_order(self, account, order, CANCELLED)
            return order

    def cancel_all(
        self, account: Account, market: str, symbol: str | None = None, triggers: bool | None = None
    ) -> list[Order]:
        """Cancel the open orders of an account in a market; `triggers` True/False/None filters."""
        with self._lock:
            orders = self.open_orders(account, market, symbol=symbol, triggers=triggers)
            for order in orders:
                matching.close_order(self, account, order, CANCELLED)
            return orders

    def find_order(
        self,
        account: Account,
        market: str,
        *,
        order_id: str | None = None,
        client_order_id: str | None = None,
        namespace: str = "",
        symbol: str | None = None,
        include_hidden: bool = False,
    ) -> Order | None:
        """An order of this account by id (also its triggered id) or by client order id."""
        order = None
        if order_id is not None:
            order = self._by_id.get((account.exchange, str(order_id)))
            if order is None:
                order = self._by_triggered_id.get((account.exchange, str(order_id)))
        elif client_order_id is not None:
            order = self.client_index.get(self.client_key(account, market, namespace, client_order_id))
        if order is None or order.api_key != account.api_key or order.market != market:
            return None
        if symbol is not None and order.symbol != symbol:
            return None
        if not include_hidden and not self.visible(order):
            return None
        return order

    def visible(self, order: Order) -> bool:
        """False while the order-history lag fault hides a new order from look-ups."""
        return order.visible_at <= order.created_at or self.now() >= order.visible_at

    def open_orders(
        self, account: Account, market: str, symbol: str | None = None, triggers: bool | None = None
    ) -> list[Order]:
        """Open orders, oldest first. triggers=True: only untriggered trigger orders; False: the rest."""
        result = []
        for (exchange, mkt, sym), bucket in self._open.items():
            if exchange != account.exchange or mkt != market or symbol not in (None, sym):
                continue
            for order in bucket.values():
                if order.api_key != account.api_key:
                    continue
                if triggers is not None and order.waiting_for_trigger != triggers:
                    continue
                if not self.visible(order):
                    continue
                result.append(order)
        result.sort(key=lambda o: o.created_at)
        return result

    def open_orders_of(self, inst: Instrument) -> list[Order]:
        return list(self._open.get((inst.exchange, inst.market, inst.symbol), {}).values())

    def forget_open(self, order: Order) -> None:
        self._open.get((order.exchange, order.market, order.symbol), {}).pop(order.id, None)

    def list_orders(
        self,
        exchange: str | None = None,
        api_key: str | None = None,
        symbol: str | None = None,
        market: str | None = None,
        include_hidden: bool = False,
    ) -> list[Order]:
        """Every order received, oldest first; `symbol` matches the native id or the pair.
        Orders still hidden by the order-history lag fault are left out unless asked for."""
        return [
            o
            for o in self.orders
            if exchange in (None, o.exchange)
            and api_key in (None, o.api_key)
            and market in (None, o.market)
            and symbol in (None, o.symbol, o.pair)
            and (include_hidden or self.visible(o))
        ]

    def fill(self, order: Order, quantity: object, price: object | None = None) -> Order:
        """Fill part (or all) of an open order now, at `price` or its limit price or the mark."""
        with self._lock:
            if not order.is_open:
                raise Reject("order_not_open", order.status)
            inst = self._instruments[(order.exchange, order.market, order.symbol)]
            fill_price = dec(price) if price is not None else (order.price or self.mark_of(inst))
            # A resting limit filled by someone else's order is a maker fill.
            maker = order.type == LIMIT and not order.waiting_for_trigger
            if order.waiting_for_trigger:
                self.mark_triggered(order)
            matching.execute_fill(self, inst, order, dec(quantity), fill_price, maker=maker)
            return order

    def mark_triggered(self, order: Order) -> None:
        """Record that a trigger order fired and give it its second id."""
        order.triggered_at = order.updated_at = self.now()
        order.triggered_id = self.new_order_id(order.exchange)
        self._by_triggered_id[(order.exchange, order.triggered_id)] = order

    def order_by_id(self, exchange: str, order_id: str) -> Order | None:
        return self._by_id.get((exchange, str(order_id)))

    # ---- helpers ------------------------------------------------------------------------------

    @staticmethod
    def client_key(account: Account, market: str, namespace: str, client_order_id: str) -> tuple:
        return (account.exchange, account.api_key, market, namespace, client_order_id)
