"""The routes of the web chat: the page, the embeddable script and the message endpoint."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import replace
from pathlib import Path

from quart import (
    Blueprint,
    Response,
    current_app,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from quart.blueprints import BlueprintSetupState
from quart_schema import hide

from bot.inbound import ChatHandler
from channels.bodies import BadBody, read_json
from channels.clients import Limits, request_address
from channels.problems import database_unavailable, problem
from channels.ratelimit import RateLimiter
from channels.webchat.channel import WebChat
from channels.webchat.look import Look, look_of
from channels.webchat.messages import BadMessage, parse_message, reply_json
from core.db import unavailable
from core.directory import business_info
from core.errors import NoBusiness

log = logging.getLogger(__name__)

HANDLER = "slotwise.chat"
"""``app.extensions`` key of the :class:`ChatHandler` (the bot's runner)."""
LIMITS = "slotwise.limits"
"""``app.extensions`` key of the server's :class:`Limits` (per address), if any."""
LIMITER = "slotwise.chat_limiter"
"""``app.extensions`` key of the per-session :class:`RateLimiter`; set at registration."""
CHANNEL = "slotwise.webchat"
"""``app.extensions`` key of the :class:`WebChat` channel (its mailbox); set at registration."""
MESSAGES_PER_MINUTE = 60

STATIC = Path(__file__).parent / "static"


webchat = Blueprint("webchat", __name__, template_folder="templates")


def _set_up(state: BlueprintSetupState) -> None:
    state.app.extensions.setdefault(LIMITER, RateLimiter(MESSAGES_PER_MINUTE))
    state.app.extensions.setdefault(CHANNEL, WebChat())


webchat.record_once(_set_up)


def _fingerprints() -> dict[str, str]:
    """A short hash of each static file, so a changed file gets a new URL and old ones cache."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in STATIC.iterdir()
        if path.is_file()
    }


_FINGERPRINTS = _fingerprints()


def asset_url(filename: str) -> str:
    return url_for("webchat.static", filename=filename, v=_FINGERPRINTS.get(filename, "0"))


@webchat.get("/chat/static/<path:filename>")
@hide
async def static(filename: str) -> Response:
    """The page's script and style; a URL with the file's fingerprint is cached for good."""
    response = await send_from_directory(STATIC, filename)
    if request.args.get("v") == _FINGERPRINTS.get(filename):
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        response.headers["Cache-Control"] = "no-cache"
    return response


async def _look() -> Look:
    """The business's look, in the language the browser asks for first (as the bot will)."""
    try:
        info = await business_info()
    except NoBusiness:
        info = None
    asked = [language for language, _ in request.accept_languages]
    return look_of(info, asked[0] if asked else None)


# --- the page and the script ---------------------------------------------------------------


@webchat.get("/")
@hide
async def page() -> Response:
    """The chat page; ``?embed=1`` is the same chat inside another site's widget."""
    look = await _look()
    embed = request.args.get("embed") == "1"
    html = await render_template(
        "webchat_page.html",
        look=look,
        embed=embed,
        endpoint=url_for("webchat.post_message"),
        css=asset_url("chat.css"),
        js=asset_url("chat.js"),
    )
    response = Response(html, content_type="text/html; charset=utf-8")
    framed_by = "*" if embed else "'self'"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
        f"frame-ancestors {framed_by}"
    )
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Vary"] = "Accept-Language"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@webchat.get("/widget.js")
@hide
async def widget() -> Response:
    """The script another site includes to get a chat button that opens the chat page."""
    look = await _look()
    config = {
        "name": look.name,
        "accent": look.accent,
        "onAccent": look.on_accent,
        "lang": look.lang,
        "open": look.words["open"].format(name=look.name),
        "close": look.words["close"],
    }
    # JSON is a JavaScript literal; "<" escaped too, so no "</script>" survives a copy into HTML.
    literal = json.dumps(config).replace("<", "\\u003c")
    script = await render_template("webchat_widget.js", config=literal)
    response = Response(script, content_type="text/javascript; charset=utf-8")
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Vary"] = "Accept-Language"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


# --- messages ------------------------------------------------------------------------------


@webchat.post("/chat/messages")
@hide
async def post_message() -> Response:
    """One message from the page; the bot's replies come back."""
    if not request.is_json:
        return problem(415, "unsupported_media_type", "send the message as application/json")
    try:
        body = await read_json()
    except BadBody as error:
        code = "too_large" if error.status == 413 else "invalid_request"
        return problem(error.status, code, error.detail)
    try:
        inbound = parse_message(body)
    except BadMessage as error:
        return problem(400, "invalid_request", error.detail, field=error.field)
    handler: ChatHandler | None = current_app.extensions.get(HANDLER)
    if handler is None:
        return problem(503, "chat_unavailable", "the chat is not running on this server")
    # The session is the page's to invent: the address is what limits a client.
    limits: Limits | None = current_app.extensions.get(LIMITS)
    address = request_address(
        request.remote_addr, request.headers.getlist("X-Forwarded-For"), limits
    )
    inbound = replace(inbound, origin=address)
    limiter: RateLimiter = current_app.extensions[LIMITER]
    checks: list[tuple[RateLimiter, str, str | None]] = [(limiter, inbound.user, "session")]
    if limits is not None:
        checks.append((limits.chat_rate, f"addr:{address}", None))
    for bucket, subject, field in checks:
        wait = bucket.check(subject)
        if wait is not None:
            return problem(
                429,
                "rate_limited",
                f"too many messages; try again in {wait} seconds",
                field=field,
                headers={"Retry-After": str(wait)},
            )
    try:
        replies = await handler.handle(inbound)
    except Exception as error:
        if unavailable(error):
            return database_unavailable(error, "chat")
        log.exception("the bot failed on a web chat message")
        return problem(500, "chat_failed", "the bot could not answer; try again")
    channel: WebChat = current_app.extensions[CHANNEL]
    replies = [*channel.collect(inbound.user), *replies]  # what was sent meanwhile comes first
    response = Response(
        json.dumps({"replies": [reply_json(r) for r in replies]}, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response.headers["Cache-Control"] = "no-store"
    return response
