"""Every change the code records has words (:mod:`admin.actions`), in every language, and
the audit log, a booking's history and a user's changes show them.

The codes are read from the source with ``ast``, the way ``tests/test_layers.py`` reads
imports: the ``action`` given to a history row (``BookingHistory``, ``RuleHistory``,
``UserHistory``, ``NewBooking``), to a function that hands its ``action`` on to one
(``core.rules._edit``, ``core.users.manage._record``, ``audit_admin_action``...), and
the rows :func:`core.booking_rows.insert_rows` writes to ``booking_history``. A code
written any other way is reported as unresolved, so the search cannot quietly miss one;
and a test below checks that it finds each way on a small made-up source.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from quart import Quart

from admin.actions import action_words
from admin.words import Words
from core import models as m
from core.booking_rows import HISTORY_COLUMNS
from core.bookings import Actor
from core.rules import add_block, set_weekly_hours
from core.text.i18n import LANGUAGES
from core.users import ChangedBy, invite_user
from tests.admin.conftest import Clock, signed_in
from tests.admin.test_audit import rows
from tests.admin.test_pages import two_bookings

ROOT = Path(__file__).parents[2]
SOURCES = ("admin", "bot", "channels", "core", "slotwise")
ROWS = frozenset({"BookingHistory", "RuleHistory", "UserHistory", "NewBooking"})
"""What takes an ``action`` keyword and becomes a history row."""
TABLES = frozenset({"booking_history", "rule_history", "user_history"})
ACTION_AT = HISTORY_COLUMNS.index("action")
ROOT_AT_CLI = ChangedBy("root", "cli")

Function = ast.FunctionDef | ast.AsyncFunctionDef


def _name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        if func.attr == "create" and isinstance(func.value, ast.Attribute | ast.Name):
            inner = func.value.attr if isinstance(func.value, ast.Attribute) else func.value.id
            return inner if inner in ROWS else func.attr
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _position(function: Function) -> int | None:
    """Where ``action`` is among a function's positional parameters (``self`` left out)."""
    names = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    if names and names[0] in {"self", "cls"}:
        names = names[1:]
    if "action" in names:
        return names.index("action")
    return None


def _parameters(function: Function) -> set[str]:
    arguments = function.args
    return {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}


def _given(call: ast.Call, position: int | None) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "action":
            return keyword.value
    if position is not None and position < len(call.args):
        return call.args[position]
    return None


def _functions(tree: ast.AST) -> list[Function]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def _calls(node: ast.AST) -> list[ast.Call]:
    return [n for n in ast.walk(node) if isinstance(n, ast.Call)]


def written_actions(
    root: Path = ROOT, folders: tuple[str, ...] = SOURCES
) -> tuple[set[str], list[str]]:
    """The action codes the code writes to a history, and the places where one is written
    in a way this search cannot read (``file:line``)."""
    trees = {
        path: ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for folder in folders
        for path in sorted((root / folder).rglob("*.py"))
    }
    # Functions that hand their own ``action`` on to a row or to another such function
    # (a private one is known in its own module only: ``_link`` is not every module's).
    relays: dict[str, int | None] = {}

    def key(path: Path, name: str) -> str:
        return f"{path}:{name}" if name.startswith("_") else name

    def relay(path: Path, call: ast.Call) -> tuple[str, bool, ast.expr | None]:
        name = _name(call)
        known = key(path, name) in relays
        return name, name in ROWS or known, _given(call, relays.get(key(path, name)))

    changed = True
    while changed:
        changed = False
        for path, tree in trees.items():
            for function in _functions(tree):
                if key(path, function.name) in relays or "action" not in _parameters(function):
                    continue
                for call in _calls(function):
                    _, writes, given = relay(path, call)
                    if writes and isinstance(given, ast.Name) and given.id == "action":
                        relays[key(path, function.name)] = _position(function)
                        changed = True
                        break
    found: set[str] = set()
    unresolved: list[str] = []
    for path, tree in trees.items():
        where = path.relative_to(root)
        relaying = {
            id(call)
            for function in _functions(tree)
            if key(path, function.name) in relays
            for call in _calls(function)
        }
        for call in _calls(tree):
            name, writes, given = relay(path, call)
            if not writes:
                continue
            if isinstance(given, ast.Constant) and isinstance(given.value, str):
                found.add(given.value)
            elif isinstance(given, ast.Name) and given.id == "action" and id(call) in relaying:
                pass  # a relay's own action: read at the relay's callers
            elif given is not None or name in ROWS:
                unresolved.append(f"{where}:{call.lineno} {name}")
        for function in _functions(tree):
            inserts = [
                call
                for call in _calls(function)
                if _name(call) == "insert_rows"
                and len(call.args) > 1
                and isinstance(call.args[1], ast.Constant)
                and call.args[1].value in TABLES
            ]
            if not inserts:
                continue
            literal = [
                element.value
                for node in ast.walk(function)
                if isinstance(node, ast.List) and len(node.elts) == len(HISTORY_COLUMNS)
                for element in [node.elts[ACTION_AT]]
                if isinstance(element, ast.Constant) and isinstance(element.value, str)
            ]
            from_rows = any(_name(c) == "history_row" for c in _calls(function))
            if not literal and not from_rows:  # rows of NewBooking's action: read above
                unresolved += [f"{where}:{c.lineno} insert_rows" for c in inserts]
            found.update(literal)
    return found, unresolved


