"""Users of the admin panel: made with a one-time link, enrolled, signed in.

``slotwise user create`` calls :func:`invite`: a user row without a password and a
link (its token kept as a SHA-256, valid ``INVITE_TTL``). The link's page
(:func:`enrolment`) shows a TOTP key made for this user; :func:`enrol` sets the
password and, when a code from that key is typed back, turns two-factor sign-in
on and hands out recovery codes (shown once). Two-factor sign-in is required for
sysadmins and admins and optional for staff. :func:`sign_in` checks the lockout,
the password and the code, in that order, and says only "wrong" whatever was.

TOTP keys (``totp_secret``, ``totp_pending``) are kept sealed (:mod:`core.sealed`); a
key from before sealing is still read, and sealed on its next use or by
:func:`reseal_totp_keys` (run at every start).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email

from core import models as m
from core.errors import InvalidRequest, NotFound, SignInFailed, SignInLocked
from core.sealed import is_sealed, seal, unseal
from core.text.languages import LANGUAGES
from core.users import passwords, totp
from core.users.lockout import Lockout, locked_until, record_failure
from core.users.sessions import close_sessions_of

__all__ = [
    "INVITE_TTL",
    "Enrolment",
    "UserInfo",
    "checked_role",
    "disable",
    "enrol",
    "enrolment",
    "invite",
    "list_users",
    "reseal_totp_keys",
    "set_locale",
    "sign_in",
]

INVITE_TTL = timedelta(hours=24)
Role = m.UserRole


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: int
    email: str
    role: m.UserRole
    resource: str | None
    locale: str
    enrolled: bool
    """Has set a password (followed their link)."""
    two_factor: bool
    active: bool


@dataclass(frozen=True, slots=True)
class Enrolment:
    """What the enrolment page shows."""

    email: str
    role: m.UserRole
    two_factor_required: bool
    secret: str
    uri: str
    """The ``otpauth://`` link; the page shows it as a QR code too."""


