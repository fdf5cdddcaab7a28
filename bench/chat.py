"""``python -m bench.chat``: how fast the bot answers a typed message, via the web chat endpoint.

The benchmark business (``bench/business.py``: 100 providers, 10 rooms, 20,000
bookings) in a fresh SQLite file, the whole app as ``slotwise serve`` builds
it, and its ``POST /chat/messages`` endpoint driven in-process through Quart's
test client (the ASGI app, routing, JSON, rate limiting, the dialog, the
understanding layer, slot search and the conversation store are all in the
measurement; the HTTP socket is not). The clock is the benchmark's ``NOW``.

After a warm-up (parsers built, first queries planned), each conversation types
the same few messages a customer would; the figure is the median and p95 time
per message (target: median < 50 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench.__main__ import calibration_ms
from bench.booking import percentile
from bench.business import NOW, build
from bot.runner import Chat
from bot.understand import warm_up
from channels.services import SERVICES
from channels.webchat import HANDLER
from core.bookings import BookingService
from core.db import database, migrate
from core.store import replace_business
from slotwise.app import create_app
from slotwise.settings import Settings

CPU = "cpu"  # the key of the CPU time per message in measure()'s answer
SCRIPT = (
    ("greeting", "hello"),
    ("service and day", "treatment tomorrow afternoon"),
    ("exact time", "consult on Tuesday at 10"),
    ("window", "next week after 4pm"),
    ("my bookings", "my bookings"),
    ("help", "help"),
)


async def measure(conversations: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite://{Path(folder) / 'bench.sqlite3'}"
        await migrate(url)
        async with database(url):
            await replace_business(build())
        app = create_app(Settings(database_url=url, redis_url=None, holds_per_minute=10_000))
        async with app.test_app():
            # The same parts as the app's own chat, on the benchmark's clock.
            services = app.extensions[SERVICES]
            clocked = BookingService(services.holds, clock=lambda: NOW)
            chat = Chat(
                clocked, services.conversations, public_url="http://bench", clock=lambda: NOW
            )
            services.chat_parts = (services.conversations, chat)
            app.extensions[HANDLER] = chat
            client = app.test_client()
            warm_up()

            async def send(session: str, text: str) -> float:
                start = time.perf_counter()
                response = await client.post(
                    "/chat/messages", json={"session": session, "text": text}
                )
                elapsed = (time.perf_counter() - start) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"{text!r}: HTTP {response.status_code}")
                return elapsed

            for _ in range(3):  # warm-up conversations
                session = secrets.token_urlsafe(24)
                for _kind, text in SCRIPT:
                    await send(session, text)
            times: dict[str, list[float]] = defaultdict(list)
            cpu = time.process_time()
            for _ in range(conversations):
                session = secrets.token_urlsafe(24)
                for kind, text in SCRIPT:
                    times[kind].append(await send(session, text))
            # Process time, every thread (SQLite's included): the machine is shared, and
            # this figure does not grow when another process takes the cores.
            times[CPU] = [(time.process_time() - cpu) * 1000 / (conversations * len(SCRIPT))]
            return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=30)
    args = parser.parse_args()
    print(f"calibration: {calibration_ms():.0f} ms (a fixed CPU task; lower is a faster machine)")
    times = asyncio.run(measure(args.conversations))
    cpu_per_message = times.pop(CPU)[0]
    every = [t for values in times.values() for t in values]
    print(f"\nWeb chat, typed message to reply ({args.conversations} conversations, SQLite)")
    print(f"  {'message':<18} {'median':>9} {'p95':>9}")
    for kind, _text in SCRIPT:
        values = times[kind]
        print(
            f"  {kind:<18} {statistics.median(values):>6.1f} ms {percentile(values, 95):>6.1f} ms"
        )
    median = statistics.median(every)
    print(f"  {'all messages':<18} {median:>6.1f} ms {percentile(every, 95):>6.1f} ms")
    print(f"  CPU per message (process time, all threads): {cpu_per_message:.1f} ms")
    print(f"  target: median < 50 ms -> {'met' if median < 50 else 'NOT met'}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
