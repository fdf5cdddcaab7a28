"""What the server's logs may show: never a manage token, a hold token or a customer field.

Tokens travel in addresses (``/b/<token>``, ``/api/v1/bookings/<token>/cancel``,
``/api/v1/holds/<token>``), so the access log masks those path segments (and so does
every other line, should one quote an address); request bodies and customers are never
logged at all. :func:`configure_logging` writes text or JSON lines, each naming the
request it was written for (``request_id``, :mod:`core.requestid`).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

from quart import Quart, Response, request

from channels.problems import masked_path
from core.requestid import REQUEST_ID, current_request_id

if TYPE_CHECKING:
    from slotwise.settings import Settings

__all__ = [
    "JsonLines",
    "MaskTokens",
    "RequestIds",
    "configure_logging",
    "mask_access_log",
    "register_request_ids",
]


class MaskTokens(logging.Filter):
    """Rewrites a record's message with its token path segments as ``***``."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = masked_path(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def mask_access_log(logger: logging.Logger) -> None:
    """Mask tokens in every line ``logger`` (Hypercorn's access log) writes."""
    if not any(isinstance(f, MaskTokens) for f in logger.filters):
        logger.addFilter(MaskTokens())


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REQUEST_ID_HEADER = "X-Request-Id"
_GOOD_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_OURS = "_slotwise_handler"


class RequestIds(logging.Filter):
    """Puts the request's id on each record: the current request's, or, on Hypercorn's
    access line (written after the request), the ``X-Request-Id`` the answer carried."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            found = current_request_id()
            if found is None and isinstance(record.args, Mapping):
                header = record.args.get("{x-request-id}o")
                found = header if isinstance(header, str) and header != "-" else None
            record.request_id = found
        return True


class JsonLines(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id when
    there is one, and the traceback as text when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        line: dict[str, object] = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            line["request_id"] = request_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def _handler(logger: logging.Logger, stream: TextIO, formatter: logging.Formatter) -> None:
    """Give ``logger`` our one handler (made once, its format set each time)."""
    ours = next((h for h in logger.handlers if getattr(h, _OURS, False)), None)
    if ours is None:
        ours = logging.StreamHandler(stream)
        setattr(ours, _OURS, True)
        ours.addFilter(RequestIds())
        ours.addFilter(MaskTokens())
        logger.addHandler(ours)
    ours.setFormatter(formatter)


def configure_logging(settings: Settings) -> logging.Logger:
    """Set up this process's logging from the settings: every logger (Hypercorn's errors
    included) to standard error at ``SLOTWISE_LOG_LEVEL``, as text or, with
    ``SLOTWISE_LOG_FORMAT=json``, JSON lines; Hypercorn's access log to standard output
    in the same format. Tokens are masked and the request's id is added everywhere.
    Returns the access logger for Hypercorn's config. Every process of the server calls
    it (Hypercorn's workers through :mod:`slotwise.asgi`), and so does the worker.
    """
    json_lines = settings.log_format == "json"
    formatter = JsonLines() if json_lines else logging.Formatter(TEXT_FORMAT)
    root = logging.getLogger()
    root.setLevel(settings.log_level)
    _handler(root, sys.stderr, formatter)
    access = logging.getLogger("hypercorn.access")
    access.setLevel(logging.INFO)
    access.propagate = False
    if not any(isinstance(f, RequestIds) for f in access.filters):
        access.filters.insert(0, RequestIds())  # before the masking drops the atoms
    mask_access_log(access)
    _handler(access, sys.stdout, JsonLines() if json_lines else logging.Formatter("%(message)s"))
    return access


def register_request_ids(app: Quart) -> None:
    """Each request gets an id: its ``X-Request-Id`` when it is a sane one (letters,
    digits, ``._:-``, at most 128), else a new one; it is the current request id while the
    request is served (:mod:`core.requestid`) and is sent back in ``X-Request-Id``."""

    @app.before_request
    async def take_request_id() -> None:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        REQUEST_ID.set(given if _GOOD_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex)

    @app.after_request
    async def send_request_id(response: Response) -> Response:
        request_id = current_request_id()
        if request_id is not None:
            response.headers[REQUEST_ID_HEADER] = request_id
        return response
