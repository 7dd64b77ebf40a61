"""A body sent with `Transfer-Encoding: chunked` carries no Content-Length, and Django reads none
of it: the signal was answered as if it were empty (400, "not JSON"). Bots that stream their
request bodies send it so. A server that de-chunks the body (gunicorn, production) is read;
one that hands over the raw chunks (runserver, `make run`) gets a 411 that says what to do."""

import contextlib
import http.client
import io
import json
import os
import socket
import subprocess
import sys
import time

import pytest
from django.db import connection
from django.test import override_settings

from exchange_simulator.testing import free_port
from orders.models import Order
from tests.guide import guide_example
from tests.integration.stack import ROOT, database_url
from webhooks.models import WebhookLog


def _send_chunked(client, body: bytes, *, dechunked_by_server: bool):
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/webhook",
        "CONTENT_TYPE": "application/json",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": io.BytesIO(body),  # gunicorn's reader: read(n) gives at most n bytes
    }
    if dechunked_by_server:
        environ["wsgi.input_terminated"] = True  # what gunicorn sets for a de-chunked body
    return client.request(**environ)


def test_a_chunked_signal_is_read_and_placed_when_the_server_dechunks_it(
    trader, fake_exchange, sync_tasks, client
):
    body = json.dumps(guide_example("single_market_buy", trader.token)).encode()
    response = _send_chunked(client, body, dechunked_by_server=True)
    assert response.status_code == 200, response.content
    assert response.json()["success"] is True
    assert Order.objects.get().account_id == trader.account.pk


@override_settings(WEBHOOK_MAX_BODY_BYTES=1000)
def test_a_chunked_body_over_the_limit_is_refused_with_413_and_read_no_further(trader, client):
    payload = {**guide_example("single_market_buy", trader.token), "comment": "x" * 5000}
    response = _send_chunked(client, json.dumps(payload).encode(), dechunked_by_server=True)
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"
    assert Order.objects.count() == 0
    assert WebhookLog.objects.get().http_status == 413


def test_a_chunked_body_the_server_cannot_dechunk_is_refused_with_411(trader, client):
    body = json.dumps(guide_example("single_market_buy", trader.token)).encode()
    response = _send_chunked(client, body, dechunked_by_server=False)
    assert response.status_code == 411
    assert not response.has_header("Content-Length")  # so that runserver closes the connection
    assert json.loads(b"".join(response.streaming_content)) == {
        "success": False,
        "error": "Content-Length 헤더가 필요합니다: 이 서버는 chunked 본문을 읽지 않습니다",
        "code": "length_required",
    }
    assert Order.objects.count() == 0
    assert WebhookLog.objects.get().http_status == 411


def _answers(port: int) -> bool:
    probe = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        probe.request("GET", "/admin/login/")
        return probe.getresponse().status == 200
    except OSError:
        return False
    finally:
        probe.close()


class _CutOff(io.RawIOBase):
    def read(self, size=-1):
        raise OSError("the sender went away mid-chunk")  # what gunicorn's chunk reader raises


def test_a_chunked_body_that_cannot_be_read_is_a_400_not_a_500(trader, client):
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/webhook",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": _CutOff(),
        "wsgi.input_terminated": True,
    }
    response = client.request(**environ)
    assert response.status_code == 400
    assert response.json()["code"] == "body_unreadable"
    assert WebhookLog.objects.get().http_status == 400


@pytest.fixture
def gunicorn_url(transactional_db, tmp_path):
    """The production web server, as a process on the test database (no cluster: the answers
    below come before any job would run)."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tradingsite.settings_test",
        "DATABASE_URL": database_url(connection.settings_dict),
        "LOG_DIR": str(tmp_path),
    }
    command = [sys.executable, "-m", "gunicorn", "tradingsite.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1"]
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if _answers(port):
                break
            assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def test_gunicorn_hands_a_chunked_body_over_and_the_webhook_reads_it(trader, gunicorn_url):
    """Over a real socket, in chunks: the token is read from the body, so a wrong one is a 401
    (an unread body would be a 400 for a missing field)."""
    payload = {**guide_example("single_market_buy", trader.token), "token": "wrong-token"}
    body = json.dumps(payload).encode()
    with contextlib.closing(http.client.HTTPConnection("127.0.0.1", gunicorn_url, timeout=10)) as conn:
        chunks = iter([body[:40], body[40:]])
        conn.request("POST", "/api/webhook", body=chunks, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        answer = json.loads(response.read())
    assert response.status == 401, answer
    assert answer["error"] == "웹훅 토큰이 유효하지 않습니다"
    assert WebhookLog.objects.get().http_status == 401


@pytest.mark.parametrize(
    "chunks",
    [b"ZZ\r\n{}\r\n0\r\n\r\n", b'40\r\n{"group_name": "my_strategy"'],  # a bad size; cut off
    ids=["malformed", "cut-off"],
)
def test_gunicorn_a_malformed_or_cut_off_chunked_body_is_a_400_not_a_500(chunks, trader, gunicorn_url):
    """No 500 from any body (README "Security"): gunicorn raises inside the read."""
    head = (
        b"POST /api/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", gunicorn_url), timeout=10) as sock:
        sock.sendall(head + chunks)
        sock.shutdown(socket.SHUT_WR)  # the sender stops: a cut-off body ends here
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b'"code":"body_unreadable"' in answer
    assert WebhookLog.objects.get().http_status == 400
