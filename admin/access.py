"""Who may open what: every route of the panel says it, and a test walks them all.

A view is wrapped by :func:`page` (for people: anonymous → redirect to sign-in),
:func:`data` (for scripts: anonymous → 401), both with the roles allowed (a
signed-in user without one → 403), or marked :func:`public` (sign-in, the
enrolment link, the style sheet). The wrappers leave :data:`ACCESS` on the view,
which ``tests/admin/test_access.py`` reads for every ``/admin`` route.

The session is read once per request (:func:`load_session`, a ``before_request``
of the blueprint), and every request that may change something (any method but
GET, HEAD, OPTIONS) must carry the CSRF token of its session, or for the
anonymous forms the one of the pre-session cookie (:func:`check_csrf`).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any, Literal, ParamSpec, TypeVar
from urllib.parse import urlsplit

from quart import abort, current_app, g, redirect, request, url_for
from quart.typing import ResponseReturnValue
from quart_schema import hide

from admin.config import AdminConfig
from core.bookings import Actor, BookingService
from core.users import SessionInfo, UserRole, session_of

__all__ = [
    "ACCESS",
    "ADMINS",
    "ANYONE",
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "Access",
    "actor_of",
    "booking_service",
    "check_csrf",
    "config",
    "current_user",
    "data",
    "form_token",
    "load_session",
    "page",
    "public",
    "signed_in",
    "staff_scope",
]

P = ParamSpec("P")
R = TypeVar("R")
View = Callable[P, Awaitable[ResponseReturnValue]]

ACCESS = "__admin_access__"
SESSION_COOKIE = "slotwise_admin"
CSRF_COOKIE = "slotwise_admin_csrf"
CONFIG = "slotwise.admin"
"""``app.extensions`` key of the :class:`AdminConfig` (set at registration)."""
ADMINS = (UserRole.SYSADMIN, UserRole.ADMIN)
ANYONE = (UserRole.SYSADMIN, UserRole.ADMIN, UserRole.STAFF)
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Access:
    kind: Literal["page", "data", "public"]
    roles: tuple[UserRole, ...]


def config() -> AdminConfig:
    found: AdminConfig = current_app.extensions[CONFIG]
    return found


def current_user() -> SessionInfo | None:
    user: SessionInfo | None = g.get("admin_user")
    return user


async def load_session() -> None:
    token = request.cookies.get(SESSION_COOKIE, "")
    settings = config()
    g.admin_user = (
        await session_of(token, now=settings.clock(), policy=settings.sessions) if token else None
    )


def form_token() -> str:
    """The CSRF token the forms of this response carry: the session's, or before sign-in the
    pre-session cookie's (made here when the browser has none; see :func:`csrf_cookie`)."""
    user = current_user()
    if user is not None:
        return user.csrf
    token = request.cookies.get(CSRF_COOKIE) or g.get("new_csrf")
    if not token:
        token = g.new_csrf = secrets.token_urlsafe(32)
    return str(token)


async def check_csrf() -> None:
    """Refuse (403) a changing request without the right token, or from another origin."""
    if request.method in _SAFE:
        return
    origin = request.headers.get("Origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.host:
        abort(403, "this form was sent from another site")
    form = await request.form
    sent = form.get("csrf_token") or request.headers.get("X-CSRF-Token", "")
    user = current_user()
    expected = user.csrf if user is not None else request.cookies.get(CSRF_COOKIE, "")
    if not expected or not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(403, "the form is out of date; reload the page and send it again")


def _mark(view: Any, access: Access) -> None:
    setattr(view, ACCESS, access)
    hide(view)  # the panel is not part of the REST API's description


def public(view: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Open to anyone (sign-in, the enrolment link, the style sheet): said out loud."""
    _mark(view, Access("public", ()))
    return view


def page(*roles: UserRole) -> Callable[[View[P]], View[P]]:
    """A page for ``roles``: anonymous → the sign-in page (coming back here after), a
    signed-in user without the role → 403."""
    return _guard("page", roles)


def data(*roles: UserRole) -> Callable[[View[P]], View[P]]:
    """A data endpoint for ``roles``: anonymous → 401, without the role → 403."""
    return _guard("data", roles)


def _guard(
    kind: Literal["page", "data"], roles: tuple[UserRole, ...]
) -> Callable[[View[P]], View[P]]:
    if not roles:
        raise ValueError("name the roles allowed")

    def decorate(view: View[P]) -> View[P]:
        @wraps(view)
        async def guarded(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            user = current_user()
            if user is None:
                if kind == "data":
                    abort(401, "sign in first")
                if request.method != "GET":  # nothing to come back to after sign-in
                    return redirect(url_for("admin.login"))
                return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
            if user.role not in roles:
                abort(403, "your role may not open this")
            return await view(*args, **kwargs)

        _mark(guarded, Access(kind, roles))
        return guarded

    return decorate


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: only a path of the panel, never another site."""
    if (
        target
        and target.startswith("/admin/")
        and "//" not in target
        and "\\" not in target
        and urlsplit(target).netloc == ""
    ):
        return target
    return url_for("admin.today")


def actor_of(user: SessionInfo) -> Actor:
    """Who a change made in the panel is recorded as: their role's word, their e-mail, the
    channel ``admin``."""
    return Actor("staff" if user.role is UserRole.STAFF else "admin", user.email, "admin")


@lru_cache(maxsize=1)
def _own_booking_service() -> BookingService:
    return BookingService()


def booking_service() -> BookingService:
    """The app's booking service (holds counted as busy); without one, one of our own."""
    made = config().bookings
    return made() if made is not None else _own_booking_service()


def signed_in() -> SessionInfo:
    """The user of a view that :func:`page` or :func:`data` guards (so there is one)."""
    user = current_user()
    assert user is not None  # the guard saw to it
    return user


def staff_scope(user: SessionInfo) -> str | None:
    """The resource a staff member's view is limited to; ``None`` for admins."""
    if user.role is UserRole.STAFF:
        if not user.resource:
            abort(403, "no resource is tied to this user")
        return user.resource
    return None
