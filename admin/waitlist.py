"""The waitlist: entries with their window, state and the offers sent; removing one.

Admins see every entry; staff the entries that wish for their resource or were offered
time on it, and remove only those. Removal is audited (:mod:`core.waitlist_admin`).
"""

from __future__ import annotations

from quart import Response, abort, redirect, request, url_for
from quart.typing import ResponseReturnValue

from admin.access import ANYONE, config, page, signed_in, staff_scope
from admin.blueprint import admin, render
from admin.customers import names, number_of
from admin.words import words_for
from core.errors import NotFound
from core.waitlist_admin import remove_entry, waitlist

STATES = ("waiting", "booked", "expired", "removed")


@admin.get("/waitlist")
@page(*ANYONE)
async def waitlist_page() -> Response:
    user = signed_in()
    words = await words_for(user)
    status = request.args.get("status") or None
    if status is not None and status not in STATES:
        abort(400, words._("Choose a state from the list."))
    lines = await waitlist(resource=staff_scope(user), status=status)
    states = {
        "waiting": words._("waiting"),
        "booked": words._("booked"),
        "expired": words._("expired"),
        "removed": words._("removed"),
    }
    services, resources = await names()
    return await render(
        "waitlist.html",
        services=services,
        resources=resources,
        lines=lines,
        chosen=status or "",
        states=states,
        when=words.when,
        removed=request.args.get("removed") == "1",
    )


@admin.post("/waitlist/<entry_id>/remove")
@page(*ANYONE)
async def waitlist_remove(entry_id: str) -> ResponseReturnValue:
    number = number_of(entry_id)
    user = signed_in()
    try:
        await remove_entry(
            number, actor=f"admin:{user.email}", now=config().clock(), resource=staff_scope(user)
        )
    except NotFound:
        abort(404, "there is no such waitlist entry")
    return redirect(url_for("admin.waitlist_page", removed="1"), 303)
