"""Signing in and out, and the one-time enrolment link."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime

from quart import Response, redirect, request, send_from_directory, url_for
from quart.typing import ResponseReturnValue

from admin.access import (
    ANYONE,
    CSRF_COOKIE,
    SESSION_COOKIE,
    config,
    current_user,
    page,
    public,
    safe_next,
)
from admin.blueprint import FINGERPRINTS, STATIC, admin, minutes_until, render
from admin.words import Words, words_for
from core.errors import InvalidRequest, NotFound, SignInFailed, SignInLocked
from core.users import (
    close_session,
    enrol,
    enrolment,
    open_session,
    qr_svg_data_uri,
    set_locale,
    sign_in,
)


@admin.get("/static/<path:filename>")
@public
async def static(filename: str) -> Response:
    response = await send_from_directory(STATIC, filename)
    if request.args.get("v") == FINGERPRINTS.get(filename):
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@admin.get("/login")
@public
async def login() -> Response:
    return await render("login.html", next=request.args.get("next", ""), email="", error="")


def locked_out(words: Words, locked: SignInLocked, now: datetime) -> tuple[str, str]:
    """What a locked-out person is told, in words, and the ``Retry-After`` seconds: the
    same at sign-in and wherever a password is checked again."""
    minutes = minutes_until(locked.until, now)
    message = words.n_(
        "Too many failed sign-ins from this address or for this account. Try again in {n} minute.",
        "Too many failed sign-ins from this address or for this account. Try again in {n} minutes.",
        minutes,
    ).format(n=minutes)
    return message, str(max(1, int((locked.until - now).total_seconds())))


@admin.post("/login")
@public
async def login_post() -> ResponseReturnValue:
    form = await request.form
    settings = config()
    now = settings.clock()
    email = form.get("email", "")[:254]
    words = await words_for(None)
    try:
        user = await sign_in(
            email,
            form.get("password", "")[:1024],
            form.get("code", "")[:64],
            address=settings.address(request),
            now=now,
            lockout=settings.lockout,
        )
    except SignInLocked as locked:
        message, retry_after = locked_out(words, locked, now)
        response = await render(
            "login.html", status=429, next=form.get("next", ""), email=email, error=message
        )
        response.headers["Retry-After"] = retry_after
        return response
    except SignInFailed:
        message = words._("The e-mail, password or code is wrong.")
        return await render(
            "login.html", status=401, next=form.get("next", ""), email=email, error=message
        )
    token = await open_session(
        user.id,
        address=settings.address(request),
        now=now,
        policy=settings.sessions,
        replaces=request.cookies.get(SESSION_COOKIE),
    )
    signed_in = redirect(safe_next(form.get("next")), 303)
    signed_in.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        secure=settings.secure_cookies,
        path="/admin/",
    )
    signed_in.delete_cookie(CSRF_COOKIE, path="/admin/")
    return signed_in


@admin.post("/logout")
@page(*ANYONE)
async def logout() -> ResponseReturnValue:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await close_session(token, config().clock())
    response = redirect(url_for("admin.login"), 303)
    response.delete_cookie(SESSION_COOKIE, path="/admin/")
    return response


@admin.post("/language")
@page(*ANYONE)
async def language() -> ResponseReturnValue:
    user = current_user()
    assert user is not None  # the guard saw to it
    form = await request.form
    with suppress(InvalidRequest):  # not one of the offered languages: nothing changes
        await set_locale(user.user_id, form.get("lang", ""))
    return redirect(safe_next(form.get("next")), 303)


@admin.get("/enrol/<token>")
@public
async def enrol_page(token: str) -> Response:
    return await _enrol_form(token, error="", field="")


async def _enrol_form(token: str, *, error: str, field: str, status: int = 200) -> Response:
    words = await words_for(None)
    try:
        shown = await enrolment(token, now=config().clock())
    except NotFound:
        return await render(
            "error.html",
            status=404,
            title=words._("This link is unknown, used or expired"),
            detail=words._(
                "A link works once, for 24 hours. Ask whoever runs Slotwise for a new one "
                "(slotwise user link EMAIL)."
            ),
        )
    return await render(
        "enrol.html",
        status=status,
        shown=shown,
        qr=qr_svg_data_uri(shown.uri),
        error=error,
        field=field,
        token=token,
    )


@admin.post("/enrol/<token>")
@public
async def enrol_post(token: str) -> Response:
    form = await request.form
    password = form.get("password", "")[:1024]
    words = await words_for(None)
    if password != form.get("password_again", "")[:1024]:
        return await _enrol_form(
            token, error=words._("The two passwords differ."), field="password", status=400
        )
    try:
        codes = await enrol(token, password, form.get("code", "")[:64], now=config().clock())
    except NotFound:
        return await _enrol_form(token, error="", field="")
    except InvalidRequest as error:
        messages = {
            "password": words._(
                "The password needs 12 to 256 characters, must not be the e-mail address and "
                "must not be easy to guess (a common password, a keyboard row, a repeat)."
            ),
            "code": words._(
                "The code does not match the key. Check that the phone's clock is right and "
                "type the newest code."
            ),
        }
        field = error.field or ""
        return await _enrol_form(
            token, error=messages.get(field, error.message), field=field, status=400
        )
    return await render("enrolled.html", codes=codes)
