"""The "manage my booking" page a confirmation links to, and the booking's ``.ics`` file.

The manage token in the address is the key: unguessable, one per booking. The
addresses' layout is :mod:`core.text.links`'s (the routes below are declared with it). The
page shows the appointment in the business's language and zone, offers the
calendar file, and lets the customer cancel (the business's policy applies;
moving is done in the chat, which can offer real slots).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from urllib.parse import urlsplit

from quart import Blueprint, Response, current_app, g, redirect, render_template_string, request
from quart_schema import hide
from werkzeug.wrappers.response import Response as Redirect

from channels.services import services
from channels.webchat.look import accent_colours, ink_of
from core import directory as business
from core.bookings import Actor, BookingInfo, BookingService
from core.business import Directory
from core.errors import NotFound, PolicyViolation
from core.text import first_control
from core.text.calendar import booking_ics
from core.text.i18n import Speaker, gettext_in, pick_language
from core.text.links import calendar_path, cancel_path, manage_link, manage_path

__all__ = ["PAGE_HEAD", "PUBLIC_URL", "manage", "private", "public_url", "same_site"]

PUBLIC_URL = "SLOTWISE_PUBLIC_URL"
"""``app.config`` key: where customers reach this server (``Settings.base_url``). Every
absolute address is built from it, never from the request's ``Host`` header, which the
client chooses."""

manage = Blueprint("manage", __name__)


@manage.after_request
async def _private(response: Response) -> Response:
    """The address holds the manage token: no referrer carries it away, no cache keeps the
    page, no other site frames it; the page needs its own inline style and form, nothing more."""
    return _private_headers(response)


def _private_headers(response: Response) -> Response:
    nonce = getattr(g, "style_nonce", None)
    style = f"style-src 'nonce-{nonce}'; " if nonce else ""
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; {style}form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def public_url() -> str:
    url: str = current_app.config[PUBLIC_URL]
    return url.rstrip("/")


def same_site() -> bool:
    """Whether this POST comes from one of our own pages (see :func:`_same_site`)."""
    return _same_site()


def private(response: Response) -> Response:
    """The headers of a page whose address holds a secret token (see :func:`_private`)."""
    return _private_headers(response)


def _same_site() -> bool:
    """Whether this POST comes from our own page: a browser says where a form was sent
    from (``Sec-Fetch-Site``, ``Origin``); a request saying neither is not a browser's
    cross-site form, so it passes."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site != "same-origin":
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    ours = urlsplit(public_url())
    return origin.rstrip("/").lower() == f"{ours.scheme}://{ours.netloc}".lower()


PAGE_HEAD = """<!doctype html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · {{ business }}</title>
<style nonce="{{ nonce }}">
  :root { --accent: {{ colour }}; }
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1f2328; }
  main { max-width: 32rem; margin: 0 auto; padding: 1.5rem 1rem; }
  h1 { font-size: 1.25rem; color: var(--accent); margin: 0 0 1rem; }
  .card { background: #fff; border-radius: 12px; padding: 1rem 1.25rem;
          box-shadow: 0 1px 3px rgba(0,0,0,.08); }
  dt { font-size: .85rem; color: #57606a; } dd { margin: 0 0 .75rem; font-weight: 600; }
"""
"""The start of a customer's page (the manage page, the waitlist offer): the head, and
the card's style in the business's colour; each page adds its own style and body."""

PAGE = (
    PAGE_HEAD
    + """\
  .actions { display: flex; gap: .75rem; flex-wrap: wrap; margin-top: 1rem; }
  a.button, button { font: inherit; padding: .6rem 1rem; border-radius: 8px; cursor: pointer;
                     border: 1px solid var(--accent); background: #fff; color: var(--accent);
                     text-decoration: none; }
  button.danger { border-color: #b42318; color: #b42318; }
  .note { margin-top: 1rem; color: #57606a; }
  .cancelled { color: #b42318; }
  code { font-size: .8rem; word-break: break-all; }
  .note a { color: var(--accent); }
</style>
</head>
<body>
<main>
  <h1>{{ business }}</h1>
  <div class="card">
    <dl>
      <dt>{{ t_service }}</dt><dd>{{ service }}</dd>
      <dt>{{ t_when }}</dt><dd>{{ when }}</dd>
      {% if staff %}<dt>{{ t_with }}</dt><dd>{{ staff }}</dd>{% endif %}
      <dt>{{ t_status }}</dt><dd class="{{ status_class }}">{{ status }}</dd>
    </dl>
    {% if message %}<p class="note" role="status">{{ message }}</p>{% endif %}
    <div class="actions">
      <a class="button" href="{{ ics_url }}" download>{{ t_calendar }}</a>
      {% if active %}
      <form method="post" action="{{ cancel_url }}">
        <button class="danger" type="submit">{{ t_cancel }}</button>
      </form>
      {% endif %}
    </div>
    {% if active %}<p class="note">{{ t_move }}</p>{% endif %}
    {% if feed_url %}
    <p class="note"><a href="{{ subscribe_url }}">{{ t_feed }}</a><br>
      <small>{{ t_feed_paste }}</small><br><code>{{ feed_url }}</code></p>
    {% endif %}
  </div>
</main>
</body>
</html>"""
)


