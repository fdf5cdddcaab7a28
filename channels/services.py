"""The app's services as the web channels see them: one typed accessor, one extension key.

The composition root (``slotwise.container.Services``) opens the services and keeps
them under :data:`SERVICES` in ``app.extensions``; channels read them with
:func:`services` instead of string-keyed look-ups of each part. Channels cannot
import ``slotwise`` (arrows point down), so what they need is written here as a
protocol that the container satisfies.
"""

from __future__ import annotations

from typing import Protocol, cast

from quart import Quart, current_app

from bot.inbound import ChatHandler
from channels.clients import Limits
from core.bookings import BookingService, Cascade
from core.dedup import DeliveryLog
from core.feeds import FeedService

__all__ = ["SERVICES", "AppServices", "services", "services_of"]

SERVICES = "slotwise"
"""The one ``app.extensions`` key: the opened services (see :func:`services`)."""


class AppServices(Protocol):
    @property
    def bookings(self) -> BookingService: ...

    @property
    def chat(self) -> ChatHandler: ...

    @property
    def limits(self) -> Limits: ...
    @property
    def cascade(self) -> Cascade | None:
        """The waitlist cascade (offers taken on ``/w/<token>`` and in chats)."""
        ...

    @property
    def feeds(self) -> FeedService:
        """Calendar feed addresses and bodies (see :mod:`core.feeds`)."""
        ...

    @property
    def deliveries(self) -> DeliveryLog:
        """Webhook deliveries already handled (see :mod:`core.dedup`)."""
        ...


def services_of(app: Quart) -> AppServices:
    """The services ``app`` was started with; ``LookupError`` before it serves."""
    found = app.extensions.get(SERVICES)
    if found is None:
        raise LookupError("the app's services are opened when it starts serving")
    return cast(AppServices, found)


def services() -> AppServices:
    """The services of the app handling this request."""
    return services_of(current_app)
