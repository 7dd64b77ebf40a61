"""Fixtures for the simulator tests: one simulator process per test session (per xdist worker).

These tests need no database; every test resets the simulator and uses its own API keys.
"""

from __future__ import annotations

import pytest

from exchange_simulator.testing import start_simulator
from tests.simulator.clients import SimControl


@pytest.fixture(scope="session")
def sim_url():
    with start_simulator() as base_url:
        yield base_url


@pytest.fixture
def sim(sim_url) -> SimControl:
    """The control API of a freshly reset simulator."""
    control = SimControl(sim_url)
    control.reset()
    return control


@pytest.fixture
def no_fees(sim) -> SimControl:
    """A simulator charging no fees: for tests of balance arithmetic that is not about fees
    (fees are on by default and tested in test_fees.py)."""
    sim.fees(preset="zero")
    return sim
