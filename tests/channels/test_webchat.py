"""The web chat through Quart's test client: the message endpoint, the page and the widget script.

Every message goes to the real bot (``bot.runner.Chat``, installed by
``create_app``) talking about the demo business, so what the channel hands
the bot shows in what the bot answers: Spanish for ``"locale": "es"``, times
labelled "(New York)" for ``"timezone": "America/New_York"``. The server keeps
the real clock, so the tests ask for weekdays ("Tuesday" is always ahead),
never "tomorrow". A message the channel refuses never reaches the bot: the
bot would have kept a conversation for its session.

The page and widget tests use a business of their own, whose name needs escaping.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

from bot.conversations import ConversationStore
from bot.inbound import MAX_TEXT
from bot.runner import Chat
from channels.ratelimit import RateLimiter
from channels.services import SERVICES
from channels.webchat import HANDLER, LIMITER, ChatHandler
from channels.webchat.look import DEFAULT_COLOUR, accent_colours, contrast, ink_of
from channels.webchat.messages import CHANNEL
from core import models as m
from core.businessfile import load_business_file, parse_business
from core.store import replace_business
from slotwise.app import create_app
from slotwise.cli import DEMO_FILE
from slotwise.settings import Settings

SESSION = "s3ss10n_-abcdefghijklmnop"
OTHER = "another-s3ss10n_-abcdefghijklmnop"
NAME = "Ana & Bo's <Salon>"
PUBLIC = "https://book.example"
GREETING = "Hello! I'm the booking assistant of Slotwise Demo."
WHEN = "When would you like to come for Haircut?"
TUESDAY = "haircut on Tuesday afternoon"  # Ana and Ben both work Tuesday afternoons
DAY_BUTTONS = ["Today", "Tomorrow", "This week", "First available"]


def business(**info: Any) -> str:
    return json.dumps(
        {
            "business": {"name": NAME, "timezone": "Europe/Madrid", "locale": "es", **info},
            "resources": [{"id": "ana", "name": "Ana", "kind": "staff"}],
            "services": [{"id": "cut", "name": "Cut", "duration_min": 30, "requires": [["ana"]]}],
        }
    )


@pytest.fixture
async def app(empty_db_url: str) -> AsyncIterator[Quart]:
    application = create_app(Settings(database_url=empty_db_url, public_url=PUBLIC))
    async with application.test_app():
        await replace_business(load_business_file(DEMO_FILE))
        yield application


@pytest.fixture
async def salon(app: Quart) -> None:
    """The page's business instead of the demo: Spanish, and a name full of markup."""
    await replace_business(parse_business(business()))


@pytest.fixture
def client(app: Quart) -> Client:
    return app.test_client()


async def body(response: Any) -> Any:
    return json.loads(await response.get_data(as_text=True))


async def send(client: Client, session: str = SESSION, **message: Any) -> list[dict[str, Any]]:
    """Post one message; the bot's replies."""
    response = await client.post("/chat/messages", json={"session": session, **message})
    assert response.status_code == 200, await response.get_data(as_text=True)
    replies: list[dict[str, Any]] = (await body(response))["replies"]
    assert replies, "every message gets a reply"
    return replies


def text(replies: list[dict[str, Any]]) -> str:
    """The replies' text, with Babel's narrow no-break spaces ("2:00\u202fPM") as spaces."""
    return plain(" ".join(r["text"] for r in replies))


def labels(replies: list[dict[str, Any]]) -> list[str]:
    return [plain(o["label"]) for r in replies for o in r["options"]]


def slot_labels(replies: list[dict[str, Any]]) -> list[str]:
    return [
        plain(o["label"]) for r in replies for o in r["options"] if o["value"].startswith("slot:")
    ]


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


def button(replies: list[dict[str, Any]], label: str) -> str:
    """The value of the button labelled ``label``."""
    for option in (o for r in replies for o in r["options"]):
        if plain(option["label"]) == label:
            value: str = option["value"]
            return value
    raise AssertionError(f"no button {label!r} in {labels(replies)}")


async def conversation_of(app: Quart, session: str) -> object:
    """What the bot remembers of ``session``'s conversation: ``None`` if it never heard of it."""
    store: ConversationStore = app.extensions[SERVICES].conversations
    return await store.get(CHANNEL, session)


async def assert_problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, await response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/problem+json"
    problem: dict[str, Any] = await body(response)
    assert problem["status"] == status
    assert problem.get("field") == field
    assert "Traceback" not in problem["detail"]
    return problem


# --- messages in ----------------------------------------------------------------------------


def test_the_chat_is_the_real_bot(app: Quart) -> None:
    assert isinstance(app.extensions[HANDLER], Chat)
    assert isinstance(app.extensions[HANDLER], ChatHandler)


