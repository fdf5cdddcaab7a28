"""Errors as ``application/problem+json`` (RFC 9457), the one shape every API error takes.

Each problem carries a stable ``code`` that clients switch on, a ``detail`` a
person can act on, and, when one field is at fault, its name in ``field``.
"""

from __future__ import annotations

import json
from typing import Any

from quart import Response

PROBLEM_TYPE = "application/problem+json"


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
