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
