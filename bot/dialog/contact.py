"""Reading a name, a phone number or an e-mail address out of a message.

Deliberately forgiving about format ("+49 (30) 123-4567", "Ana@Example.com")
and strict about substance, because a booking with a contact nobody can reach
is worse than asking again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.text import first_control

__all__ = ["Contact", "read_contact", "read_name", "read_name_and_contact", "unreadable"]

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}", re.UNICODE)
_PHONE = re.compile(r"\+?[\d\s().-]{7,24}")
NAME_MAX = 100
_SEPARATORS = " \t\n,;:/|-–—()[]<>"
_LABELS = re.compile(
    r"(?<!\w)(?:e-?mail|mail|phone|tel|telefon|teléfono|téléphone|correo|courriel|почта|"
    r"телефон)(?!\w)\s*:?",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Contact:
    phone: str | None = None
    email: str | None = None


def read_contact(text: str) -> Contact | None:
    """An e-mail address or a phone number (7 to 15 digits) in the text, else ``None``."""
    found = _find_contact(text)
    return None if found is None else found[0]


def _find_contact(text: str) -> tuple[Contact, re.Match[str]] | None:
    if match := _EMAIL.search(text):
        return Contact(email=match.group(0).lower()), match
    for match in _PHONE.finditer(text):
        raw = match.group(0).strip()
        digits = re.sub(r"\D", "", raw)
        if 7 <= len(digits) <= 15:
            return Contact(phone=("+" if raw.startswith("+") else "") + digits), match
    return None


def read_name_and_contact(text: str) -> tuple[str | None, Contact | None]:
    """A name, and the phone or e-mail written beside it ("Sophie Turner,
    sophie.t@example.com"): asked for a name, people often give both at once."""
    found = _find_contact(text)
    if found is None:
        return read_name(text), None
    contact, match = found
    rest = f"{text[: match.start()]} {text[match.end() :]}"
    rest = _LABELS.sub(" ", rest)
    return read_name(rest.strip(_SEPARATORS)), contact


def read_name(text: str) -> str | None:
    """A plausible name: some letters, no digits or addresses, at most 100 characters."""
    name = " ".join(text.split())
    if not name or len(name) > NAME_MAX or "@" in name or any(ch.isdigit() for ch in name):
        return None
    if not any(ch.isalpha() for ch in name):
        return None
    return name


def unreadable(text: str) -> bool:
    """Whether ``text`` holds a control character (tab and newlines aside) or a lone
    surrogate: no name or contact has one, and guessing around it would book what the
    customer cannot see, so the question is asked again instead."""
    return first_control(text, lines=True) is not None
