"""The ASGI application: one factory that builds it from settings.

``create_app`` wires the parts; Quart's ``before_serving``/``after_serving``
open and close the app's services (:class:`slotwise.container.Services`: migrations,
the database, the stores, the booking service, the chat), read by the channels
through :func:`channels.services.services`, so
tests build the app with test settings and drive it through its test client.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import replace
from datetime import datetime

from quart import Quart, Request, Response, request
from quart_schema import Info, QuartSchema
from werkzeug.exceptions import HTTPException

from admin import AdminConfig, register_admin
from channels.api import api
from channels.bodies import SafeJSON
from channels.clients import client_address, parse_networks
from channels.feeds import feeds
from channels.manage import PUBLIC_URL, manage
from channels.offer import offer_page
from channels.problems import RETRY_AFTER, database_unavailable, masked_path, problem
from channels.services import SERVICES, services_of
from channels.slack import register_slack
from channels.sms import register_twilio
from channels.telegram import register_telegram
from channels.webchat import HANDLER, webchat
from channels.webchat.blueprint import LIMITS
from core.bookings import utc_now
from core.db import unavailable
from slotwise.container import Services, calendars_of
from slotwise.health import register_health
from slotwise.logs import register_request_ids
from slotwise.metrics import register_metrics
from slotwise.settings import Settings, get_settings

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], datetime] = utc_now
) -> Quart:
    """The whole web app. ``clock`` is the one "now" of its booking service and chat:
    the real one, except where a benchmark or a scripted test pins it."""
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
    app.register_blueprint(feeds)
    app.register_blueprint(offer_page)
    app.register_blueprint(webchat)
    register_twilio(app, settings)
    register_slack(app, settings)
    register_telegram(app, settings)  # off (404) without SLOTWISE_TELEGRAM_TOKEN
    register_admin(
        app,
        replace(
            admin_config(settings),
            bookings=lambda: services_of(app).bookings,
            feeds=lambda: services_of(app).feeds,
        ),
    )
    register_health(app, settings)  # /healthz, /readyz
    register_metrics(app, settings)  # /metrics, off (404) without SLOTWISE_METRICS_TOKEN
    register_request_ids(app)  # X-Request-Id in, out, and on every log line between
    stack = AsyncExitStack()

    @app.before_serving
    async def start() -> None:
        services = await stack.enter_async_context(Services.open(settings, clock=clock))
        app.extensions[SERVICES] = services
        # The web chat's blueprint still reads its own keys; they point into the container.
        app.extensions[HANDLER] = services.chat
        app.extensions[LIMITS] = services.limits

    @app.after_serving
    async def stop() -> None:
        for key in (SERVICES, HANDLER, LIMITS):
            app.extensions.pop(key, None)
        await stack.aclose()

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


def admin_config(settings: Settings) -> AdminConfig:
    """The admin panel's policies from the settings; addresses as the API reads them."""
    from datetime import timedelta

    from core.users import Lockout, SessionPolicy

    trusted = parse_networks(settings.trusted_proxies)

    def address(req: Request) -> str:
        return client_address(req.remote_addr, req.headers.getlist("X-Forwarded-For"), trusted)

    return AdminConfig(
        sessions=SessionPolicy(
            lifetime=timedelta(hours=settings.admin_session_hours),
            idle=timedelta(minutes=settings.admin_idle_minutes),
        ),
        lockout=Lockout(
            failures=settings.admin_sign_in_failures,
            window=timedelta(minutes=settings.admin_sign_in_window_minutes),
            duration=timedelta(minutes=settings.admin_lockout_minutes),
        ),
        secure_cookies=settings.base_url.startswith("https://"),
        address=address,
        webhooks_allow_private=settings.webhooks_allow_private,
        calendars=lambda: calendars_of(settings),
    )
