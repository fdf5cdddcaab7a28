"""The signed-in user's own account: a new password (any role).

The current password and, with two-factor sign-in, a fresh code are asked first and
checked as at sign-in (:func:`core.users.change_own_password`): a wrong one counts for
the sign-in lockout, so this form is no faster a way to guess a password than the
sign-in form. Every other session of the user ends; this browser stays signed in.
"""

from __future__ import annotations

from quart import Response, request
from quart.typing import ResponseReturnValue

from admin.access import ANYONE, SESSION_COOKIE, config, page, signed_in
from admin.blueprint import admin, render
from admin.signin import locked_out
from admin.words import Words, words_for
from core.errors import InvalidRequest, SignInLocked
from core.users import change_own_password, user_by_id


def _problem(words: Words, field: str) -> str:
    """The error in the user's words, naming the field."""
    messages = {
        "current_password": words._("Current password: it is wrong."),
        "code": words._("Code: it is wrong or already used. Type the newest code the app shows."),
        "password_again": words._("New password again: the two new passwords differ."),
        "password": words._(
            "New password: it needs 12 to 256 characters, must not be the e-mail address and "
            "must not be easy to guess (a common password, a keyboard row, a repeat)."
        ),
    }
    return messages.get(field, words._("Something is wrong; check the form."))


async def _form(
    *, error: str = "", field: str = "", done: bool = False, status: int = 200
) -> Response:
    return await render(
        "account_password.html",
        status=status,
        error=error,
        field=field,
        done=done,
        two_factor=await _has_two_factor(),
    )


async def _has_two_factor() -> bool:
    return (await user_by_id(signed_in().user_id)).two_factor


@admin.get("/account/password")
@page(*ANYONE)
async def account_password() -> ResponseReturnValue:
    return await _form()


@admin.post("/account/password")
@page(*ANYONE)
async def account_password_post() -> ResponseReturnValue:
    user = signed_in()
    form = await request.form
    settings = config()
    now = settings.clock()
    words = await words_for(user)
    try:
        await change_own_password(
            user.user_id,
            form.get("current_password", "")[:1024],
            form.get("password", "")[:1024],
            form.get("password_again", "")[:1024],
            form.get("code", "")[:64],
            session=request.cookies.get(SESSION_COOKIE, ""),
            address=settings.address(request),
            now=now,
            lockout=settings.lockout,
        )
    except SignInLocked as locked:
        message, retry_after = locked_out(words, locked, now)
        response = await _form(error=message, status=429)
        response.headers["Retry-After"] = retry_after
        return response
    except InvalidRequest as error:
        field = error.field or ""
        return await _form(error=_problem(words, field), field=field, status=400)
    return await _form(done=True)
