"""E-mail: a sender of :class:`core.notify.Outgoing` over SMTP (aiosmtplib), or to the log.

Each message is ``multipart/alternative``: a text body, an HTML body and the booking's
calendar file as ``text/calendar; method=REQUEST`` (``CANCEL`` when it was cancelled),
whose UID is the one of ``/b/<token>.ics``, so a mail client offers to add, update or
remove the event. The outbox dedup key becomes the Message-ID
(``<sha256-of-key@host>``): a resend after a worker died has the same id, and the
provider id stored for the message is that Message-ID.

``SLOTWISE_SMTP_URL``: ``smtp://user:pass@host:port`` (``smtps://`` for TLS from the
start, ``?starttls=1`` to upgrade a plain connection). Unset, messages are written to
the log instead (the embedded default). SMTP errors never leave this module: a
refused recipient is ``SendFailed(permanent=True)``, anything else ``permanent=False``.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from channels.base import SendFailed
from core.notify import Outgoing
from core.text.links import host_of

__all__ = ["EMAIL", "LogEmail", "SmtpEmail", "SmtpTarget", "build_email", "message_id"]

EMAIL = "email"
log = logging.getLogger(__name__)


def message_id(dedup_key: str, host: str) -> str:
    """The Message-ID of every attempt of one outbox message."""
    return f"<{hashlib.sha256(dedup_key.encode()).hexdigest()[:40]}@{host}>"


def build_email(message: Outgoing, *, sender: str, to: str, host: str) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = sender
    mail["To"] = to
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    mail["Message-ID"] = message_id(message.dedup_key, host)
    mail["X-Slotwise-Dedup-Key"] = message.dedup_key
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    if message.calendar is not None:
        mail.add_alternative(
            message.calendar.decode("utf-8"),
            subtype="calendar",
            params={"method": message.calendar_method},
        )
    return mail


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    start_tls: bool

    @classmethod
    def parse(cls, url: str) -> SmtpTarget:
        """``smtp://user:pass@host:port``, ``smtps://...``, ``...?starttls=1``."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(
                f"SLOTWISE_SMTP_URL {url!r} is not smtp://user:pass@host:port (or smtps:// for TLS)"
            )
        tls = parts.scheme == "smtps"
        query = parse_qs(parts.query)
        return cls(
            hostname=parts.hostname,
            port=parts.port or (465 if tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=tls,
            start_tls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
        )


class SmtpEmail:
    """Sends through one SMTP server, a connection per message."""

    def __init__(self, target: SmtpTarget, *, sender: str, public_url: str) -> None:
        self.target = target
        self.sender = sender
        self.host = host_of(public_url)

    async def deliver(self, address: str, message: Outgoing) -> str | None:
        mail = build_email(message, sender=self.sender, to=address, host=self.host)
        t = self.target
        try:
            await aiosmtplib.send(
                mail,
                hostname=t.hostname,
                port=t.port,
                username=t.username,
                password=t.password,
                use_tls=t.use_tls,
                start_tls=t.start_tls,
                timeout=30,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            raise SendFailed(f"e-mail refused: {error}", permanent=True) from None
        except (aiosmtplib.SMTPException, OSError) as error:
            raise SendFailed(f"e-mail not sent: {error}", permanent=False) from None
        return str(mail["Message-ID"])


class LogEmail:
    """No SMTP server configured: each e-mail is written to the log (embedded default)."""

    def __init__(self, *, sender: str, public_url: str) -> None:
        self.sender = sender
        self.host = host_of(public_url)

    async def deliver(self, address: str, message: Outgoing) -> str | None:
        mail = build_email(message, sender=self.sender, to=address, host=self.host)
        log.info(
            "e-mail to %s (no SMTP configured): %s\n%s", address, mail["Subject"], message.text
        )
        return str(mail["Message-ID"])
