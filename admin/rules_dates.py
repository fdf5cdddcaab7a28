"""A resource's dates: overrides (closed, or special hours on one date) and public holidays
of a country (and region), from the ``holidays`` package, added in one click as closed
days for the coming year. Staff edit their own resource's dates, admins every resource's.
Holidays that already have an override keep it (special hours typed by a person win)."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
from quart import Response, request

from admin.access import ANYONE, actor_of, page, signed_in
from admin.blueprint import admin
from admin.rules import (
    check_resource,
    resource_page,
    save,
    spans,
    today,
)
from admin.words import words_for
from core.businessfile import Problem
from core.errors import NoBusiness, NotFound
from core.rules import put_override, put_overrides, remove_override, resource_rules

HOLIDAY_DAYS = 365
"""Holidays are added from today for this many days: the coming year."""


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


async def _refused(resource: str, field: str, message: str) -> Response:
    return await resource_page(resource, status=400, problems=[Problem(field, message)])


@admin.post("/rules/<resource>/overrides")
@page(*ANYONE)
async def resource_override(resource: str) -> Response:
    """Closed on a date (no hours, or "closed" ticked), or open only at the hours typed."""
    user = signed_in()
    check_resource(user, resource)
    words = await words_for(user)
    form = await request.form
    day = _date(form.get("date", "")[:32])
    if day is None:
        return await _refused(
            resource, "date", words._("Write the day as YYYY-MM-DD, for example 2026-12-01.")
        )
    hours = [] if form.get("closed") else spans(form.get("hours", "")[:200])
    return await save(resource, put_override(resource, day, hours, actor=actor_of(user)))


@admin.post("/rules/<resource>/overrides/remove")
@page(*ANYONE)
async def resource_override_remove(resource: str) -> Response:
    user = signed_in()
    check_resource(user, resource)
    words = await words_for(user)
    day = _date((await request.form).get("date", "")[:32])
    if day is None:
        return await _refused(
            resource, "date", words._("Write the day as YYYY-MM-DD, for example 2026-12-01.")
        )
    return await save(resource, remove_override(resource, day, actor=actor_of(user)))


def public_holidays(country: str, region: str | None, first: date, days: int) -> dict[date, str]:
    """The public holidays of ``country`` (and ``region``) from ``first`` for ``days`` days.
    ``KeyError``/``NotImplementedError`` for a country or region the package does not know."""
    last = first + timedelta(days=days - 1)
    found = holidays.country_holidays(
        country, subdiv=region or None, years=range(first.year, last.year + 1)
    )
    return {day: str(name) for day, name in sorted(found.items()) if first <= day <= last}


@admin.post("/rules/<resource>/holidays")
@page(*ANYONE)
async def resource_holidays(resource: str) -> Response:
    user = signed_in()
    check_resource(user, resource)
    words = await words_for(user)
    form = await request.form
    country = form.get("country", "").strip().upper()[:3]
    typed_region = form.get("region", "").strip()[:40]
    supported = holidays.list_supported_countries()
    if country not in supported:
        return await _refused(resource, "country", words._("Choose a country from the list."))
    known_regions = {r.casefold(): r for r in supported[country]}
    region = known_regions.get(typed_region.casefold()) if typed_region else None
    if typed_region and region is None:
        regions = ", ".join(supported[country]) or words._("none")
        return await _refused(
            resource,
            "region",
            words._("{region} is not a region of {country}; its regions: {regions}.").format(
                region=typed_region, country=country, regions=regions
            ),
        )
    found = public_holidays(country, region, today(words), HOLIDAY_DAYS)
    try:
        known = (await resource_rules(resource)).get("date_overrides", {})
    except (NotFound, NoBusiness):
        return await _refused(resource, "id", words._("There is no such resource."))
    new: dict[date, list[list[str]]] = {day: [] for day in found if day.isoformat() not in known}
    return await save(resource, put_overrides(resource, new, actor=actor_of(user)))
