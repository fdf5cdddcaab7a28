"""The circuit breaker: one failure stops calls for the cooldown, then one probe at a time."""

from __future__ import annotations

import logging

import pytest

from core.circuit import CircuitBreaker, CircuitOpen
from tests.redis_server import Ticks


def call(breaker: CircuitBreaker, *, fail: bool = False) -> str:
    try:
        with breaker.guard((ConnectionError,)):
            if fail:
                raise ConnectionError("refused")
    except CircuitOpen:
        return "refused"
    except ConnectionError:
        return "failed"
    return "ok"


def test_a_failure_stops_calls_until_the_cooldown_ends() -> None:
    ticks = Ticks()
    breaker = CircuitBreaker("svc", cooldown=5, clock=ticks)
    assert call(breaker) == "ok"
    assert call(breaker, fail=True) == "failed"
    assert [call(breaker) for _ in range(3)] == ["refused"] * 3
    ticks.now += 4.9
    assert call(breaker) == "refused"
    ticks.now += 0.1
    assert call(breaker) == "ok"  # the probe worked: closed again
    assert call(breaker) == "ok"
    assert not breaker.is_open


def test_one_probe_per_cooldown_while_the_service_stays_down() -> None:
    ticks = Ticks()
    breaker = CircuitBreaker("svc", cooldown=5, clock=ticks)
    call(breaker, fail=True)
    ticks.now += 5
    assert breaker.allow(), "the probe"
    assert not breaker.allow(), "everybody else waits for the probe's answer"
    breaker.failed(ConnectionError("still refused"))
    ticks.now += 4
    assert call(breaker) == "refused"
    ticks.now += 1
    assert call(breaker, fail=True) == "failed"
    assert call(breaker) == "refused"


def test_a_refusal_names_the_failure_that_opened_the_breaker() -> None:
    breaker = CircuitBreaker("svc", clock=Ticks())
    call(breaker, fail=True)
    with pytest.raises(CircuitOpen) as caught, breaker.guard((ConnectionError,)):
        pass
    assert isinstance(caught.value.__cause__, ConnectionError)


def test_an_answer_that_is_an_error_does_not_open_the_breaker() -> None:
    breaker = CircuitBreaker("svc", clock=Ticks())
    with pytest.raises(KeyError), breaker.guard((ConnectionError,)):
        raise KeyError("the service answered: no such thing")
    assert not breaker.is_open


def test_the_outage_and_the_recovery_are_logged_once_each(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ticks = Ticks()
    breaker = CircuitBreaker("Redis", cooldown=5, clock=ticks)
    with caplog.at_level(logging.DEBUG, logger="core.circuit"):
        for _ in range(10):  # ten cooldowns of failed probes
            call(breaker, fail=True)
            call(breaker)
            ticks.now += 5
        call(breaker)
        call(breaker)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    infos = [r for r in caplog.records if r.levelno == logging.INFO]
    assert len(warnings) == 1
    assert "Redis unreachable" in warnings[0].getMessage()
    assert len(infos) == 1
    assert "answers again" in infos[0].getMessage()
