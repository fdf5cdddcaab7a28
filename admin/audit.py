"""The audit log (admins): every change of bookings, rules and users, newest first, filtered
by kind, who, channel, action, subject and days, read a page at a time.

Actions are shown in words (:mod:`admin.actions`); the "What" filter takes a code or the
words of one, in the reader's language.

The "older" link carries a cursor on the page's last entry (:class:`core.audit.Cursor`),
so changes made while someone reads never shift the pages they have not read yet.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from quart import Response, request, url_for

from admin.access import ADMINS, page, signed_in
from admin.actions import action_words
from admin.blueprint import admin, render
from admin.pages import CHANNELS
from admin.words import Words, words_for
from core.audit import KINDS, AuditFilter, Cursor, audit_actions, audit_page
from core.errors import InvalidRequest

PAGE_SIZE = 50
FIELDS = ("kind", "actor", "channel", "action", "subject", "from", "to")
"""The filters, as the form and the links name them."""


def _day(words: Words, text: str, label: str, problems: list[str]) -> date | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
        datetime.combine(day, time(0), UTC) + timedelta(days=1)  # a day the log can bound
        datetime.combine(day, time(0), UTC) - timedelta(days=1)
        return day
    except (ValueError, OverflowError):
        problems.append(
            words._("{field}: write the day as YYYY-MM-DD, for example 2026-12-01.").format(
                field=label
            )
        )
        return None


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(UTC)


@admin.get("/audit")
@page(*ADMINS)
async def audit() -> Response:
    words = await words_for(signed_in())
    actions = action_words(words)
    args = request.args
    typed = {key: (args.get(key) or "").strip()[:254] for key in FIELDS}
    problems: list[str] = []
    kind = next((k for k in KINDS if k == typed["kind"]), None)
    if typed["kind"] and kind is None:
        problems.append(words._("Changes of: choose bookings, rules, users or all."))
    zone = ZoneInfo(words.home_zone)
    first = _day(words, typed["from"], words._("From"), problems)
    last = _day(words, typed["to"], words._("To"), problems)
    if first and last and last < first:
        problems.append(words._("To: the last day comes before the first; swap them."))
    cursor = None
    if args.get("before"):
        try:
            cursor = Cursor.parse(args["before"])
        except InvalidRequest:
            problems.append(
                words._("The “older” link is damaged; start again from the newest changes.")
            )
    where = AuditFilter(
        kind=kind,
        actor=typed["actor"][:100] or None,
        channel=typed["channel"][:32] or None,
        action=actions.code(typed["action"])[:48] or None,
        subject=typed["subject"] or None,
        start=_start_of(first, zone) if first else None,
        end=_start_of(last + timedelta(days=1), zone) if last else None,
    )
    shown: dict[str, Any] = {
        "typed": typed,
        "kinds": {
            "booking": words._("Bookings"),
            "rule": words._("Rules"),
            "user": words._("Users"),
        },
        "channels": (*CHANNELS, "cli"),
        "actions": actions.offered(await audit_actions()),
        "action_label": actions.label,
        "when": words.when,
        "problems": problems,
    }
    if problems:
        return await render("audit.html", status=400, entries=[], **shown)
    found = await audit_page(where, before=cursor, limit=PAGE_SIZE)
    query = {key: value for key, value in typed.items() if value}
    here = url_for("admin.audit")
    older = (
        f"{here}?{urlencode(query | {'before': found.older.text()})}"
        if found.older is not None
        else None
    )
    newest = (f"{here}?{urlencode(query)}" if query else here) if cursor is not None else None
    return await render("audit.html", entries=found.entries, older=older, newest=newest, **shown)
