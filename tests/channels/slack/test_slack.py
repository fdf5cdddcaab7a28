"""Slack through the real slack-bolt and slack_sdk, against the local fake of Slack's API.

Requests are signed as Slack signs them (``SignatureVerifier.generate_signature``)
and posted to ``POST /slack/events`` through Quart's test client; what the app
sends back to Slack (``chat.postMessage``, the ``response_url``) is read from the
fake. Bolt answers at the ack and works afterwards, so the tests wait for the
fake to receive the work's result. The business is UTC and open all day, so
"today" and "tomorrow" mean the same in the tests as on the server's clock.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client
from slack_sdk.signature import SignatureVerifier

from channels.slack.noshow import NOSHOW, value_of
from core import models as m
from core.businessfile import parse_business
from core.store import replace_business
from slotwise.app import create_app
from slotwise.settings import Settings
from tests.channels.slack.fake import TOKEN, FakeSlack, start_fake

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ANA, BEN, BOSS, STRANGER, CUSTOMER = "U0ANA", "U0BEN", "U0BOSS", "U0NOBODY", "U0CUST"
NOW = datetime.now(UTC)
TODAY = NOW.date()
TOMORROW = TODAY + timedelta(days=1)
ALL_DAY = [["00:00", "24:00"]]
WEEK = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), ALL_DAY)


def business() -> str:
    return json.dumps(
        {
            "business": {"name": "Salon", "timezone": "UTC", "locale": "en"},
            "resources": [
                {"id": "ana", "name": "Ana", "slack_user": ANA, "weekly_hours": WEEK},
                {"id": "ben", "name": "Ben", "slack_user": BEN, "weekly_hours": WEEK},
            ],
            "services": [
                {"id": "haircut", "name": "Haircut", "duration_min": 30,
                 "requires": [["ana", "ben"]]},
            ],
            "bookings": [
                {"service": "haircut", "start": f"{TODAY}T00:00:00Z", "resources": ["ana"],
                 "customer": {"name": "Early Bird"}},
                {"service": "haircut", "start": f"{TOMORROW}T14:30:00Z", "resources": ["ana"],
                 "customer": {"name": "Maria", "email": "maria@example.com"}},
                {"service": "haircut", "start": f"{TOMORROW}T15:00:00Z", "resources": ["ana"],
                 "customer": {"name": "Olga", "email": "olga@example.com"}},
                {"service": "haircut", "start": f"{TOMORROW}T14:30:00Z", "resources": ["ben"],
                 "customer": {"name": "Ben's customer"}},
            ],
        }
    )  # fmt: skip


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    found = await start_fake()
    yield found
    await found.server.close()


def settings(url: str, fake: FakeSlack, **more: Any) -> Settings:
    return Settings(
        database_url=url,
        slack_bot_token=TOKEN,
        slack_signing_secret=SECRET,
        slack_api_base=fake.api_base,
        slack_admins=BOSS,
        **more,
    )


@pytest.fixture
async def app(empty_db_url: str, fake: FakeSlack) -> AsyncIterator[Quart]:
    application = create_app(settings(empty_db_url, fake))
    async with application.test_app():
        await replace_business(parse_business(business()))
        yield application


@pytest.fixture
def client(app: Quart) -> Client:
    return app.test_client()


def signed(body: str, *, ts: int | None = None, secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(time.time()) if ts is None else ts)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature or ""}


async def post(
    client: Client, body: str, content_type: str, *, headers: dict[str, str] | None = None
) -> Any:
    return await client.post(
        "/slack/events",
        data=body.encode(),
        headers={
            "Content-Type": content_type,
            **(headers if headers is not None else signed(body)),
        },
    )


def dm_event(text: str, event_id: str, user: str = CUSTOMER) -> str:
    return json.dumps(
        {
            "token": "x", "team_id": "T0TEST", "api_app_id": "A0TEST", "type": "event_callback",
            "event_id": event_id, "event_time": int(time.time()),
            "event": {"type": "message", "channel_type": "im", "channel": "D0CUST",
                      "user": user, "text": text, "ts": f"{time.time():.6f}"},
        }
    )  # fmt: skip


async def send_dm(client: Client, text: str, event_id: str, **headers: str) -> Any:
    body = dm_event(text, event_id)
    return await post(client, body, "application/json", headers={**signed(body), **headers})


def press(fake: FakeSlack, user: str, action_id: str, value: str, name: str = "press") -> str:
    payload = {
        "type": "block_actions", "team": {"id": "T0TEST"}, "api_app_id": "A0TEST",
        "user": {"id": user, "username": user, "team_id": "T0TEST"},
        "channel": {"id": "D0CUST"}, "container": {"type": "message", "message_ts": "1.000"},
        "trigger_id": "1.2.3", "response_url": fake.response_url(name),
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b",
                     "value": value, "action_ts": f"{time.time():.6f}"}],
    }  # fmt: skip
    return urlencode({"payload": json.dumps(payload)})


def slash(fake: FakeSlack, user: str, text: str, name: str = "cmd", **more: str) -> str:
    return urlencode(
        {"token": "x", "team_id": "T0TEST", "channel_id": "C0", "user_id": user,
         "command": "/slotwise", "text": text, "response_url": fake.response_url(name),
         "trigger_id": "1.2.3", "api_app_id": "A0TEST", **more}
    )  # fmt: skip


FORM = "application/x-www-form-urlencoded"


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        element
        for block in message.get("blocks", [])
        for element in (
            block.get("elements", [])
            if block["type"] == "actions"
            else [block["accessory"]]
            if "accessory" in block
            else []
        )
    ]


def texts(message: dict[str, Any]) -> str:
    return "\n".join(b["text"]["text"] for b in message.get("blocks", []) if b["type"] == "section")


# --- signatures and resends ----------------------------------------------------------------


async def test_forged_event_is_refused_and_does_not_use_up_the_genuine_event_id(
    client: Client, fake: FakeSlack
) -> None:
    body = dm_event("hello", "Ev0FORGED")
    forged = await post(client, body, "application/json", headers=signed(body, secret="wrong"))
    assert forged.status_code == 401
    unsigned = await post(client, body, "application/json", headers={})
    assert unsigned.status_code == 401
    genuine = await post(client, body, "application/json")
    assert genuine.status_code == 200
    (message,) = await fake.wait_for("chat.postMessage", 1)
    assert message["channel"] == CUSTOMER


async def test_a_request_signed_more_than_five_minutes_ago_is_refused(
    client: Client, fake: FakeSlack
) -> None:
    body = dm_event("hello", "Ev0OLD")
    old = await post(
        client, body, "application/json", headers=signed(body, ts=int(time.time()) - 301)
    )
    assert old.status_code == 401
    assert fake.calls == []


async def test_an_event_delivered_three_times_has_one_effect(
    client: Client, fake: FakeSlack
) -> None:
    for retry in ("", "1", "2"):
        extra = (
            {"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        )
        response = await send_dm(client, "hello", "Ev0SAME", **extra)
        assert response.status_code == 200
    await fake.wait_for("chat.postMessage", 1)
    await send_dm(client, "hello", "Ev0OTHER")  # a new event is handled...
    await fake.wait_for("chat.postMessage", 2)
    assert len(fake.posted("chat.postMessage")) == 2  # ...and the resends were not


async def test_the_ack_comes_before_the_work_is_done(client: Client, fake: FakeSlack) -> None:
    fake.slow = asyncio.Event()  # the work's answer hangs until the test lets it go
    # A guard against a hang, not a speed figure: an ack that waited for the work
    # would wait here for ever.
    response = await asyncio.wait_for(post(client, slash(fake, ANA, "week"), FORM), 30)
    assert response.status_code == 200
    await fake.wait_for("respond", 1)  # the work reached Slack after the ack...
    fake.slow.set()  # ...and finishes only now


async def test_slack_is_off_when_not_configured(empty_db_url: str) -> None:
    application = create_app(Settings(database_url=empty_db_url))
    async with application.test_app():
        response = await application.test_client().post("/slack/events", data=b"{}")
    assert response.status_code == 404


# --- customers -----------------------------------------------------------------------------


def find(message: dict[str, Any], label: str) -> dict[str, Any]:
    for element in buttons(message):
        if element["text"]["text"] == label:
            return element
    raise AssertionError(f"no button {label!r} in {[b['text']['text'] for b in buttons(message)]}")


async def test_a_customer_books_and_cancels_in_a_direct_message_with_buttons(
    app: Quart, client: Client, fake: FakeSlack
) -> None:
    count = 0

    async def say(text: str) -> list[dict[str, Any]]:
        nonlocal count
        before = len(fake.posted("chat.postMessage"))
        count += 1
        assert (await send_dm(client, text, f"Ev{count:04d}")).status_code == 200
        return await _replies(fake, before)

    async def choose(message: dict[str, Any], label: str) -> list[dict[str, Any]]:
        before = len(fake.posted("chat.postMessage"))
        element = find(message, label)
        body = press(fake, CUSTOMER, element["action_id"], element["value"])
        assert (await post(client, body, FORM)).status_code == 200
        return await _replies(fake, before)

    replies = await say(f"haircut with Ben on {TOMORROW.strftime('%A')} at 10")
    assert "is free for Haircut with Ben" in texts(replies[-1])
    assert [len(b["elements"]) for b in replies[-1]["blocks"] if b["type"] == "actions"] == [5, 3]
    first = buttons(replies[-1])[0]
    assert first["value"].startswith("slot:")
    assert len(first["text"]["text"]) <= 75
    replies = await choose(replies[-1], first["text"]["text"])
    assert "What name" in texts(replies[-1])
    await say("Carla")
    replies = await say("carla@example.com")
    assert "Shall I book it?" in texts(replies[-1])
    replies = await choose(replies[-1], "Confirm")
    booked = texts(replies[-1])
    assert booked.startswith("Booked!")
    assert ".ics" in booked
    assert await _confirmed(app, "ben") == [f"{TOMORROW}T10:00"]

    replies = await say("asdf qwerty zxcv")  # garbage gets a friendly answer, changes nothing
    assert texts(replies[-1])
    replies = await say("español")
    assert any("¿" in texts(r) or "ó" in texts(r) for r in replies)
    replies = await say("mis reservas")
    replies = await choose(replies[-1], find_label(replies[-1], "Cancelar"))
    if any(b["text"]["text"].startswith("Sí") for b in buttons(replies[-1])):
        replies = await choose(replies[-1], find_label(replies[-1], "Sí"))
    else:
        replies = await choose(replies[-1], buttons(replies[-1])[0]["text"]["text"])
        replies = await choose(replies[-1], find_label(replies[-1], "Sí"))
    assert await _confirmed(app, "ben") == []


def find_label(message: dict[str, Any], prefix: str) -> str:
    for element in buttons(message):
        if element["text"]["text"].startswith(prefix):
            return str(element["text"]["text"])
    raise AssertionError(f"no {prefix!r} in {[b['text']['text'] for b in buttons(message)]}")


async def _confirmed(app: Quart, resource: str) -> list[str]:
    """The confirmed bookings of ``resource`` made through the chat, as local start times."""
    from core.staff import bookings_on

    found = await bookings_on(resource, NOW - timedelta(days=1), NOW + timedelta(days=30))
    return [b.start.strftime("%Y-%m-%dT%H:%M") for b in found if b.source_channel == "slack"]


async def _replies(fake: FakeSlack, before: int) -> list[dict[str, Any]]:
    await fake.wait_for("chat.postMessage", before + 1)
    await _settle(fake, "chat.postMessage")
    return fake.posted("chat.postMessage")[before:]


async def _settle(fake: FakeSlack, path: str) -> None:
    """Wait until the app's work after an ack has posted everything (no new calls for a bit)."""
    import asyncio

    seen = -1
    while seen != len(fake.posted(path)):
        seen = len(fake.posted(path))
        await asyncio.sleep(0.15)