def test_every_action_the_code_writes_has_words_and_no_other() -> None:
    found, unresolved = written_actions()
    assert unresolved == []
    words = action_words(Words("en", "UTC", "UTC")).labels
    assert sorted(found - set(words)) == [], "add their words to admin/actions.py"
    assert sorted(set(words) - found) == [], "no code writes these any more"


def test_the_search_finds_each_way_of_writing_an_action() -> None:
    found, _ = written_actions()
    assert {
        "no_show",  # BookingHistory.create(action=...)
        "customer_merged",  # BookingHistory(action=...) and audit_admin_action
        "imported",  # NewBooking(action=...)
        "cancelled",  # the rows of insert_rows(conn, "booking_history", ...)
        "resource.hours",  # core.rules._edit("resource.hours", ...)
        "calendar.sync",  # a method: self._audit(row, actor, "calendar.sync", ...)
        "user_link_made",  # two relays: _link(..., "user_link_made") → _record
        "api_key_created",  # audit_admin_action from admin/
    } <= found


def test_the_search_finds_a_new_action_and_reports_what_it_cannot_read(tmp_path: Path) -> None:
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "x.py").write_text(
        "async def _note(booking, action, data):\n"
        "    await m.BookingHistory.create(booking=booking, action=action, data=data)\n"
        "async def _twice(booking, action):\n"
        "    await _note(booking, action, {})\n"
        "async def later(booking, kind):\n"
        "    await _twice(booking, 'booking.tagged')\n"
        "    await m.RuleHistory.create(action='rule.new', subject='x')\n"
        "    await m.UserHistory.create(action=kind, subject='x')\n"
        "    Other(action='not.a.change')\n"
        "async def write(conn, ids):\n"
        "    done = [[i, 0, 'a', 'c', 'x.done', '{}'] for i in ids]\n"
        "    await insert_rows(conn, 'booking_history', COLUMNS, done)\n"
        "async def wrong(conn, rows):\n"
        "    await insert_rows(conn, 'booking_history', COLUMNS, rows)\n"
    )
    found, unresolved = written_actions(tmp_path, ("core",))
    assert found == {"booking.tagged", "rule.new", "x.done"}
    assert unresolved == ["core/x.py:8 UserHistory", "core/x.py:14 insert_rows"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_words_are_translated_distinct_and_map_back_to_their_code(lang: str) -> None:
    english = action_words(Words("en", "UTC", "UTC"))
    actions = action_words(Words(lang, "UTC", "UTC"))
    labels = list(actions.labels.values())
    assert len({label.casefold() for label in labels}) == len(labels)
    for code, label in actions.labels.items():
        assert actions.code(label.upper()) == code
        assert actions.code(f"  {label} ") == code
        assert actions.code(code) == code
        if lang != "en":
            assert label != english.labels[code], (lang, code)
    assert actions.label("some.old_code") == "some.old_code"
    assert actions.code("some.old_code") == "some.old_code"


async def test_the_audit_log_shows_words_and_filters_by_them(app: Quart, clock: Clock) -> None:
    await two_bookings(app)  # Ada booked, Bob booked then cancelled by admin:Zoe
    zoe = Actor("admin", "Zoe", "admin")
    await add_block("ana", {"start": "2026-12-30T09:00", "end": "2026-12-30T10:00"}, actor=zoe)
    await set_weekly_hours("ana", {"mon": [["09:00", "12:00"]]}, actor=zoe)
    admin = await signed_in(app, clock, "admin")

    async def shown(query: str = "") -> tuple[str, list[str]]:
        response = await admin.get(f"/admin/audit?{query}")
        assert response.status_code == 200, query
        page = await response.get_data(as_text=True)
        return page, rows(page)

    page, everything = await shown()
    assert any('title="resource.hours">Changed the weekly hours<' in r for r in everything)
    assert any('title="resource.block">Added blocked time<' in r for r in everything)
    assert any('title="cancelled">Cancelled the booking<' in r for r in everything)
    assert '<option value="Changed the weekly hours" label="resource.hours">' in page
    assert ">resource.hours<" not in page
    for typed in ("resource.hours", "Changed the weekly hours", "changed THE weekly hours"):
        [hours] = (await shown(urlencode({"action": typed})))[1]
        assert "Changed the weekly hours" in hours
    assert (await shown("action=Changed+the+weekly"))[1] == []  # words are not searched in
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    await admin.post(
        "/admin/language", form={"csrf_token": token, "lang": "de", "next": "/admin/audit"}
    )
    page, everything = await shown()
    assert any('title="resource.hours">Wochenzeiten geändert<' in r for r in everything)
    assert any('title="cancelled">Buchung storniert<' in r for r in everything)
    [hours] = (await shown(urlencode({"action": "wochenzeiten GEÄNDERT"})))[1]
    assert "resource.hours" in hours


async def test_a_booking_history_and_a_user_page_show_words(app: Quart, clock: Clock) -> None:
    await two_bookings(app)
    bob = await m.Booking.filter(status=m.BookingStatus.CANCELLED).get()
    admin = await signed_in(app, clock, "sysadmin")
    booking = await (await admin.get(f"/admin/bookings/{bob.id}")).get_data(as_text=True)
    history = booking.split('<table id="history">')[1].split("</table>")[0]
    assert re.findall(r'<span title="(\w+)">([^<]+)</span>', history) == [
        ("booked", "Booked"),
        ("cancelled", "Cancelled the booking"),
    ]
    zoe, _ = await invite_user("zoe@example.org", "admin", None, by=ROOT_AT_CLI, now=clock.now)
    user = await (await admin.get(f"/admin/users/{zoe.id}")).get_data(as_text=True)
    assert 'title="user_invited">Invited a user<' in user
    token = booking.split('name="csrf_token" value="')[1].split('"')[0]
    await admin.post(
        "/admin/language", form={"csrf_token": token, "lang": "es", "next": "/admin/audit"}
    )
    booking = await (await admin.get(f"/admin/bookings/{bob.id}")).get_data(as_text=True)
    history = booking.split('<table id="history">')[1].split("</table>")[0]
    assert re.findall(r'<span title="(\w+)">([^<]+)</span>', history) == [
        ("booked", "Reservó"),
        ("cancelled", "Canceló la reserva"),
    ]


async def test_the_role_select_names_the_roles_and_explains_them_beside(
    app: Quart, clock: Clock
) -> None:
    admin = await signed_in(app, clock, "sysadmin")
    page = await (await admin.get("/admin/users")).get_data(as_text=True)
    form = page.split('id="invite"')[1].split("</form>")[0]
    options = re.findall(
        r'<option value="(\w+)"(?: selected)?>([^<]+)</option>', form.split("</select>")[0]
    )
    assert options == [("sysadmin", "sysadmin"), ("admin", "admin"), ("staff", "staff")]
    assert 'aria-describedby="invite-roles"' in form
    assert "<dt>staff</dt><dd>their own resource&#39;s calendar and bookings</dd>" in form
