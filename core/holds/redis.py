"""Holds in Redis, shared by every process of a deployment.

Keys (``prefix`` defaults to ``slotwise``)::

    {prefix}:hold:{token}       the hold as JSON, with a PX TTL ending at its expiry
    {prefix}:holds:{resource}   sorted set: member = token, score = occupied_start (epoch ms)

The JSON keeps the datetimes as ISO strings with their offset (what Python reads
back) and, for the Lua scripts, the same instants as integer epoch microseconds
(``*_us``), because Lua cannot parse ISO strings and milliseconds would round
two windows that miss each other by less than a millisecond into touching.

Check-and-take is one Lua script, so it is atomic against every other client:
Redis runs one script at a time. The script also drops members whose hold is
gone or expired, and keeps each sorted set's own TTL at least as long as its
longest hold, so an abandoned resource's set expires with its last hold.

The scripts read hold keys they were not given in ``KEYS``; that is fine on one
Redis server. On a cluster, put a hash tag in the prefix (``"{slotwise}"``) so
every key lands in one slot.

Errors of the connection kind (refused, reset, timed out) become
:class:`~core.holds.base.HoldStoreUnavailable`; anything else from Redis is a
bug and propagates unchanged. Every call goes through a circuit breaker
(:mod:`core.circuit`, shared with the other Redis users of the process): after
such an error Redis is not called for a few seconds and every call raises
``HoldStoreUnavailable`` at once, chained to the error that opened it. So a
stalled Redis costs one socket timeout per cooldown, not one per request.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis

from core.circuit import CircuitBreaker, CircuitOpen
from core.holds.base import Hold, HoldStoreUnavailable
from core.holds.memory import check_new_hold, overlaps
from core.redis_client import DEFAULT_TIMEOUT_SECONDS, UNREACHABLE, redis_client

__all__ = ["RedisHoldStore"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

# KEYS: the hold's key, then one sorted set per resource.
# ARGV: hold JSON, token, hold key prefix, now_us, start_us, end_us, seats, ttl_ms,
#       score (start ms, floored), "(" .. end ms (ceiled), then name and limit per resource.
_TAKE = """
local now = tonumber(ARGV[4])
local start_us = tonumber(ARGV[5])
local end_us = tonumber(ARGV[6])
local seats = tonumber(ARGV[7])
local ttl = tonumber(ARGV[8])
local n = #KEYS - 1

local function has(list, value)
  for _, v in ipairs(list) do
    if v == value then return true end
  end
  return false
end

local current = redis.call('GET', KEYS[1])
if current and cjson.decode(current).expires_at_us > now then
  return 0
end

for i = 1, n do
  local zset = KEYS[i + 1]
  local resource = ARGV[9 + 2 * i]
  local limit = tonumber(ARGV[10 + 2 * i])
  local used = 0
  for _, token in ipairs(redis.call('ZRANGEBYSCORE', zset, '-inf', ARGV[10])) do
    local raw = redis.call('GET', ARGV[3] .. token)
    local live = false
    if raw then
      local h = cjson.decode(raw)
      -- A token taken again after expiry may have left members on other resources.
      if h.expires_at_us > now and has(h.resources, resource) then
        live = true
        if h.occupied_start_us < end_us and start_us < h.occupied_end_us then
          used = used + h.seats
        end
      end
    end
    if not live then
      redis.call('ZREM', zset, token)
    end
  end
  if used + seats > limit then
    return 0
  end
end

redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
for i = 1, n do
  local zset = KEYS[i + 1]
  redis.call('ZADD', zset, ARGV[9], ARGV[2])
  if redis.call('PTTL', zset) < ttl then
    redis.call('PEXPIRE', zset, ttl)
  end
end
return 1
"""

# KEYS: the hold's key. ARGV: owner, sorted set prefix, token.
_RELEASE = """
local raw = redis.call('GET', KEYS[1])
if not raw then
  return 0
end
local h = cjson.decode(raw)
if h.owner ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
for _, resource in ipairs(h.resources) do
  redis.call('ZREM', ARGV[2] .. resource, ARGV[3])
