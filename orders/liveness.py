"""Is the cluster still taking work? A probe task through the real broker, whose answer is
awaited, and the age of the oldest queued job.

A worker killed while it waits for a task can take the task queue's lock with it (a
multiprocessing queue's reader lock is never released by a dead holder): the cluster then looks
alive and takes nothing. The service cannot fix django-q2 from inside; it can notice, and a
supervisor (`make run`, systemd, see README "Production") restarts the cluster.
"""

import logging
import os
import time
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django_q.models import Task
from django_q.tasks import async_task, result

from orders.models import AccountJob

logger = logging.getLogger(__name__)


@dataclass
class Health:
    probe_seconds: float | None  # None: the probe did not come back in time
    worker_pid: int | None
    oldest_queued_seconds: float
    max_queued_seconds: float

    @property
    def healthy(self) -> bool:
        return self.probe_seconds is not None and self.oldest_queued_seconds <= self.max_queued_seconds

    def line(self) -> str:
        probe = (
            f"probe answered in {self.probe_seconds:.2f} s by worker {self.worker_pid}"
            if self.probe_seconds is not None
            else "probe NOT answered"
        )
        state = "healthy" if self.healthy else "NOT taking work"
        return (
            f"cluster {state}: {probe}; oldest queued job {self.oldest_queued_seconds:.0f} s "
            f"(limit {self.max_queued_seconds:.0f} s)"
        )


def liveness_probe() -> dict:
    """The probe task's body: which worker answered, and when."""
    return {"pid": os.getpid(), "at": time.time()}


def cluster_health(
    *, timeout: float | None = None, max_queued: float | None = None, probes: int = 1
) -> Health:
    """Send a probe through the broker and wait for its answer; look at the oldest queued job.
    A job queued too long while the probe comes back was lost by the broker: it is enqueued
    again (the job sweep) and judged once more after `timeout`, so that only work that still does
    not flow fails the check. Several clusters share one queue: send `probes` (a few per cluster)
    so that one stalled cluster, which swallows some of them, fails the check. Never raises for a
    cluster that does not answer: the Health says so."""
    timeout = settings.LIVENESS_PROBE_TIMEOUT if timeout is None else timeout
    max_queued = settings.LIVENESS_MAX_QUEUED_SECONDS if max_queued is None else max_queued
    started = time.monotonic()
    # save=True: successful results are otherwise not kept (Q_SAVE_LIMIT=-1), and this one is awaited.
    task_ids = [
        async_task("orders.tasks.liveness_probe", save=True, group="liveness", timeout=30)
        for _ in range(max(probes, 1))
    ]
    answers = []
    for task_id in task_ids:
        remaining = max(timeout - (time.monotonic() - started), 0)
        answers.append(result(task_id, wait=int(remaining * 1000)))
    answered = all(isinstance(answer, dict) for answer in answers)
    probe_seconds = time.monotonic() - started if answered else None
    answer = answers[0] if answered else None
    Task.objects.filter(id__in=task_ids).delete()  # the answers were the point; keep the table clean
    oldest = _oldest_queued_seconds()
    if probe_seconds is not None and oldest > max_queued:
        from orders.jobs import jobs_sweep

        logger.warning("a job has been queued %.0f s while the cluster answers: enqueuing again", oldest)
        jobs_sweep()
        deadline = time.monotonic() + timeout
        while oldest > max_queued and time.monotonic() < deadline:
            time.sleep(0.2)
            oldest = _oldest_queued_seconds()
    health = Health(
        probe_seconds=probe_seconds,
        worker_pid=answer["pid"] if probe_seconds is not None else None,
        oldest_queued_seconds=oldest,
        max_queued_seconds=max_queued,
    )
    (logger.info if health.healthy else logger.error)("%s", health.line())
    return health


def _oldest_queued_seconds() -> float:
    oldest = (
        AccountJob.objects.filter(state=AccountJob.State.QUEUED)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return (timezone.now() - oldest).total_seconds() if oldest else 0.0
