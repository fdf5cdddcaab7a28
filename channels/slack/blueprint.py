"""``POST /slack/events``: events, slash commands and button presses, through slack-bolt.

There is no Quart adapter for bolt, so a plain route does what one would
(shared/notes/channels.md): it checks Slack's signature (``v0`` HMAC over
``v0:{timestamp}:{body}``, five minutes either way; else 401 and nothing
happens), drops a delivery Slack sends again (``X-Slack-Retry-Num`` with the same
``event_id``: claimed once in :mod:`core.dedup`, only after the signature
verified), and hands the request to ``AsyncApp.async_dispatch``. Bolt answers as
soon as a listener calls ``ack()`` and runs the rest of the listener after the
answer, so Slack's three seconds are always met; the slow work (the bot, the
database) happens after the ack.

Customers book in a direct message with the app; the staff's ``/slotwise``
command is in :mod:`channels.slack.staff`.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from quart import Quart, Response, request
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.inbound import Inbound
from channels.services import services_of
from channels.slack import message
from channels.slack.channel import SLACK, SlackChannel
from channels.slack.noshow import NOSHOW
from channels.slack.noshow import mark as mark_no_show
from channels.slack.render import CHOICE, SLACK_TRAITS
from channels.slack.staff import BLOCK, Answer, Desk, command, confirm, discard, toggle

__all__ = ["COMMAND", "EVENTS_PATH", "SlackApp", "register"]

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
COMMAND = "/slotwise"
CHANNEL_KEY = "slotwise.slack"
"""``app.extensions`` key of the :class:`SlackChannel` (the worker's way out)."""


class SlackApp:
    """The bolt app and the route in front of it, for one Quart app."""

    def __init__(
        self,
        app: Quart,
        *,
        token: str,
        signing_secret: str,
        api_base: str,
        admins: frozenset[str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._app = app
        self._admins = admins
        self._verifier = SignatureVerifier(signing_secret, clock=_Clock(clock))
        self.client = AsyncWebClient(token=token, base_url=api_base)
        self.channel = SlackChannel(self.client)
        self.bolt = AsyncApp(client=self.client, signing_secret=signing_secret)
        self.bolt.event("message")(self._on_message)
        self.bolt.action(re.compile(f"^{CHOICE}-"))(self._on_choice)
        self.bolt.command(COMMAND)(self._on_command)
        self.bolt.action(re.compile(f"^{BLOCK}-"))(self._on_block)
        self.bolt.action(re.compile(f"^{NOSHOW}$"))(self._on_noshow)
        self.bolt.view(message.FORM)(self._on_message_form)
        self.bolt.error(self._on_error)

    def _desk(self) -> Desk:
        found = services_of(self._app)
        return Desk(found.bookings, self._admins, feeds=found.feeds)

    # --- the route ---------------------------------------------------------------------

    async def route(self) -> Response:
        raw = await request.get_data()
        body = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        headers: dict[str, str | Sequence[str]] = {
            key.lower(): value for key, value in request.headers.items()
        }
        if not self._verifier.is_valid_request(body, {k: str(v) for k, v in headers.items()}):
            return Response("invalid signature", status=401, content_type="text/plain")
        key = _delivery_key(body)
        deliveries = services_of(self._app).deliveries
        if key is not None and not await deliveries.first(key):
            log.info(
                "Slack sent %s again (retry %s): dropped", key, headers.get("x-slack-retry-num")
            )
            return Response("", status=200)
        answer = await self.bolt.async_dispatch(
            AsyncBoltRequest(body=body, query=request.query_string.decode(), headers=headers)
        )
        if answer.status >= 500 and key is not None:
            await deliveries.forget(key)
        return Response(
            answer.body,
            status=answer.status,
            headers={k: v[0] for k, v in answer.headers.items() if v},
        )

    # --- customers ---------------------------------------------------------------------

    async def _on_message(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        """A direct message to the app (bolt acknowledged it already)."""
        if event.get("channel_type") != "im" or event.get("bot_id") or event.get("subtype"):
            return
        user = event.get("user")
        if not isinstance(user, str):
            return
        inbound = Inbound(
            channel=SLACK,
            user=user,
            text=str(event.get("text") or "")[:4000],
            traits=SLACK_TRAITS,
            message_id=str(body.get("event_id") or event.get("client_msg_id") or "") or None,
        )
        await self._answer(inbound, body)

    async def _on_choice(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        """A customer pressed one of the bot's buttons; or a member of staff one of a staff
        notice's (the worker renders both kinds as ``choice-<n>``; the value tells them apart)."""
        await ack()
        action = body["actions"][0]
        user = body["user"]["id"]
        value = str(action.get("value", ""))
        if value.startswith(f"{NOSHOW}:"):
            answer = await mark_no_show(self._desk(), user, value, _locale(body))
            await respond(response_type="ephemeral", **answer.payload())
            return
        if value.startswith(f"{message.MESSAGE}:"):
            await self._open_message_form(body, respond)
            return
        inbound = Inbound(
            channel=SLACK,
            user=user,
            choice=str(action.get("value", "")),
            locale=body["user"].get("locale") or body.get("locale"),
            traits=SLACK_TRAITS,
            message_id=str(action.get("action_ts") or "") or None,
        )
        await self._answer(inbound, body)

    async def _answer(self, inbound: Inbound, body: dict[str, Any]) -> None:
        try:
            replies = await services_of(self._app).chat.handle(inbound)
            await self.channel.send(inbound.user, replies)
        except Exception:
            key = _delivery_key_of(body)
            if key is not None:  # Slack's next retry is handled again
                await services_of(self._app).deliveries.forget(key)
            raise

    # --- staff -------------------------------------------------------------------------

    async def _on_command(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        answer = await command(
            self._desk(), str(body.get("user_id", "")), str(body.get("text", "")), _locale(body)
        )
        await respond(response_type="ephemeral", **answer.payload())

    async def _on_block(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        action = body["actions"][0]
        user = body["user"]["id"]
        value = str(action.get("value", ""))
        locale = _locale(body)
        kind = str(action.get("action_id", ""))
        answer: Answer
        if kind.startswith(f"{BLOCK}-toggle"):
            answer = await toggle(self._desk(), user, value, locale)
        elif kind == f"{BLOCK}-confirm":
            answer = await confirm(self._desk(), user, value, locale)
        else:
            answer = await discard(self._desk(), user, locale)
        await respond(response_type="ephemeral", replace_original=True, **answer.payload())

    async def _on_noshow(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        """The "mark no-show" button of a staff notice (:mod:`channels.slack.noshow`)."""
        await ack()
        value = str(body["actions"][0].get("value", ""))
        answer = await mark_no_show(self._desk(), body["user"]["id"], value, _locale(body))
        await respond(response_type="ephemeral", **answer.payload())

    async def _open_message_form(self, body: dict[str, Any], respond: AsyncRespond) -> None:
        """The "message customer" button: a form asking for the text (or why not)."""
        user = body["user"]["id"]
        value = str(body["actions"][0].get("value", ""))
        found = await message.form(self._desk(), user, value, _locale(body))
        if isinstance(found, Answer):
            await respond(response_type="ephemeral", **found.payload())
            return
        await self.client.views_open(trigger_id=str(body.get("trigger_id", "")), view=found)

    async def _on_message_form(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """The "message customer" form was sent: queue the text, tell the sender."""
        await ack()
        view = body.get("view") or {}
        user = body["user"]["id"]
        answer = await message.send(
            self._desk(),
            user,
            str(view.get("private_metadata", "")),
            message.text_of(view),
            _locale(body),
        )
        await self.client.chat_postMessage(channel=user, **answer.payload())

    async def _on_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("a Slack listener failed", exc_info=error)


class _Clock(Clock):
    """slack_sdk's verifier asks a clock object for ``now()``."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock

    def now(self) -> float:
        return self._clock()


def _delivery_key(body: str) -> str | None:
    """``slack:<event_id>`` for an event callback (JSON); ``None`` for anything else."""
    if not body.startswith("{"):
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return _delivery_key_of(data) if isinstance(data, dict) else None


def _delivery_key_of(data: dict[str, Any]) -> str | None:
    event_id = data.get("event_id")
    return f"slack:{event_id}" if isinstance(event_id, str) and event_id else None


def _locale(body: dict[str, Any]) -> str | None:
    user = body.get("user")
    found = (user.get("locale") if isinstance(user, dict) else None) or body.get("locale")
    return found if isinstance(found, str) else None


def register(app: Quart, slack: SlackApp) -> None:
    """Serve ``POST /slack/events`` with ``slack`` and keep its channel for the worker."""
    app.extensions[CHANNEL_KEY] = slack.channel
    app.add_url_rule(EVENTS_PATH, "slack_events", slack.route, methods=["POST"])
