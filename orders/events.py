"""What orders tells the layers above without knowing them: they connect to these signals."""

from django.dispatch import Signal

# Sent when an account job has ended (done, failed, or closed by the sweeper) with
# `job_id`, `webhook_log_id` (None for jobs not started by a webhook) and the job's `created_at`.
job_finished = Signal()
