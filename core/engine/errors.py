"""Errors the engine raises when a query names something the snapshot lacks.

EngineError (ValueError)
 ├── UnknownService
 └── UnknownProvider
"""

from __future__ import annotations


class EngineError(ValueError):
    """A query the snapshot cannot answer; the message names the field and the fix."""


class UnknownService(EngineError):
    def __init__(self, service_id: str, known: list[str]) -> None:
        self.service_id = service_id
        super().__init__(
            f"service: unknown service {service_id!r}; known services: {', '.join(known) or 'none'}"
        )


class UnknownProvider(EngineError):
    def __init__(self, provider_id: str, service_id: str) -> None:
        self.provider_id = provider_id
        super().__init__(
            f"provider: {provider_id!r} is not in any resource pool of service {service_id!r}"
        )
