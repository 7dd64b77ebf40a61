"""django-q2's Redis broker, taking what is waiting in one round trip.

django-q2's pusher asks the broker for tasks one at a time (BLPOP), so a 100-account fan-out
reached the workers after 100 Redis round trips in one process, the last ~50 ms after the
first on this machine. This broker takes everything waiting (LPOP with a count, Redis ≥ 6.2)
and blocks only when nothing is: a lone task is still handed over the moment it arrives.

It takes at most as many as its cluster has workers, so that clusters sharing the queue (two
machines) still share a fan-out between them.
"""

from django_q.brokers.redis_broker import Redis
from django_q.conf import Conf


class BatchingRedis(Redis):
    def dequeue(self):
        waiting = self.connection.lpop(self.list_key, max(Conf.WORKERS or 1, 1))
        if waiting:
            return [(None, task) for task in waiting]
        task = self.connection.blpop(self.list_key, 1)
        if task:
            return [(None, task[1])]
        return None
