"""Loading one account job's orders: the worker's first read on the way to the exchange.

One SELECT, its SQL built once per process from the models: compiling the equivalent ORM query
(orders with their link and account, the position and the leverage last set) cost about 40% of
a job's CPU (README "Profile"). The link and the account come from a per-process cache keyed
by the `updated_at` the SELECT returns, so the next job sees an edit made in the admin.
"""

from django.db import connection

from accounts.models import AccountSymbolSetting, ExchangeAccount
from orders.models import Order, Position
from strategies.models import StrategyAccount

_sql: dict[str, str] = {}
_links: dict[int, StrategyAccount] = {}
_accounts: dict[int, ExchangeAccount] = {}

# Extra columns: (alias, model, field); each arrives converted as that field would be.
EXTRA = (
    ("position_at_start", Position, "quantity"),
    ("leverage_on_exchange", AccountSymbolSetting, "leverage"),
    ("margin_on_exchange", AccountSymbolSetting, "margin_mode"),
    ("link_updated_at", StrategyAccount, "updated_at"),
    ("account_updated_at", ExchangeAccount, "updated_at"),
)


def _query() -> str:
    if connection.vendor not in _sql:
        quote = connection.ops.quote_name
        order_columns = ", ".join(f"o.{quote(f.column)}" for f in Order._meta.concrete_fields)
        _sql[connection.vendor] = (
            f"SELECT {order_columns}, p.{quote('quantity')} AS position_at_start, "  # noqa: S608
            f"s.{quote('leverage')} AS leverage_on_exchange, s.{quote('margin_mode')} AS margin_on_exchange, "
            f"l.{quote('updated_at')} AS link_updated_at, a.{quote('updated_at')} AS account_updated_at "
            f"FROM {quote(Order._meta.db_table)} o "
            f"LEFT JOIN {quote(StrategyAccount._meta.db_table)} l ON l.id = o.link_id "
            f"JOIN {quote(ExchangeAccount._meta.db_table)} a ON a.id = o.account_id "
            f"LEFT JOIN {quote(Position._meta.db_table)} p ON p.link_id = o.link_id AND p.symbol = o.symbol "
            f"LEFT JOIN {quote(AccountSymbolSetting._meta.db_table)} s "
            "ON s.account_id = o.account_id AND s.symbol = o.symbol "
            "WHERE o.webhook_log_id = %s AND o.account_id = %s ORDER BY o.order_index"
        )
    return _sql[connection.vendor]


def job_orders(*, webhook_log_id: int, account_id: int) -> list[Order]:
    """The job's orders in sequence, each with `link`, `account`, `position_at_start`,
    `leverage_on_exchange` and `margin_on_exchange` set."""
    orders = list(Order.objects.raw(_query(), [webhook_log_id, account_id]))
    for order in orders:
        for alias, model, name in EXTRA:
            setattr(order, alias, _converted(model, name, getattr(order, alias)))
        if order.link_id is not None:  # a deleted link leaves its orders (SET_NULL)
            order.link = _cached(_links, StrategyAccount, order.link_id, order.link_updated_at)
        order.account = _cached(_accounts, ExchangeAccount, order.account_id, order.account_updated_at)
    return orders


def _converted(model, name: str, value):
    """What the ORM would have made of the raw column (a Decimal, an aware datetime)."""
    if value is None:
        return None
    column = model._meta.get_field(name).get_col(model._meta.db_table)
    for converter in connection.ops.get_db_converters(column) + column.get_db_converters(connection):
        value = converter(value, column, connection)
    return value


def _cached(cache: dict, model, pk: int, updated_at):
    found = cache.get(pk)
    if found is None or found.updated_at != updated_at:
        found = cache[pk] = model.objects.get(pk=pk)
    return found
