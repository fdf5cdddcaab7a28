"""What an inbound text asks of the line itself: no more messages, or messages again.

Carriers (and Twilio) act on one-word messages: STOP, CANCEL and the like opt the
number out, START, YES and UNSTOP opt it back in (``channels.base.CARRIER_KEYWORDS``).
The carrier confirms those by itself. People also write it out ("stop texting me",
"keine SMS mehr"): the carrier does nothing then, so we record it and confirm.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

__all__ = ["OPT_IN_WORDS", "OPT_OUT_WORDS", "Request", "language_of_opt_out", "request_of"]

OPT_OUT_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "REVOKE", "OPTOUT", "CANCEL"}
)
OPT_IN_WORDS = frozenset({"START", "YES", "UNSTOP"})

Request = Literal["opt_out_keyword", "opt_out_words", "opt_in_keyword"]

_PHRASES = {
    "en": (
        r"stop (?:texting|messaging|sending|writing|contacting)(?: me)?",
        r"(?:don'?t|do not|never) (?:text|message|contact|write(?: to)?) me"
        r"(?: again| anymore| any more)?",
        r"no more (?:texts|messages|sms)",
        r"unsubscribe me",
    ),
    "de": (
        r"keine (?:sms|nachrichten) mehr",
        r"(?:hören sie|hör|hoer|hoeren sie) auf,? mir zu schreiben",
        r"schreib(?:en sie)? mir nicht mehr",
        r"abmelden",
    ),
    "es": (
        r"no me (?:escriba[sn]?|envíe[sn]?|envie[sn]?|mande[sn]?) más(?: mensajes)?",
        r"deja(?:n)? de (?:escribirme|enviarme mensajes|mandarme mensajes)",
        r"no más (?:mensajes|sms)",
        r"darme de baja",
    ),
    "fr": (
        r"(?:arrêtez|arretez|arrête|arrete) de m'?(?:écrire|ecrire|envoyer des (?:sms|messages))",
        r"ne m'?(?:écrivez|ecrivez|écris|ecris|envoyez) plus",
        r"plus de (?:sms|messages)",
        r"(?:me )?(?:désabonner|desabonner)",
    ),
    "ru": (
        r"(?:хватит|перестаньте|прекратите) (?:мне )?(?:писать|присылать)",
        r"не пишите мне(?: больше)?",
        r"больше не пишите",
        r"отпишите меня|отписаться|стоп",
    ),
}
_POLITE = r"(?:please|bitte|por favor|s'il vous plaît|s'il vous plait|merci|пожалуйста|спасибо)"
_PLAIN = {
    lang: re.compile(rf"^\W*(?:{_POLITE}\W+)?(?:{'|'.join(phrases)})\W*(?:{_POLITE})?\W*$")
    for lang, phrases in _PHRASES.items()
}


def _clean(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().replace("’", "'").split())


def language_of_opt_out(text: str) -> str | None:
    """The language "stop texting me" was written in, if it was."""
    cleaned = _clean(text)
    return next((lang for lang, plain in _PLAIN.items() if plain.match(cleaned)), None)


def request_of(text: str | None) -> Request | None:
    """``opt_out_keyword`` for a carrier's opt-out word alone, ``opt_in_keyword`` for its
    opt-in word alone, ``opt_out_words`` for "stop texting me" written out (in English,
    German, Spanish, French or Russian); else ``None`` (a message for the bot)."""
    if not text:
        return None
    cleaned = _clean(text)
    word = re.sub(r"[^\w]", "", cleaned).upper()
    if word in OPT_OUT_WORDS and len(cleaned.split()) == 1:
        return "opt_out_keyword"
    if word in OPT_IN_WORDS and len(cleaned.split()) == 1:
        return "opt_in_keyword"
    if language_of_opt_out(cleaned) is not None:
        return "opt_out_words"
    return None