async def test_opening_the_page_asks_the_bot_to_greet(app: Quart, client: Client) -> None:
    assert await conversation_of(app, SESSION) is None
    response = await client.post("/chat/messages", json={"session": SESSION})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    (greeting,) = (await body(response))["replies"]
    assert greeting["text"].startswith(GREETING)
    assert {"label": "Haircut", "value": "svc:haircut"} in greeting["options"]
    assert await conversation_of(app, SESSION) is not None  # the bot keeps the session's talk


async def test_text_and_choice_reach_the_bot(client: Client) -> None:
    assert text(await send(client, text="haircut")) == WHEN
    greeting = await send(client, OTHER)
    asked = await send(client, OTHER, choice=button(greeting, "Yoga class"))
    assert text(asked) == "When would you like to come for Yoga class?"


async def test_the_locale_reaches_the_bot(client: Client) -> None:
    spanish = await send(client, locale="es")
    assert "¡Hola! Soy el asistente de reservas de Slotwise Demo." in text(spanish)
    assert "Mis citas" in labels(spanish)
    german = await send(client, OTHER, text="hallo", locale="de-AT")
    assert "Buchungsassistent von Slotwise Demo" in text(german)


async def test_the_timezone_reaches_the_bot(client: Client) -> None:
    home = slot_labels(await send(client, text=TUESDAY))
    assert home
    assert not [label for label in home if "(" in label]  # the business's own zone: no city
    zone = "America/New_York"
    away = slot_labels(await send(client, OTHER, text=TUESDAY, timezone=zone))
    assert away
    assert all("(New York)" in label for label in away), away


async def test_a_zone_this_server_does_not_know_is_dropped(client: Client) -> None:
    home = slot_labels(await send(client, text=TUESDAY))
    unknown = await send(client, OTHER, text=TUESDAY, timezone="Mars/Olympus_Mons")
    assert slot_labels(unknown) == home  # as if no zone had been given


async def test_over_long_text_is_cut(client: Client) -> None:
    long = await send(client, text="x" * 5000)
    assert text(long).startswith(GREETING)  # a normal answer, not an error
    beyond = "haircut".ljust(MAX_TEXT) + " on Tuesday afternoon"  # the day lies past the cut
    assert text(await send(client, OTHER, text=beyond)) == WHEN


@pytest.mark.parametrize(
    "session",
    [None, 42, "", "short", "x" * 21, "x" * 65, "has space in it 0123456789", "ünïcode" * 4],
)
async def test_a_bad_session_is_refused(client: Client, session: Any) -> None:
    message = {"text": "hi"} if session is None else {"session": session, "text": "hi"}
    await assert_problem(await client.post("/chat/messages", json=message), 400, "session")


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"text": "hi", "choice": "svc:haircut"}, "choice"),
        ({"text": 5}, "text"),
        ({"text": "   "}, "text"),
        ({"choice": ""}, "choice"),
        ({"choice": ["svc:haircut"]}, "choice"),
        ({"choice": "c" * 201}, "choice"),
        ({"text": "hi", "locale": "en; DROP"}, "locale"),
        ({"text": "hi", "locale": 7}, "locale"),
        ({"text": "hi", "timezone": "../../etc/passwd"}, "timezone"),
        ({"text": "hi", "timezone": "/usr/share/zoneinfo/UTC"}, "timezone"),
        ({"text": "hi", "timezone": ["UTC"]}, "timezone"),
        ({"text": "hi", "user": "someone-else"}, "user"),
    ],
)
async def test_a_bad_message_names_the_field(
    app: Quart, client: Client, message: dict[str, Any], field: str
) -> None:
    response = await client.post("/chat/messages", json={"session": SESSION, **message})
    await assert_problem(response, 400, field)
    assert await conversation_of(app, SESSION) is None  # the bot never saw it


async def test_a_lone_surrogate_is_refused(app: Quart, client: Client) -> None:
    raw = '{"session": "' + SESSION + '", "text": "\\ud800"}'
    response = await client.post(
        "/chat/messages", data=raw, headers={"Content-Type": "application/json"}
    )
    await assert_problem(response, 400, "text")
    assert await conversation_of(app, SESSION) is None


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"', "null"])
async def test_a_body_that_is_not_a_json_object_is_refused(client: Client, raw: str) -> None:
    response = await client.post(
        "/chat/messages", data=raw, headers={"Content-Type": "application/json"}
    )
    await assert_problem(response, 400)


