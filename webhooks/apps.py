from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"

    def ready(self):
        # orders cannot call up into webhooks (layers): it announces a finished job, we listen.
        from orders.events import job_finished
        from webhooks.finalize import on_job_finished

        job_finished.connect(on_job_finished, dispatch_uid="webhooks.finalize")
