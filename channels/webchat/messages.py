"""The web chat's wire format: a JSON message in, the bot's replies out.

In: ``{"session": str, "text": str}``, ``{"session": str, "choice": str}``, or
only ``{"session": str}`` when the page opens (the bot greets); ``"locale"``
(the browser's ``navigator.language``) and ``"timezone"`` (its IANA zone) are
optional everywhere. A zone this server does not know is dropped, not refused:
browsers know zones before every tzdata does.
Out: ``{"replies": [{"text", "options": [{"label", "value"}], "hint",
"attachments": [{"filename", "content_type", "url"}]}]}``.
"""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.inbound import MAX_TEXT, Inbound
from bot.replies import Reply
from channels.webchat.channel import WEB, WEB_TRAITS

CHANNEL = WEB
SESSION = re.compile(r"[A-Za-z0-9_-]{22,64}")
LOCALE = re.compile(r"[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8}){0,5}")
MAX_CHOICE = 200
MAX_LOCALE = 35
ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,2}")
MAX_ZONE = 64
FIELDS = ("session", "text", "choice", "locale", "timezone")


class BadMessage(ValueError):
    """The message cannot be read; ``field`` names the part at fault, if one is."""

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


def parse_message(body: object) -> Inbound:
    """The :class:`Inbound` a JSON body asks for; text beyond ``MAX_TEXT`` is cut off."""
    if not isinstance(body, dict):
        raise BadMessage("the body must be a JSON object")
    for name in body:
        if name not in FIELDS:
            raise BadMessage(f"{str(name)[:50]}: unknown field", field=str(name)[:50])
    session = body.get("session")
    if not isinstance(session, str) or not SESSION.fullmatch(session):
        raise BadMessage(
            "session: 22 to 64 characters of A-Z, a-z, 0-9, '_' and '-'", field="session"
        )
    text, choice = body.get("text"), body.get("choice")
    if text is not None and choice is not None:
        raise BadMessage("send either text or choice, not both", field="choice")
    if text is not None:
        text = _string(text, "text")[:MAX_TEXT]
        if not text.strip():
            raise BadMessage("text: must not be empty", field="text")
    if choice is not None:
        choice = _string(choice, "choice")
        if not 0 < len(choice) <= MAX_CHOICE:
            raise BadMessage(f"choice: 1 to {MAX_CHOICE} characters", field="choice")
    locale = body.get("locale")
    if locale is not None:
        locale = _string(locale, "locale")
        if len(locale) > MAX_LOCALE or not LOCALE.fullmatch(locale):
            raise BadMessage("locale: a language tag like 'en' or 'pt-BR'", field="locale")
    zone = body.get("timezone")
    if zone is not None:
        zone = _string(zone, "timezone")
        if len(zone) > MAX_ZONE or not ZONE.fullmatch(zone):
            raise BadMessage("timezone: an IANA zone like 'Europe/Berlin'", field="timezone")
        zone = zone if _known_zone(zone) else None
    return Inbound(
        channel=CHANNEL,
        user=session,
        text=text,
        choice=choice,
        locale=locale,
        timezone=zone,
        traits=WEB_TRAITS,
    )


def _known_zone(key: str) -> bool:
    try:
        ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _string(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise BadMessage(f"{field}: must be a string", field=field)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate such as "\ud800" in the JSON
        raise BadMessage(f"{field}: not valid Unicode", field=field) from None
    return value


def reply_json(reply: Reply) -> dict[str, Any]:
    return {
        "text": reply.text,
        "options": [{"label": o.label, "value": o.value} for o in reply.options],
        "hint": reply.hint,
        "attachments": [
            {"filename": a.filename, "content_type": a.content_type, "url": a.url}
            for a in reply.attachments
        ],
    }
