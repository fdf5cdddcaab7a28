"""One typed settings object, read once from the environment and ``.env``.

Every variable is ``SLOTWISE_`` plus the field name in capitals, e.g.
``SLOTWISE_DATABASE_URL``. The defaults run everything embedded in one
process: a SQLite file under ``./data/`` and in-memory holds and state.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SLOTWISE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        # An empty variable is an unset one: docker-compose.yml passes every setting as
        # ${SLOTWISE_X:-}, so what .env leaves out must keep its default here.
        env_ignore_empty=True,
    )

    database_url: str = Field(
        default="sqlite://data/slotwise.sqlite3",
        description="Tortoise URL: sqlite://PATH or postgres://USER@HOST:PORT/DB.",
    )
    redis_url: str | None = Field(
        default=None, description="redis://HOST:PORT/DB; unset keeps holds and state in memory."
    )
    redis_timeout_ms: int = Field(
        default=500,
        gt=0,
        description="How long a Redis connect or reply may take before Redis counts as down.",
    )
    redis_retry_seconds: float = Field(
        default=5.0,
        ge=0,
        description="After Redis failed, how long it is left alone before one call tries again.",
    )
    chat_memory_max: int = Field(
        default=20_000,
        gt=0,
        description="Chat conversations one process keeps in memory (no Redis, or Redis down).",
    )
    hold_ttl_seconds: int = Field(default=300, gt=0, description="How long a held slot lives.")
    waitlist_hold_minutes: int = Field(
        default=15,
        gt=0,
        description="How long a slot offered to a waitlist entry is held for it.",
    )
    holds_per_minute: int = Field(
        default=30, gt=0, description="Holds one address or API key may take per minute."
    )
    live_holds_per_address: int = Field(
        default=5, gt=0, description="Holds one address (without an API key) may have at once."
    )
    live_holds_per_api_key: int = Field(
        default=500, gt=0, description="Holds one API key may have at once."
    )
    bookings_per_minute: int = Field(
        default=10, gt=0, description="Bookings one address or API key may make per minute."
    )
    bookings_per_contact_per_hour: int = Field(
        default=10, gt=0, description="Bookings one e-mail address or phone may get per hour."
    )
    chat_messages_per_minute: int = Field(
        default=300, gt=0, description="Web chat messages one address may send per minute."
    )
    trusted_proxies: str = Field(
        default="",
        description="Reverse proxies whose X-Forwarded-For is believed: addresses or networks, "
        "comma-separated.",
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
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs the tokens the server issues; unset: made once into secret_key_file.",
    )
    secret_key_file: Path = Field(
        default=Path("data/secret_key"),
        description="Where the generated secret is kept when SLOTWISE_SECRET_KEY is unset.",
    )
    host: str = Field(
        default="127.0.0.1", description="Address the server listens on (0.0.0.0: every one)."
    )
    port: int = Field(default=8000, gt=0, lt=65536, description="Port the server listens on.")
    log_level: str = Field(
        default="INFO", description="Least severe log level written: DEBUG, INFO, WARNING, ERROR."
    )

    # --- the worker: notifications (docs/notifications.md) ---
    smtp_url: SecretStr | None = Field(
        default=None,
        description="smtp://USER:PASS@HOST:PORT (smtps:// for TLS, ?starttls=1); unset: "
        "e-mails are written to the log.",
    )
    smtp_from: str = Field(
        default="Slotwise <bookings@localhost>", description="The From of the e-mails sent."
    )
    worker_poll_seconds: float = Field(
        default=3.0, gt=0, description="How often the worker looks for due messages."
    )
    worker_batch: int = Field(
        default=100, gt=0, description="Messages one worker claims at a time."
    )
    worker_lease_seconds: int = Field(
        default=120,
        gt=0,
        description="How long a claimed message is one worker's; then another may resend it.",
    )

    # --- SMS and WhatsApp (Twilio) ---------------------------------------------------------
    twilio_account_sid: str | None = Field(
        default=None, description="Twilio account SID (AC...); unset: SMS and WhatsApp are off."
    )
    twilio_auth_token: SecretStr | None = Field(
        default=None, description="Twilio auth token: signs Twilio's webhooks, authorises sends."
    )
    twilio_sms_from: str | None = Field(
        default=None, description="The Twilio number SMS go out from (+14155550100); unset: no SMS."
    )
    twilio_whatsapp_from: str | None = Field(
        default=None,
        description="The WhatsApp sender, prefixed (whatsapp:+14155238886); unset: no WhatsApp.",
    )
    twilio_api_base: str = Field(
        default="https://api.twilio.com",
        description="Scheme, host and port of Twilio's REST API (a local fake in tests).",
    )

    # --- Telegram (channels/telegram) ---
    telegram_token: SecretStr | None = Field(
        default=None, description="The bot's token from @BotFather; unset: Telegram is off."
    )
    telegram_webhook_secret: SecretStr | None = Field(
        default=None,
        description="Shared secret of the webhook (1-256 of A-Z a-z 0-9 _ -); Telegram sends "
        "it with every update.",
    )
    telegram_api_base: str = Field(
        default="https://api.telegram.org",
        description="Scheme, host and port of the Bot API (a local Bot API server, a test fake).",
    )

    @property
    def base_url(self) -> str:
        """The public address, without a trailing slash."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    # --- Slack (docs/channels/slack.md) ---
    slack_bot_token: SecretStr | None = Field(
        default=None, description="The Slack app's bot token (xoxb-...); unset: Slack is off."
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None, description="The Slack app's signing secret: requests are checked with it."
    )
    slack_api_base: str = Field(
        default="https://slack.com/api/",
        description="The Slack Web API base, ending in /api/ (tests point it at a local fake).",
    )
    slack_admins: str = Field(
        default="",
        description="Slack user ids (comma-separated) who may block any staff member's time.",
    )

    # --- staff members' own calendars (docs/calendars.md) ---
    credentials_key: SecretStr | None = Field(
        default=None,
        description="Fernet key that encrypts calendar passwords; unset: calendars cannot be "
        "connected.",
    )
    calendar_sync_minutes: int = Field(
        default=5, gt=0, description="How often the worker reads and writes connected calendars."
    )
    calendar_sync_parallel: int = Field(
        default=4,
        gt=0,
        description="How many connected calendars are synced at the same time (one slow "
        "server does not hold up the others).",
    )
    calendars_allow_private: bool = Field(
        default=False,
        description="Let staff members' calendars be at private, loopback and link-local "
        "addresses (a Radicale or Nextcloud on the business's own network); off: only "
        "public addresses, so nobody who may connect a calendar can make the server send "
        "requests inside its network (docs/calendars.md).",
    )

    @property
    def slack_configured(self) -> bool:
        return self.slack_bot_token is not None and self.slack_signing_secret is not None

    # --- the admin panel (docs/admin.md) -----------------------------------------------------
    webhooks_allow_private: bool = Field(
        default=False,
        description="Let webhooks go to private and loopback addresses (tests, closed "
        "networks); off: only public addresses (docs/webhooks.md).",
    )
    admin_session_hours: float = Field(
        default=12, gt=0, description="How long an admin panel sign-in lasts at most."
    )
    admin_idle_minutes: float = Field(
        default=60, gt=0, description="An admin panel sign-in unused this long ends."
    )
    admin_sign_in_failures: int = Field(
        default=10,
        gt=0,
        description="Failed sign-ins from one address or to one account that lock it out.",
    )
    admin_sign_in_window_minutes: float = Field(
        default=15, gt=0, description="The window in which those failures are counted."
    )
    admin_lockout_minutes: float = Field(
        default=15, gt=0, description="How long a locked address or account is refused (429)."
    )

    # --- operating it (docs/deploy.md) ----------------------------------------------------
    workers: int = Field(
        default=1,
        gt=0,
        le=64,
        description="Server processes of 'slotwise serve' (Hypercorn workers); about one per core.",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Turns GET /metrics on, for requests with 'Authorization: Bearer <token>'; "
        "unset: /metrics is 404.",
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="text: lines for people; json: one JSON object per line."
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
