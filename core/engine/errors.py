"""Errors the engine raises when a query names something the snapshot lacks.

They live in :mod:`core.errors` (which does no I/O), in the one tree of the core's
errors; here they are re-exported under the names the engine has always used::

    SlotwiseError
     └── EngineError (ValueError)
          ├── UnknownService
          └── UnknownProvider
"""

from __future__ import annotations

from core.errors import EngineError, UnknownProvider, UnknownService

__all__ = ["EngineError", "UnknownProvider", "UnknownService"]
