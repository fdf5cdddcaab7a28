"""A circuit breaker: after a failure, stop calling a dead service for a while.

A stalled Redis answers nothing until its socket timeout, so every request that
asks it waits that long. The breaker turns "wait for it, every time" into "wait
once, then go without it": after a failure it is *open* for ``cooldown``
seconds and :meth:`CircuitBreaker.guard` refuses at once (:class:`CircuitOpen`).
The first call after the cooldown is let through as a probe (*half-open*); the
others keep being refused until the probe's answer is in, so a dead service sees
at most one call per cooldown. A probe that works closes the breaker, one that
fails opens it for another cooldown.

One breaker per service, shared by everything that calls it (the hold store and
the conversation store share Redis's), so that one of them finding Redis dead
spares the other the wait. The clock is injected: tests move time by hand.

Each change is logged once: a WARNING when the breaker opens, an INFO when the
service answers again; failed probes in between only at DEBUG.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["DEFAULT_COOLDOWN_SECONDS", "CircuitBreaker", "CircuitOpen"]

log = logging.getLogger("core.circuit")

DEFAULT_COOLDOWN_SECONDS = 5.0


class CircuitOpen(Exception):
    """The service failed moments ago; it is not called again until the cooldown ends.

    ``__cause__`` is the failure that opened the breaker, when there was one.
    """


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        *,
        cooldown: float = DEFAULT_COOLDOWN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if cooldown < 0:
            raise ValueError("cooldown must not be negative")
        self.name = name
        self.cooldown = cooldown
        self._clock = clock
        self._opened_at: float | None = None
        """When the last failure (or the last probe) happened; ``None`` while closed."""
        self._failure: BaseException | None = None

    @property
    def is_open(self) -> bool:
        """Whether the service failed and has not answered since (probes refused or not)."""
        return self._opened_at is not None

    def allow(self) -> bool:
        """Whether to call the service now. After the cooldown this lets one probe
        through and starts a new cooldown for everybody else."""
        if self._opened_at is None:
            return True
        now = self._clock()
        if now - self._opened_at < self.cooldown:
            return False
        self._opened_at = now  # the probe; a cancelled one cannot wedge the breaker
        return True

    def succeeded(self) -> None:
        if self._opened_at is not None:
            log.info("%s answers again; using it again", self.name)
        self._opened_at = None
        self._failure = None

    def failed(self, exc: BaseException) -> None:
        if self._opened_at is None:
            log.warning(
                "%s unreachable (%s): not calling it for %g s at a time until it answers",
                self.name,
                exc or type(exc).__name__,
                self.cooldown,
            )
        else:
            log.debug("%s still unreachable (%s)", self.name, exc or type(exc).__name__)
        self._opened_at = self._clock()
        self._failure = exc

    @contextmanager
    def guard(self, failures: tuple[type[BaseException], ...]) -> Iterator[None]:
        """Run the block as one call of the service: refused with :class:`CircuitOpen`
        while open; an exception of ``failures`` opens the breaker (and propagates);
        finishing closes it. Other exceptions (the service answered, with an error)
        change nothing."""
        if not self.allow():
            raise CircuitOpen(f"{self.name} is not called right now") from self._failure
        try:
            yield
        except failures as exc:
            self.failed(exc)
            raise
        self.succeeded()
