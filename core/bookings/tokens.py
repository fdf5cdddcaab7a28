"""Tokens of holds that were not stored, because holds are off.

When the hold store is unavailable (or none is configured), ``hold`` still
answers with a hold, and the token carries the request itself (service, start,
resources, window, seats, expiry) so that ``confirm`` can work without the
store. Such a token is a claim the server made, so it is signed: an HMAC-SHA256
with the server's secret over the claim *and the owner* it was issued to. A
token someone wrote by hand, changed, or took from another client does not
verify and is an unknown hold. ``confirm`` still re-validates what a verified
token says against the current rules (see :mod:`core.bookings.service`): the
signature proves only that this server issued the hold, to this owner.

The owner is signed but not carried, which keeps tokens short (they travel in
JSON bodies and URLs) and says nothing about who took the hold.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime

from core.holds import Hold

__all__ = ["UNSTORED", "HoldSigner"]

UNSTORED = "u2."
"""Prefix of the tokens of unstored holds (a stored hold's token never has a dot)."""

_MAC_BYTES = 16
"""128 bits of HMAC-SHA256: far beyond guessing, and half the length of the full tag."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class HoldSigner:
    """Issues and verifies the tokens of unstored holds with one server secret.

    Every process of an installation must share the secret (settings: ``SLOTWISE_SECRET_KEY``,
    else the key file under ``./data/``), or a hold taken by one is unknown to another.
    """

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the signing secret must be at least 16 bytes")
        self._key = hashlib.sha256(b"slotwise hold token\0" + secret).digest()

    def _mac(self, body: str, owner: str) -> bytes:
        message = body.encode() + b"\0" + owner.encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()[:_MAC_BYTES]

    def token(self, hold: Hold) -> str:
        start = int(hold.start.timestamp())
        claim = [
            hold.service_id,
            start,
            list(hold.resources),
            start - int(hold.occupied_start.timestamp()),
            int(hold.occupied_end.timestamp()) - start,
            hold.seats,
            int(hold.expires_at.timestamp()),
            secrets.token_urlsafe(6),  # two holds of one request still differ
        ]
        body = _b64(json.dumps(claim, separators=(",", ":")).encode())
        return f"{UNSTORED}{body}.{_b64(self._mac(body, hold.owner))}"

    def hold(self, token: str, owner: str) -> Hold | None:
        """The hold ``token`` describes if this server issued it to ``owner``, else ``None``."""
        if not token.startswith(UNSTORED):
            return None
        body, _, mac = token[len(UNSTORED) :].partition(".")
        try:
            if not hmac.compare_digest(_unb64(mac), self._mac(body, owner)):
                return None
            service, start, resources, before, after, seats, expires, _ = json.loads(_unb64(body))
            return Hold(
                token=token,
                owner=owner,
                service_id=str(service),
                start=_instant(start),
                resources=tuple(str(r) for r in resources),
                occupied_start=_instant(start - before),
                occupied_end=_instant(start + after),
                seats=int(seats),
                expires_at=_instant(expires),
            )
        except (ValueError, TypeError, binascii.Error, OverflowError):
            return None


def _instant(seconds: object) -> datetime:
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise TypeError("an instant is whole seconds")
    return datetime.fromtimestamp(seconds, UTC)