end
return 1
"""


def _us(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def _ms_floor(moment: datetime) -> int:
    return _us(moment) // 1000


def _ms_ceil(moment: datetime) -> int:
    return -(-_us(moment) // 1000)


def _encode(hold: Hold) -> str:
    return json.dumps(
        {
            "token": hold.token,
            "owner": hold.owner,
            "service_id": hold.service_id,
            "start": hold.start.isoformat(),
            "resources": list(hold.resources),
            "occupied_start": hold.occupied_start.isoformat(),
            "occupied_end": hold.occupied_end.isoformat(),
            "seats": hold.seats,
            "expires_at": hold.expires_at.isoformat(),
            "occupied_start_us": _us(hold.occupied_start),
            "occupied_end_us": _us(hold.occupied_end),
            "expires_at_us": _us(hold.expires_at),
        },
        separators=(",", ":"),
    )


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _decode(raw: str | bytes) -> Hold:
    data: dict[str, Any] = json.loads(raw)
    return Hold(
        token=data["token"],
        owner=data["owner"],
        service_id=data["service_id"],
        start=datetime.fromisoformat(data["start"]),
        resources=tuple(data["resources"]),
        occupied_start=datetime.fromisoformat(data["occupied_start"]),
        occupied_end=datetime.fromisoformat(data["occupied_end"]),
        seats=data["seats"],
        expires_at=datetime.fromisoformat(data["expires_at"]),
    )


class RedisHoldStore:
    """A missing entry in ``limits`` refuses the hold, as in the memory store."""

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = "slotwise",
        breaker: CircuitBreaker | None = None,
    ) -> None:
        """``client`` stays the caller's to close.

        Taking a client rather than a URL lets the hold store share one
        connection pool with the other Redis users of the process, whether or
        not that client decodes responses. ``breaker`` is shared the same way;
        without one the store has its own.
        """
        self._client = client
        self._breaker = breaker or CircuitBreaker("Redis (holds)")
        self._owns_client = False
        self._hold_prefix = f"{prefix}:hold:"
        self._set_prefix = f"{prefix}:holds:"
        self._take = client.register_script(_TAKE)
        self._release = client.register_script(_RELEASE)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = "slotwise",
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        breaker: CircuitBreaker | None = None,
    ) -> RedisHoldStore:
        """A store with its own client, closed by :meth:`close`.

        A hold is taken while a customer waits for an answer, so an outage should
        surface within ``timeout`` seconds, not after redis-py's default backoff.
        """
        client = redis_client(url, timeout=timeout, decode_responses=True)
        store = cls(client, prefix=prefix, breaker=breaker)
        store._owns_client = True
        return store

    @contextmanager
    def _reachable(self) -> Iterator[None]:
        try:
            with self._breaker.guard(UNREACHABLE):
                yield
        except CircuitOpen as exc:
            raise HoldStoreUnavailable(
                f"the hold store (Redis) was unreachable moments ago: {exc.__cause__}"
            ) from exc.__cause__
        except UNREACHABLE as exc:
            raise HoldStoreUnavailable(f"the hold store (Redis) cannot be reached: {exc}") from exc

    async def take(self, hold: Hold, limits: Mapping[str, int], now: datetime) -> bool:
        check_new_hold(hold, now)
        resources = list(dict.fromkeys(hold.resources))
        if any(r not in limits for r in resources):
            return False
        ttl_ms = max(1, -(-(_us(hold.expires_at) - _us(now)) // 1000))
        args: list[str | int] = [
            _encode(hold),
            hold.token,
            self._hold_prefix,
            _us(now),
            _us(hold.occupied_start),
            _us(hold.occupied_end),
            hold.seats,
            ttl_ms,
            _ms_floor(hold.occupied_start),
            f"({_ms_ceil(hold.occupied_end)}",
        ]
        for resource in resources:
            args += [resource, limits[resource]]
        keys = [self._hold_prefix + hold.token, *(self._set_prefix + r for r in resources)]
        with self._reachable():
            taken = await self._take(keys=keys, args=args)
        return bool(taken)

    async def get(self, token: str, now: datetime) -> Hold | None:
        with self._reachable():
            raw: str | bytes | None = await self._client.get(self._hold_prefix + token)
        if raw is None:
            return None
        hold = _decode(raw)
        return hold if now < hold.expires_at else None

    async def release(self, token: str, owner: str) -> bool:
        with self._reachable():
            released = await self._release(
                keys=[self._hold_prefix + token], args=[owner, self._set_prefix, token]
            )
        return bool(released)

    async def overlapping(
        self, resource_ids: list[str], start: datetime, end: datetime, now: datetime
    ) -> list[Hold]:
        if not resource_ids or end <= start:
            return []
        wanted = set(resource_ids)
        with self._reachable():
            pipe = self._client.pipeline(transaction=False)
            for resource in wanted:
                pipe.zrangebyscore(self._set_prefix + resource, "-inf", f"({_ms_ceil(end)}")
            members: list[list[str | bytes]] = await pipe.execute()
            tokens = sorted({_text(t) for found in members for t in found})
            raws: list[str | bytes | None] = (
                await self._client.mget([self._hold_prefix + t for t in tokens]) if tokens else []
            )
        holds = [_decode(raw) for raw in raws if raw is not None]
        live = [
            h
            for h in holds
            if now < h.expires_at and wanted.intersection(h.resources) and overlaps(h, start, end)
        ]
        return sorted(live, key=lambda h: (h.occupied_start, h.token))

    async def close(self) -> None:
        if self._owns_client:
            await self._client.aclose()
