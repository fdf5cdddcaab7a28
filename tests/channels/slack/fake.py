"""A local stand-in for Slack's Web API and response URLs, speaking enough of their protocol
for the real ``slack_sdk`` clients: ``auth.test``, ``chat.postMessage``, ``views.open`` and the
``response_url`` of slash commands and button presses. It records what it received.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

TOKEN = "xoxb-test-token"
TEAM = "Slotwise Test"
BOT_USER = "UBOT"


@dataclass
class Call:
    path: str
    data: dict[str, Any]


@dataclass
class FakeSlack:
    server: TestServer
    calls: list[Call] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    """Per channel (a user id), the ``error`` chat.postMessage answers with."""
    slow: asyncio.Event | None = None
    """While set and not yet fired, a ``response_url`` call is recorded and then left
    waiting for it: the app's work after the ack is still going on."""

    @property
    def api_base(self) -> str:
        return str(self.server.make_url("/api/"))

    def response_url(self, name: str) -> str:
        return str(self.server.make_url(f"/respond/{name}"))

    def posted(self, path: str) -> list[dict[str, Any]]:
        return [call.data for call in self.calls if call.path == path]

    async def wait_for(self, path: str, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The first ``count`` requests to ``path``, waiting for the app's work after its ack."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.posted(path)) < count:
            if loop.time() > deadline:
                raise AssertionError(f"{path}: {len(self.posted(path))} calls, expected {count}")
            await asyncio.sleep(0.02)
        return self.posted(path)[:count]


async def _body(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        data = await request.json()
        return data if isinstance(data, dict) else {}
    form = await request.post()
    return {key: str(value) for key, value in form.items()}


def _authorized(request: web.Request) -> bool:
    return request.headers.get("Authorization") == f"Bearer {TOKEN}"


async def start_fake() -> FakeSlack:
    app = web.Application()
    fake = FakeSlack(TestServer(app))

    async def auth_test(request: web.Request) -> web.Response:
        fake.calls.append(Call("auth.test", {}))
        if not _authorized(request):
            return web.json_response({"ok": False, "error": "invalid_auth"})
        return web.json_response(
            {"ok": True, "team": TEAM, "team_id": "T0TEST", "user": "slotwise",
             "user_id": BOT_USER, "bot_id": "B0TEST", "url": "https://test.slack.com/"}
        )  # fmt: skip

    async def post_message(request: web.Request) -> web.Response:
        data = await _body(request)
        if isinstance(data.get("blocks"), str):
            data["blocks"] = json.loads(data["blocks"])
        fake.calls.append(Call("chat.postMessage", data))
        if not _authorized(request):
            return web.json_response({"ok": False, "error": "invalid_auth"})
        error = fake.refuse.get(str(data.get("channel")))
        if error is not None:
            return web.json_response({"ok": False, "error": error})
        return web.json_response({"ok": True, "channel": data.get("channel"), "ts": "1.000"})

    async def views_open(request: web.Request) -> web.Response:
        data = await _body(request)
        if isinstance(data.get("view"), str):
            data["view"] = json.loads(data["view"])
        fake.calls.append(Call("views.open", data))
        if not _authorized(request):
            return web.json_response({"ok": False, "error": "invalid_auth"})
        return web.json_response({"ok": True, "view": {"id": "V0TEST", **data["view"]}})

    async def respond(request: web.Request) -> web.Response:
        data = await _body(request)
        data["to"] = request.match_info["name"]
        fake.calls.append(Call("respond", data))
        if fake.slow is not None:
            await fake.slow.wait()
        return web.Response(text="ok")

    app.router.add_post("/api/auth.test", auth_test)
    app.router.add_post("/api/chat.postMessage", post_message)
    app.router.add_post("/api/views.open", views_open)
    app.router.add_post("/respond/{name}", respond)
    await fake.server.start_server()
    return fake
