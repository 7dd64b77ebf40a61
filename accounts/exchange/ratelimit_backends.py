"""Storage for `accounts.exchange.ratelimit`: Redis sorted sets with a Lua script, or the ORM models.

Both take an attempt as (key, window, capacity, cost) entries, the window already including the
margin, and either record every hit or none. They read one clock for every process: Redis's TIME,
PostgreSQL's clock_timestamp(); SQLite, being on one machine, uses the local clock.
"""

import hashlib
import random
import time
from collections.abc import Sequence
from typing import NamedTuple, Protocol

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import F, Q, Sum, Window

MAX_WINDOW = 2 * 86_400.0  # the database prunes hits older than this, whatever their key
Entry = tuple[str, float, int, int]  # key, window (seconds, margin included), capacity, cost


class Attempt(NamedTuple):
    granted: bool
    wait: float  # seconds until there may be room, when not granted
    key: str  # the limit or block that decided the wait ("" when granted)
    at: float = 0.0  # when granted: the shared clock's time recorded for the hits (epoch seconds)


class Backend(Protocol):
    def attempt(self, entries: Sequence[Entry]) -> Attempt: ...
    def block(self, key: str, seconds: float) -> float: ...
    def blocked_for(self, key: str) -> float: ...
    def reset(self, prefix: str) -> None: ...


# --- Redis ------------------------------------------------------------------------------------
# Per key: z:<key> sorted set of hits (score = µs since epoch, member = "<cost>:<token>"),
# u:<key> the sum of the costs in z, b:<key> the end of a block (µs). Times are integer µs
# formatted with %.0f: Lua's default number format (%.14g) would round them.
_ATTEMPT_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = #KEYS / 3
local wait, culprit = 0, 0
local used = {}
for i = 1, n do
  local until_ = tonumber(redis.call('GET', KEYS[3 * i]) or '0')
  if until_ - now > wait then wait, culprit = until_ - now, i end
end
for i = 1, n do
  local z, u = KEYS[3 * i - 2], KEYS[3 * i - 1]
  local win, cap, cost = tonumber(ARGV[3 * i - 1]), tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1])
  local total = 0
  if redis.call('EXISTS', z) == 1 then
    local edge = string.format('%.0f', now - win)
    local stored = redis.call('GET', u)
    if stored then
      total = tonumber(stored)
      local freed = 0
      for _, m in ipairs(redis.call('ZRANGEBYSCORE', z, '-inf', edge)) do
        freed = freed + tonumber(string.match(m, '^%d+'))
      end
      if freed > 0 then total = redis.call('DECRBY', u, freed) end
      redis.call('ZREMRANGEBYSCORE', z, '-inf', edge)
    else
      redis.call('ZREMRANGEBYSCORE', z, '-inf', edge)
      for _, m in ipairs(redis.call('ZRANGE', z, 0, -1)) do
        total = total + tonumber(string.match(m, '^%d+'))
      end
      local pttl = redis.call('PTTL', z)
      if pttl > 0 then redis.call('SET', u, total, 'PX', pttl) else redis.call('SET', u, total) end
    end
  end
  used[i] = total
  local excess = total + cost - cap
  if excess > 0 then
    -- room comes when enough of the oldest hits have left the window
    local need, start = win, 0
    while excess > 0 do
      local page = redis.call('ZRANGE', z, start, start + 99, 'WITHSCORES')
      if #page == 0 then break end
      for j = 1, #page, 2 do
        excess = excess - tonumber(string.match(page[j], '^%d+'))
        if excess <= 0 then need = tonumber(page[j + 1]) + win - now; break end
      end
      start = start + 100
    end
    if need > wait then wait, culprit = need, i end
  end