# --- staff ---------------------------------------------------------------------------------


async def ask(client: Client, fake: FakeSlack, user: str, text: str, **more: str) -> dict[str, Any]:
    before = len(fake.posted("respond"))
    assert (await post(client, slash(fake, user, text, **more), FORM)).status_code == 200
    return (await fake.wait_for("respond", before + 1))[-1]


async def pressed(
    client: Client, fake: FakeSlack, user: str, element: dict[str, Any]
) -> dict[str, Any]:
    before = len(fake.posted("respond"))
    body = press(fake, user, element["action_id"], element["value"])
    assert (await post(client, body, FORM)).status_code == 200
    return (await fake.wait_for("respond", before + 1))[-1]


async def test_slotwise_today_lists_the_staff_members_own_bookings_to_them_only(
    client: Client, fake: FakeSlack
) -> None:
    answer = await ask(client, fake, ANA, "today")
    assert answer["response_type"] == "ephemeral"
    assert "Your bookings today" in answer["text"]
    assert "Early Bird" in answer["text"]
    week = await ask(client, fake, ANA, "week")
    assert "Maria" in week["text"]
    assert "Olga" in week["text"]
    assert "Ben's customer" not in week["text"]


async def test_slotwise_answers_in_the_slack_users_locale(client: Client, fake: FakeSlack) -> None:
    answer = await ask(client, fake, ANA, "nonsense", locale="de-DE")
    assert "/slotwise" in answer["text"]
    assert answer["text"].startswith("Versuch")


