"""``GET /healthz`` and ``GET /readyz``: what a load balancer or an orchestrator asks.

``/healthz`` says only that the process answers: it touches nothing else, so a
restart is never triggered by a database or Redis outage that a restart would not
fix. ``/readyz`` says whether this process can serve bookings now: the database
answers, every migration of this release is applied, and Redis answers when one is
configured. Each part is named with its state in the JSON body; any part not ``ok``
makes it a 503, so a proxy sends traffic elsewhere until it is.

Neither answer carries a secret, a URL or an error's text (which may name a host
or a user): only the part, its state and a fixed hint.
"""

from __future__ import annotations

import asyncio
import pkgutil
from typing import Literal

from quart import Blueprint, Quart, Response, current_app, jsonify
from quart_schema import hide

import migrations
from channels.services import SERVICES
from core.db import connection
from slotwise.settings import Settings

__all__ = ["expected_migrations", "register_health"]

State = Literal["ok", "down", "behind", "starting"]

SETTINGS = "slotwise.health.settings"
DATABASE_TIMEOUT_SECONDS = 2.0

health = Blueprint("health", __name__)


def expected_migrations() -> set[str]:
    """The names of this release's migrations (the modules of the ``migrations`` package)."""
    return {m.name for m in pkgutil.iter_modules(migrations.__path__) if not m.ispkg}


@health.get("/healthz")
@hide  # not part of the API's description (operators' endpoints)
async def healthz() -> Response:
    return _no_store(jsonify({"status": "ok"}))


@health.get("/readyz")
@hide
async def readyz() -> Response:
    settings: Settings = current_app.config[SETTINGS]
    checks: dict[str, dict[str, str]] = {}
    if current_app.extensions.get(SERVICES) is None:
        checks["app"] = {"state": "starting", "hint": "the services are not open yet"}
    else:
        checks["database"], checks["migrations"] = await _database()
        if settings.redis_url:
            checks["redis"] = await _redis(settings.redis_url, settings.redis_timeout_ms / 1000)
    ready = all(check["state"] == "ok" for check in checks.values())
    response = jsonify({"status": "ok" if ready else "unavailable", "checks": checks})
    response.status_code = 200 if ready else 503
    return _no_store(response)


async def _database() -> tuple[dict[str, str], dict[str, str]]:
    """The database's state, then the migrations' (unknown while the database is down)."""
    try:
        _, rows = await asyncio.wait_for(
            connection().execute_query("SELECT name FROM tortoise_migrations WHERE app = 'models'"),
            DATABASE_TIMEOUT_SECONDS,
        )
    except Exception:  # any failure is "not ready"; the text may name hosts and users
        down = {"state": "down", "hint": "the database does not answer"}
        return down, {"state": "down", "hint": "unknown while the database does not answer"}
    missing = sorted(expected_migrations() - {str(row["name"]) for row in rows})
    if missing:
        behind = {
            "state": "behind",
            "hint": "run 'slotwise migrate'",
            "missing": ", ".join(missing),
        }
        return {"state": "ok"}, behind
    return {"state": "ok"}, {"state": "ok"}


async def _redis(url: str, timeout: float) -> dict[str, str]:
    from core.redis_client import redis_client

    client = redis_client(url, timeout=timeout)
    try:
        await asyncio.wait_for(client.ping(), timeout * 2)
    except Exception:  # unreachable, refused, auth: all "down" to a probe
        return {"state": "down", "hint": "Redis does not answer"}
    finally:
        await client.aclose()
    return {"state": "ok"}


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def register_health(app: Quart, settings: Settings) -> None:
    app.config[SETTINGS] = settings
    app.register_blueprint(health)
