"""Loading one account job's orders: the worker's first read on the way to the exchange.

One SELECT, its SQL and column converters built once per process from the models: compiling
the equivalent ORM query (orders with their link and account, the position and the leverage
last set) cost about 40% of a job's CPU (README "Profile"). The rows become model instances
through `Model.from_db`, exactly as the ORM would build them.
"""

from django.db import connection

from accounts.models import AccountSymbolSetting, ExchangeAccount
from orders.models import Order, Position
from strategies.models import StrategyAccount

# (table alias, model, fields) in the SELECT's column order; the last two are single columns
# that ride on the order as attributes.
_PARTS = (
    ("o", Order, None),
    ("l", StrategyAccount, None),
    ("a", ExchangeAccount, None),
    ("p", Position, ["quantity"]),
    ("s", AccountSymbolSetting, ["leverage", "margin_mode"]),
)
_ATTRIBUTES = {
    ("p", "quantity"): "position_at_start",
    ("s", "leverage"): "leverage_on_exchange",
    ("s", "margin_mode"): "margin_on_exchange",
}
_plans: dict[str, tuple] = {}


def _plan() -> tuple[str, list]:
    """The SELECT and, per part, its fields with the converters the ORM would apply."""
    if connection.vendor in _plans:
        return _plans[connection.vendor]
    quote = connection.ops.quote_name
    columns, parts = [], []
    for alias, model, names in _PARTS:
        fields = (
            [model._meta.get_field(name) for name in names] if names else list(model._meta.concrete_fields)
        )
        converted = []
        for field in fields:
            column = field.get_col(alias)
            converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            converted.append((field, column, converters))
            columns.append(f"{alias}.{quote(field.column)}")
        parts.append((alias, model, converted))
    table = {alias: quote(model._meta.db_table) for alias, model, _ in _PARTS}
    sql = (
        f"SELECT {', '.join(columns)} FROM {table['o']} o "  # noqa: S608 (names from the models)
        f"LEFT JOIN {table['l']} l ON l.id = o.link_id "
        f"JOIN {table['a']} a ON a.id = o.account_id "
        f"LEFT JOIN {table['p']} p ON p.link_id = o.link_id AND p.symbol = o.symbol "
        f"LEFT JOIN {table['s']} s ON s.account_id = o.account_id AND s.symbol = o.symbol "
        "WHERE o.webhook_log_id = %s AND o.account_id = %s ORDER BY o.order_index"
    )
    _plans[connection.vendor] = (sql, parts)
    return _plans[connection.vendor]


def job_orders(*, webhook_log_id: int, account_id: int) -> list[Order]:
    """The job's orders in sequence, each with `link`, `account`, `position_at_start`,
    `leverage_on_exchange` and `margin_on_exchange` set."""
    sql, parts = _plan()
    with connection.cursor() as cursor:
        cursor.execute(sql, [webhook_log_id, account_id])
        rows = cursor.fetchall()
    orders, account = [], None
    for row in rows:
        values, built = iter(row), {}
        for alias, model, fields in parts:
            converted = [_convert(next(values), column, converters) for _, column, converters in fields]
            if model in (Order, StrategyAccount, ExchangeAccount):
                if converted[0] is not None:  # a deleted link leaves its orders (SET_NULL)
                    names = [f.attname for f, _, _ in fields]
                    built[alias] = model.from_db(connection.alias, names, converted)
            else:
                for (field, _, _), value in zip(fields, converted, strict=True):
                    built[_ATTRIBUTES[(alias, field.name)]] = value
        order = built["o"]
        account = account or built["a"]  # one account per job: one instance for its orders
        order.account = account
        if "l" in built:
            order.link = built["l"]
        for name in _ATTRIBUTES.values():
            setattr(order, name, built[name])
        orders.append(order)
    return orders


def _convert(value, column, converters):
    if value is None:
        return None
    for converter in converters:
        value = converter(value, column, connection)
    return value
