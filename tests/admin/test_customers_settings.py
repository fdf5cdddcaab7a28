"""The customers, waitlist and settings pages: who sees what, forms with CSRF, audit rows."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from quart import Quart

from admin.access import CONFIG
from channels.services import services_of
from core import models as m
from core.apikeys import authenticate
from tests.admin.conftest import Clock, csrf, signed_in
from tests.admin.test_pages import ADA, BOB, START, two_bookings


async def customer_id(name: str) -> int:
    row = await m.Customer.get(name=name)
    return row.id


async def test_admins_search_customers_and_see_bookings_channels_and_no_shows(
    app: Quart, clock: Clock
) -> None:
    await two_bookings(app)
    admin = await signed_in(app, clock, "admin")
    page = await (await admin.get("/admin/customers?q=ada")).get_data(as_text=True)
    assert "Ada Lovelace" in page
    assert "Bob Stone" not in page
    by_phone = await (await admin.get("/admin/customers?q=999888")).get_data(as_text=True)
    assert "Bob Stone" in by_phone
    assert "Ada Lovelace" not in by_phone
    ada = await customer_id("Ada Lovelace")
    page = await (await admin.get(f"/admin/customers/{ada}")).get_data(as_text=True)
    assert "+4930123456" in page
    assert 'id="no-shows">0<' in page
    assert "customer-bookings" in page
    assert "Erase" in page
    assert (await admin.get("/admin/customers/123456")).status_code == 404
    assert (await admin.get("/admin/customers/abc")).status_code == 404


async def test_staff_see_only_their_customers_and_only_contact_details(
    app: Quart, clock: Clock
) -> None:
    await two_bookings(app)  # Ada with Ana, Bob with Ben
    ana = await signed_in(app, clock, "staff", "ana")
    page = await (await ana.get("/admin/customers")).get_data(as_text=True)
    assert "Ada Lovelace" in page
    assert "Bob Stone" not in page
    ada = await customer_id("Ada Lovelace")
    shown = await (await ana.get(f"/admin/customers/{ada}")).get_data(as_text=True)
    assert "+4930123456" in shown
    assert "no-shows" not in shown
    assert "Erase" not in shown
    assert 'id="channels"' not in shown
    bob = await customer_id("Bob Stone")
    assert (await ana.get(f"/admin/customers/{bob}")).status_code == 404
    token = await csrf(ana, "/admin/customers")
    merged = await ana.post(f"/admin/customers/{ada}/merge", form={"csrf_token": token})
    assert merged.status_code == 403
    erased = await ana.post(
        f"/admin/customers/{ada}/erase", form={"csrf_token": token, "confirm": "erase"}
    )
    assert erased.status_code == 403
    assert await m.Customer.get(id=ada).values_list("name", flat=True) == "Ada Lovelace"


async def test_merge_and_erase_need_the_csrf_token_and_are_audited(
    app: Quart, clock: Clock
) -> None:
    service = services_of(app).bookings
    await service.book("haircut", START, ADA, provider="ana")
    await service.book("haircut", START + timedelta(hours=1), ADA.__class__("Ada L."))
    admin = await signed_in(app, clock, "admin")
    ada = await customer_id("Ada Lovelace")
    twin = await customer_id("Ada L.")
    forged = await admin.post(f"/admin/customers/{ada}/merge", form={"duplicate": str(twin)})
    assert forged.status_code == 403
    assert await m.Customer.filter(id=twin).exists()
    token = await csrf(admin, f"/admin/customers/{ada}")
    merged = await admin.post(
        f"/admin/customers/{ada}/merge", form={"csrf_token": token, "duplicate": str(twin)}
    )
    page = await merged.get_data(as_text=True)
    assert merged.status_code == 200
    assert 'id="customer-merged"' in page
    assert not await m.Customer.filter(id=twin).exists()
    assert await m.Booking.filter(customer_id=ada).count() == 2
    same = await admin.post(
        f"/admin/customers/{ada}/merge", form={"csrf_token": token, "duplicate": str(ada)}
    )
    assert same.status_code == 400
    unticked = await admin.post(f"/admin/customers/{ada}/erase", form={"csrf_token": token})
    assert unticked.status_code == 400
    erased = await admin.post(
        f"/admin/customers/{ada}/erase", form={"csrf_token": token, "confirm": "erase"}
    )
    assert erased.status_code == 303
    page = await (await admin.get(erased.headers["Location"])).get_data(as_text=True)
    assert 'id="customer-erased"' in page
    assert "Ada Lovelace" not in page
    actions = set(await m.RuleHistory.all().values_list("action", flat=True))
    assert {"customer_merged", "customer_erased"} <= actions
    audit = await (await admin.get("/admin/audit")).get_data(as_text=True)
    assert "customer_erased" in audit


async def test_the_waitlist_page_lists_entries_and_removes_one(app: Quart, clock: Clock) -> None:
    service = services_of(app).bookings
    entry = await service.join_waitlist(
        "haircut", START, START.replace(hour=23), ADA, provider="ana"
    )
    await service.join_waitlist("haircut", START, START.replace(hour=23), BOB, provider="ben")
    admin = await signed_in(app, clock, "admin")
    page = await (await admin.get("/admin/waitlist")).get_data(as_text=True)
    assert "Ada Lovelace" in page
    assert "Bob Stone" in page
    ana = await signed_in(app, clock, "staff", "ana")
    mine = await (await ana.get("/admin/waitlist")).get_data(as_text=True)
    assert "Ada Lovelace" in mine
    assert "Bob Stone" not in mine
    bob_entry = await m.WaitlistEntry.get(provider__slug="ben")
    token = await csrf(ana, "/admin/waitlist")
    refused = await ana.post(f"/admin/waitlist/{bob_entry.id}/remove", form={"csrf_token": token})
    assert refused.status_code == 404
    removed = await ana.post(f"/admin/waitlist/{entry.id}/remove", form={"csrf_token": token})
    assert removed.status_code == 303
    assert (await m.WaitlistEntry.get(id=entry.id)).status == "removed"
    assert await m.RuleHistory.filter(action="waitlist_removed").count() == 1


async def test_only_sysadmins_open_settings(app: Quart, clock: Clock) -> None:
    admin = await signed_in(app, clock, "admin")
    assert (await admin.get("/admin/settings")).status_code == 403
    sysadmin = await signed_in(app, clock, "sysadmin")
    page = await (await sysadmin.get("/admin/settings")).get_data(as_text=True)
    assert "API keys" in page
    assert "Webhooks" in page


async def test_an_api_key_is_shown_once_works_and_can_be_revoked(app: Quart, clock: Clock) -> None:
    sysadmin = await signed_in(app, clock, "sysadmin")
    token = await csrf(sysadmin, "/admin/settings")
    made = await sysadmin.post(
        "/admin/settings/apikeys", form={"csrf_token": token, "name": "Partner", "role": "client"}
    )
    page = await made.get_data(as_text=True)
    key = re.search(r"<code>(sw_[^<]+)</code>", page)
    assert key is not None
    assert await authenticate(key.group(1)) is not None
    again = await (await sysadmin.get("/admin/settings")).get_data(as_text=True)
    assert key.group(1) not in again
    twice = await sysadmin.post(
        "/admin/settings/apikeys", form={"csrf_token": token, "name": "Partner"}
    )
    assert twice.status_code == 400
    revoked = await sysadmin.post(
        "/admin/settings/apikeys/revoke", form={"csrf_token": token, "name": "Partner"}
    )
    assert revoked.status_code == 200
    assert await authenticate(key.group(1)) is None
    actions = await m.RuleHistory.all().order_by("id").values_list("action", flat=True)
    assert list(actions) == ["api_key_created", "api_key_revoked"]


async def test_webhooks_refuse_private_addresses_unless_allowed(app: Quart, clock: Clock) -> None:
    sysadmin = await signed_in(app, clock, "sysadmin")
    token = await csrf(sysadmin, "/admin/settings")
    form = {"csrf_token": token, "url": "http://127.0.0.1:9/hook", "events": "booking.created"}
    refused = await sysadmin.post("/admin/settings/webhooks", form=form)
    assert refused.status_code == 400
    assert not await m.Webhook.all().exists()
    app.extensions[CONFIG] = replace(app.extensions[CONFIG], webhooks_allow_private=True)
    made = await sysadmin.post("/admin/settings/webhooks", form=form)
    page = await made.get_data(as_text=True)
    secret = re.search(r"<code>(whsec_[^<]+)</code>", page)
    assert made.status_code == 200
    assert secret is not None
    hook = await m.Webhook.get()
    assert hook.events == ["booking.created"]
    assert secret.group(1) not in hook.secret
    removed = await sysadmin.post(
        f"/admin/settings/webhooks/{hook.id}/delete", form={"csrf_token": token}
    )
    assert removed.status_code == 200
    assert not await m.Webhook.all().exists()
    actions = await m.RuleHistory.all().order_by("id").values_list("action", flat=True)
    assert list(actions) == ["webhook_created", "webhook_deleted"]


async def test_the_business_details_are_a_rule_edit_with_history(app: Quart, clock: Clock) -> None:
    sysadmin = await signed_in(app, clock, "sysadmin")
    token = await csrf(sysadmin, "/admin/settings")
    form = {
        "csrf_token": token,
        "name": "Salon Nord",
        "colour": "#0f766e",
        "timezone": "Europe/Berlin",
        "locale": "de",
    }
    saved = await sysadmin.post("/admin/settings/business", form=form)
    assert saved.status_code == 200, await saved.get_data(as_text=True)
    business = await m.Business.get()
    assert (business.name, business.colour, business.locale) == ("Salon Nord", "#0f766e", "de")
    change = await m.RuleHistory.get(action="business.details")
    assert change.after["name"] == "Salon Nord"
    assert change.before["name"] != "Salon Nord"
    wrong = await sysadmin.post(
        "/admin/settings/business", form={**form, "timezone": "Mars/Olympus"}
    )
    page = await wrong.get_data(as_text=True)
    assert wrong.status_code == 400
    assert "timezone" in page
    assert (await m.Business.get()).timezone == "Europe/Berlin"


@pytest.mark.parametrize("typed", ["9" * 40, "-3", "4\x00", "٣", "abc"])
async def test_a_duplicate_number_that_is_not_a_row_number_is_a_400_naming_the_fix(
    app: Quart, clock: Clock, typed: str
) -> None:
    """Too long (it would overflow the database's integer), signed, control characters,
    non-ASCII digits: the form says how to write it, nothing is merged."""
    await services_of(app).bookings.book("haircut", START, ADA, provider="ana")
    admin = await signed_in(app, clock, "admin")
    ada = await customer_id("Ada Lovelace")
    token = await csrf(admin, f"/admin/customers/{ada}")
    answer = await admin.post(
        f"/admin/customers/{ada}/merge", form={"csrf_token": token, "duplicate": typed}
    )
    assert answer.status_code == 400
    assert "Write the number of the duplicate customer" in await answer.get_data(as_text=True)
    assert await m.Customer.filter(id=ada).exists()
