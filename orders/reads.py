"""The reads on the path from a webhook to its orders and back, each one SELECT written once per
process (tradingsite/rows.py). A job's orders with their link and account, the position and the
leverage last set: the equivalent ORM query cost about 40% of a job's CPU, 2.9 ms against
0.35 ms here (README "Profile"). A webhook's jobs with their orders, for its answer.
"""

from accounts.models import AccountSymbolSetting, ExchangeAccount
from orders.models import AccountJob, Order, Position
from strategies.models import StrategyAccount
from tradingsite.rows import JoinedSelect, Part, fetch_after

# An order with what its job needs of it: link, account, position and leverage last set.
_ORDER_PARTS = (
    Part("o", Order),
    Part("l", StrategyAccount),
    Part("a", ExchangeAccount),
    Part("p", Position, ("quantity",)),
    Part("s", AccountSymbolSetting, ("leverage", "margin_mode")),
)
_SELECT = JoinedSelect(
    *_ORDER_PARTS,
    tables=(
        "{o} o LEFT JOIN {l} l ON l.id = o.link_id JOIN {a} a ON a.id = o.account_id "
        "LEFT JOIN {p} p ON p.link_id = o.link_id AND p.symbol = o.symbol "
        "LEFT JOIN {s} s ON s.account_id = o.account_id AND s.symbol = o.symbol"
    ),
    where="o.webhook_log_id = %s AND o.account_id = %s",
)


def job_orders(*, webhook_log_id: int, account_id: int) -> list[Order]:
    """The job's orders in sequence, each with `link` (None when deleted), `account`,
    `position_at_start`, `leverage_on_exchange` and `margin_on_exchange` set."""
    return _orders_of(_SELECT.fetch([webhook_log_id, account_id], suffix=" ORDER BY o.order_index"))


def _orders_of(rows: list[dict]) -> list[Order]:
    orders, account = [], None
    for row in rows:
        order = row["o"]
        if order is None:  # a claimed job without orders (claimed_job_orders)
            continue
        account = account or row["a"]  # one account per job: one instance for all its orders
        order.account = account
        if row["l"] is not None:  # a deleted link leaves its orders (SET_NULL)
            order.link = row["l"]
        order.position_at_start = row["p.quantity"]
        order.leverage_on_exchange = row["s.leverage"]
        order.margin_on_exchange = row["s.margin_mode"]
        orders.append(order)
    return orders


# The job as its claim (a data-modifying CTE named j) returned it, its account, and for an orders
# job the orders as _SELECT reads them: one row per order, or one with no order.
_CLAIMED = JoinedSelect(
    Part("j", AccountJob),
    *_ORDER_PARTS,
    tables=(
        "j LEFT JOIN {a} a ON a.id = j.account_id "
        "LEFT JOIN {o} o ON o.webhook_log_id = j.webhook_log_id AND o.account_id = j.account_id "
        f"AND j.kind = '{AccountJob.Kind.ORDERS.value}' "
        "LEFT JOIN {l} l ON l.id = o.link_id "
        "LEFT JOIN {p} p ON p.link_id = o.link_id AND p.symbol = o.symbol "
        "LEFT JOIN {s} s ON s.account_id = o.account_id AND s.symbol = o.symbol"
    ),
    where="TRUE",
)


def claimed_job_orders(*, claim: str, params: list) -> tuple[AccountJob, list[Order] | None] | None:
    """PostgreSQL: run `claim` (an UPDATE of one account job … RETURNING all its columns, with
    its `params`) and read, in the same statement, what job_orders() would read for the job it
    claimed. The job (with its `account`) and its orders (None unless an orders job), or None
    when the claim matched nothing."""
    rows = fetch_after(_CLAIMED, f"WITH j AS ({claim})", params, suffix=" ORDER BY o.order_index")
    if not rows:
        return None
    job = rows[0]["j"]
    if rows[0]["a"] is not None:
        job.account = rows[0]["a"]
    if job.kind != AccountJob.Kind.ORDERS:
        return job, None
    return job, _orders_of(rows)  # the orders share the job's `account` instance (rows[0]["a"])


_LOG_JOBS = JoinedSelect(
    Part("j", AccountJob),
    Part("a", ExchangeAccount),
    Part("o", Order),
    tables=(
        "{j} j JOIN {a} a ON a.id = j.account_id "
        "LEFT JOIN {o} o ON o.webhook_log_id = j.webhook_log_id AND o.account_id = j.account_id"
    ),
    where="j.webhook_log_id = %s",
)


def log_jobs(*, webhook_log_id: int) -> list[AccountJob]:
    """The webhook's account jobs by id, each with its `account` and `signal_orders` (its orders
    of this webhook by leg): the answer needs both, and one read is one round trip less."""
    jobs: dict[int, AccountJob] = {}
    for row in _LOG_JOBS.fetch([webhook_log_id], suffix=" ORDER BY j.id, o.order_index"):
        job = jobs.get(row["j"].pk)
        if job is None:
            job = jobs[row["j"].pk] = row["j"]
            job.account, job.signal_orders = row["a"], []
        if row["o"] is not None:
            job.signal_orders.append(row["o"])
    return list(jobs.values())


def jobs_orders(jobs: list[AccountJob]) -> list[Order]:
    """The orders that came with log_jobs, by account, then leg."""
    orders = {order.pk: order for job in jobs for order in job.signal_orders}  # one job per account
    return sorted(orders.values(), key=lambda order: (order.account_id, order.order_index))
