"""django-q2 tasks: thin, they take ids and call services."""

from orders.jobs import job_run, jobs_sweep
from orders.liveness import liveness_probe as probe
from orders.sync import orders_sync


def run_account_job(job_id: int) -> dict:
    return job_run(job_id=job_id)


def sync_open_orders() -> str:
    """Scheduled: re-enqueue lost jobs, close dead ones, follow resting orders, settle stuck ones."""
    swept = jobs_sweep()
    return f"jobs {swept}; {orders_sync().line()}"


def sweep_jobs() -> str:
    """Scheduled every half minute: resume jobs whose worker died, re-enqueue lost ones."""
    return f"jobs {jobs_sweep()}"


def liveness_probe() -> dict:
    return probe()
