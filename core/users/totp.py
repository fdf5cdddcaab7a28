"""Two-factor codes (TOTP, RFC 6238 defaults: SHA-1, 6 digits, 30 s, one step of drift)
and recovery codes.

A code is accepted once: :func:`matching_step` returns the time step it belongs
to, and the caller keeps the last accepted step and refuses any step not after
it. Recovery codes are 80 random bits each, so a plain SHA-256 keeps them safe
at rest (no slow hash needed, as for API keys); each works once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno

__all__ = [
    "ISSUER",
    "RECOVERY_CODES",
    "code_digest",
    "matching_step",
    "new_recovery_codes",
    "new_secret",
    "provisioning_uri",
    "qr_svg_data_uri",
]

ISSUER = "Slotwise"
RECOVERY_CODES = 10
_DRIFT = 1


def new_secret() -> str:
    """160 random bits in base32, RFC 4226's recommended key length."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, email: str) -> str:
    """The ``otpauth://`` link an authenticator app reads (also from the QR code)."""
    return str(pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER))


def qr_svg_data_uri(uri: str) -> str:
    """The link as a QR code, an SVG ``data:`` URI made here (no outside service sees the key)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step ``code`` is valid for at ``now`` (this step or one either side), or
    ``None``. Compared in constant time."""
    code = "".join(code.split())
    if len(code) != 6 or not (code.isascii() and code.isdigit()):  # "١٢٣٤٥٦" is digits too
        return None
    totp = pyotp.TOTP(secret)
    step = totp.timecode(now)
    for candidate in range(step - _DRIFT, step + _DRIFT + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def new_recovery_codes() -> list[str]:
    """Codes such as ``K7QD-2M4X-PA9T-ZC3W`` (16 base32 characters: 80 bits)."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = base64.b32encode(secrets.token_bytes(10)).decode()
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    return codes


def code_digest(code: str) -> str:
    """What a recovery code is kept and found by: dashes, spaces and case do not matter."""
    normal = "".join(c for c in code.upper() if c.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()
