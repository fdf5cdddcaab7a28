"""One typed settings object, read once from the environment and ``.env``.

Every variable is ``SLOTWISE_`` plus the field name in capitals, e.g.
``SLOTWISE_DATABASE_URL``. The defaults run everything embedded in one
process: a SQLite file under ``./data/`` and in-memory holds and state.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SLOTWISE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default="sqlite://data/slotwise.sqlite3",
        description="Tortoise URL: sqlite://PATH or postgres://USER@HOST:PORT/DB.",
    )
    redis_url: str | None = Field(
        default=None, description="redis://HOST:PORT/DB; unset keeps holds and state in memory."
    )
    hold_ttl_seconds: int = Field(default=300, gt=0, description="How long a held slot lives.")
    holds_per_minute: int = Field(
        default=30, gt=0, description="Holds one API client may take per minute."
    )
    lock_timeout_ms: int = Field(
        default=2000, gt=0, description="How long a booking waits for a busy resource's lock."
    )
    statement_timeout_ms: int = Field(
        default=5000,
        gt=0,
        description="PostgreSQL statement_timeout: the longest one statement may run or wait.",
    )
    retry_after_seconds: int = Field(
        default=5, gt=0, description="Retry-After of a 503 while the database is unreachable."
    )
    public_url: str | None = Field(
        default=None,
        description="Where customers reach this server (manage links); default http://HOST:PORT.",
    )
    chat_ttl_seconds: int = Field(
        default=24 * 3600, gt=0, description="How long an idle chat conversation is remembered."
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, gt=0, lt=65536)
    log_level: str = "INFO"

    @property
    def base_url(self) -> str:
        """The public address, without a trailing slash."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
