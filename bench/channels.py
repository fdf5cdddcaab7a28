"""``python -m bench.channels``: a message through a chat channel's webhook to the reply its
platform receives.

Telegram: the demo business in a fresh SQLite file, the whole app as ``slotwise
serve`` builds it with Telegram configured, ``POST /telegram/webhook`` driven
in-process through Quart's test client (secret check, the delivery log, aiogram's
dispatcher, the dialog, slot search) and the real aiogram sending the reply over
HTTP to a minimal local Bot API (an aiohttp server on 127.0.0.1 that answers
every method). The time is from posting the update to the fake having the
``sendMessage``; the figure is the median over ``--messages`` messages (target:
median < 50 ms).

SMS: ``POST /twilio/sms`` signed as Twilio signs it (the real ``RequestValidator``),
to the TwiML reply in the response (Twilio sends what the TwiML says; the app makes
no call of its own); WhatsApp the same through ``POST /twilio/whatsapp``. Slack: a
direct message event, signed as Slack signs it, through ``POST /slack/events`` (the
real slack-bolt: signature, ack, the work after the ack) to the ``chat.postMessage``
a minimal local Web API receives. Same business, same messages, same target.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from quart import Quart

from bench.__main__ import calibration_ms
from bench.booking import percentile
from core.businessfile import load_business_file
from core.db import database, migrate
from core.store import replace_business
from slotwise.app import create_app
from slotwise.cli import DEMO_FILE
from slotwise.settings import Settings

SECRET = "bench-secret"
MESSAGES = ("hello", "haircut on Tuesday afternoon", "my bookings", "help", "yoga class")


def _fake_bot_api(received: list[float]) -> web.Application:
    """Answers every Bot API method; notes the time of each ``sendMessage``."""

    async def handle(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        form = await request.post()
        if method == "sendMessage":
            received.append(time.perf_counter())
        result: Any = True
        if method.startswith("send"):
            chat = {"id": int(str(form["chat_id"])), "type": "private"}
            result = {"message_id": 1, "date": 0, "chat": chat, "text": str(form.get("text"))}
        return web.json_response({"ok": True, "result": result})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", handle)
    return app


@asynccontextmanager
async def _demo_app(**settings: Any) -> AsyncIterator[Quart]:
    """The app as ``slotwise serve`` builds it, on the demo business in a fresh SQLite file."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite://{Path(folder) / 'bench.sqlite3'}"
        await migrate(url)
        async with database(url):
            await replace_business(load_business_file(DEMO_FILE))
        app = create_app(Settings(database_url=url, **settings))
        async with app.test_app():
            yield app


async def _timed(count: int, one: Callable[[int], Awaitable[float]]) -> list[float]:
    """``one(n)`` for ``count`` messages after five that warm up; its milliseconds each."""
    times: list[float] = []
    for n in range(count + 5):
        took = await one(n)
        if n >= 5:
            times.append(took)
    return times


