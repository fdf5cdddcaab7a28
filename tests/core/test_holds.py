"""The hold store contract, run against every store; then what only Redis has.

The Redis runs need ``SLOTWISE_TEST_REDIS_URL`` and skip without it. Each one
works under its own random key prefix and deletes its keys afterwards, so the
suite may share a Redis database with anything else.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from core.circuit import CircuitBreaker
from core.holds import (
    Hold,
    HoldStore,
    HoldStoreUnavailable,
    MemoryHoldStore,
    RedisHoldStore,
    make_hold_store,
    new_hold_token,
)
from core.redis_client import MAX_CONNECTIONS
from tests.redis_server import Ticks, private_redis, silent_server

NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
LEASE = timedelta(minutes=10)


def at(hour: int, minute: int = 0, microsecond: int = 0) -> datetime:
    return NOW.replace(hour=hour, minute=minute, microsecond=microsecond)


def hold(
    start: datetime,
    end: datetime,
    *,
    resources: tuple[str, ...] = ("ana",),
    seats: int = 1,
    owner: str = "alice",
    expires_at: datetime = NOW + LEASE,
    token: str | None = None,
) -> Hold:
    return Hold(
        token=token or new_hold_token(),
        owner=owner,
        service_id="haircut",
        start=start,
        resources=resources,
        occupied_start=start,
        occupied_end=end,
        seats=seats,
        expires_at=expires_at,
    )


@dataclass(frozen=True)
class RedisSetup:
    url: str
    store: HoldStore
    client: Redis
    prefix: str


@asynccontextmanager
async def redis_setup(url: str) -> AsyncIterator[RedisSetup]:
    prefix = f"slotwise-test-{secrets.token_hex(6)}"
    client = Redis.from_url(url, decode_responses=True)
    # The contract is about atomicity, not outages (tests/core/test_redis_outage.py): a
    # generous timeout keeps a hundred connections opened at once on a busy machine from
    # counting as Redis being down.
    store = make_hold_store(url, prefix=prefix, timeout=5.0)
    try:
        yield RedisSetup(url, store, client, prefix)
    finally:
        await store.close()
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[HoldStore]:
    if request.param == "memory":
        memory = make_hold_store(None)
        assert isinstance(memory, MemoryHoldStore)
        yield memory
        await memory.close()
        return
    async with redis_setup(request.getfixturevalue("redis_url")) as setup:
        assert isinstance(setup.store, RedisHoldStore)
        yield setup.store


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[RedisSetup]:
    async with redis_setup(redis_url) as setup:
        yield setup


# --- the contract -------------------------------------------------------------------------


async def test_a_taken_hold_comes_back_whole(store: HoldStore) -> None:
    taken = hold(at(9, 0, 250), at(9, 45), expires_at=NOW + LEASE + timedelta(microseconds=7))
    assert await store.take(taken, {"ana": 1}, NOW)
    assert await store.get(taken.token, NOW) == taken
    assert await store.get(new_hold_token(), NOW) is None


async def test_the_same_token_cannot_be_taken_twice(store: HoldStore) -> None:
    first = hold(at(9), at(10))
    assert await store.take(first, {"ana": 5}, NOW)
    assert not await store.take(first, {"ana": 5}, NOW)
    assert not await store.take(
        replace(first, occupied_start=at(11), occupied_end=at(12)), {"ana": 5}, NOW
    )
    assert await store.get(first.token, NOW) == first


async def test_an_overlapping_hold_is_refused_at_capacity_one(store: HoldStore) -> None:
    assert await store.take(hold(at(9), at(10)), {"ana": 1}, NOW)
    assert not await store.take(hold(at(9, 30), at(10, 30)), {"ana": 1}, NOW)
    assert not await store.take(hold(at(8), at(11)), {"ana": 1}, NOW)


async def test_touching_windows_do_not_overlap(store: HoldStore) -> None:
    assert await store.take(hold(at(9), at(10)), {"ana": 1}, NOW)
    assert await store.take(hold(at(10), at(11)), {"ana": 1}, NOW)
    assert await store.take(hold(at(8), at(9)), {"ana": 1}, NOW)


async def test_windows_touching_inside_one_millisecond_do_not_overlap(store: HoldStore) -> None:
    assert await store.take(hold(at(9), at(10, 0, 400)), {"ana": 1}, NOW)
    assert await store.take(hold(at(10, 0, 400), at(11)), {"ana": 1}, NOW)
    assert not await store.take(hold(at(10, 0, 399), at(10, 0, 401)), {"ana": 1}, NOW)


async def test_holds_on_different_resources_do_not_compete(store: HoldStore) -> None:
    limits = {"ana": 1, "bob": 1}
    assert await store.take(hold(at(9), at(10), resources=("ana",)), limits, NOW)
    assert await store.take(hold(at(9), at(10), resources=("bob",)), limits, NOW)


async def test_seats_fill_up_to_the_limit(store: HoldStore) -> None:
    limits = {"pool": 3}
    assert await store.take(hold(at(9), at(10), resources=("pool",), seats=2), limits, NOW)
    assert not await store.take(hold(at(9), at(10), resources=("pool",), seats=2), limits, NOW)
    assert await store.take(hold(at(9, 30), at(10, 30), resources=("pool",)), limits, NOW)
    assert not await store.take(hold(at(9, 59), at(11), resources=("pool",)), limits, NOW)
    assert await store.take(hold(at(10), at(11), resources=("pool",), seats=2), limits, NOW)


async def test_a_hold_bigger_than_the_limit_is_refused_on_an_empty_resource(
    store: HoldStore,
) -> None:
    assert not await store.take(hold(at(9), at(10), seats=3), {"ana": 2}, NOW)


async def test_a_missing_limit_refuses_the_hold(store: HoldStore) -> None:
    assert not await store.take(hold(at(9), at(10), resources=("ana", "room")), {"ana": 1}, NOW)
    assert await store.overlapping(["ana", "room"], at(0), at(23), NOW) == []


@pytest.mark.parametrize("resources", [("ana", "room"), ("room", "ana")])
async def test_a_hold_over_the_limit_on_one_resource_is_written_on_none(
    store: HoldStore, resources: tuple[str, ...]
) -> None:
    limits = {"ana": 1, "room": 1}
    blocker = hold(at(9), at(10), resources=("room",))
    assert await store.take(blocker, limits, NOW)
    refused = hold(at(9, 30), at(10, 30), resources=resources)
    assert not await store.take(refused, limits, NOW)
    assert await store.get(refused.token, NOW) is None
    assert await store.overlapping(["ana", "room"], at(0), at(23), NOW) == [blocker]
    assert await store.take(hold(at(9, 30), at(10, 30), resources=("ana",)), limits, NOW)


async def test_an_expired_hold_is_neither_returned_nor_counted(store: HoldStore) -> None:
    old = hold(at(9), at(10), expires_at=NOW + LEASE)
    assert await store.take(old, {"ana": 1}, NOW)
    just_before = NOW + LEASE - timedelta(microseconds=1)
    assert await store.get(old.token, just_before) == old
    assert not await store.take(
        hold(at(9), at(10), expires_at=NOW + 2 * LEASE), {"ana": 1}, just_before
    )

    later = NOW + LEASE
    assert await store.get(old.token, later) is None
    assert await store.overlapping(["ana"], at(0), at(23), later) == []
    new = hold(at(9), at(10), expires_at=later + LEASE)
    assert await store.take(new, {"ana": 1}, later)
    assert await store.overlapping(["ana"], at(0), at(23), later) == [new]


async def test_a_token_taken_again_after_expiry_leaves_its_old_resource(store: HoldStore) -> None:
    """Redis keeps sorted-set members until a scan finds their hold gone; a member
    whose token now names a hold elsewhere must not count where it used to be."""
    first = hold(at(9), at(10), resources=("ana",), expires_at=NOW + timedelta(minutes=1))
    assert await store.take(first, {"ana": 1}, NOW)
    later = NOW + timedelta(minutes=2)
    again = hold(at(9), at(10), resources=("room",), expires_at=later + LEASE, token=first.token)
    assert await store.take(again, {"room": 1}, later)
    assert await store.overlapping(["ana"], at(0), at(23), later) == []
    assert await store.take(hold(at(9), at(10), expires_at=later + LEASE), {"ana": 1}, later)
    assert await store.get(first.token, later) == again


async def test_release_by_a_stranger_is_refused_and_the_hold_still_counts(
    store: HoldStore,
) -> None:
    mine = hold(at(9), at(10), owner="alice")
    assert await store.take(mine, {"ana": 1}, NOW)
    assert not await store.release(mine.token, "mallory")
    assert await store.get(mine.token, NOW) == mine
    assert not await store.take(hold(at(9), at(10), owner="mallory"), {"ana": 1}, NOW)


async def test_release_by_the_owner_frees_the_capacity(store: HoldStore) -> None:
    mine = hold(at(9), at(10), resources=("ana", "room"), owner="alice")
    limits = {"ana": 1, "room": 1}
    assert await store.take(mine, limits, NOW)
    assert await store.release(mine.token, "alice")
    assert not await store.release(mine.token, "alice")
    assert await store.get(mine.token, NOW) is None
    assert await store.overlapping(["ana", "room"], at(0), at(23), NOW) == []
    assert await store.take(hold(at(9), at(10), resources=("room", "ana")), limits, NOW)


async def test_releasing_an_unknown_token_is_refused(store: HoldStore) -> None:
    assert not await store.release(new_hold_token(), "alice")


async def test_overlapping_returns_exactly_the_live_holds_meeting_the_window(
    store: HoldStore,
) -> None:
    limits = {"ana": 5, "bob": 5, "room": 5}
    soon = NOW + timedelta(minutes=1)
    before = hold(at(9), at(10), resources=("ana",))  # touches the window's start
    inside = hold(at(10), at(11), resources=("ana",))
    across = hold(at(11), at(12), resources=("room",))
    both = hold(at(10, 30), at(11), resources=("ana", "room"))
    elsewhere = hold(at(10), at(11), resources=("bob",))
    after = hold(at(11, 30), at(12), resources=("ana",))  # touches the window's end
    expired = hold(at(10), at(11), resources=("ana",), expires_at=soon)
    for h in (before, inside, across, both, elsewhere, after, expired):
        assert await store.take(h, limits, NOW)

    found = await store.overlapping(["ana", "room"], at(10), at(11, 30), soon)
    assert sorted(h.token for h in found) == sorted(h.token for h in (inside, across, both))
    assert found == sorted(found, key=lambda h: h.occupied_start)
    assert await store.overlapping([], at(0), at(23), soon) == []
    assert await store.overlapping(["ana"], at(10), at(10), soon) == []


async def test_a_hundred_concurrent_takes_at_capacity_one_give_one_hold(
    store: HoldStore,
) -> None:
    outcomes = await asyncio.gather(
        *(store.take(hold(at(9), at(10)), {"ana": 1}, NOW) for _ in range(100))
    )
    assert outcomes.count(True) == 1
    assert len(await store.overlapping(["ana"], at(9), at(10), NOW)) == 1


async def test_a_hundred_concurrent_takes_at_capacity_five_give_five_holds(
    store: HoldStore,
) -> None:
    outcomes = await asyncio.gather(
        *(store.take(hold(at(9, 15), at(9, 45)), {"ana": 5}, NOW) for _ in range(100))
    )
    assert outcomes.count(True) == 5
    assert len(await store.overlapping(["ana"], at(9), at(10), NOW)) == 5


async def test_a_hundred_concurrent_holds_share_a_capped_pool_of_connections(
    redis: RedisSetup,
) -> None:
    assert isinstance(redis.store, RedisHoldStore)
    pool = redis.store._client.connection_pool
    outcomes = await asyncio.gather(
        *(redis.store.take(hold(at(9), at(10)), {"ana": 100}, NOW) for _ in range(100))
    )
    assert outcomes.count(True) == 100
    opened = len(pool._available_connections) + len(pool._in_use_connections)
    assert 1 <= opened <= MAX_CONNECTIONS


@pytest.mark.parametrize(
    ("change", "now"),
    [
        ({"occupied_start": datetime(2030, 1, 7, 9)}, NOW),  # noqa: DTZ001 - naive on purpose
        ({"seats": 0}, NOW),
        ({"resources": ()}, NOW),
        ({"occupied_end": datetime(2030, 1, 7, 9, tzinfo=UTC)}, NOW),
        ({}, NOW + LEASE),
        ({}, datetime(2030, 1, 7, 8)),  # noqa: DTZ001 - naive on purpose
    ],
    ids=["naive-window", "no-seats", "no-resources", "empty-window", "born-expired", "naive-now"],
)
async def test_a_malformed_hold_is_a_caller_bug_not_a_refusal(
    store: HoldStore, change: dict[str, Any], now: datetime
) -> None:
    with pytest.raises(ValueError, match=r"hold|now"):
        await store.take(replace(hold(at(9), at(10)), **change), {"ana": 1}, now)
    assert await store.overlapping(["ana"], at(0), at(23), NOW) == []


# --- Redis only ---------------------------------------------------------------------------


async def test_redis_keys_expire_with_their_holds(redis: RedisSetup) -> None:
    short = hold(at(9), at(10), expires_at=NOW + LEASE)
    assert await redis.store.take(short, {"ana": 5}, NOW)
    hold_ttl = await redis.client.pttl(f"{redis.prefix}:hold:{short.token}")
    assert 0 < hold_ttl <= LEASE / timedelta(milliseconds=1)
    zset = f"{redis.prefix}:holds:ana"
    assert await redis.client.pttl(zset) > 0

    longer = hold(at(11), at(12), expires_at=NOW + 3 * LEASE)
    assert await redis.store.take(longer, {"ana": 5}, NOW)
    assert await redis.client.pttl(zset) > 2 * LEASE / timedelta(milliseconds=1)
    brief = hold(at(13), at(14), expires_at=NOW + timedelta(seconds=5))
    assert await redis.store.take(brief, {"ana": 5}, NOW)
    assert await redis.client.pttl(zset) > 2 * LEASE / timedelta(milliseconds=1)


def _race_in_a_process(url: str, prefix: str, barrier: Barrier, results: Any) -> None:
    results.put(asyncio.run(_race(url, prefix, barrier)))


async def _race(url: str, prefix: str, barrier: Barrier) -> int:
    store = RedisHoldStore.from_url(url, prefix=prefix)
    try:
        await store.get("warm-up", NOW)  # connect before the start line
        barrier.wait(timeout=30)
        outcomes = await asyncio.gather(
            *(store.take(hold(at(9), at(10)), {"ana": 1}, NOW) for _ in range(25))
        )
        return outcomes.count(True)
    finally:
        await store.close()


def _race_four_processes(url: str, prefix: str) -> list[int]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(4)
    results = context.Queue()
    processes = [
        context.Process(target=_race_in_a_process, args=(url, prefix, barrier, results))
        for _ in range(4)
    ]
    for process in processes:
        process.start()
    try:
        return [results.get(timeout=60) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=60)
        assert [p.exitcode for p in processes] == [0, 0, 0, 0]


async def test_four_processes_racing_for_one_window_get_one_hold(redis: RedisSetup) -> None:
    successes = await asyncio.to_thread(_race_four_processes, redis.url, redis.prefix)
    assert sum(successes) == 1
    assert len(await redis.store.overlapping(["ana"], at(9), at(10), NOW)) == 1


async def test_an_unreachable_redis_raises_hold_store_unavailable() -> None:
    store = make_hold_store("redis://127.0.0.1:1/0", prefix="unreachable")
    some = hold(at(9), at(10))
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: store.take(some, {"ana": 1}, NOW),
        lambda: store.get(some.token, NOW),
        lambda: store.release(some.token, "alice"),
        lambda: store.overlapping(["ana"], at(9), at(10), NOW),
    ]
    try:
        for call in calls:
            with pytest.raises(HoldStoreUnavailable) as caught:
                await call()
            assert isinstance(caught.value.__cause__, RedisConnectionError)
    finally:
        await store.close()


# --- a stalled or dead Redis ---------------------------------------------------------------


async def test_a_stalled_redis_is_asked_once_per_breaker_window() -> None:
    ticks = Ticks()
    breaker = CircuitBreaker("Redis", cooldown=5, clock=ticks)
    async with silent_server() as silent:
        store = make_hold_store(silent.url, prefix="stalled", timeout=0.2, breaker=breaker)
        try:
            for _ in range(5):
                with pytest.raises(HoldStoreUnavailable):
                    await store.overlapping(["ana"], at(9), at(10), NOW)
                with pytest.raises(HoldStoreUnavailable):
                    await store.take(hold(at(9), at(10)), {"ana": 1}, NOW)
            assert silent.connections == 1
            ticks.now += 5
            for _ in range(5):
                with pytest.raises(HoldStoreUnavailable):
                    await store.get("some-token", NOW)
            assert silent.connections == 2
        finally:
            await store.close()


async def test_holds_use_redis_again_once_it_answers(tmp_path: Path) -> None:
    ticks = Ticks()
    breaker = CircuitBreaker("Redis", cooldown=5, clock=ticks)
    with private_redis(tmp_path) as server:
        store = make_hold_store(server.url, prefix="outage", timeout=0.2, breaker=breaker)
        try:
            assert await store.take(hold(at(9), at(10)), {"ana": 1}, NOW)
            server.kill()
            with pytest.raises(HoldStoreUnavailable):
                await store.take(hold(at(11), at(12)), {"ana": 1}, NOW)
            server.start()
            with pytest.raises(HoldStoreUnavailable):  # not asked again before the cooldown
                await store.take(hold(at(11), at(12)), {"ana": 1}, NOW)
            ticks.now += 5
            again = hold(at(11), at(12))
            assert await store.take(again, {"ana": 1}, NOW)
            assert await store.get(again.token, NOW) == again
        finally:
            await store.close()


async def test_a_stall_while_redis_was_serving_opens_the_breaker_and_it_recovers(
    tmp_path: Path,
) -> None:
    ticks = Ticks()
    breaker = CircuitBreaker("Redis", cooldown=5, clock=ticks)
    with private_redis(tmp_path) as server:
        store = make_hold_store(server.url, prefix="stall", timeout=0.2, breaker=breaker)
        try:
            first = hold(at(9), at(10))
            assert await store.take(first, {"ana": 1}, NOW)
            server.stall()
            with pytest.raises(HoldStoreUnavailable) as caught:
                await store.get(first.token, NOW)
            assert isinstance(caught.value.__cause__, RedisTimeoutError)
            assert breaker.is_open
            server.wake()
            ticks.now += 5
            assert await store.get(first.token, NOW) == first
            assert not breaker.is_open
        finally:
            await store.close()
