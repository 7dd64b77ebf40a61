"""The event loops under the exchange clients (`client.py`), which use ccxt's asyncio flavour one
request at a time: a call runs its coroutine to the end on its thread's loop before it returns.

One loop per thread and process. A forked process (a qcluster worker) never drives its parent's
loop or sockets: it starts a loop of its own, and the parent's loops and clients are kept alive,
untouched (closing them would close connections the parent may still use; dropping them would
let ccxt and aiohttp warn about sessions nobody closed). The clients opened in a process are
closed when it exits normally, so that it leaves no such warning either.
"""

import asyncio
import atexit
import inspect
import logging
import os
import threading

logger = logging.getLogger(__name__)

_local = threading.local()
_lock = threading.Lock()
_opened: list[tuple[int, asyncio.AbstractEventLoop, object]] = []  # (pid, loop, client) to close
_inherited: list = []  # a forked process's copies of its parent's loops and clients, kept alive


def thread_loop() -> asyncio.AbstractEventLoop:
    """This thread's loop in this process, made on first use."""
    pid = os.getpid()
    if getattr(_local, "pid", None) != pid:
        if getattr(_local, "loop", None) is not None:
            _inherited.append(_local.loop)
        _local.loop, _local.pid = asyncio.new_event_loop(), pid
    return _local.loop


def run(result):
    """`result` itself, or, when it is a coroutine (a network method of ccxt's asyncio flavour),
    what it returns once run to its end on this thread's loop."""
    if inspect.isawaitable(result):
        return thread_loop().run_until_complete(result)
    return result


def opened(client) -> None:
    """Remember a client made on this thread's loop, to close it at exit."""
    with _lock:
        _opened.append((os.getpid(), thread_loop(), client))


def close(clients) -> None:
    """Close clients made on this thread's loop (their aiohttp sessions and connections)."""
    loop = thread_loop()
    closing = {id(client) for client in clients}
    with _lock:
        _opened[:] = [entry for entry in _opened if id(entry[2]) not in closing]
    for client in clients:
        loop.run_until_complete(client.close())


def keep(objects) -> None:
    """Keep a forked process's copies of its parent's clients alive (see the module's doc)."""
    _inherited.append(list(objects))


@atexit.register
def _close_at_exit() -> None:
    with _lock:
        mine = [(loop, client) for pid, loop, client in _opened if pid == os.getpid()]
        _opened.clear()
    for loop, client in mine:
        if loop.is_closed() or loop.is_running():
            continue
        try:
            loop.run_until_complete(client.close())
        except Exception:  # exiting: a client that cannot close cleanly is not worth a traceback
            logger.debug("exchange client not closed at exit", exc_info=True)
