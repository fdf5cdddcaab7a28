"""What the server's logs may show: never a manage token, a hold token or a customer field.

Tokens travel in addresses (``/b/<token>``, ``/api/v1/bookings/<token>/cancel``,
``/api/v1/holds/<token>``), so the access log masks those path segments; request bodies
and customers are never logged at all.
"""

from __future__ import annotations

import logging

from channels.problems import masked_path

__all__ = ["MaskTokens", "mask_access_log"]


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
