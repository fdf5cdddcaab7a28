"""Slack: customers book in a direct message with the app, staff use ``/slotwise``.

``register_slack(app, settings)`` serves ``POST /slack/events`` when the bot token
and the signing secret are set (else the channel is off and the route is a 404);
``check(settings)`` says in one line whether the token works (``auth.test``) for
``slotwise channels check``. See docs/channels/slack.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from channels.slack.channel import SLACK, SlackChannel
from channels.slack.render import SLACK_TRAITS

if TYPE_CHECKING:
    from quart import Quart

    from slotwise.settings import Settings

__all__ = ["SLACK", "SLACK_TRAITS", "SlackChannel", "check", "register_slack"]


def _admins(text: str) -> frozenset[str]:
    return frozenset(part.strip() for part in text.split(",") if part.strip())


def register_slack(app: Quart, settings: Settings) -> None:
    """Serve Slack on ``app`` if it is configured; do nothing otherwise."""
    if settings.slack_bot_token is None or settings.slack_signing_secret is None:
        return
    from channels.slack.blueprint import SlackApp, register

    register(
        app,
        SlackApp(
            app,
            token=settings.slack_bot_token.get_secret_value(),
            signing_secret=settings.slack_signing_secret.get_secret_value(),
            api_base=settings.slack_api_base,
            admins=_admins(settings.slack_admins),
        ),
    )


def check(settings: Settings) -> str:
    """One line: is Slack configured, and does its token work against its API base?"""
    token = settings.slack_bot_token
    if token is None and settings.slack_signing_secret is None:
        return "Slack: not configured"
    if token is None or settings.slack_signing_secret is None:
        missing = "SLOTWISE_SLACK_BOT_TOKEN" if token is None else "SLOTWISE_SLACK_SIGNING_SECRET"
        return f"Slack: FAILED: {missing} is not set (both are needed)"
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError, SlackClientError

    client = WebClient(token=token.get_secret_value(), base_url=settings.slack_api_base, timeout=10)
    try:
        found = client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error")
        return f"Slack: FAILED: auth.test at {settings.slack_api_base} says {error}"
    except (SlackClientError, OSError) as exc:
        return f"Slack: FAILED: cannot reach {settings.slack_api_base}: {exc}"
    return f"Slack: works (bot {found.get('user')} in team {found.get('team')})"
