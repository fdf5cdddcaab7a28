"""Settings (sysadmins only): API keys, outbound webhooks, and the business's name,
colour, time zone and language.

A new API key or webhook secret is shown once, on the page that made it, and never
again (the key is kept only as a hash, the secret sealed). Making or removing one is
written to the audit log; the business's details are a rule edit with history
(:func:`core.rules.set_business_details`), checked by the business file's validator.
"""

from __future__ import annotations

from typing import Any

from quart import Response, abort, request

from admin.access import config, page, signed_in
from admin.blueprint import admin, render
from admin.customers import number_of
from admin.words import words_for
from core.apikeys import ROLES, create_api_key, list_api_keys, revoke_api_key
from core.bookings import Actor
from core.customer_records import audit_admin_action
from core.directory import business_info
from core.errors import InvalidRequest, NoBusiness, NotFound
from core.rules import RuleEditError, set_business_details
from core.text.i18n import LANGUAGES, language_name
from core.users import SessionInfo, UserRole
from core.webhooks import EVENT_NAMES, create_webhook, delete_webhook, list_webhooks

SYSADMIN = UserRole.SYSADMIN


def _actor_label(user: SessionInfo) -> str:
    return f"admin:{user.email}"


async def _page(*, status: int = 200, **shown: Any) -> Response:
    try:
        info = await business_info()
    except NoBusiness:
        return await render("no_business.html")
    return await render(
        "settings.html",
        status=status,
        keys=await list_api_keys(),
        roles=ROLES,
        hooks=await list_webhooks(),
        events=EVENT_NAMES,
        info=info,
        languages=[(code, language_name(code)) for code in LANGUAGES],
        **shown,
    )


@admin.get("/settings")
@page(SYSADMIN)
async def settings() -> Response:
    return await _page()


@admin.post("/settings/apikeys")
@page(SYSADMIN)
async def apikey_create() -> Response:
    words = await words_for(signed_in())
    form = await request.form
    try:
        client, key = await create_api_key(form.get("name", "")[:120], form.get("role", "client"))
    except InvalidRequest as error:
        problem = (
            words._("A key's name is 1 to 100 characters and not used by another key.")
            if error.field == "name"
            else words._("Choose the key's role from the list.")
        )
        return await _page(status=400, problem=problem)
    await audit_admin_action(
        actor=_actor_label(signed_in()),
        action="api_key_created",
        subject=f"api key {client.name}"[:100],
        before={},
        after={"name": client.name, "role": client.role},
    )
    return await _page(new_key=key, new_key_name=client.name)


@admin.post("/settings/apikeys/revoke")
@page(SYSADMIN)
async def apikey_revoke() -> Response:
    form = await request.form
    try:
        client = await revoke_api_key(form.get("name", "")[:120])
    except NotFound:
        abort(404, "there is no such key")
    await audit_admin_action(
        actor=_actor_label(signed_in()),
        action="api_key_revoked",
        subject=f"api key {client.name}"[:100],
        before={"name": client.name},
        after={"revoked": True},
    )
    words = await words_for(signed_in())
    return await _page(saved=words._("The key {name} no longer works.").format(name=client.name))


@admin.post("/settings/webhooks")
@page(SYSADMIN)
async def webhook_create() -> Response:
    words = await words_for(signed_in())
    form = await request.form
    events = [e for e in form.getlist("events") if isinstance(e, str)][:10]
    try:
        hook, secret = await create_webhook(
            form.get("url", "")[:600],
            events,
            allow_private=config().webhooks_allow_private,
            created_by=signed_in().email,
        )
    except InvalidRequest as error:
        problem = (
            words._("Choose at least one event.")
            if error.field == "events"
            else words._(
                "The address must be a public http:// or https:// address "
                "(not a private network or this machine), with a host name."
            )
        )
        return await _page(status=400, problem=problem, typed_url=form.get("url", "")[:600])
    await audit_admin_action(
        actor=_actor_label(signed_in()),
        action="webhook_created",
        subject=f"webhook {hook.id}",
        before={},
        after={"url": hook.url, "events": list(hook.events)},
    )
    return await _page(new_secret=secret, new_hook=hook)


@admin.post("/settings/webhooks/<webhook_id>/delete")
@page(SYSADMIN)
async def webhook_delete(webhook_id: str) -> Response:
    number = number_of(webhook_id)
    try:
        hook = await delete_webhook(number)
    except NotFound:
        abort(404, "there is no such webhook")
    await audit_admin_action(
        actor=_actor_label(signed_in()),
        action="webhook_deleted",
        subject=f"webhook {hook.id}",
        before={"url": hook.url, "events": list(hook.events)},
        after={},
    )
    words = await words_for(signed_in())
    return await _page(saved=words._("The webhook was removed."))


@admin.post("/settings/business")
@page(SYSADMIN)
async def business_save() -> Response:
    user = signed_in()
    words = await words_for(user)
    form = await request.form
    try:
        edit = await set_business_details(
            name=form.get("name", "")[:200].strip(),
            timezone=form.get("timezone", "")[:64].strip(),
            locale=form.get("locale", "")[:16].strip(),
            colour=form.get("colour", "")[:7].strip() or None,
            actor=Actor("admin", user.email, "admin"),
            now=config().clock(),
        )
    except RuleEditError as error:
        return await _page(status=400, problems=[str(p) for p in error.problems])
    saved = words._("Saved; it applies now.") if edit.changed else words._("Nothing changed.")
    return await _page(saved=saved)
