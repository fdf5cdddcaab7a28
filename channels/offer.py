"""The page of a waitlist offer, ``/w/<token>``: what is offered, until when, one button.

The e-mail (and any message) offering a freed slot links here
(:func:`core.text.links.offer_link`). The token in the address is the key:
unguessable, one per offer. The page shows the offered time in the customer's
language and zone (as they gave them when joining the waitlist; else the
browser's language and the business's zone) and, while the offer is open, one
form whose button POSTs to the same address. The POST is refused unless it comes
from our own page (``Sec-Fetch-Site``/``Origin``, as on the manage page), so
another site cannot make a visitor take an offer; it works without JavaScript.
Taking it books through the booking service (:meth:`core.bookings.Cascade.accept`),
and the page then links to the booking's own page.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from quart import Blueprint, Response, g, redirect, render_template_string, request
from quart_schema import hide
from werkzeug.wrappers.response import Response as Redirect

from channels.manage import PAGE_HEAD, private, same_site
from channels.services import services
from channels.webchat.look import accent_colours, ink_of
from core import directory as business
from core.bookings import Cascade, OfferInfo
from core.errors import NoShowLimit, NotFound, OfferGone
from core.text import first_control
from core.text.i18n import Speaker, gettext_in, pick_language
from core.text.links import manage_path, offer_path

__all__ = ["offer_page"]

offer_page = Blueprint("offer", __name__)


@offer_page.after_request
async def _private(response: Response) -> Response:
    """The address holds the offer's token: the manage page's headers (no referrer, no
    cache, no framing, only its own inline style and form)."""
    return private(response)


PAGE = (
    PAGE_HEAD
    + """\
  a.button, button { font: inherit; padding: .6rem 1rem; border-radius: 8px; cursor: pointer;
                     border: 1px solid var(--accent); background: var(--accent); color: #fff;
                     text-decoration: none; }
  .note { margin-top: 1rem; color: #57606a; }
</style>
</head>
<body>
<main>
  <h1>{{ business }}</h1>
  <div class="card">
    <p>{{ lead }}</p>
    <dl>
      <dt>{{ t_service }}</dt><dd>{{ service }}</dd>
      <dt>{{ t_when }}</dt><dd>{{ when }}</dd>
      {% if live %}<dt>{{ t_until }}</dt><dd>{{ until }}</dd>{% endif %}
    </dl>
    {% if message %}<p class="note" role="status">{{ message }}</p>{% endif %}
    {% if live %}
    <form method="post" action="{{ action }}">
      <button type="submit">{{ t_take }}</button>
    </form>
    {% endif %}
    {% if booking_url %}
    <p><a class="button" href="{{ booking_url }}">{{ t_booking }}</a></p>
    {% endif %}
  </div>
</main>
</body>
</html>"""
)


def _cascade() -> Cascade:
    found = services().cascade
    if found is None:  # pragma: no cover - the container always makes one
        raise LookupError("the app was started without the waitlist cascade")
    return found


async def _find(token: str) -> OfferInfo | None:
    if not 8 <= len(token) <= 64 or first_control(token) is not None:
        return None
    try:
        return await _cascade().find(token)
    except NotFound:
        return None


def _not_found() -> Response:
    _ = gettext_in(pick_language(request.accept_languages.best))
    return Response(_("This offer does not exist (check the link)."), 404, mimetype="text/plain")


@offer_page.get(offer_path("<token>"))
@hide
async def page(token: str) -> Response | str:
    offer = await _find(token)
    if offer is None:
        return _not_found()
    directory = await business.directory()
    home = directory.info
    lang = pick_language(offer.locale, request.accept_languages.best, home.locale)
    sp = Speaker(lang, offer.timezone or home.timezone, home.timezone)
    _ = sp._
    service = next(
        (e.name_in(lang) for e in directory.services if e.id == offer.service_id),
        offer.service_name,
    )
    now = datetime.now(UTC)
    live = offer.live(now)
    if offer.status == "accepted":
        lead = _("It's yours: the time is booked.")
    elif live:
        lead = _("A place has become free for you. It is held for you until the time below.")
    else:
        lead = _("This offer has ended; you stay on the waitlist for other times.")
    notes = {"gone": _("Sorry, this time could not be booked any more.")}
    nonce = secrets.token_urlsafe(16)
    g.style_nonce = nonce
    return await render_template_string(
        PAGE,
        nonce=nonce,
        lang=sp.lang,
        business=home.name,
        colour=ink_of(accent_colours(home.colour)[0]),
        title=_("A place on the waitlist"),
        lead=lead,
        t_service=_("Service"),
        t_when=_("When"),
        t_until=_("Held for you until"),
        t_take=_("Book this time"),
        t_booking=_("See your booking"),
        service=service,
        when=sp.span(offer.start, offer.end),
        until=sp.when(offer.expires_at),
        live=live,
        message=notes.get(request.args.get("m", ""), ""),
        action=offer_path(token),
        booking_url=manage_path(offer.booking_token) if offer.booking_token else None,
    )


@offer_page.post(offer_path("<token>"))
@hide
async def take(token: str) -> Response | Redirect:
    if not same_site():
        _ = gettext_in(pick_language(request.accept_languages.best))
        text = _("This form can only be sent from the offer's own page.")
        return Response(text, 403, mimetype="text/plain")
    offer = await _find(token)
    if offer is None:
        return _not_found()
    try:
        await _cascade().accept(token, datetime.now(UTC))
    except (OfferGone, NoShowLimit):  # the no-show policy ends the offer too
        return redirect(f"{offer_path(token)}?m=gone")
    return redirect(offer_path(token))
