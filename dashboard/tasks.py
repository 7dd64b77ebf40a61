"""django-q2 task: keep the dashboard's rollup filled, so the page never has to."""

from datetime import timedelta

from django.utils import timezone

from dashboard.rollup import rollup_missing


def rollup_recent() -> str:
    rolled = rollup_missing(since=timezone.now() - timedelta(days=7))
    return f"rolled {rolled} hour(s)"