async def test_a_body_that_is_not_json_at_all_is_refused(app: Quart, client: Client) -> None:
    response = await client.post("/chat/messages", form={"session": SESSION, "text": "hi"})
    await assert_problem(response, 415)
    assert await conversation_of(app, SESSION) is None


async def test_a_huge_body_is_refused(app: Quart, client: Client) -> None:
    response = await client.post("/chat/messages", json={"session": SESSION, "text": "x" * 100_000})
    await assert_problem(response, 413)
    assert await conversation_of(app, SESSION) is None


async def test_messages_are_rate_limited_per_session(app: Quart, client: Client) -> None:
    app.extensions[LIMITER] = RateLimiter(3, clock=lambda: 0.0)
    codes = [
        (await client.post("/chat/messages", json={"session": SESSION, "text": "hi"})).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    refused = await client.post("/chat/messages", json={"session": SESSION, "text": "haircut"})
    await assert_problem(refused, 429, "session")
    assert int(refused.headers["Retry-After"]) >= 1
    assert text(await send(client, OTHER, text="haircut")) == WHEN  # another session talks on


async def test_fresh_sessions_from_one_address_share_its_limit(empty_db_url: str) -> None:
    """The probe minted 12 sessions to escape the per-session limit: the address limits."""
    application = create_app(Settings(database_url=empty_db_url, chat_messages_per_minute=5))
    async with application.test_app():
        await replace_business(load_business_file(DEMO_FILE))
        client = application.test_client()
        codes = [
            (
                await client.post(
                    "/chat/messages", json={"session": f"{SESSION}-{n}", "text": "hi"}
                )
            ).status_code
            for n in range(7)
        ]
    assert codes == [200] * 5 + [429] * 2


async def test_without_a_bot_the_chat_is_unavailable(app: Quart, client: Client) -> None:
    app.extensions.pop(HANDLER, None)
    response = await client.post("/chat/messages", json={"session": SESSION, "text": "hi"})
    problem = await assert_problem(response, 503)
    assert problem["code"] == "chat_unavailable"


# --- replies out ----------------------------------------------------------------------------


async def test_replies_keep_options_hint_and_attachments(client: Client) -> None:
    opened = await client.post("/chat/messages", json={"session": SESSION, "locale": "es"})
    assert "¡Hola!" in await opened.get_data(as_text=True)  # UTF-8, not \u escapes
    (greeting,) = (await body(opened))["replies"]
    assert set(greeting) == {"text", "options", "hint", "attachments"}
    assert greeting["options"][:3] == [  # the demo's services, in Spanish (their `names`)
        {"label": "Consulta", "value": "svc:consult"},
        {"label": "Revisión", "value": "svc:checkup"},
        {"label": "Corte de pelo", "value": "svc:haircut"},
    ]
    assert (greeting["hint"], greeting["attachments"]) == (None, [])

    assert await send(client, OTHER, text="haircut") == [
        {
            "text": WHEN,
            "options": [
                {"label": "Today", "value": "when:today"},
                {"label": "Tomorrow", "value": "when:tomorrow"},
                {"label": "This week", "value": "when:week"},
                {"label": "First available", "value": "when:asap"},
            ],
            "hint": "date",
            "attachments": [],
        }
    ]

    offer = await send(client, OTHER, text="Tuesday afternoon")
    slot = next(o["value"] for r in offer for o in r["options"] if o["value"].startswith("slot:"))
    assert "What name" in text(await send(client, OTHER, choice=slot))
    await send(client, OTHER, text="Ada Lovelace")
    summary = await send(client, OTHER, text="ada@example.com")
    assert "Name: Ada Lovelace, contact: ada@example.com" in text(summary)
    (booked,) = await send(client, OTHER, choice=button(summary, "Confirm"))

    token = (await m.Booking.get()).manage_token
    manage = f"{PUBLIC}/b/{token}"
    assert booked["text"].startswith("Booked! Haircut with ")
    assert manage in booked["text"]
    assert booked["attachments"] == [
        {"filename": "booking.ics", "content_type": "text/calendar", "url": f"{manage}.ics"}
    ]
    assert [o["label"] for o in booked["options"]] == ["My bookings", "Book another"]
    assert booked["hint"] is None
    ics = await client.get(f"/b/{token}.ics")  # what the link leads to
    assert ics.status_code == 200
    assert "BEGIN:VCALENDAR" in await ics.get_data(as_text=True)


# --- the page and the widget ----------------------------------------------------------------


async def test_the_page_shows_the_business_name_escaped(client: Client, salon: None) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.content_type.startswith("text/html")
    html = await response.get_data(as_text=True)
    assert NAME not in html
    assert "<title>Ana &amp; Bo&#39;s &lt;Salon&gt;</title>" in html
    assert '<html lang="es"' in html
    assert f"--accent: {DEFAULT_COLOUR}" in html
    assert "Empezar de nuevo" in html  # the page's own few words, in the business's language
    assert 'data-endpoint="/chat/messages"' in html
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'self'" in policy


async def test_the_page_speaks_the_language_the_bot_will_greet_in(
    client: Client, salon: None
) -> None:
    german = await client.get("/", headers={"Accept-Language": "de-AT,de;q=0.9,en;q=0.5"})
    html = await german.get_data(as_text=True)
    assert '<html lang="de"' in html
    assert "Neu starten" in html
    assert german.headers["Vary"] == "Accept-Language"
    unknown = await client.get("/", headers={"Accept-Language": "pt-BR,de;q=0.9"})
    assert '<html lang="es"' in await unknown.get_data(as_text=True)  # the business's


async def test_the_embedded_page_may_be_framed_and_can_close(client: Client) -> None:
    response = await client.get("/?embed=1")
    html = await response.get_data(as_text=True)
    assert 'class="embed"' in html
    assert 'id="close"' in html
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]


