"""SMS and WhatsApp through Twilio as :class:`~channels.base.Channel`: numbered text, no files.

Both are one channel class with two kinds. The person is their phone number in
E.164 (``+4915112345678``): that is the conversation's user, the identity's id and
the customer's phone, so a booking made elsewhere with the same number is theirs
here too. Twilio writes WhatsApp addresses ``whatsapp:+...``; the prefix is taken
off on the way in and put back on the way out.

``send`` goes through the official ``twilio`` client (async), pointed at
``api_base`` (Twilio's, or a local fake in tests). Twilio's errors become
:class:`~channels.base.SendFailed`; 21610 (the number answered STOP at the
carrier) also records the opt-out, so nothing more is tried there.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import aiohttp
from pydantic import SecretStr
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from bot.replies import Reply, as_text
from bot.traits import ChannelTraits
from channels.base import CARRIER_KEYWORDS, SendFailed
from core import customers

__all__ = [
    "OPTED_OUT",
    "SMS",
    "SMS_TRAITS",
    "WHATSAPP",
    "WHATSAPP_TRAITS",
    "Kind",
    "TwilioChannel",
    "TwilioConfig",
    "TwilioSettings",
    "render",
]

log = logging.getLogger(__name__)

Kind = Literal["sms", "whatsapp"]
SMS: Kind = "sms"
WHATSAPP: Kind = "whatsapp"
PREFIX = "whatsapp:"
OPTED_OUT = 21610
"""Twilio's error: the recipient answered STOP; no message reaches them until START."""
DEFAULT_API_BASE = "https://api.twilio.com"

SMS_TRAITS = ChannelTraits(
    has_buttons=False,
    max_options=5,
    max_text=320,  # two segments: a turn stays short
    attachments=False,
    reserved_words=CARRIER_KEYWORDS,
    date_picker=False,
)
WHATSAPP_TRAITS = ChannelTraits(
    has_buttons=False,
    max_options=9,
    max_text=1600,  # Twilio's limit of one WhatsApp body
    attachments=False,
    reserved_words=frozenset(),
    date_picker=False,
)
TRAITS: dict[Kind, ChannelTraits] = {SMS: SMS_TRAITS, WHATSAPP: WHATSAPP_TRAITS}


class TwilioSettings(Protocol):
    """The settings this channel reads (``slotwise.settings.Settings`` has them)."""

    @property
    def twilio_account_sid(self) -> str | None: ...
    @property
    def twilio_auth_token(self) -> SecretStr | None: ...
    @property
    def twilio_sms_from(self) -> str | None: ...
    @property
    def twilio_whatsapp_from(self) -> str | None: ...
    @property
    def twilio_api_base(self) -> str: ...
    @property
    def base_url(self) -> str: ...


@dataclass(frozen=True, slots=True)
class TwilioConfig:
    account_sid: str
    auth_token: str
    sms_from: str | None
    whatsapp_from: str | None
    api_base: str = DEFAULT_API_BASE
    public_url: str = ""
    """Where Twilio calls us (``SLOTWISE_PUBLIC_URL``): the signature covers this URL."""

    @classmethod
    def of(cls, settings: TwilioSettings) -> TwilioConfig | None:
        """The configuration, or ``None`` when the account or token is unset (channel off)."""
        token = settings.twilio_auth_token
        if not settings.twilio_account_sid or token is None or not token.get_secret_value():
            return None
        return cls(
            account_sid=settings.twilio_account_sid,
            auth_token=token.get_secret_value(),
            sms_from=settings.twilio_sms_from or None,
            whatsapp_from=settings.twilio_whatsapp_from or None,
            api_base=settings.twilio_api_base.rstrip("/"),
            public_url=settings.base_url.rstrip("/"),
        )

    def sender(self, kind: Kind) -> str | None:
        """The number ``kind`` sends from (WhatsApp's with its prefix); ``None``: kind is off."""
        if kind == SMS:
            return self.sms_from
        if self.whatsapp_from is None:
            return None
        return (
            self.whatsapp_from
            if self.whatsapp_from.startswith(PREFIX)
            else PREFIX + self.whatsapp_from
        )


