"""django-q2 tasks: thin, they take ids and call services."""

from orders.jobs import job_run


def run_account_job(job_id: int) -> dict:
    return job_run(job_id=job_id)