async def test_the_page_takes_the_business_colour(client: Client) -> None:
    await replace_business(parse_business(business(colour="#AA3300")))
    html = await (await client.get("/")).get_data(as_text=True)
    assert "--accent: #aa3300; --on-accent: #ffffff" in html
    assert '<meta name="theme-color" content="#aa3300">' in html


@pytest.mark.parametrize(
    ("colour", "expected"),
    [
        (None, (DEFAULT_COLOUR, "#ffffff")),
        ("#FFDD00", ("#ffdd00", "#111111")),
        ("#1e3a8a", ("#1e3a8a", "#ffffff")),
        ("red", (DEFAULT_COLOUR, "#ffffff")),
        ("#abc", (DEFAULT_COLOUR, "#ffffff")),
        ('#000000"; background: url(x)', (DEFAULT_COLOUR, "#ffffff")),
        ("#123456</style><script>", (DEFAULT_COLOUR, "#ffffff")),
    ],
)
def test_only_a_real_colour_reaches_the_page(colour: str | None, expected: tuple[str, str]) -> None:
    assert accent_colours(colour) == expected


@pytest.mark.parametrize(
    ("accent", "ink"),
    [("#0f766e", "#0f766e"), ("#000000", "#000000"), ("#facc15", None), ("#ffffff", None)],
)
def test_the_ink_is_the_accent_readable_on_white(accent: str, ink: str | None) -> None:
    """Text in the accent colour (buttons, links) keeps 4.5:1 against white."""
    darkened = ink_of(accent)
    if ink is not None:
        assert darkened == ink  # dark enough already
    assert accent_colours(darkened)[1] == "#ffffff"  # white reads better on it than black
    assert contrast(darkened, "#ffffff") >= 4.5


async def test_the_page_works_before_a_business_is_imported(tmp_path: Any) -> None:
    from core.db import migrate

    url = f"sqlite://{tmp_path / 'empty.db'}"
    await migrate(url)
    application = create_app(Settings(database_url=url))
    async with application.test_app():
        html = await (await application.test_client().get("/")).get_data(as_text=True)
    assert "<title>Slotwise</title>" in html


async def test_the_widget_script_carries_the_name_and_colour(client: Client, salon: None) -> None:
    response = await client.get("/widget.js")
    assert response.status_code == 200
    assert response.content_type.startswith("text/javascript")
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    script = await response.get_data(as_text=True)
    config = json.loads(script.split("const config = ", 1)[1].split(";\n", 1)[0])
    assert config["name"] == NAME
    assert config["accent"] == DEFAULT_COLOUR
    assert config["open"] == f"Chatear con {NAME}"
    assert "<" not in script.split("const config = ", 1)[1].split(";\n", 1)[0]
    assert "?embed=1" in script


async def test_the_page_links_its_script_and_style_with_fingerprints(client: Client) -> None:
    html = await (await client.get("/")).get_data(as_text=True)
    for name, kind in (("chat.js", "text/javascript"), ("chat.css", "text/css")):
        url = html.split(f"/chat/static/{name}?v=", 1)[1].split('"', 1)[0]
        response = await client.get(f"/chat/static/{name}?v={url}")
        assert response.status_code == 200
        assert response.content_type.startswith(kind)
        assert "immutable" in response.headers["Cache-Control"]
    missing = await client.get("/chat/static/nothing.js")
    assert missing.status_code == 404


async def test_the_chat_is_not_part_of_the_api_description(client: Client) -> None:
    paths = (await body(await client.get("/api/v1/openapi.json")))["paths"]
    assert not [path for path in paths if not path.startswith("/api/v1/")]
