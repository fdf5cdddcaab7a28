"""Errors as ``application/problem+json`` (RFC 9457), the one shape every API error takes.

Each problem carries a stable ``code`` that clients switch on, a ``detail`` a
person can act on, and, when one field is at fault, its name in ``field``.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from quart import Response, current_app

from core.db import OutageLog

PROBLEM_TYPE = "application/problem+json"
RETRY_AFTER = "SLOTWISE_RETRY_AFTER"
"""``app.config`` key: seconds a client should wait while the database is unreachable."""

log = logging.getLogger("slotwise.outage")
_outage = OutageLog(log)

_SECRET_SEGMENTS = re.compile(r'(/b/|/api/v1/bookings/|/api/v1/holds/|/admin/enrol/)[^/?#\s"]+')
"""Path segments that are keys (manage tokens, hold tokens): never written to a log."""


def masked_path(path: str) -> str:
    """``path`` with its tokens replaced by ``***`` (``/b/abc…/cancel`` → ``/b/***/cancel``)."""
    return _SECRET_SEGMENTS.sub(r"\1***", path)


def database_unavailable(error: BaseException, where: str = "request") -> Response:
    """503 with ``Retry-After``: the database cannot be reached now (logged once, not per
    request with its traceback)."""
    _outage.report(error, where)
    wait = str(current_app.config.get(RETRY_AFTER, 5))
    return problem(
        503,
        "database_unavailable",
        f"the booking database cannot be reached right now; try again in {wait} seconds",
        headers={"Retry-After": wait},
    )


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    field: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": f"https://slotwise.dev/problems/{code.replace('_', '-')}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "code": code,
        "detail": detail,
    }
    if field is not None:
        body["field"] = field
    body.update(extra)
    response = Response(json.dumps(body), status=status, content_type=PROBLEM_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


_TITLES = {
    400: "Bad request",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Cannot be booked",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}
