"""Helpers for tests that trade on the exchange simulator in-process: funded accounts, and orders
placed through the real execution path (sizing, ExchangeClient, ccxt)."""

import uuid
from decimal import Decimal

from accounts.crypto import decrypt
from accounts.exchange import client as exchange
from orders.execution import order_place
from orders.models import Order, OrderEvent
from strategies.models import StrategyAccount
from tests import factories
from tradingsite.demo import BALANCES

FUNDS = BALANCES


def sim_account(sim, owner, exchange_name: str, label: str = "Sim Account", environment="simulator"):
    """An ExchangeAccount of `owner` with a fresh, funded account on the simulator."""
    key, secret = "k" + uuid.uuid4().hex, "s" + uuid.uuid4().hex
    passphrase = "p" + uuid.uuid4().hex[:8] if exchange_name == "OKX" else ""
    sim.account(exchange_name.lower(), key, secret, FUNDS, passphrase=passphrase or None)
    return factories.account(
        owner,
        label=label,
        exchange=exchange_name,
        environment=environment,
        api_key=key,
        api_secret=secret,
        passphrase=passphrase,
    )


def api_key(account) -> str:
    return decrypt(account.api_key_encrypted)


def unified(base: str, market_type: str) -> str:
    return f"{base}/USDT:USDT" if market_type == "FUTURES" else f"{base}/USDT"


def place(
    strategy,
    account,
    order_type: str,
    *,
    side: str = "buy",
    base: str = "BTC",
    price=None,
    stop_price=None,
    qty_per="10",
    expect: str = "PENDING",
) -> Order:
    """Place one order of `strategy` on `account` (they must be linked) as a worker would."""
    link = StrategyAccount.objects.get(strategy=strategy, account=account)
    order = Order.objects.create(
        strategy=strategy,
        account=account,
        link=link,
        client_order_id="t" + uuid.uuid4().hex[:24],
        symbol=unified(base, strategy.market_type),
        market_type=strategy.market_type,
        side=side,
        order_type=order_type,
        price=Decimal(str(price)) if price is not None else None,
        stop_price=Decimal(str(stop_price)) if stop_price is not None else None,
        qty_per=Decimal(qty_per),
    )
    OrderEvent.objects.create(order=order, source=OrderEvent.Source.WEBHOOK, to_status=order.status)
    order = order_place(client=exchange.client_for(account), order=order)
    assert order.status == expect, (order.status, order.error)
    return order


def sim_status(sim, order: Order) -> str:
    """The simulator's status of our order (matched by client order id)."""
    mine = sim.orders(api_key=api_key(order.account))
    found = [o for o in mine if o["client_order_id"] == order.client_order_id]
    assert len(found) == 1, found
    return found[0]["status"]


def events(order: Order) -> list[tuple[str, str, str]]:
    return list(order.events.values_list("source", "from_status", "to_status"))
