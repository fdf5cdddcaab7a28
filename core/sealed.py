"""Secrets the server must read back (two-factor keys, webhook signing secrets), kept
encrypted at rest with a key derived from the server's secret.

A TOTP key or a webhook secret cannot be hashed like a password: the server needs it
in the clear to check a code or sign a delivery. So it is encrypted (Fernet: AES-128-CBC
and HMAC-SHA256) with a key derived from ``SLOTWISE_SECRET_KEY`` (or the generated
``data/secret_key``), which lives outside the database: a copy of the database alone
gives none of them away. Sealed values start with :data:`PREFIX`; a value without it
is from before sealing and is read as it is (and sealed again by its owner on next use).

The composition root calls :func:`use_secret` once at start (``slotwise.container``,
the ``slotwise user`` commands); sealing before that is a bug and says so.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken

__all__ = ["PREFIX", "SealError", "is_sealed", "seal", "unseal", "use_secret"]

PREFIX = "fernet:"
_state: dict[str, Fernet] = {}


class SealError(RuntimeError):
    """A sealed value that this server's secret cannot open, or no secret given."""


def use_secret(secret: bytes) -> None:
    """Derive the sealing key from the server's secret (HMAC-SHA256 with a fixed label,
    so the key is not the secret itself and no other use of the secret collides)."""
    derived = hmac.new(secret, b"slotwise sealed secrets v1", hashlib.sha256).digest()
    _state["fernet"] = Fernet(base64.urlsafe_b64encode(derived))


def _fernet() -> Fernet:
    found = _state.get("fernet")
    if found is None:
        raise SealError("no server secret given for sealing (core.sealed.use_secret)")
    return found


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def seal(plain: str) -> str:
    return PREFIX + _fernet().encrypt(plain.encode()).decode()


def unseal(stored: str) -> str:
    """The clear text of ``stored``; a value from before sealing is returned as it is."""
    if not is_sealed(stored):
        return stored
    try:
        return _fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise SealError(
            "a sealed secret cannot be opened with this server's secret "
            "(was SLOTWISE_SECRET_KEY changed?)"
        ) from None
