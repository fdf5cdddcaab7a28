"""Calendar feeds over HTTP: ``GET /feeds/<token>.ics`` for calendar apps that subscribe.

The token is the key (see :mod:`core.feeds`); an unknown, altered or revoked one is a
404 that says no more. The body is byte-stable while nothing in it changes, so the
strong ETag lets a polling calendar ask ``If-None-Match`` and get a 304.
"""

from __future__ import annotations

from quart import Blueprint, Response, request
from quart_schema import hide

from channels.services import services
from core.text.i18n import gettext_in, pick_language
from core.text.links import feed_path

__all__ = ["feeds"]

feeds = Blueprint("feeds", __name__)

CACHE = "private, max-age=300"
"""Five minutes: a calendar that polls more often than that gets our copy, then asks
again with its ETag (Apple Calendar's shortest refresh is five minutes)."""


@feeds.get(feed_path("<token>"))
@hide
async def feed(token: str) -> Response:
    found = await services().feeds.render(token)
    if found is None:
        _ = gettext_in(pick_language(request.accept_languages.best))
        text = _("This calendar feed does not exist or was replaced by a new address.")
        return Response(text, 404, mimetype="text/plain")
    headers = {
        "ETag": found.etag,
        "Cache-Control": CACHE,
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }
    tags = _tags(request.headers.get("If-None-Match", ""))
    if found.etag in tags or "*" in tags:
        return Response(b"", 304, headers=headers)
    return Response(
        found.body,
        content_type="text/calendar; charset=utf-8",
        headers={**headers, "Content-Disposition": 'inline; filename="calendar.ics"'},
    )


def _tags(header: str) -> set[str]:
    """The ETags of an ``If-None-Match`` header (weak ones compare by their value too)."""
    if header.strip() == "*":
        return {"*"}
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}
