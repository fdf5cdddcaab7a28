"""Users of the admin panel: accounts with roles, passwords, two-factor codes, sessions and
the sign-in lockout. The door for the admin panel and the CLI; see docs/admin.md.

    accounts.py   invite (one-time link), enrol, sign in, list, disable
    manage.py     the changes a sysadmin or the CLI makes, each written to the audit log
    passwords.py  argon2id off the event loop
    totp.py       RFC 6238 codes, QR code, recovery codes
    sessions.py   server-side sessions (revocable, rotated, expiring)
    lockout.py    failures counted by address and by account
"""

from core.models import UserRole
from core.users.accounts import (
    INVITE_TTL,
    Enrolment,
    UserInfo,
    disable,
    enrol,
    enrolment,
    invite,
    list_users,
    recovery_codes_left,
    requires_two_factor,
    reseal_totp_keys,
    set_locale,
    sign_in,
)
from core.users.lockout import Lockout
from core.users.manage import (
    USER_ACTIONS,
    ChangedBy,
    change_own_password,
    change_role,
    disable_user,
    enable_user,
    invite_user,
    make_new_link,
    reset_two_factor,
    user_by_id,
)
from core.users.sessions import (
    SessionInfo,
    SessionPolicy,
    close_other_sessions,
    close_session,
    close_sessions_of,
    open_session,
    session_of,
)
from core.users.totp import qr_svg_data_uri

__all__ = [
    "INVITE_TTL",
    "USER_ACTIONS",
    "ChangedBy",
    "Enrolment",
    "Lockout",
    "SessionInfo",
    "SessionPolicy",
    "UserInfo",
    "UserRole",
    "change_own_password",
    "change_role",
    "close_other_sessions",
    "close_session",
    "close_sessions_of",
    "disable",
    "disable_user",
    "enable_user",
    "enrol",
    "enrolment",
    "invite",
    "invite_user",
    "list_users",
    "make_new_link",
    "open_session",
    "qr_svg_data_uri",
    "recovery_codes_left",
    "requires_two_factor",
    "reseal_totp_keys",
    "reset_two_factor",
    "session_of",
    "set_locale",
    "sign_in",
    "user_by_id",
]