end
if culprit > 0 then return {0, string.format('%.0f', wait), culprit, '0'} end
for i = 1, n do
  local cost = tonumber(ARGV[3 * i + 1])
  if cost > 0 then
    local z, u = KEYS[3 * i - 2], KEYS[3 * i - 1]
    local ttl = math.ceil(tonumber(ARGV[3 * i - 1]) / 1000) + 1000
    redis.call('ZADD', z, string.format('%.0f', now), cost .. ':' .. ARGV[1])
    redis.call('SET', u, used[i] + cost, 'PX', ttl)
    redis.call('PEXPIRE', z, ttl)
  end
end
return {1, '0', 0, string.format('%.0f', now)}
"""

_BLOCK_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local want = now + tonumber(ARGV[1])
local until_ = tonumber(redis.call('GET', KEYS[1]) or '0')
if want > until_ then
  until_ = want
  redis.call('SET', KEYS[1], string.format('%.0f', want), 'PX', math.ceil(tonumber(ARGV[1]) / 1000) + 1)
end
return string.format('%.0f', until_ - now)
"""

_BLOCKED_FOR_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local until_ = tonumber(redis.call('GET', KEYS[1]) or '0')
return string.format('%.0f', math.max(0, until_ - now))
"""


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


class RedisBackend:
    """Sliding-window logs in Redis; one EVALSHA per attempt, keys expire one second after their window."""

    def __init__(self, *, url: str, namespace: str = "rl:") -> None:
        import redis  # only deployments with REDIS_URL need the package loaded

        self.client = redis.Redis.from_url(url)
        self.namespace = namespace
        self._attempt = self.client.register_script(_ATTEMPT_LUA)
        self._block = self.client.register_script(_BLOCK_LUA)
        self._blocked_for = self.client.register_script(_BLOCKED_FOR_LUA)

    def attempt(self, entries: Sequence[Entry]) -> Attempt:
        keys: list[str] = []
        args: list[object] = [random.getrandbits(64)]  # makes each hit's member unique
        for key, window, capacity, cost in entries:
            keys += [f"{self.namespace}z:{key}", f"{self.namespace}u:{key}", f"{self.namespace}b:{key}"]
            args += [round(window * 1e6), capacity, cost]
        granted, wait_us, culprit, at_us = self._attempt(keys=keys, args=args)
        if granted:
            return Attempt(True, 0.0, "", int(at_us) / 1e6)
        return Attempt(False, int(wait_us) / 1e6, entries[int(culprit) - 1][0])

    def block(self, key: str, seconds: float) -> float:
        return int(self._block(keys=[f"{self.namespace}b:{key}"], args=[round(seconds * 1e6)])) / 1e6

    def blocked_for(self, key: str) -> float:
        return int(self._blocked_for(keys=[f"{self.namespace}b:{key}"])) / 1e6

    def reset(self, prefix: str) -> None:
        pattern = f"{_glob_escape(self.namespace)}[zub]:{_glob_escape(prefix)}*"
        batch: list[bytes] = []
        for name in self.client.scan_iter(match=pattern, count=1000):
            batch.append(name)
            if len(batch) >= 500:
                self.client.unlink(*batch)
                batch = []
        if batch:
            self.client.unlink(*batch)


# --- Database ---------------------------------------------------------------------------------
def _lock_id(key: str) -> int:
    """A signed 64-bit advisory-lock id for `key` (computed here so locks can be taken in order)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


