"""The blueprint every view of the panel hangs on, its headers, errors and page helpers.

Every response under ``/admin`` gets a strict Content-Security-Policy (nothing but
this server's own files: no inline script or style, no CDN), is never framed,
sends no referrer (the enrolment link's token is in its path) and is not cached
(except the fingerprinted style sheet).
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime
from pathlib import Path
from typing import Any

from quart import Blueprint, Quart, Response, jsonify, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from admin.access import (
    CONFIG,
    CSRF_COOKIE,
    check_csrf,
    config,
    current_user,
    form_token,
    load_session,
)
from admin.config import AdminConfig
from admin.words import Words, words_for

__all__ = ["CSP", "admin", "register_admin", "render"]

STATIC = Path(__file__).parent / "static"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

admin = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


def register_admin(app: Quart, settings: AdminConfig) -> None:
    app.extensions[CONFIG] = settings
    app.register_blueprint(admin)


admin.before_request(load_session)
admin.before_request(check_csrf)


@admin.after_request
async def headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


FINGERPRINTS = {
    path.relative_to(STATIC).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    for path in STATIC.rglob("*")
    if path.is_file()
}
"""Content hashes of the static files, the vendored libraries in ``vendor/`` included (made by
``make vendor``; absent without npm, and the pages that use them fall back to tables)."""


def vendored(filename: str) -> bool:
    """Whether ``make vendor`` put this library in place (pages offer a table otherwise)."""
    return f"vendor/{filename}" in FINGERPRINTS


def asset(filename: str) -> str:
    return url_for("admin.static", filename=filename, v=FINGERPRINTS.get(filename, "0"))


async def render(template: str, *, status: int = 200, **context: Any) -> Response:
    """A page in the user's language, with what every page needs (words, the CSRF token)."""
    words = await words_for(current_user())
    html = await render_template(
        template,
        _=words._,
        n_=words.n_,
        words=words,
        user=current_user(),
        csrf_token=form_token(),
        css=asset("admin.css"),
        **context,
    )
    response = Response(html, status=status, content_type="text/html; charset=utf-8")
    if current_user() is None and not request.cookies.get(CSRF_COOKIE):
        response.set_cookie(
            CSRF_COOKIE,
            form_token(),
            httponly=True,
            samesite="Lax",
            secure=config().secure_cookies,
            path="/admin/",
        )
    return response


@admin.errorhandler(HTTPException)
async def http_error(error: HTTPException) -> Response:
    """A page for people, a problem document for the data endpoints; never a traceback."""
    status = error.code or 500
    if request.path.startswith("/admin/api/"):
        response = jsonify(
            {
                "type": "about:blank",
                "title": error.name,
                "status": status,
                "detail": error.description,
            }
        )
        response.status_code = status
        response.headers["Content-Type"] = "application/problem+json"
        return response
    words: Words = await words_for(current_user())
    titles = {
        400: words._("Something in the address is wrong"),
        401: words._("Please sign in"),
        403: words._("You may not open this page"),
        404: words._("There is nothing at this address"),
        405: words._("This address does not take that method"),
    }
    details = {
        400: error.description or "",
        403: words._(
            "Your role does not include this page, or the form was out of date: "
            "reload it and send it again."
        ),
    }
    return await render(
        "error.html",
        status=status,
        title=titles.get(status, words._("Something went wrong")),
        detail=details.get(status, ""),
    )


def minutes_until(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds() / 60))