async def test_an_unknown_slack_user_gets_a_clear_answer(client: Client, fake: FakeSlack) -> None:
    answer = await ask(client, fake, STRANGER, "today")
    assert answer["response_type"] == "ephemeral"
    assert STRANGER in answer["text"]
    assert "slack_user" in answer["text"]


async def test_slotwise_free_lists_free_times_of_the_staff_member(
    client: Client, fake: FakeSlack
) -> None:
    answer = await ask(client, fake, ANA, "free haircut tomorrow")
    assert answer["text"].startswith("Free for Haircut on")
    times = answer["text"].replace("\u202f", " ").split(": ", 1)[1].split(", ")
    assert "2:00 PM" in times
    assert "2:30 PM" not in times
    assert "3:00 PM" not in times
    nothing = await ask(client, fake, ANA, "free tomorrow")
    assert nothing["text"].startswith("Which service?")


async def test_staff_can_block_only_their_own_time(client: Client, fake: FakeSlack) -> None:
    answer = await ask(client, fake, ANA, "block ben tomorrow 14-16 dentist")
    assert answer["text"] == "You can block only your own time."
    assert await _blocks("ben") == []


async def test_a_block_shows_the_bookings_it_hits_and_changes_nothing_until_confirmed(
    app: Quart, client: Client, fake: FakeSlack
) -> None:
    proposal = await ask(client, fake, ANA, "block tomorrow 14-16 dentist")
    assert "Maria" in texts(proposal)
    assert "Olga" in texts(proposal)
    assert await _blocks("ana") == []
    cancel_maria = buttons(proposal)[0]
    assert cancel_maria["text"]["text"] == "Cancel it"
    assert len(cancel_maria["value"]) <= 2000
    toggled = await pressed(client, fake, ANA, cancel_maria)
    assert toggled["replace_original"] is True
    assert "will be cancelled" in texts(toggled)
    assert buttons(toggled)[0]["text"]["text"] == "Keep it"
    assert await _blocks("ana") == []  # still nothing changed

    confirm = next(b for b in buttons(toggled) if b["action_id"] == "block-confirm")
    done = await pressed(client, fake, ANA, confirm)
    assert done["text"].startswith("Blocked")
    assert "Cancelled 1 booking" in done["text"]
    assert await _blocks("ana") == [(f"{TOMORROW}T14:00", f"{TOMORROW}T16:00", "dentist")]
    left = await core_bookings("ana", TOMORROW)
    assert left == ["Olga"]  # Maria cancelled, Olga kept
    assert await _cancellation_reasons() == [
        "Ana is not available at this time after all. We are sorry; please book another time."
    ]


