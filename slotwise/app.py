"""The ASGI application: one factory that builds it from settings.

``create_app`` wires the parts; Quart's ``before_serving``/``after_serving``
own start-up (migrations, the database, the hold store) and shutdown, so
tests build the app with test settings and drive it through its test client.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from quart import Quart, Response, request
from quart_schema import Info, QuartSchema
from werkzeug.exceptions import HTTPException

from bot.conversations import make_conversations
from bot.runner import Chat
from channels.api import api
from channels.bodies import SafeJSON
from channels.clients import Limits, parse_networks
from channels.manage import PUBLIC_URL, manage
from channels.problems import RETRY_AFTER, database_unavailable, masked_path, problem
from channels.webchat import webchat
from core.bookings import BookingService, HoldSigner
from core.circuit import CircuitBreaker
from core.db import close_db, migrate, open_db, unavailable
from core.holds import make_hold_store
from slotwise.secret import server_secret
from slotwise.settings import Settings, get_settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> Quart:
    settings = settings or get_settings()
    app = Quart("slotwise")
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    app.config[PUBLIC_URL] = settings.base_url
    app.config[RETRY_AFTER] = settings.retry_after_seconds
    QuartSchema(
        app,
        openapi_path="/api/v1/openapi.json",
        redoc_ui_path=None,
        scalar_ui_path=None,
        swagger_ui_path=None,
        info=Info(title="Slotwise API", version="1"),
    )
    app.json = SafeJSON(app, app.json)  # a body nested too deeply is bad JSON, not a 500
    app.register_blueprint(api)
    app.register_blueprint(manage)
    app.register_blueprint(webchat)
    app.extensions["slotwise.limits"] = Limits(
        trusted_proxies=parse_networks(settings.trusted_proxies),
        holds_per_minute=settings.holds_per_minute,
        live_holds_per_address=settings.live_holds_per_address,
        live_holds_per_key=settings.live_holds_per_api_key,
        bookings_per_minute=settings.bookings_per_minute,
        bookings_per_contact_per_hour=settings.bookings_per_contact_per_hour,
        chat_messages_per_address_per_minute=settings.chat_messages_per_minute,
    )

    @app.before_serving
    async def start() -> None:
        applied = await migrate(settings.database_url)
        if applied:
            log.info("applied migrations: %s", ", ".join(applied))
        await open_db(
            settings.database_url,
            global_fallback=True,
            statement_timeout_ms=settings.statement_timeout_ms,
        )
        # One breaker for Redis: whichever store finds it down spares the other the wait.
        redis = CircuitBreaker("Redis", cooldown=settings.redis_retry_seconds)
        redis_timeout = settings.redis_timeout_ms / 1000
        holds = make_hold_store(settings.redis_url, timeout=redis_timeout, breaker=redis)
        app.extensions["slotwise.holds"] = holds
        bookings = BookingService(
            holds,
            hold_ttl=timedelta(seconds=settings.hold_ttl_seconds),
            lock_timeout=timedelta(milliseconds=settings.lock_timeout_ms),
            signer=HoldSigner(server_secret(settings)),
        )
        app.extensions["slotwise.bookings"] = bookings
        conversations = make_conversations(
            settings.redis_url,
            settings.chat_ttl_seconds,
            timeout=redis_timeout,
            breaker=redis,
            max_items=settings.chat_memory_max,
        )
        app.extensions["slotwise.conversations"] = conversations
        app.extensions["slotwise.chat"] = Chat(
            bookings,
            conversations,
            public_url=settings.base_url,
            live_holds_per_address=settings.live_holds_per_address,
        )

    @app.after_serving
    async def stop() -> None:
        holds = app.extensions.pop("slotwise.holds", None)
        if holds is not None:
            await holds.close()
        conversations = app.extensions.pop("slotwise.conversations", None)
        if conversations is not None:
            await conversations.close()
        await close_db()

    @app.after_request
    async def security_headers(response: Response) -> Response:
        """No MIME sniffing anywhere; API answers (manage tokens, customers) are kept by
        no cache, framed by no page and carry no referrer. The chat page and the manage
        page set their own policies (the chat must stay embeddable)."""
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
            response.headers.setdefault("Referrer-Policy", "no-referrer")
            response.headers.setdefault(
                "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"
            )
        return response

    @app.errorhandler(HTTPException)
    async def http_error(error: HTTPException) -> Response:
        """Outside the API too (the pages, the chat): a problem, never an HTML error page."""
        status = error.code or 500
        return problem(status, "http_error", error.description or "request failed")

    @app.errorhandler(Exception)
    async def unexpected(error: Exception) -> Response:
        if unavailable(error):
            return database_unavailable(error)
        log.exception("unexpected error in %s %s", request.method, masked_path(request.path))
        return problem(
            500, "internal_error", "something went wrong on our side; it has been logged"
        )

    @app.errorhandler(404)
    async def page_not_found(error: Exception) -> Response:
        return problem(404, "not_found", "there is nothing at this address")

    @app.errorhandler(405)
    async def method_not_allowed(error: Exception) -> Response:
        return problem(405, "method_not_allowed", "this address does not take that method")

    return app
