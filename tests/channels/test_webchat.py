"""The web chat through Quart's test client: the message endpoint, the page and the widget script.

The bot's runner is stood in for by a scripted handler of the ``ChatHandler``
shape, so these tests pin the channel alone: what it accepts, what it hands
the bot, and how it writes the bot's replies.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

from bot.inbound import MAX_TEXT, Inbound
from bot.replies import Attachment, Option, Reply
from channels.ratelimit import RateLimiter
from channels.webchat import HANDLER, LIMITER, ChatHandler
from channels.webchat.look import DEFAULT_COLOUR, accent_colours, contrast, ink_of
from core.businessfile import parse_business
from core.store import load_info, replace_business
from slotwise.app import create_app
from slotwise.settings import Settings

SESSION = "s3ss10n_-abcdefghijklmnop"
NAME = "Ana & Bo's <Salon>"


class ScriptedBot:
    """Answers every message with ``replies``, or fails if ``fail``; keeps what it was sent."""

    def __init__(self, replies: Sequence[Reply] = (Reply("Hello!"),)) -> None:
        self.replies = list(replies)
        self.received: list[Inbound] = []
        self.fail = False

    async def handle(self, inbound: Inbound) -> list[Reply]:
        self.received.append(inbound)
        if self.fail:
            raise RuntimeError("the bot broke")
        return self.replies


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
    application = create_app(Settings(database_url=empty_db_url))
    async with application.test_app():
        await replace_business(parse_business(business()))
        yield application


@pytest.fixture
def bot(app: Quart) -> ScriptedBot:
    scripted = ScriptedBot()
    app.extensions[HANDLER] = scripted
    return scripted


@pytest.fixture
def client(app: Quart) -> Client:
    return app.test_client()


async def body(response: Any) -> Any:
    return json.loads(await response.get_data(as_text=True))


async def assert_problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, await response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/problem+json"
    problem: dict[str, Any] = await body(response)
    assert problem["status"] == status
    assert problem.get("field") == field
    assert "Traceback" not in problem["detail"]
    return problem


def test_the_scripted_bot_has_the_handler_shape() -> None:
    assert isinstance(ScriptedBot(), ChatHandler)


# --- messages in ----------------------------------------------------------------------------


async def test_opening_the_page_asks_the_bot_to_greet(client: Client, bot: ScriptedBot) -> None:
    response = await client.post("/chat/messages", json={"session": SESSION})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert await body(response) == {
        "replies": [{"text": "Hello!", "options": [], "hint": None, "attachments": []}]
    }
    assert bot.received == [Inbound(channel="web", user=SESSION)]


async def test_text_choice_locale_and_zone_reach_the_bot(client: Client, bot: ScriptedBot) -> None:
    hello = {"session": SESSION, "text": "hi", "locale": "de-AT", "timezone": "Europe/Vienna"}
    await client.post("/chat/messages", json=hello)
    await client.post("/chat/messages", json={"session": SESSION, "choice": "slot:3"})
    assert bot.received == [
        Inbound(channel="web", user=SESSION, text="hi", locale="de-AT", timezone="Europe/Vienna"),
        Inbound(channel="web", user=SESSION, choice="slot:3"),
    ]


async def test_a_zone_this_server_does_not_know_is_dropped(
    client: Client, bot: ScriptedBot
) -> None:
    message = {"session": SESSION, "text": "hi", "timezone": "Mars/Olympus_Mons"}
    response = await client.post("/chat/messages", json=message)
    assert response.status_code == 200
    assert bot.received[0].timezone is None


async def test_over_long_text_is_cut(client: Client, bot: ScriptedBot) -> None:
    response = await client.post("/chat/messages", json={"session": SESSION, "text": "x" * 5000})
    assert response.status_code == 200
    assert bot.received[0].text == "x" * MAX_TEXT


@pytest.mark.parametrize(
    "session",
    [None, 42, "", "short", "x" * 21, "x" * 65, "has space in it 0123456789", "ünïcode" * 4],
)
async def test_a_bad_session_is_refused(client: Client, bot: ScriptedBot, session: Any) -> None:
    message = {"text": "hi"} if session is None else {"session": session, "text": "hi"}
    await assert_problem(await client.post("/chat/messages", json=message), 400, "session")
    assert bot.received == []


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"text": "hi", "choice": "1"}, "choice"),
        ({"text": 5}, "text"),
        ({"text": "   "}, "text"),
        ({"choice": ""}, "choice"),
        ({"choice": ["1"]}, "choice"),
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
    client: Client, bot: ScriptedBot, message: dict[str, Any], field: str
) -> None:
    response = await client.post("/chat/messages", json={"session": SESSION, **message})
    await assert_problem(response, 400, field)
    assert bot.received == []


async def test_a_lone_surrogate_is_refused(client: Client, bot: ScriptedBot) -> None:
    raw = '{"session": "' + SESSION + '", "text": "\\ud800"}'
    response = await client.post(
        "/chat/messages", data=raw, headers={"Content-Type": "application/json"}
    )
    await assert_problem(response, 400, "text")


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"', "null"])
async def test_a_body_that_is_not_a_json_object_is_refused(
    client: Client, bot: ScriptedBot, raw: str
) -> None:
    response = await client.post(
        "/chat/messages", data=raw, headers={"Content-Type": "application/json"}
    )
    await assert_problem(response, 400)


async def test_a_body_that_is_not_json_at_all_is_refused(client: Client, bot: ScriptedBot) -> None:
    response = await client.post("/chat/messages", form={"session": SESSION, "text": "hi"})
    await assert_problem(response, 415)


async def test_a_huge_body_is_refused(client: Client, bot: ScriptedBot) -> None:
    response = await client.post("/chat/messages", json={"session": SESSION, "text": "x" * 100_000})
    await assert_problem(response, 413)


async def test_messages_are_rate_limited_per_session(
    app: Quart, client: Client, bot: ScriptedBot
) -> None:
    app.extensions[LIMITER] = RateLimiter(3, clock=lambda: 0.0)
    codes = [
        (await client.post("/chat/messages", json={"session": SESSION, "text": "hi"})).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    refused = await client.post("/chat/messages", json={"session": SESSION, "text": "hi"})
    await assert_problem(refused, 429, "session")
    assert int(refused.headers["Retry-After"]) >= 1
    other = await client.post("/chat/messages", json={"session": "another" + SESSION})
    assert other.status_code == 200
    assert len(bot.received) == 4


async def test_without_a_bot_the_chat_is_unavailable(app: Quart, client: Client) -> None:
    app.extensions.pop(HANDLER, None)
    response = await client.post("/chat/messages", json={"session": SESSION, "text": "hi"})
    problem = await assert_problem(response, 503)
    assert problem["code"] == "chat_unavailable"


async def test_a_failing_bot_gives_a_problem_not_a_traceback(
    client: Client, bot: ScriptedBot
) -> None:
    bot.fail = True
    response = await client.post("/chat/messages", json={"session": SESSION, "text": "hi"})
    problem = await assert_problem(response, 500)
    assert "the bot broke" not in json.dumps(problem)


# --- replies out ----------------------------------------------------------------------------


async def test_replies_keep_options_hint_and_attachments(client: Client, bot: ScriptedBot) -> None:
    bot.replies = [
        Reply("Which day?", options=(Option("Today", "day:0"), Option("Tomorrow", "day:1"))),
        Reply("Or pick one", hint="date"),
        Reply(
            "Booked ✓",
            attachments=(
                Attachment("booking.ics", "text/calendar", b"BEGIN:VCALENDAR", url="/b/1.ics"),
                Attachment("note.txt", "text/plain", b"no link"),
            ),
        ),
    ]
    response = await client.post("/chat/messages", json={"session": SESSION, "text": "book"})
    assert await body(response) == {
        "replies": [
            {
                "text": "Which day?",
                "options": [
                    {"label": "Today", "value": "day:0"},
                    {"label": "Tomorrow", "value": "day:1"},
                ],
                "hint": None,
                "attachments": [],
            },
            {"text": "Or pick one", "options": [], "hint": "date", "attachments": []},
            {
                "text": "Booked ✓",
                "options": [],
                "hint": None,
                "attachments": [
                    {"filename": "booking.ics", "content_type": "text/calendar", "url": "/b/1.ics"},
                    {"filename": "note.txt", "content_type": "text/plain", "url": None},
                ],
            },
        ]
    }


# --- the page and the widget ----------------------------------------------------------------


async def test_the_page_shows_the_business_name_escaped(client: Client) -> None:
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


async def test_the_page_speaks_the_language_the_bot_will_greet_in(client: Client) -> None:
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
    if getattr(await load_info(), "colour", None) is None:
        pytest.skip("the store does not keep the business colour yet")
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


async def test_the_widget_script_carries_the_name_and_colour(client: Client) -> None:
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
