"""What the server's logs may show: never a manage token, a hold token or a customer field.

Tokens travel in addresses (``/b/<token>``, ``/api/v1/bookings/<token>/cancel``,
``/api/v1/holds/<token>``), so the access log masks those path segments; request bodies
and customers are never logged at all.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

from channels.problems import masked_path

if TYPE_CHECKING:
    from slotwise.settings import Settings

__all__ = ["MaskTokens", "configure_logging", "mask_access_log"]


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


def configure_logging(settings: Settings) -> logging.Logger:
    """Set up this process's logging from the settings, once: the root logger at
    ``SLOTWISE_LOG_LEVEL``, Hypercorn's errors through it, and Hypercorn's access log to
    standard output with tokens masked. Returns the access logger for Hypercorn's config.
    Every process of the server calls it (Hypercorn's workers through :mod:`slotwise.asgi`).
    """
    logging.basicConfig(level=settings.log_level, format=TEXT_FORMAT)
    access = logging.getLogger("hypercorn.access")
    access.setLevel(logging.INFO)
    if not access.handlers:
        access.addHandler(logging.StreamHandler(sys.stdout))
    access.propagate = False
    mask_access_log(access)
    return access