def _bookings() -> BookingService:
    return services().bookings


async def _find(token: str) -> tuple[BookingInfo, Directory] | None:
    if not 8 <= len(token) <= 64 or first_control(token) is not None:
        return None
    try:
        info = await _bookings().get(token)
    except NotFound:
        return None
    return info, await business.directory()


def _reader_language(home: str | None = None) -> str:
    """The reader's language: the browser's first choice if we speak it, else ``home``."""
    return pick_language(request.accept_languages.best, home)


def _not_found() -> Response:
    _ = gettext_in(_reader_language())
    text = _("This booking does not exist (check the link).")
    return Response(text, 404, mimetype="text/plain")


@manage.get(manage_path("<token>"))
@hide
async def page(token: str) -> Response | str:
    return await _render(token, message=request.args.get("m", ""))


async def _render(token: str, message: str = "") -> Response | str:
    found = await _find(token)
    if found is None:
        return _not_found()
    info, directory = found
    business = directory.info
    lang = _reader_language(business.locale)
    speaker = Speaker(lang, business.timezone, business.timezone)
    _ = speaker._
    service_names = {e.id: e.name_in(lang) for e in directory.services}
    staff = {e.id: e.name_in(lang) for e in directory.providers}
    active = info.status == "confirmed" and info.end > datetime.now(UTC)
    notes = {
        "cancelled": _("Your booking is cancelled."),
        "too_late": _("It is too late to cancel online; please contact us."),
    }
    feed_url = await services().feeds.customer_link(token)
    nonce = secrets.token_urlsafe(16)
    g.style_nonce = nonce
    return await render_template_string(
        PAGE,
        nonce=nonce,
        lang=speaker.lang,
        business=business.name,
        colour=ink_of(accent_colours(business.colour)[0]),
        title=_("Your booking"),
        t_service=_("Service"),
        t_when=_("When"),
        t_with=_("With"),
        t_status=_("Status"),
        t_calendar=_("Add to calendar"),
        t_cancel=_("Cancel booking"),
        t_move=_("To move it, write to us in the chat."),
        service=service_names.get(info.service_id, info.service_id),
        when=speaker.span(info.start, info.end),
        staff=", ".join(staff[r] for r in info.resources if r in staff),
        status=_("Confirmed") if info.status == "confirmed" else _("Cancelled"),
        status_class="" if info.status == "confirmed" else "cancelled",
        active=active,
        message=notes.get(message, ""),
        ics_url=calendar_path(token),
        cancel_url=cancel_path(token),
        feed_url=feed_url,
        subscribe_url=_webcal(feed_url) if feed_url else "",
        t_feed=_("Subscribe to all your bookings"),
        t_feed_paste=_(
            "For Google Calendar: Other calendars, From URL, and paste this address. "
            "Keep it to yourself: it shows your bookings."
        ),
    )


def _webcal(url: str) -> str:
    """The ``webcal://`` form of a feed address: calendar apps open it to subscribe."""
    return "webcal://" + url.split("://", 1)[-1]


@manage.get(calendar_path("<token>"))
@hide
async def calendar_file(token: str) -> Response:
    found = await _find(token)
    if found is None:
        return _not_found()
    info, directory = found
    lang = _reader_language(directory.info.locale)
    name = next(
        (e.name_in(lang) for e in directory.services if e.id == info.service_id), info.service_id
    )
    data = booking_ics(
        booking_id=info.id,
        public_url=public_url(),
        moves=info.reschedule_count,
        cancelled=info.status == "cancelled",
        service=name,
        business=directory.info.name,
        start=info.start,
        end=info.end,
        url=manage_link(public_url(), info.manage_token),
        stamp=datetime.now(UTC),
    )
    return Response(
        data,
        mimetype="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="booking.ics"'},
    )


@manage.post(cancel_path("<token>"))
@hide
async def cancel(token: str) -> Response | Redirect:
    if not _same_site():
        _ = gettext_in(_reader_language())
        text = _("This form can only be sent from the booking's own page.")
        return Response(text, 403, mimetype="text/plain")
    found = await _find(token)
    if found is None:
        return _not_found()
    info, _directory = found
    try:
        await _bookings().cancel(
            token, actor=Actor("customer", info.customer_name or "customer", "web")
        )
    except PolicyViolation:
        return redirect(f"{manage_path(token)}?m=too_late")
    return redirect(f"{manage_path(token)}?m=cancelled")
