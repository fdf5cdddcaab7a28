"""``POST /telegram/webhook``: Telegram's updates, when the channel is configured.

An update is taken only with the secret the webhook was registered with
(``X-Telegram-Bot-Api-Secret-Token``, compared in constant time); anything
else is a 401 with no effect (and claims no ``update_id``). The update is
handled before the answer, which is a 200 also for a resend (dropped) and a
500 when handling failed (Telegram sends it again, and that one is handled).
"""

from __future__ import annotations

import logging
import secrets
from typing import cast

from pydantic import ValidationError
from quart import Blueprint, Quart, Response, current_app, request
from quart_schema import hide

from channels.bodies import BadBody, read_json
from channels.problems import problem
from channels.services import services_of
from channels.telegram import WEBHOOK_PATH, TelegramSettings
from channels.telegram.updates import TelegramBot, TelegramServices, make_bot

__all__ = ["BOT", "SECRET_HEADER", "register"]

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BOT = "slotwise.telegram"
"""``app.extensions`` key of the :class:`TelegramBot` (and the secret), set at registration."""


telegram = Blueprint("telegram", __name__)


def register(app: Quart, settings: TelegramSettings) -> None:
    """The route and the bot, for settings with a token (see ``register_telegram``)."""
    assert settings.telegram_token is not None
    token = settings.telegram_token.get_secret_value()
    tg = TelegramBot(
        make_bot(token, settings.telegram_api_base),
        lambda: _services(app),
    )
    secret = settings.telegram_webhook_secret
    app.extensions[BOT] = (tg, secret.get_secret_value().encode() if secret else None)
    app.register_blueprint(telegram)

    @app.after_serving
    async def close_telegram() -> None:
        await tg.close()


def _services(app: Quart) -> TelegramServices:
    # The container (slotwise.container.Services) has the conversations too.
    return cast(TelegramServices, services_of(app))


@telegram.post(WEBHOOK_PATH)
@hide
async def webhook() -> Response:
    tg, secret = current_app.extensions[BOT]
    given = request.headers.get(SECRET_HEADER, "").encode()
    if secret is None or not secrets.compare_digest(given, secret):
        return problem(401, "unauthorized", f"the {SECRET_HEADER} header is missing or wrong")
    try:
        body = await read_json()
    except BadBody as error:
        return problem(error.status, "invalid_request", error.detail)
    if not isinstance(body, dict) or not isinstance(body.get("update_id"), int):
        return problem(400, "invalid_request", "an update is a JSON object with an update_id")
    try:
        await tg.feed(body)
    except ValidationError:
        return problem(400, "invalid_request", "not a Telegram update")
    except Exception:
        log.exception("a Telegram update failed; Telegram will send it again")
        return problem(500, "update_failed", "the update could not be handled; send it again")
    return Response('{"ok": true}', content_type="application/json")