class DatabaseBackend:
    """Sliding-window logs in RateLimitHit / RateLimitBlock, one transaction per attempt.

    Writers are serialized per key: PostgreSQL by advisory transaction locks taken in id order (no
    deadlocks), SQLite by the project's IMMEDIATE transactions. Relies on READ COMMITTED on
    PostgreSQL (Django's default) so reads after the lock see the previous holder's hits.
    """

    prune_probability = 0.1  # expired hits of the attempt's keys are deleted after 1 in 10 grants
    sweep_probability = 0.002  # hits older than MAX_WINDOW, of any key

    def __init__(self, *, alias: str = DEFAULT_DB_ALIAS) -> None:
        self.alias = alias

    # Looked up in the app registry, not imported: this module is imported by processes (and
    # spawned test children) before Django's apps are ready, and Redis-only ones never need them.
    @property
    def _hits(self):
        return apps.get_model("accounts", "RateLimitHit").objects.using(self.alias)

    @property
    def _blocks(self):
        return apps.get_model("accounts", "RateLimitBlock").objects.using(self.alias)

    def _lock_and_now(self, keys: Sequence[str]) -> float:
        connection = connections[self.alias]
        if connection.vendor != "postgresql":
            return time.time()
        with connection.cursor() as cursor:
            ids = sorted({_lock_id(key) for key in keys})
            cursor.execute("SELECT pg_advisory_xact_lock(id) FROM unnest(%s::bigint[]) AS id", [ids])
            cursor.execute("SELECT extract(epoch FROM clock_timestamp())::float8")
            return cursor.fetchone()[0]

    def _now(self) -> float:
        connection = connections[self.alias]
        if connection.vendor != "postgresql":
            return time.time()
        with connection.cursor() as cursor:
            cursor.execute("SELECT extract(epoch FROM clock_timestamp())::float8")
            return cursor.fetchone()[0]

    def attempt(self, entries: Sequence[Entry]) -> Attempt:

        hits = self._hits
        keys = [key for key, *_ in entries]
        with transaction.atomic(using=self.alias):
            now = self._lock_and_now(keys)
            wait, culprit = 0.0, ""
            block = (
                self._blocks.filter(key__in=keys, until__gt=now)
                .order_by("-until")
                .values_list("key", "until")
                .first()
            )
            if block:
                wait, culprit = block[1] - now, block[0]
            in_window = Q()
            for key, window, _capacity, _cost in entries:
                in_window |= Q(key=key, at__gt=now - window)
            used = dict(
                hits.filter(in_window)
                .order_by()
                .values("key")
                .annotate(s=Sum("cost"))
                .values_list("key", "s")
            )
            for key, window, capacity, cost in entries:
                excess = used.get(key, 0) + cost - capacity
                if excess <= 0:
                    continue
                # room comes when enough of the oldest hits have left the window
                oldest = (
                    hits.filter(key=key, at__gt=now - window)
                    .annotate(running=Window(Sum("cost"), order_by=[F("at").asc(), F("id").asc()]))
                    .filter(running__gte=excess)
                    .order_by("at", "id")
                    .values_list("at", flat=True)
                    .first()
                )
                need = (oldest + window - now) if oldest is not None else window
                if need > wait:
                    wait, culprit = need, key
            if culprit:
                return Attempt(False, wait, culprit)
            hits.bulk_create(
                [self._hits.model(key=key, at=now, cost=cost) for key, _w, _c, cost in entries if cost]
            )
        self._prune(entries, now)
        return Attempt(True, 0.0, "", now)

    def _prune(self, entries: Sequence[Entry], now: float) -> None:
        # Outside the attempt's transaction: a hit older than its window never counts again.

        hits = self._hits
        if random.random() < self.prune_probability:
            expired = Q()
            for key, window, _capacity, _cost in entries:
                expired |= Q(key=key, at__lte=now - window)
            hits.filter(expired).delete()
        if random.random() < self.sweep_probability:
            hits.filter(at__lte=now - MAX_WINDOW - 60).delete()

    def block(self, key: str, seconds: float) -> float:

        blocks = self._blocks
        with transaction.atomic(using=self.alias):
            now = self._lock_and_now([key])
            current = blocks.filter(key=key).first()
            if current is None:
                current = blocks.create(key=key, until=now + seconds)
            elif current.until < now + seconds:
                current.until = now + seconds
                current.save(update_fields=["until"])
            return max(0.0, current.until - now)

    def blocked_for(self, key: str) -> float:

        until = self._blocks.filter(key=key).values_list("until", flat=True).first()
        return 0.0 if until is None else max(0.0, until - self._now())

    def reset(self, prefix: str) -> None:

        self._hits.filter(key__startswith=prefix).delete()
        self._blocks.filter(key__startswith=prefix).delete()
