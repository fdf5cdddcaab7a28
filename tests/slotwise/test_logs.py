"""The server's logs never show a manage or hold token: found by an outside probe, Hypercorn's
access log used to print every ``/b/<token>`` address in full."""

from __future__ import annotations

import io
import logging

import pytest
from hypercorn.config import Config
from hypercorn.logging import Logger

from slotwise.logs import mask_access_log

TOKEN = "Zk3pQ9xLmN2bV7cR"


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        (f"/b/{TOKEN}", "/b/***"),
        (f"/b/{TOKEN}.ics", "/b/***"),
        (f"/b/{TOKEN}/cancel", "/b/***/cancel"),
        (f"/api/v1/bookings/{TOKEN}/reschedule", "/api/v1/bookings/***/reschedule"),
        (f"/api/v1/bookings/{TOKEN}", "/api/v1/bookings/***"),
        (f"/api/v1/holds/{TOKEN}", "/api/v1/holds/***"),
        (f"/admin/enrol/{TOKEN}", "/admin/enrol/***"),
    ],
)
async def test_the_access_log_masks_tokens(path: str, shown: str) -> None:
    stream = io.StringIO()
    access = logging.getLogger(f"test.access.{path}")
    access.setLevel(logging.INFO)
    access.propagate = False
    access.addHandler(logging.StreamHandler(stream))
    mask_access_log(access)
    config = Config()
    config.accesslog = access
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"m=cancelled",
        "headers": [(b"referer", f"http://x{path}".encode()), (b"user-agent", b"probe")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    await Logger(config).access(scope, {"status": 200, "headers": []}, 0.01)  # type: ignore[arg-type]
    line = stream.getvalue()
    assert TOKEN not in line
    assert shown in line
    assert "200" in line