async def test_discarding_a_block_changes_nothing(client: Client, fake: FakeSlack) -> None:
    proposal = await ask(client, fake, ANA, "block tomorrow 14-16")
    discard = next(b for b in buttons(proposal) if b["action_id"] == "block-discard")
    answer = await pressed(client, fake, ANA, discard)
    assert answer["text"] == "Nothing was blocked."
    assert await _blocks("ana") == []


async def test_an_admin_may_block_another_staff_members_time(
    client: Client, fake: FakeSlack
) -> None:
    proposal = await ask(client, fake, BOSS, "block ben tomorrow 9-10 training")
    assert texts(proposal).startswith("Block Ben's time")
    confirm = next(b for b in buttons(proposal) if b["action_id"] == "block-confirm")
    stolen = await pressed(client, fake, ANA, confirm)  # pressed by someone not allowed
    assert stolen["text"] == "You can block only your own time."
    assert await _blocks("ben") == []
    await pressed(client, fake, BOSS, confirm)
    assert await _blocks("ben") == [(f"{TOMORROW}T09:00", f"{TOMORROW}T10:00", "training")]


async def _blocks(resource: str) -> list[tuple[str, str, str]]:
    from core.store import load_rules_as_business

    business = await load_rules_as_business()
    (found,) = [r for r in business.resources if r.id == resource]
    return [
        (b.start.isoformat(timespec="minutes"), b.end.isoformat(timespec="minutes"), b.reason)
        for b in found.blocks
    ]


