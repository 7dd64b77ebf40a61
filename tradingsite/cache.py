"""Django's Redis cache backend with one redis.Redis client per connection pool.

Django's RedisCacheClient builds a new redis.Redis object for every cache operation, and
redis-py's constructor (its response-callback table) costs more CPU than the GET itself: the
webhook's two throttles made four per request, ~10% of the web's CPU under load (README
"Profile"). redis.Redis is thread-safe over its pool and the pool handles forks.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class PooledRedisCacheClient(RedisCacheClient):
    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_clients_by_pool", {})
        client = clients.get(id(pool))
        if client is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client


class PooledRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = PooledRedisCacheClient
