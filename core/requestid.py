"""The id of the request being served, carried to what it causes.

The server takes it from the request's ``X-Request-Id`` (or makes one) and sets it
here for the request's task; every log line written while serving it names it, and
the outbox messages the request's booking change writes keep it in their payload, so
the worker's lines about sending them name it too. A context variable, so concurrent
requests never see each other's; ``None`` outside a request (the CLI, tests).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["REQUEST_ID", "current_request_id", "request_context"]

REQUEST_ID: ContextVar[str | None] = ContextVar("slotwise_request_id", default=None)


def current_request_id() -> str | None:
    return REQUEST_ID.get()


@contextmanager
def request_context(request_id: str | None) -> Iterator[None]:
    """``request_id`` as the current one inside the block, the previous one after."""
    token = REQUEST_ID.set(request_id)
    try:
        yield
    finally:
        REQUEST_ID.reset(token)