async def core_bookings(resource: str, day: Any) -> list[str]:
    from core.staff import bookings_on

    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    found = await bookings_on(resource, start, start + timedelta(days=1))
    return [b.customer_name or "" for b in found]


async def _cancellation_reasons() -> list[str]:
    from core import models as m

    rows = await m.Outbox.filter(kind="customer_cancellation").values_list("payload", flat=True)
    return [row["reason"] for row in rows]


# --- the no-show button of a staff notice (action noshow, value noshow:<token>) -----------


async def _token(name: str) -> str:
    row = await m.Booking.filter(customer__name=name).first()
    assert row is not None
    return row.manage_token


async def test_staff_mark_their_own_past_booking_a_no_show(client: Client, fake: FakeSlack) -> None:
    early = {"action_id": NOSHOW, "value": value_of(await _token("Early Bird"))}
    refused = await pressed(client, fake, BEN, early)  # Ben is not on it
    assert refused["text"] == "You can mark no-shows only of your own bookings."
    assert await m.Booking.filter(status="no_show").count() == 0
    done = await pressed(client, fake, ANA, early)
    assert done["response_type"] == "ephemeral"
    assert done["text"].startswith("Marked as a no-show: Early Bird")
    row = await m.Booking.get(customer__name="Early Bird")
    assert row.status == "no_show"
    history = await m.BookingHistory.get(booking_id=row.id, action="no_show")
    assert (history.actor, history.channel) == ("staff:Ana", "slack")


async def test_a_future_booking_is_not_a_no_show_yet(client: Client, fake: FakeSlack) -> None:
    maria = {"action_id": NOSHOW, "value": value_of(await _token("Maria"))}
    answer = await pressed(client, fake, BOSS, maria)
    assert answer["text"] == "A booking can be marked a no-show only after it has started."
    gone = await pressed(client, fake, ANA, {"action_id": NOSHOW, "value": "noshow:nothing"})
    assert gone["text"] == "This booking does not exist any more."
    assert await m.Booking.filter(status="no_show").count() == 0


# --- slotwise channels check ---------------------------------------------------------------


@pytest.fixture
def fake_url(httpserver: Any) -> str:
    """``auth.test`` in a thread of its own (pytest-httpserver): the check runs synchronously."""
    from werkzeug import Request, Response

    def auth_test(request: Request) -> Response:
        ok = request.headers.get("Authorization") == f"Bearer {TOKEN}"
        data = {"ok": True, "team": "Slotwise Test", "user": "slotwise"} if ok else {
            "ok": False, "error": "invalid_auth"}  # fmt: skip
        return Response(json.dumps(data), content_type="application/json")

    httpserver.expect_request("/api/auth.test").respond_with_handler(auth_test)
    return str(httpserver.url_for("/api/"))


