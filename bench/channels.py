"""``python -m bench.channels``: a message through a chat channel's webhook to the reply its
platform receives.

Telegram: the demo business in a fresh SQLite file, the whole app as ``slotwise
serve`` builds it with Telegram configured, ``POST /telegram/webhook`` driven
in-process through Quart's test client (secret check, the delivery log, aiogram's
dispatcher, the dialog, slot search) and the real aiogram sending the reply over
HTTP to a minimal local Bot API (an aiohttp server on 127.0.0.1 that answers
every method). The time is from posting the update to the fake having the
``sendMessage``; the figure is the median over ``--messages`` messages (target:
median < 50 ms). Other channels add a function here.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

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


async def telegram(count: int) -> list[float]:
    received: list[float] = []
    server = TestServer(_fake_bot_api(received), host="127.0.0.1")
    await server.start_server()
    try:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite://{Path(folder) / 'bench.sqlite3'}"
            await migrate(url)
            async with database(url):
                await replace_business(load_business_file(DEMO_FILE))
            settings = Settings(
                database_url=url,
                telegram_token="123456:BENCH",
                telegram_webhook_secret=SECRET,
                telegram_api_base=f"http://127.0.0.1:{server.port}",
            )
            app = create_app(settings)
            async with app.test_app():
                client = app.test_client()
                headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
                times: list[float] = []
                for n in range(count + 5):  # the first five warm up
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
                    if n >= 5:
                        times.append((received[mark] - start) * 1000)
                return times
    finally:
        await server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50)
    args = parser.parse_args()
    print(f"calibration: {calibration_ms():.0f} ms (a fixed CPU task; lower is a faster machine)")
    times = asyncio.run(telegram(args.messages))
    median = statistics.median(times)
    print(f"\nTelegram, webhook update to the reply at the Bot API ({len(times)} messages, SQLite)")
    print(f"  median {median:.1f} ms, p95 {percentile(times, 95):.1f} ms")
    print(f"  target: median < 50 ms -> {'met' if median < 50 else 'NOT met'}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
