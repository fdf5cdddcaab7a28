"""Tokens of holds that were not stored, because holds are off.

When the hold store is unavailable (or none is configured), ``hold`` still
answers with a hold, and the token carries the request itself (service, start,
resources, seats, owner, expiry) so that ``confirm`` can work without the store.
It needs no signature: a forged token grants nothing ``book`` would not, since
``confirm`` checks the owner and expiry and re-checks everything under lock.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from datetime import datetime

from core.bookings.inputs import aware
from core.errors import InvalidRequest
from core.holds import Hold

__all__ = ["UNSTORED", "unstored_hold", "unstored_token"]

UNSTORED = "u1."
"""Prefix of the tokens of unstored holds (a stored hold's token never has a dot)."""


def unstored_token(hold: Hold) -> str:
    data = {
        "o": hold.owner,
        "s": hold.service_id,
        "t": hold.start.isoformat(),
        "r": list(hold.resources),
        "a": hold.occupied_start.isoformat(),
        "b": hold.occupied_end.isoformat(),
        "n": hold.seats,
        "x": hold.expires_at.isoformat(),
        "k": secrets.token_urlsafe(9),
    }
    text = json.dumps(data, separators=(",", ":")).encode()
    return UNSTORED + base64.urlsafe_b64encode(text).decode().rstrip("=")


def unstored_hold(token: str) -> Hold | None:
    """The hold a token describes, or ``None`` when it is not one of ours."""
    try:
        body = token[len(UNSTORED) :]
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        return Hold(
            token=token,
            owner=str(data["o"]),
            service_id=str(data["s"]),
            start=aware(datetime.fromisoformat(data["t"]), "token"),
            resources=tuple(str(r) for r in data["r"]),
            occupied_start=aware(datetime.fromisoformat(data["a"]), "token"),
            occupied_end=aware(datetime.fromisoformat(data["b"]), "token"),
            seats=int(data["n"]),
            expires_at=aware(datetime.fromisoformat(data["x"]), "token"),
        )
    except (ValueError, KeyError, TypeError, binascii.Error, InvalidRequest):
        return None
