"""Services: list, create, edit, remove (admins). The form holds the business file's
fields of a service: durations, buffers, step, notice, window, seats, the resources it
requires (pools), reminder offsets, the cancel and move policy, the waitlist and the
no-show policy. A save is a rule edit (:func:`core.rules.put_service`): checked by the
business file's validator, applied at once, in the rule history. An edit keeps what the
form does not show (names in other languages, aliases, blackouts)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from quart import Response, abort, redirect, request, url_for
from quart.typing import ResponseReturnValue

from admin.access import ADMINS, actor_of, page, signed_in
from admin.blueprint import admin, render
from admin.rules import as_number, explain, problems_of
from admin.words import words_for
from core.businessfile import Problem
from core.errors import NoBusiness, NotFound, SlotwiseError
from core.rules import RuleEdit, put_service, remove_service, rule_sections, service_rules

NUMBERS = (
    "duration_min",
    "buffer_before_min",
    "buffer_after_min",
    "slot_step_min",
    "min_notice_min",
    "max_advance_days",
    "seats",
    "cancel_notice_min",
    "reschedule_notice_min",
    "max_reschedules",
)
"""The whole numbers of the form; an empty one takes the business file's default."""
WAITLIST = ("offer", "book")
NO_SHOW_THEN = ("confirm", "refuse_chat")


def _numbers(text: str) -> list[int | str]:
    return [as_number(part) for part in text.replace(";", ",").split(",") if part.strip()]


def pools_text(requires: Sequence[Sequence[str]]) -> str:
    return "\n".join(", ".join(pool) for pool in requires)


def service_data(form: Mapping[str, str], base: Mapping[str, Any]) -> dict[str, Any]:
    """The form over ``base`` (the service as it is), in business-file form."""
    data = dict(base)
    data["name"] = form.get("name", "").strip()[:200]
    for field in NUMBERS:
        typed = form.get(field, "").strip()[:12]
        if typed:
            data[field] = as_number(typed)
        else:
            data.pop(field, None)
    data["requires"] = [
        [part.strip() for part in line.split(",") if part.strip()]
        for line in form.get("requires", "")[:2000].splitlines()
        if line.strip()
    ]
    reminders = form.get("reminders", "")[:200]
    if form.get("no_reminders"):
        data["reminders"] = []
    elif reminders.strip():
        data["reminders"] = _numbers(reminders)
    else:
        data.pop("reminders", None)
    data["waitlist"] = form.get("waitlist", "offer").strip()[:20]
    if data["waitlist"] == "offer":
        data.pop("waitlist")
    after = form.get("no_shows_after", "").strip()[:12]
    if after:
        then = form.get("no_shows_then", "confirm").strip()[:20]
        data["no_shows"] = {"after": as_number(after), "then": then}
    else:
        data.pop("no_shows", None)
    if form.get("active"):
        data.pop("active", None)
    else:
        data["active"] = False
    return data


def typed_of(data: Mapping[str, Any]) -> dict[str, Any]:
    """A service's data as the form shows it."""
    typed: dict[str, Any] = {field: data.get(field, "") for field in ("id", "name", *NUMBERS)}
    typed["requires"] = pools_text(data.get("requires", []))
    reminders = data.get("reminders")
    typed["reminders"] = ", ".join(str(r) for r in reminders) if reminders else ""
    typed["no_reminders"] = reminders == []
    typed["waitlist"] = data.get("waitlist", "offer")
    no_shows = data.get("no_shows") or {}
    typed["no_shows_after"] = no_shows.get("after", "")
    typed["no_shows_then"] = no_shows.get("then", "confirm")
    typed["active"] = data.get("active", True)
    return typed


async def _form(
    typed: Mapping[str, Any],
    *,
    new: bool,
    status: int = 200,
    problems: Sequence[Problem] = (),
    edit: RuleEdit | None = None,
) -> Response:
    words = await words_for(signed_in())
    return await render(
        "services_form.html",
        status=status,
        typed=typed,
        new=new,
        waitlist=WAITLIST,
        no_show_then=NO_SHOW_THEN,
        problems=explain(problems, words),
        edit=edit,
        misfits=[(m, words.when(m.start)) for m in (edit.misfits if edit else ())],
    )


@admin.get("/services")
@page(*ADMINS)
async def services_list() -> Response:
    try:
        sections = await rule_sections()
    except NoBusiness:
        return await render("no_business.html")
    return await render("services.html", services=sections["services"])


@admin.get("/services/new")
@page(*ADMINS)
async def service_new() -> Response:
    return await _form({"active": True, "waitlist": "offer"}, new=True)


@admin.post("/services/new")
@page(*ADMINS)
async def service_new_post() -> ResponseReturnValue:
    words = await words_for(signed_in())
    form = await request.form
    service_id = form.get("id", "").strip()[:64]
    data = {"id": service_id, **service_data(form, {})}
    typed = {**typed_of(data), "requires": form.get("requires", "")[:2000]}
    try:
        sections = await rule_sections()
    except NoBusiness:
        return await render("no_business.html")
    if any(s["id"] == service_id for s in sections["services"]):
        problem = Problem("id", words._("{id} is taken; choose another id.").format(id=service_id))
        return await _form(typed, new=True, status=400, problems=[problem])
    try:
        await put_service(data, actor=actor_of(signed_in()))
    except SlotwiseError as error:
        return await _form(typed, new=True, status=400, problems=problems_of(error))
    return redirect(url_for("admin.service_page", service=service_id), 303)


async def _service(service: str) -> dict[str, Any]:
    try:
        return await service_rules(service)
    except (NotFound, NoBusiness):
        abort(404, "there is no such service")


@admin.get("/services/<service>")
@page(*ADMINS)
async def service_page(service: str) -> Response:
    return await _form(typed_of(await _service(service)), new=False)


@admin.post("/services/<service>")
@page(*ADMINS)
async def service_save(service: str) -> Response:
    form = await request.form
    data = service_data(form, await _service(service))
    typed = {**typed_of(data), "requires": form.get("requires", "")[:2000]}
    try:
        edit = await put_service(data, actor=actor_of(signed_in()))
    except SlotwiseError as error:
        return await _form(typed, new=False, status=400, problems=problems_of(error))
    return await _form(typed_of(await _service(service)), new=False, edit=edit)


@admin.post("/services/<service>/remove")
@page(*ADMINS)
async def service_remove(service: str) -> ResponseReturnValue:
    await _service(service)
    try:
        await remove_service(service, actor=actor_of(signed_in()))
    except SlotwiseError as error:
        typed = typed_of(await _service(service))
        return await _form(typed, new=False, status=400, problems=problems_of(error))
    return redirect(url_for("admin.services_list"), 303)
