import pytest

from tests.guide import guide_example

pytestmark = pytest.mark.integration


def test_a_guide_limit_order_reaches_the_simulator_through_web_and_qcluster(stack, make_trader, sim):
    trader = make_trader("BINANCE", "FUTURES")
    response = stack.post(guide_example("curl_single_limit", trader.token))
    assert response.status_code == 200, (response.text, stack.logs())
    entry = response.json()["result"]["results"][0]
    assert entry["success"] is True, entry
    orders = [o for o in sim.orders(exchange="binance") if o["client_order_id"] == entry["client_order_id"]]
    assert len(orders) == 1
    assert orders[0]["type"] == "LIMIT" and orders[0]["price"] == "80000"


def test_a_task_enqueued_from_manage_py_shell_runs_in_the_cluster(stack, transactional_db):
    import subprocess
    import sys
    import time

    from django_q.tasks import result

    from tests.integration.stack import ROOT

    code = "from django_q.tasks import async_task; print(async_task('math.copysign', 2, -3, save=True))"
    shell = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shell.returncode == 0, shell.stderr
    task_id = shell.stdout.strip().splitlines()[-1]
    deadline = time.monotonic() + 15
    while result(task_id) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert result(task_id) == -2.0


def test_runserver_refuses_a_chunked_body_with_411_and_closes_the_connection(stack, make_trader):
    """`make run`'s runserver hands the view none of a chunked body and leaves its chunks on the
    connection: the answer says what to send instead, and the connection is closed, so that a
    client's next request on it is not read after those chunks."""
    import http.client
    import json

    trader = make_trader("BINANCE", "FUTURES")
    body = json.dumps(guide_example("curl_single_limit", trader.token)).encode()
    host, port = stack.web_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        headers = {"Content-Type": "application/json"}  # an iterable body goes out chunked
        connection.request("POST", "/api/webhook", body=iter([body[:30], body[30:]]), headers=headers)
        response = connection.getresponse()
        answer = json.loads(response.read())
    finally:
        connection.close()
    assert response.status == 411, answer
    assert answer["code"] == "length_required" and answer["success"] is False
    assert response.getheader("Connection") == "close"
    assert stack.post(guide_example("curl_single_limit", trader.token)).status_code == 200  # sent whole