def _info(row: m.User) -> UserInfo:
    return UserInfo(
        id=row.id,
        email=row.email,
        role=m.UserRole(row.role),
        resource=row.resource,
        locale=row.locale,
        enrolled=row.password_hash is not None,
        two_factor=row.totp_secret is not None,
        active=row.active,
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise InvalidRequest(
            f"{email!r} is not an e-mail address: {error}", field="email"
        ) from None


def requires_two_factor(role: m.UserRole) -> bool:
    return role is not m.UserRole.STAFF


async def invite(
    email: str, role: str, resource: str | None, *, now: datetime, locale: str = "en"
) -> tuple[UserInfo, str]:
    """Make a user who has not signed in yet; returns them and their one-time link's token."""
    address = _email(email)
    kind, resource = await checked_role(role, resource)
    if locale not in LANGUAGES:
        raise InvalidRequest(f"{locale!r} is not one of {', '.join(LANGUAGES)}", field="locale")
    if await m.User.filter(email=address).exists():
        raise InvalidRequest(
            f"there is already a user {address}; 'slotwise user link' makes them a new link",
            field="email",
        )
    token = secrets.token_urlsafe(32)
    row = await m.User.create(
        email=address,
        role=kind,
        resource=resource,
        locale=locale,
        totp_pending=seal(totp.new_secret()),
        invite_digest=_digest(token),
        invite_expires_at=now + INVITE_TTL,
    )
    return _info(row), token


async def checked_role(role: str, resource: str | None) -> tuple[m.UserRole, str | None]:
    """The role, and the resource it ties a staff member to (``None`` for the others);
    :class:`InvalidRequest` naming the field that is wrong."""
    try:
        kind = m.UserRole(role)
    except ValueError:
        raise InvalidRequest(
            f"{role!r} is not a role; use sysadmin, admin or staff", field="role"
        ) from None
    if kind is m.UserRole.STAFF:
        if not resource:
            raise InvalidRequest(
                "a staff member needs their resource: --resource ID", field="resource"
            )
        if not await m.Resource.filter(slug=resource, active=True).exists():
            raise InvalidRequest(f"there is no active resource {resource!r}", field="resource")
        return kind, resource
    if resource:
        raise InvalidRequest("only staff are tied to a resource", field="resource")
    return kind, None


async def relink(row: m.User, now: datetime) -> str:
    """A new one-time link for a user who lost their password or their authenticator: the
    password, the TOTP key, the recovery codes and the sessions stop working now (a key
    alone is never reset: until the person enrols again, their password would let them in
    without a second factor). Only :mod:`core.users.manage` calls it, which audits it."""
    token = secrets.token_urlsafe(32)
    row.password_hash = None
    row.totp_secret = None
    row.totp_last_step = None
    row.totp_pending = seal(totp.new_secret())
    row.recovery_codes = ""
    row.invite_digest = _digest(token)
    row.invite_expires_at = now + INVITE_TTL
    await row.save()
    await close_sessions_of(row.id, now)
    return token


async def _user(email: str) -> m.User:
    row = await m.User.get_or_none(email=email.strip().lower())
    if row is None:
        raise NotFound(f"there is no user {email.strip()!r}", field="email")
    return row


async def _invited(token: str, now: datetime) -> m.User:
    row = await m.User.get_or_none(invite_digest=_digest(token), active=True) if token else None
    if row is None or row.invite_expires_at is None or row.invite_expires_at <= now:
        raise NotFound("this link is unknown, used or expired; ask for a new one", field="link")
    return row


async def enrolment(token: str, *, now: datetime) -> Enrolment:
    """What the link's page shows; :class:`NotFound` for a link unknown, used or expired."""
    row = await _invited(token, now)
    secret = unseal(row.totp_pending) if row.totp_pending else totp.new_secret()
    if row.totp_pending is None or not is_sealed(row.totp_pending):
        row.totp_pending = seal(secret)
        await row.save(update_fields=["totp_pending"])
    return Enrolment(
        email=row.email,
        role=m.UserRole(row.role),
        two_factor_required=requires_two_factor(m.UserRole(row.role)),
        secret=secret,
        uri=totp.provisioning_uri(secret, row.email),
    )


async def enrol(token: str, password: str, code: str, *, now: datetime) -> list[str]:
    """Set the password and, with a code from the shown key, two-factor sign-in; the link is
    used up. Returns the recovery codes (empty without two-factor sign-in)."""
    row = await _invited(token, now)
    passwords.check_password(password, row.email)
    role = m.UserRole(row.role)
    step = None
    if code.strip() or requires_two_factor(role):
        if row.totp_pending is None:
            raise InvalidRequest("reload the page for a new key", field="code")
        step = totp.matching_step(unseal(row.totp_pending), code, now)
        if step is None:
            raise InvalidRequest(
                "the code does not match the key; check the phone's clock and type the newest code",
                field="code",
            )
    hashed = await passwords.hash_password(password)
    codes: list[str] = []
    updates: dict[str, object] = {
        "password_hash": hashed,
        "invite_digest": None,
        "invite_expires_at": None,
        "totp_pending": None,
    }
    if step is not None:
        codes = totp.new_recovery_codes()
        updates |= {
            "totp_secret": seal(unseal(row.totp_pending or "")),
            "totp_last_step": step,
            "recovery_codes": " ".join(totp.code_digest(c) for c in codes),
        }
    # Only the row still holding this link: two tabs submitting at once enrol once.
    done = await m.User.filter(id=row.id, invite_digest=row.invite_digest).update(**updates)
    if not done:
        raise NotFound("this link is unknown, used or expired; ask for a new one", field="link")
    return codes


async def sign_in(
    email: str, password: str, code: str, *, address: str, now: datetime, lockout: Lockout
) -> UserInfo:
    """The user whose e-mail, password and (when enrolled) two-factor or recovery code
    these are. :class:`SignInLocked` while the address or account is locked (nothing is
    checked then), else :class:`SignInFailed` for anything wrong, counted for the lockout."""
    account = email.strip().lower()[:254]
    until = await locked_until(address, account, now)
    if until is not None:
        raise SignInLocked(until)
    row = await m.User.get_or_none(email=account, active=True)
    ok, rehashed = await passwords.verify(row.password_hash if row else None, password)
    if ok and row is not None and await _second_factor(row, code, now):
        if rehashed:
            await m.User.filter(id=row.id).update(password_hash=rehashed)
        return _info(row)
    until = await record_failure(address, account, now, lockout)
    if until is not None:
        raise SignInLocked(until)
    raise SignInFailed("the e-mail, password or code is wrong")


async def _second_factor(row: m.User, code: str, now: datetime) -> bool:
    if row.totp_secret is None:
        return True
    code = code.strip()
    if len(code) > 8:
        digest = totp.code_digest(code)
        unused = row.recovery_codes.split()
        if digest not in unused:
            return False
        left = " ".join(d for d in unused if d != digest)
        # Conditional on the list read, so one code cannot be spent twice at once.
        used = await m.User.filter(id=row.id, recovery_codes=row.recovery_codes).update(
            recovery_codes=left
        )
        return bool(used)
    step = totp.matching_step(unseal(row.totp_secret), code, now)
    if step is None or (row.totp_last_step is not None and step <= row.totp_last_step):
        return False
    if not is_sealed(row.totp_secret):  # a key from before sealing: sealed on this use
        await m.User.filter(id=row.id, totp_secret=row.totp_secret).update(
            totp_secret=seal(row.totp_secret)
        )
    query = m.User.filter(id=row.id)
    query = (
        query.filter(totp_last_step__isnull=True)
        if row.totp_last_step is None
        else query.filter(totp_last_step=row.totp_last_step)
    )
    return bool(await query.update(totp_last_step=step))


async def recovery_codes_left(user_id: int) -> int:
    row = await m.User.get(id=user_id)
    return len(row.recovery_codes.split())


async def list_users() -> list[UserInfo]:
    return [_info(row) for row in await m.User.all().order_by("email")]


async def set_locale(user_id: int, locale: str) -> None:
    if locale not in LANGUAGES:
        raise InvalidRequest(f"{locale!r} is not one of {', '.join(LANGUAGES)}", field="locale")
    await m.User.filter(id=user_id).update(locale=locale)


async def disable(email: str, *, now: datetime) -> UserInfo:
    """The user can no longer sign in; their sessions end now. The row stays for the record."""
    row = await _user(email)
    row.active = False
    row.invite_digest = None
    await row.save(update_fields=["active", "invite_digest"])
    await close_sessions_of(row.id, now)
    return _info(row)


async def reseal_totp_keys() -> int:
    """Seal every TOTP key still kept in the clear (rows from before sealing); returns how
    many. Each update is conditional on the value read, so a sign-in at the same moment
    loses nothing."""
    done = 0
    for user_id, secret, pending in await m.User.all().values_list(
        "id", "totp_secret", "totp_pending"
    ):
        changes: dict[str, object] = {}
        if secret is not None and not is_sealed(secret):
            changes["totp_secret"] = seal(secret)
        if pending is not None and not is_sealed(pending):
            changes["totp_pending"] = seal(pending)
        if changes:
            done += await m.User.filter(
                id=user_id, totp_secret=secret, totp_pending=pending
            ).update(**changes)
    return done
