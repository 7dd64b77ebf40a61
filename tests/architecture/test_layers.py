"""The import contracts in pyproject.toml (`lint-imports`) hold on the tree, and they bite: a
copy of the tree with one back-arrow added breaks the contract that forbids it."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["accounts", "strategies", "webhooks", "orders", "dashboard", "tradingsite", "exchange_simulator"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path, *contract: str) -> subprocess.CompletedProcess:
    only = [arg for name in contract for arg in ("--contract", name)]
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", *only], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_the_tree_keeps_every_import_contract():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture
def tree_copy(tmp_path):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize(
    ("module", "source", "contract"),
    [
        ("accounts/back_arrow.py", "from webhooks.models import WebhookLog\n", "layers"),
        ("strategies/back_arrow.py", "import orders.models\n", "layers"),
        ("orders/back_arrow.py", "from webhooks import reports\n", "layers"),
        ("accounts/exchange/back_arrow.py", "import strategies.models\n", "boundary-below-the-domain"),
        ("orders/back_arrow.py", "import ccxt\n", "one-ccxt-import"),
        ("exchange_simulator/back_arrow.py", "import orders.models\n", "simulator-stands-alone"),
        ("orders/back_arrow.py", "import exchange_simulator.engine\n", "project-never-imports-the-simulator"),
    ],
)
def test_a_back_arrow_breaks_the_contract_that_forbids_it(tree_copy, module, source, contract):
    assert _lint(tree_copy, contract).returncode == 0  # the copy keeps it before the back-arrow
    (tree_copy / module).write_text(source)
    result = _lint(tree_copy, contract)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BROKEN" in result.stdout and "back_arrow" in result.stdout
