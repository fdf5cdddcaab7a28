"""API keys: how a partner or a widget on another site proves which client it is.

A key is ``sw_<prefix>_<secret>``: the prefix (not secret) finds the row, the
whole key is compared with the SHA-256 kept at rest, in constant time. A plain
SHA-256 is enough here, unlike for passwords: the secret is 32 random bytes,
beyond any guessing, so a slow hash would only slow every request. The key
itself is shown once, when it is made, and never stored.

What a key proves: that the request comes from the client it was made for,
so idempotency keys, holds and limits are that client's. A ``client`` key (the
default) gives no rights over bookings beyond what a booking's manage token gives.
A ``staff`` key (``slotwise apikey create --role staff``) also acts for the
business: it may mark any booking a no-show (``POST /api/v1/bookings/{token}/no-show``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from core import models as m
from core.errors import InvalidRequest, NotFound

__all__ = [
    "ROLES",
    "ApiClient",
    "authenticate",
    "create_api_key",
    "list_api_keys",
    "revoke_api_key",
]

_PREFIX = "sw_"

ROLES = tuple(role.value for role in m.ApiKeyRole)
"""What a key may be made as: ``client`` (the default) or ``staff``."""


@dataclass(frozen=True, slots=True)
class ApiClient:
    """An API client as a request presents it."""

    id: int
    name: str
    created_at: datetime
    revoked_at: datetime | None = None
    role: str = m.ApiKeyRole.CLIENT.value
    """``client`` or ``staff`` (see the module docstring)."""

    @property
    def staff(self) -> bool:
        return self.role == m.ApiKeyRole.STAFF.value


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _client(row: m.ApiKey) -> ApiClient:
    return ApiClient(row.id, row.name, row.created_at, row.revoked_at, m.ApiKeyRole(row.role).value)


async def create_api_key(name: str, role: str = "client") -> tuple[ApiClient, str]:
    """A new key for the client ``name`` with ``role`` (one of :data:`ROLES`); returns the
    client and the key, shown once."""
    if role not in ROLES:
        raise InvalidRequest(f"a key's role is one of {', '.join(ROLES)}", field="role")
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > 100 or not name.isprintable():
        raise InvalidRequest("a key's name is 1 to 100 printable characters", field="name")
    if await m.ApiKey.filter(name=name).exists():
        raise InvalidRequest(f"there is already a key named {name!r}", field="name")
    prefix = secrets.token_hex(6)
    key = f"{_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    row = await m.ApiKey.create(
        name=name, prefix=prefix, digest=_digest(key), role=m.ApiKeyRole(role)
    )
    return _client(row), key


async def authenticate(presented: str) -> ApiClient | None:
    """The client whose live key this is, or ``None`` (unknown, malformed or revoked)."""
    if not presented.startswith(_PREFIX) or len(presented) > 200:
        return None
    prefix, _, secret = presented[len(_PREFIX) :].partition("_")
    if not prefix or not secret:
        return None
    row = await m.ApiKey.get_or_none(prefix=prefix, revoked_at=None)
    if row is None or not hmac.compare_digest(row.digest, _digest(presented)):
        return None
    return _client(row)


async def list_api_keys() -> list[ApiClient]:
    return [_client(row) for row in await m.ApiKey.all().order_by("name")]


async def revoke_api_key(name: str) -> ApiClient:
    """Refuse the key of ``name`` from now on; the row stays for the record."""
    row = await m.ApiKey.get_or_none(name=name)
    if row is None:
        raise NotFound(f"no key named {name!r}", field="name")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        await row.save(update_fields=["revoked_at"])
    return _client(row)
