"""Twilio's webhooks: ``POST /twilio/sms`` and ``POST /twilio/whatsapp``, answered in TwiML.

Each message is handled in this order, so a forgery changes nothing and a resend
has one effect:

1. the kind is configured (else 404: the channel is off);
2. ``X-Twilio-Signature`` verifies over every form field and the public URL
   Twilio called (``SLOTWISE_PUBLIC_URL`` + path; else 403);
3. the ``MessageSid`` is claimed in the delivery log (a resend: empty ``<Response/>``;
   handling that fails gives the claim back);
4. opt-out and opt-in words are honoured (see :mod:`channels.sms.keywords`); on SMS
   a number that opted out gets nothing more until START;
5. the rest goes to the bot; its replies come back as ``<Message>`` elements.
"""

from __future__ import annotations

import logging

from quart import Blueprint, Quart, Response, current_app, request
from quart_schema import hide
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot.i18n import gettext_in, pick_language
from bot.inbound import Inbound
from bot.replies import Reply
from channels.problems import problem
from channels.services import services
from channels.sms.channel import (
    SMS,
    TRAITS,
    WHATSAPP,
    Kind,
    TwilioChannel,
    TwilioConfig,
    TwilioSettings,
    address_of,
    render,
)
from channels.sms.keywords import language_of_opt_out, request_of
from core import customers
from core.customers import CustomerInput, Identity

__all__ = ["CONFIG", "register_twilio", "twilio"]

log = logging.getLogger(__name__)

CONFIG = "slotwise.twilio"
"""``app.extensions`` key of the :class:`TwilioConfig`; set when the channel is registered."""

twilio = Blueprint("twilio", __name__)


def register_twilio(app: Quart, settings: TwilioSettings) -> bool:
    """Add the webhooks when Twilio is configured; ``False`` (and no routes: 404) when not."""
    config = TwilioConfig.of(settings)
    if config is None:
        return False
    app.extensions[CONFIG] = config
    app.register_blueprint(twilio)
    return True


def channels_of(config: TwilioConfig) -> list[TwilioChannel]:
    """The configured kinds as channels, for the worker's sends."""
    return [TwilioChannel(k, config) for k in (SMS, WHATSAPP) if config.sender(k) is not None]


def twiml(replies: list[Reply] | None = None) -> Response:
    """The replies as TwiML: one ``<Message>`` each; none: an empty ``<Response />``."""
    answer = MessagingResponse()
    for reply in replies or []:
        answer.message(render(reply))
    return Response(str(answer), content_type="application/xml; charset=utf-8")


@twilio.post("/twilio/sms")
@hide
async def sms() -> Response:
    return await _webhook(SMS)


@twilio.post("/twilio/whatsapp")
@hide
async def whatsapp() -> Response:
    return await _webhook(WHATSAPP)


async def _webhook(kind: Kind) -> Response:
    config: TwilioConfig = current_app.extensions[CONFIG]
    if config.sender(kind) is None:
        return problem(404, "not_found", "there is nothing at this address")
    form = await request.form
    url = config.public_url + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not RequestValidator(config.auth_token).validate(url, form, signature):
        return problem(403, "bad_signature", "X-Twilio-Signature does not match this request")
    sid, sender = form.get("MessageSid"), form.get("From")
    if not sid or not sender:
        return problem(400, "invalid_request", "a Twilio message has MessageSid and From")
    deliveries = services().deliveries
    if not await deliveries.first(f"twilio:{sid}"):
        return twiml()  # a resend: handled already
    try:
        return twiml(await _handle(kind, address_of(kind, sender), form.get("Body"), sid))
    except Exception:
        await deliveries.forget(f"twilio:{sid}")
        raise


async def _handle(kind: Kind, number: str, body: str | None, sid: str) -> list[Reply]:
    """What to answer: nothing to a number that opted out (SMS), else the bot's replies."""
    asked = request_of(body)
    if asked == "opt_out_keyword" or asked == "opt_out_words":
        await customers.opt_out(kind, number)
        if kind == SMS and asked == "opt_out_keyword":
            return []  # the carrier confirms by itself
        known = await customers.known_customer(Identity(kind, number))
        lang = language_of_opt_out(body or "") or (known.locale if known else None)
        _ = gettext_in(pick_language(lang))
        return [Reply(_("Understood: we will not write to you here any more."))]
    was_out = await customers.opted_out(kind, number)
    if asked == "opt_in_keyword" or kind == WHATSAPP:
        await customers.opt_in(kind, number)  # on WhatsApp, writing again is asking again
        if was_out and kind == SMS:
            return []  # the carrier confirms START by itself
    elif was_out:
        return []  # SMS: opted out; nothing more until START
    if await customers.known_customer(Identity(kind, number)) is None:
        # The carrier vouches for the number: tie it to the customer who has it (a booking
        # made on another channel with this phone), or make one with it.
        await customers.find_or_create(CustomerInput("", phone=number), Identity(kind, number))
    inbound = Inbound(
        channel=kind,
        user=number,
        text=body.strip() if body and body.strip() else None,
        traits=TRAITS[kind],
        message_id=sid,
        # The number's zone when its country or area has one: the customer's clock for
        # times and quiet hours, until they tell us otherwise.
        timezone=customers.zone_of_number(number),
    )
    return list(await services().chat.handle(inbound))
