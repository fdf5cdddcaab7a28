"""Resources (staff, rooms, equipment): add one, change its details, remove it. Admins
only. The details are the business file's fields (id, name, kind, capacity, e-mail, Slack
user, time zone, on or off); a change keeps the resource's hours, dates, blocks, names and
aliases. Removing deletes a resource nothing refers to, and switches off one that bookings
still use (they stay); a service that requires it must be changed first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from quart import Response, abort, redirect, request, url_for
from quart.typing import ResponseReturnValue

from admin.access import ADMINS, actor_of, page, signed_in
from admin.blueprint import admin, render
from admin.rules import (
    as_number,
    explain,
    problems_of,
    resource_page,
)
from admin.words import words_for
from core.businessfile import Problem
from core.errors import NoBusiness, NotFound, SlotwiseError
from core.rules import put_resource, remove_resource, resource_rules, rule_sections

KINDS = ("staff", "room", "equipment")
TEXT_FIELDS = ("name", "email", "slack_user", "timezone")


def details(form: Mapping[str, str], base: Mapping[str, Any]) -> dict[str, Any]:
    """The form's details over ``base`` (the resource as it is: hours and all). An empty
    optional field is left out."""
    data = dict(base)
    for field in TEXT_FIELDS:
        value = form.get(field, "").strip()[:254]
        if value or field == "name":
            data[field] = value
        else:
            data.pop(field, None)
    data["kind"] = form.get("kind", "").strip()[:20]
    data["capacity"] = as_number(form.get("capacity", "")[:12] or "1")
    data["active"] = bool(form.get("active"))
    if data["active"]:
        data.pop("active")
    return data


async def _form_page(
    typed: Mapping[str, Any], *, status: int = 200, problems: Sequence[Problem] = ()
) -> Response:
    words = await words_for(signed_in())
    return await render(
        "rules_resource_new.html",
        status=status,
        typed=typed,
        kinds=KINDS,
        problems=explain(problems, words),
    )


@admin.get("/resources/new")
@page(*ADMINS)
async def resource_new() -> Response:
    return await _form_page({"kind": "staff", "capacity": 1, "active": True})


@admin.post("/resources/new")
@page(*ADMINS)
async def resource_new_post() -> ResponseReturnValue:
    user = signed_in()
    words = await words_for(user)
    form = await request.form
    resource_id = form.get("id", "").strip()[:64]
    data = {"id": resource_id, **details(form, {})}
    try:
        sections = await rule_sections()
    except NoBusiness:
        return await render("no_business.html")
    if any(r["id"] == resource_id for r in sections["resources"]):
        problem = Problem("id", words._("{id} is taken; choose another id.").format(id=resource_id))
        return await _form_page(data, status=400, problems=[problem])
    try:
        await put_resource(data, actor=actor_of(user))
    except SlotwiseError as error:
        return await _form_page(data, status=400, problems=problems_of(error))
    return redirect(url_for("admin.resource_rules_page", resource=resource_id), 303)


@admin.post("/rules/<resource>/details")
@page(*ADMINS)
async def resource_details(resource: str) -> Response:
    try:
        base = await resource_rules(resource)
    except (NotFound, NoBusiness):
        abort(404, "there is no such resource")
    data = details(await request.form, base)
    try:
        edit = await put_resource(data, actor=actor_of(signed_in()))
    except SlotwiseError as error:
        return await resource_page(resource, status=400, problems=problems_of(error))
    return await resource_page(resource, edit=edit)


@admin.post("/rules/<resource>/remove")
@page(*ADMINS)
async def resource_remove(resource: str) -> ResponseReturnValue:
    try:
        await remove_resource(resource, actor=actor_of(signed_in()))
    except SlotwiseError as error:
        return await resource_page(resource, status=400, problems=problems_of(error))
    return redirect(url_for("admin.rules"), 303)
