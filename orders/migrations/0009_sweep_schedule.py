"""A second, job-only sweep half a minute after the order sync: a job whose worker died resumes
within about 30 s of its lease lapsing (django-q2 runs schedules at most once a minute each, and
looks at them every 30 s)."""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone

NAME = "sweep jobs"


def create(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    sync = Schedule.objects.filter(name="sync open orders").first()
    base = sync.next_run if sync and sync.next_run else timezone.now()
    Schedule.objects.update_or_create(
        name=NAME,
        defaults={
            "func": "orders.tasks.sweep_jobs",
            "schedule_type": "I",
            "minutes": 1,
            "repeats": -1,
            "next_run": base + timedelta(seconds=30),
        },
    )


def remove(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("orders", "0008_job_lease")]

    operations = [migrations.RunPython(create, remove)]
