"""django-q2 tasks: thin, they take ids and call services."""

from orders.jobs import job_run


def run_account_job(job_id: int) -> dict:
    return job_run(job_id=job_id)


def sync_open_orders() -> str:
    """Scheduled: follow resting orders and settle stuck ones."""
    from orders.sync import orders_sync

    return orders_sync().line()
