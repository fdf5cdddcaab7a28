"""The ASGI application built from the environment, for servers that import it by name.

``slotwise serve`` with ``SLOTWISE_WORKERS`` above 1 starts that many Hypercorn worker
processes, and each imports ``slotwise.asgi:app``; so can any ASGI server
(``hypercorn slotwise.asgi:app``). Importing this module sets up the process's logging
the way ``slotwise serve`` does.
"""

from __future__ import annotations

from slotwise.app import create_app
from slotwise.logs import configure_logging
from slotwise.settings import get_settings

__all__ = ["app"]

configure_logging(get_settings())
app = create_app(get_settings())