def render(reply: Reply) -> str:
    """One reply as one message: the text, ``1. label`` per option, links for files."""
    return as_text(reply, attachments=False)


def address_of(kind: Kind, twilio_address: str) -> str:
    """The person's number as we keep it: Twilio's ``From`` without ``whatsapp:``."""
    return twilio_address.removeprefix(PREFIX) if kind == WHATSAPP else twilio_address


class _HttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
    """Twilio's aiohttp client with the credentials as a header: aiohttp deprecated the
    ``BasicAuth`` object the client passes (a warning on every send)."""

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        if auth is not None:
            pair = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            headers = {**(headers or {}), "Authorization": f"Basic {pair}"}
        return await super().request(
            method, url, params, data, headers, None, timeout, allow_redirects
        )


async def account_works(config: TwilioConfig) -> str | None:
    """``None`` when Twilio takes the account SID and token (it reads the account back),
    else what went wrong, in words. For ``slotwise channels check``: nothing is sent."""
    http = _HttpClient(timeout=10)
    try:
        client = Client(config.account_sid, config.auth_token, http_client=http)
        client.api.base_url = config.api_base
        await client.api.v2010.accounts(config.account_sid).fetch_async()
    except TwilioRestException as error:
        if error.status in (401, 403, 404):
            return f"Twilio refused the account SID or auth token ({error.status})"
        return f"Twilio answered {error.status} (code {error.code})"
    except (TwilioException, aiohttp.ClientError, OSError, TimeoutError) as error:
        return f"Twilio is unreachable at {config.api_base} ({error})"
    finally:
        await http.close()
    return None


class TwilioChannel:
    """SMS or WhatsApp (``kind``) as a :class:`~channels.base.Channel`."""

    def __init__(self, kind: Kind, config: TwilioConfig) -> None:
        sender = config.sender(kind)
        if sender is None:
            setting = "SMS_FROM" if kind == SMS else "WHATSAPP_FROM"
            raise ValueError(f"SLOTWISE_TWILIO_{setting}: set the number {kind} is sent from")
        self.name: str = kind
        self.kind = kind
        self.traits: ChannelTraits = TRAITS[kind]
        self._config = config
        self._from = sender

    def _to(self, recipient: str) -> str:
        number = recipient.removeprefix(PREFIX)
        return PREFIX + number if self.kind == WHATSAPP else number

    async def send(self, recipient: str, replies: Sequence[Reply]) -> None:
        """Each reply as one message, in order. Nothing goes to a number that opted out."""
        number = address_of(self.kind, recipient)
        if await customers.opted_out(self.kind, number):
            raise SendFailed(f"{self.kind}: the recipient opted out", permanent=True)
        http = _HttpClient(timeout=10)
        try:
            client = Client(self._config.account_sid, self._config.auth_token, http_client=http)
            client.api.base_url = self._config.api_base
            for reply in replies:
                await client.messages.create_async(
                    to=self._to(recipient), from_=self._from, body=render(reply)
                )
        except TwilioRestException as error:
            if error.code == OPTED_OUT:
                await customers.opt_out(self.kind, number)
                raise SendFailed(f"{self.kind}: the recipient opted out", permanent=True) from error
            retry = error.status == 429 or error.status >= 500
            detail = f"{self.kind}: Twilio refused the message ({error.status}, code {error.code})"
            raise SendFailed(detail, permanent=not retry) from error
        except (TwilioException, aiohttp.ClientError, OSError, TimeoutError) as error:
            raise SendFailed(
                f"{self.kind}: Twilio is unreachable ({error})", permanent=False
            ) from error
        finally:
            await http.close()
