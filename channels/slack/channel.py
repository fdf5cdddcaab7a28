"""Slack as a :class:`~channels.base.Channel`: the worker's way to write to a person.

``send`` posts each reply to the person's direct message with the app
(``chat.postMessage`` with their user id as the channel). Slack's errors
become :class:`~channels.base.SendFailed`: a person Slack no longer knows is
permanent, a rate limit or the network is not.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.replies import Reply
from channels.base import SendFailed
from channels.slack.render import SLACK_TRAITS, blocks_of, fallback_text

__all__ = ["SLACK", "SlackChannel"]

SLACK = "slack"
PERMANENT = frozenset(
    {
        "channel_not_found", "user_not_found", "account_inactive", "user_disabled",
        "is_archived", "cannot_dm_bot", "not_authed", "invalid_auth", "token_revoked",
        "missing_scope", "restricted_action",
    }
)  # fmt: skip
"""Slack's ``error`` codes that a retry cannot cure."""


class SlackChannel:
    name = SLACK
    traits = SLACK_TRAITS

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def send(self, recipient: str, replies: Sequence[Reply]) -> None:
        for reply in replies:
            try:
                await self._client.chat_postMessage(
                    channel=recipient, text=fallback_text(reply), blocks=blocks_of(reply)
                )
            except SlackApiError as exc:
                error = str(exc.response.get("error", "unknown_error"))
                raise SendFailed(f"Slack refused: {error}", permanent=error in PERMANENT) from exc
            except (ClientError, TimeoutError) as exc:
                raise SendFailed(f"Slack unreachable: {exc!r}", permanent=False) from exc
