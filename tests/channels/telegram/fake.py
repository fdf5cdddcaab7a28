"""A local Telegram Bot API that records what the bot sent: the real aiogram talks to it.

It answers ``POST /bot<token>/<method>`` as Telegram does (form fields, or multipart
for a document; ``reply_markup`` a JSON string), with ``{"ok": true, "result": ...}``,
or with an error queued by :meth:`FakeTelegram.fail` (403 blocked, 429 with
``retry_after``...). Every call is kept in :attr:`FakeTelegram.calls`, in order.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Slotwise", "username": "slotwise_bot"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def markup(self) -> dict[str, Any] | None:
        raw = self.params.get("reply_markup")
        return json.loads(raw) if raw else None


class FakeTelegram:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._failures: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self._message_id = 100
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self.server = TestServer(app, host="127.0.0.1")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    async def start(self) -> None:
        await self.server.start_server()

    async def close(self) -> None:
        await self.server.close()

    def fail(self, method: str, status: int, description: str, **parameters: Any) -> None:
        """The next call of ``method`` is refused so (queued: several calls, several errors)."""
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        self._failures.setdefault(method, []).append((status, body))

    def of(self, *methods: str) -> list[Call]:
        return [c for c in self.calls if c.method in methods]

    @property
    def sent(self) -> list[Call]:
        """The messages and documents sent, in order."""
        return self.of("sendMessage", "sendDocument")

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        for name, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                files[name] = value.file.read()
                params[name] = value.filename
            else:
                params[name] = value
        call = Call(method, params, files)
        self.calls.append(call)
        queued = self._failures.get(method)
        if queued:
            status, body = queued.pop(0)
            return web.json_response(body, status=status)
        return web.json_response({"ok": True, "result": self._result(call)})

    def _result(self, call: Call) -> Any:
        if call.method == "getMe":
            return BOT_USER
        if call.method in ("sendMessage", "sendDocument", "editMessageText"):
            return self._message(call)
        if call.method == "editMessageReplyMarkup":
            return self._message(call)
        return True

    def _message(self, call: Call) -> dict[str, Any]:
        if "message_id" in call.params:
            message_id = int(call.params["message_id"])
        else:
            self._message_id += 1
            message_id = self._message_id
        call.params["message_id"] = message_id
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": int(call.params["chat_id"]), "type": "private"},
            "from": BOT_USER,
        }
        if "text" in call.params:
            message["text"] = call.params["text"]
        if "document" in call.params:
            message["document"] = {
                "file_id": "f1",
                "file_unique_id": "u1",
                "file_name": call.params["document"],
            }
        if call.markup and "inline_keyboard" in call.markup:
            message["reply_markup"] = call.markup
        return message
