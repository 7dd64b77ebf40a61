"""The exchange client's transport: ccxt's asyncio flavour, each request run to its end on one
event loop per thread and process; sessions closed when the clients are dropped; and what the
network does (no answer, nobody listening) still reaching us as ExchangeUnavailable."""

import asyncio
import gc
import logging
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from accounts.exchange import client as exchange
from accounts.exchange import loops, ratelimit, ratelimit_rules
from accounts.exchange.types import ExchangeUnavailable, RateLimited
from accounts.models import ExchangeAccount


@pytest.fixture
def silent_server():
    """A TCP server that accepts every connection and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    accepted, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:  # the accept timed out: look at `stop` again
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


@pytest.fixture
def client_at(settings, owner, make):
    """A Bybit client whose exchange is at `url` (the simulator's setting points it there)."""

    def build(url: str, timeout_ms: int = 10_000):
        settings.EXCHANGE_SIMULATOR_URL = url
        settings.EXCHANGE_TIMEOUT_MS = timeout_ms
        exchange.forget_clients()
        return exchange.client_for(make.account(owner, exchange="BYBIT", environment="simulator"))

    yield build
    exchange.forget_clients()


@pytest.fixture
def banning_server():
    """An HTTP server that answers every request as an exchange banning the IP would: the
    status and headers given to `start`, the body as the exchange writes it."""
    servers = []

    def start(status: int, headers: dict, body: bytes) -> str:
        class Ban(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # quiet
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Ban)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]  # free once the with block closes it


def test_a_coroutine_runs_to_its_end_on_the_threads_loop_and_a_plain_value_passes_through():
    async def answer():
        return asyncio.get_running_loop()

    assert loops.run(answer()) is loops.thread_loop()
    assert loops.run({"id": "1"}) == {"id": "1"}
    assert not loops.thread_loop().is_running()  # nothing left running between requests


def test_each_thread_has_its_own_loop_and_clients(client_at, silent_server):
    client = client_at(silent_server)
    account = ExchangeAccount.objects.get(pk=client.account_id)
    seen = {}

    def other_thread():
        seen["loop"] = loops.thread_loop()
        seen["client"] = exchange._shared_ccxt(account)

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert seen["loop"] is not loops.thread_loop()
    assert seen["client"] is not client._ccxt and seen["client"].asyncio_loop is seen["loop"]
    assert client._ccxt.asyncio_loop is loops.thread_loop()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="qcluster workers are forked on Linux")
def test_a_forked_worker_starts_with_a_new_loop_and_no_inherited_clients(client_at, silent_server):
    client = client_at(silent_server)
    parent_loop = loops.thread_loop()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without running the parent's cleanup
        try:
            pools = exchange._pools()
            fresh = loops.thread_loop() is not parent_loop and not pools.ccxt_pool and not pools.clients
            os.write(write, b"1" if fresh else b"0")
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 1)
    os.close(read)
    os.waitpid(pid, 0)
    assert answer == b"1"
    assert loops.thread_loop() is parent_loop and client._ccxt in exchange._pools().ccxt_pool.values()


def test_forgetting_the_clients_closes_their_sessions_without_ccxts_warning(client_at, silent_server, caplog):
    client = client_at(silent_server, timeout_ms=200)
    with pytest.raises(ExchangeUnavailable):
        client.server_time_ms()  # opens the pooled client's aiohttp session
    pooled = client._ccxt
    assert pooled.session is not None
    with caplog.at_level(logging.WARNING):
        exchange.forget_clients()
        assert pooled.session is None and pooled.tcp_connector is None
        del client, pooled
        gc.collect()  # ccxt's clients sit in reference cycles: its __del__ warns only now
    assert not [r for r in caplog.records if "release all resources" in r.getMessage()]


def test_an_exchange_that_never_answers_is_unavailable_after_the_timeout(client_at, silent_server):
    client = client_at(silent_server, timeout_ms=300)
    started = time.monotonic()
    with pytest.raises(ExchangeUnavailable, match="RequestTimeout"):
        client.server_time_ms()
    assert 0.25 < time.monotonic() - started < 5


def test_an_exchange_nobody_listens_for_is_unavailable(client_at):
    client = client_at(f"http://127.0.0.1:{_closed_port()}")
    with pytest.raises(ExchangeUnavailable):
        client.server_time_ms()


def test_a_process_that_exits_closes_the_clients_it_opened(client_at, silent_server, monkeypatch):
    client = client_at(silent_server, timeout_ms=200)
    with pytest.raises(ExchangeUnavailable):
        client.server_time_ms()
    assert client._ccxt.session is not None
    # Only this test's client: the clients of the rest of the session stay open.
    monkeypatch.setattr(loops, "_opened", [entry for entry in loops._opened if entry[2] is client._ccxt])
    loops._close_at_exit()  # what atexit runs
    assert client._ccxt.session is None and client._ccxt.tcp_connector is None


def test_a_client_opens_its_session_before_its_first_request_is_granted(client_at, silent_server):
    """The TLS context and session cost tens of ms of CPU: spent between a rate-limit grant and
    the send, they let the exchange see requests closer together than they were granted."""
    client = client_at(silent_server)
    assert client._ccxt.session is not None and client._ccxt.ssl_context is not None


@pytest.mark.parametrize(
    "exchange_name, status, headers, body, seconds",
    [
        # Binance: 418 with Retry-After once an IP kept going past its 429s (-1003).
        (
            "BINANCE",
            418,
            {"Retry-After": "120", "Content-Type": "application/json"},
            b'{"code":-1003,"msg":"Way too much request weight used; IP banned."}',
            120,
        ),
        # Bybit: a plain-text 403 past 600 requests / 5 s, and ten minutes without the IP.
        ("BYBIT", 403, {"Content-Type": "text/plain"}, b"403 Forbidden: access too frequent", 600),
    ],
)
def test_an_ip_ban_answered_over_the_wire_blocks_the_ip_for_every_process(
    exchange_name, status, headers, body, seconds, banning_server, settings, owner, make
):
    """The ban is told by its HTTP status and Retry-After, which the client reads from what
    ccxt's asyncio flavour recorded of the real answer, not from ccxt's message."""
    settings.EXCHANGE_SIMULATOR_URL = banning_server(status, headers, body)
    key = ratelimit_rules.ip_limit_key(exchange_name, "SPOT")
    exchange.forget_clients()
    client = exchange.client_for(make.account(owner, exchange=exchange_name, environment="simulator"))
    try:
        with pytest.raises(RateLimited) as refused:
            client.server_time_ms()
        assert refused.value.banned and client._ccxt.last_http_status == status
        assert seconds - 10 < ratelimit.blocked_for(key=key) <= seconds + 1
    finally:
        ratelimit.reset(prefix=key)
        exchange.forget_clients()


@pytest.mark.parametrize("name", ["ccxt", "ccxt.base.exchange", "aiohttp.client", "urllib3.connectionpool"])
def test_the_exchange_traffic_is_never_logged_at_debug_whatever_the_log_level(name):
    """ccxt logs signed requests (API key and signature) at DEBUG; its transports stay quiet too."""
    from django.conf import settings
    from django.utils.log import configure_logging

    configure_logging(
        settings.LOGGING_CONFIG, {**settings.LOGGING, "root": {**settings.LOGGING["root"], "level": "DEBUG"}}
    )
    try:
        assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING
    finally:
        configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
