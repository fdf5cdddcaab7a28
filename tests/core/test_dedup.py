"""The delivery log: one contract for memory and Redis, and Redis away."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest

from core.circuit import CircuitBreaker
from core.dedup import DeliveryLog, MemoryDeliveryLog, RedisDeliveryLog
from tests.redis_server import SilentServer, silent_server


@pytest.fixture(params=["memory", "redis"])
async def deliveries(request: pytest.FixtureRequest) -> AsyncIterator[DeliveryLog]:
    if request.param == "memory":
        found: DeliveryLog = MemoryDeliveryLog()
    else:
        found = RedisDeliveryLog.from_url(
            request.getfixturevalue("redis_url"), prefix=f"test-{secrets.token_hex(4)}"
        )
    yield found
    await found.close()


async def test_a_key_is_claimed_once(deliveries: DeliveryLog) -> None:
    assert await deliveries.first("telegram:1")
    assert not await deliveries.first("telegram:1")
    assert await deliveries.first("telegram:2")


async def test_racing_claims_of_one_key_have_one_winner(deliveries: DeliveryLog) -> None:
    results = await asyncio.gather(*(deliveries.first("sms:SM1") for _ in range(20)))
    assert sorted(results) == [False] * 19 + [True]


async def test_a_forgotten_claim_can_be_made_again(deliveries: DeliveryLog) -> None:
    """Handling failed: the platform's next resend must be handled, not dropped."""
    assert await deliveries.first("slack:Ev1")
    await deliveries.forget("slack:Ev1")
    assert await deliveries.first("slack:Ev1")


async def test_a_claim_expires_after_its_ttl() -> None:
    now = [0.0]
    deliveries = MemoryDeliveryLog(clock=lambda: now[0])
    assert await deliveries.first("k", ttl=60)
    now[0] = 59.0
    assert not await deliveries.first("k", ttl=60)
    now[0] = 61.0
    assert await deliveries.first("k", ttl=60)


async def test_the_memory_log_is_bounded() -> None:
    deliveries = MemoryDeliveryLog(max_keys=3)
    for n in range(5):
        assert await deliveries.first(f"k{n}")
    assert len(deliveries._seen) == 3
    assert await deliveries.first("k0")  # the oldest went first


async def test_with_redis_stalled_claims_go_on_in_memory() -> None:
    async with silent_server() as silent:
        await _claims_in_memory(silent)


async def _claims_in_memory(silent: SilentServer) -> None:
    deliveries = RedisDeliveryLog.from_url(
        silent.url, timeout=0.2, breaker=CircuitBreaker("test", cooldown=60)
    )
    try:
        assert await deliveries.first("k")
        assert not await deliveries.first("k")  # the breaker is open: memory answers
        assert silent.connections == 1
    finally:
        await deliveries.close()
