"""The Slotwise app with a scripted bot in place of the real one, for the web chat's browser tests.

``python -m tests.browser.scripted_server --port P --db URL`` serves exactly what
``slotwise serve`` serves (``create_app`` with the same settings), except that the
chat handler answers from a fixed script. That pins the page's behaviour (buttons,
the date picker, downloads, errors, the typing indicator) to replies the test
knows, independent of what the dialog says this week.
"""

from __future__ import annotations

import argparse
import asyncio
import re

from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Response

from bot.inbound import Inbound
from bot.replies import Attachment, Option, Reply
from channels.webchat import HANDLER, ChatHandler
from slotwise.app import create_app
from slotwise.settings import Settings

GREETING = "Hello! What would you like to book?"
SERVICES = (Option("Haircut", "svc:haircut"), Option("Massage", "svc:massage"))
DAYS = (Option("Today", "day:today"), Option("Tomorrow", "day:tomorrow"))
ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Slotwise//test//EN\r\nEND:VCALENDAR\r\n"


class ScriptedBot:
    """Greets with two services; a service asks for a day (buttons and the date picker);
    a day books, with an ``.ics`` link. ``whoami`` names the session, ``slow`` takes a
    second, ``fail`` raises, ``start over`` greets again, anything else is echoed."""

    async def handle(self, inbound: Inbound) -> list[Reply]:
        text = (inbound.text or "").strip()
        if inbound.choice is None and text in ("", "start over"):
            return [Reply(GREETING, options=SERVICES)]
        if inbound.choice is not None and inbound.choice.startswith("svc:"):
            label = {o.value: o.label for o in SERVICES}.get(inbound.choice, "?")
            return [Reply(f"{label}, good choice. Which day?", options=DAYS, hint="date")]
        if inbound.choice is not None:
            return [self.booked(inbound.choice.removeprefix("day:"))]
        if re.fullmatch(r"\d{4}-\d\d-\d\d", text):
            return [self.booked(text)]
        if text == "whoami":
            return [
                Reply(f"session {inbound.user} locale {inbound.locale} zone {inbound.timezone}")
            ]
        if text == "slow":
            await asyncio.sleep(1.5)
            return [Reply("Sorry for the wait.")]
        if text == "fail":
            raise RuntimeError("scripted failure")
        return [Reply(f"You wrote: {text}")]

    @staticmethod
    def booked(day: str) -> Reply:
        return Reply(
            f"Booked for {day}. Change or cancel it at https://example.com/manage/abc123.",
            attachments=(
                Attachment("booking.ics", "text/calendar", ICS, url="/test/booking.ics"),
                Attachment("no-link.txt", "text/plain", b"kept by the bot only"),
            ),
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    app = create_app(Settings(database_url=args.db, host="127.0.0.1", port=args.port))
    bot: ChatHandler = ScriptedBot()

    @app.before_serving
    async def install_the_script() -> None:  # after the app's own start-up: replaces its bot
        app.extensions[HANDLER] = bot

    @app.get("/test/booking.ics")
    async def booking_ics() -> Response:
        return Response(ICS, content_type="text/calendar; charset=utf-8")

    config = Config()
    config.bind = [f"127.0.0.1:{args.port}"]
    asyncio.run(serve(app, config))


if __name__ == "__main__":
    main()
