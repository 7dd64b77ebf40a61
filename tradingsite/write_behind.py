"""One write that waits for the next statement and goes out as part of it.

A job's last order write (the exchange's answer to its create, and the audit event) is followed
by nothing but the job's closing UPDATE. Inside `write_behind()` such a write, marked `hold` by
its caller, is kept in memory and sent with the next statement in one round trip
(tradingsite/rows.py joins the two in one data-modifying WITH). Any other statement on the
connection sends the held write first, on its own, so nothing reads around it; leaving the block
sends what is still held. The caller holds only a write that no exchange request follows (the
order's state must be on record before the next request), so a worker that dies while a write
is held loses no more than one that dies just before the write: the job's next attempt looks
the order up by client order id (orders/sending.py).
"""

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection

from tradingsite.statements import statement_cursor

logger = logging.getLogger(__name__)

_state = threading.local()


@dataclass
class Held:
    """`ctes`: `name AS (…)` clauses, with `result` the name of the one whose single row is the
    write's outcome; `done(row)` takes that row (None: nothing was written)."""

    ctes: str
    params: list
    result: str
    done: Callable[[tuple | None], None]


@contextlib.contextmanager
def write_behind():
    """Within: a write marked `hold` may wait for the next statement (see the module)."""
    _state.active = True
    try:
        yield
    finally:
        _state.active = False
        try:
            held_send()
        except Exception:  # e.g. the database went away: the job's next attempt looks the order up
            logger.exception("a held order write could not be sent")


def holding_allowed() -> bool:
    return getattr(_state, "active", False)


def hold(held: Held) -> None:
    """Keep `held` until the next statement (sending what was held before first)."""
    held_send()
    _state.held = held
    connection.execute_wrappers.append(_send_first)


def held_take() -> Held | None:
    """The held write, for the caller that sends it as part of its own statement."""
    held = getattr(_state, "held", None)
    if held is not None:
        _state.held = None
        connection.execute_wrappers.remove(_send_first)
    return held


def held_send() -> None:
    """Send the held write on its own, if there is one."""
    held = held_take()
    if held is None:
        return
    with statement_cursor(held.params) as cursor:
        cursor.execute(f"WITH {held.ctes} SELECT * FROM {held.result}", held.params)  # noqa: S608 (our SQL)
        held.done(cursor.fetchone())


def _send_first(execute, sql, params, many, context):
    """Django's execute wrapper while a write is held: that write goes before any other."""
    held_send()
    return execute(sql, params, many, context)
