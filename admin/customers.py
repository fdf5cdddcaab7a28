"""Customers: search, a customer's page, merging duplicates and erasing personal data.

Admins see everything and may merge and erase; staff find only the customers of their
own resource's bookings, and see their contact details and those bookings only. Merges
and erasures go through :mod:`core.customer_records`, which audits them.
"""

from __future__ import annotations

from quart import Response, abort, redirect, request, url_for
from quart.typing import ResponseReturnValue

from admin.access import ADMINS, ANYONE, page, signed_in, staff_scope
from admin.blueprint import admin, render
from admin.words import words_for
from core import directory
from core.customer_records import erase, merge, profile, search
from core.errors import InvalidRequest, NoBusiness, NotFound
from core.models import MAX_ID
from core.users import SessionInfo, UserRole


def number_of(text: str) -> int:
    """A row's number from the address; 404 when it is not one."""
    if not (text.isascii() and text.isdigit()) or len(text) > 12 or int(text) > MAX_ID:
        abort(404, "there is nothing at this address")
    return int(text)


async def names() -> tuple[dict[str, str], dict[str, str]]:
    """Services' and resources' names by id, for showing rows that hold ids."""
    try:
        offered = await directory.catalogue()
    except NoBusiness:
        return {}, {}
    return {s.id: s.name for s in offered.services}, {r.id: r.name for r in offered.resources}


def _actor(user: SessionInfo) -> str:
    return f"admin:{user.email}"


@admin.get("/customers")
@page(*ANYONE)
async def customers() -> Response:
    user = signed_in()
    text = request.args.get("q", "")[:100]
    found = await search(text, resource=staff_scope(user))
    return await render("customers.html", found=found, q=text, staff=user.role is UserRole.STAFF)


async def _customer_page(customer_id: int, *, status: int = 200, **extra: object) -> Response:
    user = signed_in()
    words = await words_for(user)
    try:
        shown = await profile(customer_id, resource=staff_scope(user))
    except NotFound:
        abort(404, "there is no such customer")
    services, resources = await names()
    return await render(
        "customer.html",
        status=status,
        services=services,
        resources=resources,
        statuses={
            "confirmed": words._("confirmed"),
            "cancelled": words._("cancelled"),
            "completed": words._("completed"),
            "no_show": words._("no-show"),
        },
        c=shown,
        staff=user.role is UserRole.STAFF,
        when=words.when,
        **extra,
    )


@admin.get("/customers/<customer_id>")
@page(*ANYONE)
async def customer(customer_id: str) -> Response:
    number = number_of(customer_id)
    return await _customer_page(number, erased=request.args.get("erased") == "1")


@admin.post("/customers/<customer_id>/merge")
@page(*ADMINS)
async def customer_merge(customer_id: str) -> ResponseReturnValue:
    number = number_of(customer_id)
    words = await words_for(signed_in())
    form = await request.form
    typed = form.get("duplicate", "").strip().lstrip("#")
    try:
        if not (typed.isascii() and typed.isdigit()) or len(typed) > 12:
            raise ValueError(typed)  # a row number fits 12 digits; more would overflow the db
        duplicate = int(typed)
    except ValueError:
        return await _customer_page(
            number,
            status=400,
            problem=words._("Write the number of the duplicate customer, for example 42."),
        )
    if not await _exists(number):
        abort(404, "there is no such customer")
    try:
        await merge(number, duplicate, actor=_actor(signed_in()))
    except InvalidRequest:
        return await _customer_page(
            number, status=400, problem=words._("Choose two different customers to merge.")
        )
    except NotFound:
        return await _customer_page(
            number, status=400, problem=words._("There is no customer with that number.")
        )
    return await _customer_page(number, merged=duplicate)


async def _exists(customer_id: int) -> bool:
    try:
        await profile(customer_id)
    except NotFound:
        return False
    return True


@admin.post("/customers/<customer_id>/erase")
@page(*ADMINS)
async def customer_erase(customer_id: str) -> ResponseReturnValue:
    number = number_of(customer_id)
    words = await words_for(signed_in())
    form = await request.form
    if form.get("confirm") != "erase":
        return await _customer_page(
            number,
            status=400,
            problem=words._("Tick the box to confirm: erasing cannot be undone."),
        )
    try:
        await erase(number, actor=_actor(signed_in()))
    except NotFound:
        abort(404, "there is no such customer")
    return redirect(url_for("admin.customer", customer_id=customer_id, erased="1"), 303)