def test_channels_check_says_whether_slack_works(
    fake_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from slotwise.cli import main
    from slotwise.settings import get_settings

    def run(**env: str) -> Any:
        for name in (
            "SLOTWISE_SLACK_BOT_TOKEN",
            "SLOTWISE_SLACK_SIGNING_SECRET",
            "SLOTWISE_SLACK_API_BASE",
        ):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(main, ["channels", "check"])
        finally:
            get_settings.cache_clear()

    works = run(SLOTWISE_SLACK_BOT_TOKEN=TOKEN, SLOTWISE_SLACK_SIGNING_SECRET=SECRET,
                SLOTWISE_SLACK_API_BASE=fake_url)  # fmt: skip
    assert works.exit_code == 0, works.output
    assert "Slack: works (bot slotwise in team Slotwise Test)" in works.output
    wrong = run(SLOTWISE_SLACK_BOT_TOKEN="xoxb-wrong", SLOTWISE_SLACK_SIGNING_SECRET=SECRET,
                SLOTWISE_SLACK_API_BASE=fake_url)  # fmt: skip
    assert wrong.exit_code == 1
    assert "invalid_auth" in wrong.output
    off = run()
    assert off.exit_code == 0
    assert "Slack: not configured" in off.output


async def test_slotwise_feed_gives_the_staff_members_calendar_address_and_renews_it(
    app: Quart, client: Client, fake: FakeSlack
) -> None:
    answer = await ask(client, fake, ANA, "feed")
    assert answer["response_type"] == "ephemeral"
    (link,) = re.findall(r"http\S+/feeds/\S+\.ics", answer["text"])
    path = link.split("://", 1)[1].partition("/")[2]
    feed = await client.get(f"/{path}")
    assert feed.status_code == 200
    body = (await feed.get_data()).decode()
    assert "Early Bird" in body
    assert "Ben's customer" not in body  # Ana's calendar only

    renewed = await ask(client, fake, ANA, "feed new")
    (new,) = re.findall(r"http\S+/feeds/\S+\.ics", renewed["text"])
    assert new != link
    assert (await client.get(f"/{path}")).status_code == 404
    assert "/slotwise feed" in (await ask(client, fake, ANA, "help"))["text"]


async def test_slotwise_calendar_tells_the_staff_member_how_their_calendar_fares(
    app: Quart, client: Client, fake: FakeSlack
) -> None:
    from datetime import UTC, datetime

    from core import models as m

    none = await ask(client, fake, ANA, "calendar")
    assert "No calendar of yours is connected" in none["text"]
    assert "slotwise calendar connect ana" in none["text"]
    ana = await m.Resource.get(slug="ana")
    connection = await m.CalendarConnection.create(
        resource_id=ana.id, url="https://dav.example/ana/", username="ana", secret="x",
        state="ok", synced_at=datetime(2026, 12, 1, 9, tzinfo=UTC),
    )  # fmt: skip
    ok = await ask(client, fake, ANA, "calendar")
    assert "Your calendar is connected; last read" in ok["text"]
    assert "0 busy times" in ok["text"]
    await m.CalendarConnection.filter(id=connection.id).update(
        state="refused", last_error="the calendar server refused the user name or password"
    )
    refused = await ask(client, fake, ANA, "calendar")
    assert "refuses Slotwise (the calendar server refused" in refused["text"]
    assert "still count" in refused["text"]


# --- the buttons as the worker renders them (choice-<n>), and "message customer" ----------


def submitted(user: str, token: str, text: str) -> str:
    payload = {
        "type": "view_submission", "team": {"id": "T0TEST"}, "api_app_id": "A0TEST",
        "user": {"id": user, "username": user, "team_id": "T0TEST"},
        "view": {"id": "V0TEST", "type": "modal", "callback_id": "message_customer",
                 "private_metadata": token,
                 "state": {"values": {"note": {"text": {"type": "plain_text_input",
                                                        "value": text}}}}},
    }  # fmt: skip
    return urlencode({"payload": json.dumps(payload)})


async def test_the_no_show_button_of_a_rendered_staff_notice_marks_it(
    client: Client, fake: FakeSlack
) -> None:
    notice = {"action_id": "choice-0", "value": value_of(await _token("Early Bird"))}
    done = await pressed(client, fake, ANA, notice)
    assert done["text"].startswith("Marked as a no-show: Early Bird")
    assert (await m.Booking.get(customer__name="Early Bird")).status == "no_show"
    assert not fake.posted("chat.postMessage")  # not taken for a customer's choice


async def test_message_customer_opens_a_form_and_queues_the_text_to_the_customer(
    client: Client, fake: FakeSlack
) -> None:
    from core.notify.prepare import prepare_many
    from core.outbox import claim

    token = await _token("Maria")
    button = {"action_id": "choice-1", "value": f"message:{token}"}
    refused = await pressed(client, fake, BEN, button)  # not Ben's booking
    assert refused["text"] == "You can write only to the customers of your own bookings."
    assert not fake.posted("views.open")
    body = press(fake, ANA, button["action_id"], button["value"])
    assert (await post(client, body, FORM)).status_code == 200
    (opened,) = await fake.wait_for("views.open", 1)
    assert opened["trigger_id"] == "1.2.3"
    view = opened["view"]
    assert (view["callback_id"], view["private_metadata"]) == ("message_customer", token)
    assert "To Maria, about the booking of" in texts(view)
    # Nothing is queued until the form is sent.
    assert not await m.Outbox.filter(kind="customer_message").exists()
    answer = await post(client, submitted(ANA, token, "Running 10 minutes late, sorry!"), FORM)
    assert answer.status_code == 200
    (told,) = await fake.wait_for("chat.postMessage", 1)
    assert told["channel"] == ANA
    assert told["text"] == "Your message to Maria is on its way (on the channel they booked on)."
    row = await m.Outbox.get(kind="customer_message")
    booking = await m.Booking.get(customer__name="Maria")
    assert row.booking_id == booking.id  # type: ignore[attr-defined]
    history = await m.BookingHistory.get(booking_id=booking.id, action="message")
    assert (history.actor, history.channel) == ("staff:Ana", "slack")
    assert history.data["text"] == "Running 10 minutes late, sorry!"
    # The worker writes it to Maria by e-mail (her only route), with the text.
    due = row.available_at + timedelta(seconds=1)
    claimed = [c for c in await claim("w", due, limit=1000) if c.id == row.id]
    noon = datetime.combine(TODAY, datetime.min.time().replace(hour=12), tzinfo=UTC)
    (decided,) = await prepare_many(claimed, noon, public_url="https://book.example")
    assert [(r.channel, r.address) for r in decided.routes] == [  # type: ignore[union-attr]
        ("email", "maria@example.com")
    ]
    assert "Running 10 minutes late, sorry!" in decided.message.text  # type: ignore[union-attr]
    # A stranger's form is refused and queues nothing more.
    await post(client, submitted(STRANGER, token, "spam"), FORM)
    await fake.wait_for("chat.postMessage", 2)
    assert await m.Outbox.filter(kind="customer_message").count() == 1


async def test_slotwise_summary_turns_the_morning_summary_on_and_off(
    client: Client, fake: FakeSlack
) -> None:
    from core.rules import rule_history

    assert (await ask(client, fake, ANA, "summary"))["text"].startswith(
        "You get no morning summary."
    )
    on = await ask(client, fake, ANA, "summary on")  # the end of the quiet hours
    assert on["text"] == "Each morning at 08:00 you will get the bookings of your day here."
    assert (await m.Resource.get(slug="ana")).summary_at_min == 480
    at = await ask(client, fake, ANA, "summary on 6:45")
    assert at["text"].startswith("Each morning at 06:45")
    assert (await m.Resource.get(slug="ana")).summary_at_min == 405
    assert (await ask(client, fake, ANA, "summary"))["text"].startswith(
        "You get the summary of your day at 06:45."
    )
    wrong = await ask(client, fake, ANA, "summary on 25:00")
    assert wrong["text"] == "“25:00” is not a time; write it like 07:30."
    off = await ask(client, fake, ANA, "summary off")
    assert off["text"] == "You will get no morning summary any more."
    assert (await m.Resource.get(slug="ana")).summary_at_min is None
    assert (await m.Resource.get(slug="ben")).summary_at_min is None  # only her own
    edits = [e for e in await rule_history() if e.action == "resource.morning_summary"]
    assert {e.actor for e in edits} == {"staff:Ana"}
    assert len(edits) == 3
