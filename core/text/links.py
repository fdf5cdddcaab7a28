"""The addresses a customer is given: the manage page of a booking and its calendar file.

The one place that knows their layout. The bot and the worker build links with
these functions; ``channels/manage.py`` declares its routes with the same ones
(``manage_path("<token>")``), so a link and the route it lands on cannot drift
apart. Pure: strings in, strings out.
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = [
    "calendar_link",
    "calendar_path",
    "cancel_path",
    "feed_link",
    "feed_path",
    "host_of",
    "manage_link",
    "manage_path",
    "offer_link",
    "offer_path",
]


def manage_path(token: str) -> str:
    """``/b/<token>``: the booking's page, keyed by its unguessable manage token."""
    return f"/b/{token}"


def calendar_path(token: str) -> str:
    """``/b/<token>.ics``: the booking's calendar file."""
    return f"{manage_path(token)}.ics"


def cancel_path(token: str) -> str:
    """``/b/<token>/cancel``: where the manage page's cancel form posts."""
    return f"{manage_path(token)}/cancel"


def offer_path(token: str) -> str:
    """``/w/<token>``: the page of a waitlist offer, with its one button that takes it."""
    return f"/w/{token}"


def offer_link(public_url: str, token: str) -> str:
    """The waitlist offer page's absolute address under ``public_url``."""
    return public_url.rstrip("/") + offer_path(token)


def manage_link(public_url: str, token: str) -> str:
    """The manage page's absolute address under ``public_url`` (``SLOTWISE_PUBLIC_URL``)."""
    return public_url.rstrip("/") + manage_path(token)


def calendar_link(public_url: str, token: str) -> str:
    """The calendar file's absolute address under ``public_url``."""
    return public_url.rstrip("/") + calendar_path(token)


def feed_path(token: str) -> str:
    """``/feeds/<token>.ics``: a calendar feed, keyed by its signed token."""
    return f"/feeds/{token}.ics"


def feed_link(public_url: str, token: str) -> str:
    """A calendar feed's absolute address under ``public_url``."""
    return public_url.rstrip("/") + feed_path(token)


def host_of(public_url: str) -> str:
    """The host name of ``public_url`` (``book.example``), ``localhost`` when it has none."""
    return (urlsplit(public_url).hostname or "localhost").lower()
