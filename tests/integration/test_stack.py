"""The stack harness itself: two stacks on one database would share its schedules."""

import pytest

from tests.integration.stack import Stack


def _stack(tmp_path, db_url="postgres://postgres@127.0.0.1:5432/one") -> Stack:
    return Stack(db_url=db_url, simulator_url="http://127.0.0.1:9", log_dir=tmp_path)


@pytest.fixture
def running(tmp_path, monkeypatch):
    """A stack that counts as running, without its processes."""
    monkeypatch.setattr(Stack, "live", [])
    first = _stack(tmp_path)
    Stack.live.append(first)
    return first


def test_a_second_stack_on_the_same_database_is_refused_before_it_starts_anything(running, tmp_path):
    second = _stack(tmp_path)
    with pytest.raises(RuntimeError, match="already running on this database"):
        second.start(timeout=1)
    assert second.processes == {}
    assert Stack.live == [running]


def test_a_stopped_stack_no_longer_counts_as_running(running, tmp_path):
    running.stop()
    assert Stack.live == []


def test_a_stack_on_another_database_is_not_refused(running, tmp_path, monkeypatch):
    other = _stack(tmp_path, db_url="postgres://postgres@127.0.0.1:5432/two")
    monkeypatch.setattr(Stack, "_start_processes", lambda self, timeout: None)
    assert other.start(timeout=1) is other
    assert Stack.live == [running, other]


def test_a_stack_that_does_not_come_up_is_stopped_and_forgotten(tmp_path, monkeypatch):
    monkeypatch.setattr(Stack, "live", [])

    def fail(self, timeout):
        raise RuntimeError("the stack did not come up")

    monkeypatch.setattr(Stack, "_start_processes", fail)
    with pytest.raises(RuntimeError, match="did not come up"):
        _stack(tmp_path).start(timeout=1)
    assert Stack.live == []
