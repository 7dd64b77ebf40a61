"""How a webhook request waits for its jobs with Redis notices (orders.services._wait_for_notices):
it reads the database when every job has sent its notice, and after each silence of
CHECK_SECONDS, so a lost notice delays an answer by at most that long and a request whose jobs
wait behind others does not read the database while they do."""

from types import SimpleNamespace

from orders import notices, services


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _wait(monkeypatch, *, deadline_in: float, finished_after: float | None, notices_at=()):
    """Run the wait against a fake clock: notices arrive at `notices_at` (seconds), the job is
    finished in the database from `finished_after` on. Returns (silences waited, reads)."""
    clock, silences, reads = Clock(), [], []
    start = clock.now
    pending = sorted(notices_at)

    def notice_wait(*, log_id, timeout):
        silences.append(round(timeout, 3))
        if pending and pending[0] <= clock.now - start + timeout:
            clock.now = start + pending.pop(0)
            return True
        clock.now += timeout
        return False

    def jobs_load(job_ids, log_id):
        reads.append(round(clock.now - start, 3))
        done = finished_after is not None and clock.now - start >= finished_after
        return [SimpleNamespace(finished=done)]

    monkeypatch.setattr(services.time, "monotonic", clock)
    monkeypatch.setattr(notices, "notice_wait", notice_wait)
    monkeypatch.setattr(notices, "notices_forget", lambda **kw: None)
    monkeypatch.setattr(services, "_jobs_load", jobs_load)
    services._wait_for_notices([1], 7, start + deadline_in)
    return silences, reads


def test_a_notice_is_answered_at_once_with_one_read(monkeypatch):
    silences, reads = _wait(monkeypatch, deadline_in=2.5, finished_after=0.0, notices_at=[0.01])
    assert reads == [0.01] and silences == [notices.CHECK_SECONDS]


def test_a_job_waiting_behind_a_backlog_costs_no_read_before_its_notice(monkeypatch):
    silences, reads = _wait(monkeypatch, deadline_in=2.5, finished_after=0.85, notices_at=[0.9])
    assert reads == [0.9]  # one read, when its notice came: none while it waited


def test_a_long_silence_is_checked_once_a_second_up_to_the_deadline(monkeypatch):
    silences, reads = _wait(monkeypatch, deadline_in=3.5, finished_after=None)
    assert silences[:3] == [1.0, 1.0, 1.0]
    assert reads == [1.0, 2.0, 3.0, 3.5]  # and once more at the deadline


def test_a_lost_notice_costs_at_most_the_cap(monkeypatch):
    silences, reads = _wait(monkeypatch, deadline_in=10.0, finished_after=3.0)  # never notified
    assert reads[-1] - 3.0 <= notices.CHECK_SECONDS
