"""django-q2 replaces a worker after RECYCLE tasks (default 500) or once it has grown past
MAX_RSS. A replaced worker imports ccxt and opens its connections again before its next job, so
under load the count would make every worker pay that every few seconds: ours recycle on memory."""

from django_q.conf import Conf


def test_workers_are_recycled_on_memory_not_after_a_few_hundred_tasks():
    assert Conf.RECYCLE >= 100_000
    assert Conf.MAX_RSS is not None and 256 * 1024 <= Conf.MAX_RSS <= 2 * 1024 * 1024  # KiB