async def telegram(count: int) -> list[float]:
    received: list[float] = []
    server = TestServer(_fake_bot_api(received), host="127.0.0.1")
    await server.start_server()
    try:
        async with _demo_app(
            telegram_token="123456:BENCH",
            telegram_webhook_secret=SECRET,
            telegram_api_base=f"http://127.0.0.1:{server.port}",
        ) as app:
            client = app.test_client()
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

            async def one(n: int) -> float:
                user = {"id": 1000 + n // len(MESSAGES), "is_bot": False, "first_name": "B"}
                update = {
                    "update_id": n + 1,
                    "message": {
                        "message_id": n + 1,
                        "date": 0,
                        "chat": {"id": user["id"], "type": "private"},
                        "from": user,
                        "text": MESSAGES[n % len(MESSAGES)],
                    },
                }
                mark = len(received)
                start = time.perf_counter()
                response = await client.post("/telegram/webhook", json=update, headers=headers)
                if response.status_code != 200 or len(received) == mark:
                    raise SystemExit(f"update {n + 1}: HTTP {response.status_code}, no reply")
                return (received[mark] - start) * 1000

            return await _timed(count, one)
    finally:
        await server.close()


async def twilio(count: int, kind: str = "sms") -> list[float]:
    """``kind``: ``"sms"`` or ``"whatsapp"`` (the same code behind its own webhook, with
    WhatsApp's addresses and traits)."""
    from twilio.request_validator import RequestValidator

    account, token, public = "AC" + "0" * 32, "bench-token", "https://book.example"
    prefix = "whatsapp:" if kind == "whatsapp" else ""
    sender = f"{prefix}+14155550100"
    async with _demo_app(
        public_url=public,
        twilio_account_sid=account,
        twilio_auth_token=token,
        twilio_sms_from="+14155550100",
        twilio_whatsapp_from="whatsapp:+14155550100",
        twilio_api_base="http://127.0.0.1:9",  # never called: the reply is the TwiML
    ) as app:
        client = app.test_client()
        validator = RequestValidator(token)
        path = f"/twilio/{kind}"

        async def one(n: int) -> float:
            form = {
                "MessageSid": f"SM{n:032x}",
                "AccountSid": account,
                "From": f"{prefix}+49151{1000000 + n // len(MESSAGES)}",
                "To": sender,
                "Body": MESSAGES[n % len(MESSAGES)],
            }
            signature = validator.compute_signature(f"{public}{path}", form)
            start = time.perf_counter()
            response = await client.post(path, form=form, headers={"X-Twilio-Signature": signature})
            body = await response.get_data(as_text=True)
            took = (time.perf_counter() - start) * 1000
            if response.status_code != 200 or "<Message>" not in body:
                raise SystemExit(f"{kind} {n + 1}: HTTP {response.status_code}, no reply: {body}")
            return took

        return await _timed(count, one)


def _fake_slack_api(received: list[float], posted: asyncio.Event) -> web.Application:
    """Answers ``auth.test`` and ``chat.postMessage``; notes the time of each message."""

    async def auth_test(request: web.Request) -> web.Response:
        return web.json_response(
            {"ok": True, "team_id": "T0", "user_id": "UBOT", "bot_id": "B0", "user": "bot"}
        )

    async def post_message(request: web.Request) -> web.Response:
        received.append(time.perf_counter())
        posted.set()
        return web.json_response({"ok": True, "channel": "D0", "ts": "1.000"})

    app = web.Application()
    app.router.add_post("/api/auth.test", auth_test)
    app.router.add_post("/api/chat.postMessage", post_message)
    return app


async def slack(count: int) -> list[float]:
    import json

    from slack_sdk.signature import SignatureVerifier

    received: list[float] = []
    posted = asyncio.Event()
    server = TestServer(_fake_slack_api(received, posted), host="127.0.0.1")
    await server.start_server()
    secret = "bench-signing-secret"
    try:
        async with _demo_app(
            slack_bot_token="xoxb-bench",
            slack_signing_secret=secret,
            slack_api_base=f"http://127.0.0.1:{server.port}/api/",
        ) as app:
            client = app.test_client()
            verifier = SignatureVerifier(secret)

            async def one(n: int) -> float:
                user = f"U{1000 + n // len(MESSAGES)}"
                event = {"type": "message", "channel_type": "im", "channel": "D0", "user": user,
                         "text": MESSAGES[n % len(MESSAGES)], "ts": f"{n}.000"}  # fmt: skip
                body = json.dumps(
                    {"type": "event_callback", "team_id": "T0", "api_app_id": "A0",
                     "event_id": f"Ev{n:08d}", "event_time": 0, "event": event}
                )  # fmt: skip
                stamp = str(int(time.time()))
                signature = verifier.generate_signature(timestamp=stamp, body=body) or ""
                headers = {
                    "Content-Type": "application/json",
                    "X-Slack-Request-Timestamp": stamp,
                    "X-Slack-Signature": signature,
                }
                mark = len(received)
                posted.clear()
                start = time.perf_counter()
                response = await client.post("/slack/events", data=body.encode(), headers=headers)
                if response.status_code != 200:
                    raise SystemExit(f"Slack event {n + 1}: HTTP {response.status_code}")
                while len(received) == mark:  # the reply is sent after the ack
                    await asyncio.wait_for(posted.wait(), 10)
                    posted.clear()
                took = (received[mark] - start) * 1000
                await asyncio.sleep(0.05)  # the rest of this message's replies
                return took

            return await _timed(count, one)
    finally:
        await server.close()


def _report(name: str, what: str, times: list[float]) -> None:
    median = statistics.median(times)
    print(f"\n{name}, {what} ({len(times)} messages, SQLite)")
    print(f"  median {median:.1f} ms, p95 {percentile(times, 95):.1f} ms")
    print(f"  target: median < 50 ms -> {'met' if median < 50 else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50)
    args = parser.parse_args()
    print(f"calibration: {calibration_ms():.0f} ms (a fixed CPU task; lower is a faster machine)")
    _report(
        "Telegram",
        "webhook update to the reply at the Bot API",
        asyncio.run(telegram(args.messages)),
    )
    _report("SMS", "signed webhook to the TwiML reply", asyncio.run(twilio(args.messages)))
    _report(
        "WhatsApp",
        "signed webhook to the TwiML reply",
        asyncio.run(twilio(args.messages, "whatsapp")),
    )
    _report("Slack", "signed event to the reply at the Web API", asyncio.run(slack(args.messages)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
