"""django-q2 task: keep the dashboard's rollup filled, so the page never has to."""

from datetime import timedelta

from django.utils import timezone


def rollup_recent() -> str:
    from dashboard.rollup import rollup_missing

    rolled = rollup_missing(since=timezone.now() - timedelta(days=7))
    return f"rolled {rolled} hour(s)"
