"""The ``slotwise`` command.

Each subcommand opens the database, does one thing, and closes it. Errors a
person can fix (a bad file, an unknown service, a database that cannot be
reached) are printed as one clear message and exit with status 1; a
traceback is never the answer.

Start-up is kept fast: this module imports only the standard library and click
at the top; each command imports what it needs (Tortoise, pydantic, the web
stack) when it runs, so ``slotwise --help`` and ``slotwise understand`` do not pay
for the database (``python -m bench.startup`` measures it).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from datetime import UTC, date, datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

import click

from core.text.languages import LANGUAGES

if TYPE_CHECKING:
    from core.importing import Changes, ImportReport
    from core.users import ChangedBy
    from slotwise.settings import Settings

P = ParamSpec("P")
T = TypeVar("T")

DEMO_FILE = Path(__file__).parent / "demo" / "demo.yaml"
BACKUP_DIR = Path("data") / "backups"
"""Where ``import --replace`` writes the business it replaces, relative to the working directory."""
MAX_QUERY_DAYS = 366
NEXT_DAYS = 14
NEXT_SLOTS = 3


class Failure(click.ClickException):
    """A problem the user can fix, shown without a traceback."""

    def show(self, file: Any = None) -> None:
        click.echo(f"slotwise: {self.format_message()}", err=True)


def friendly(func: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, T]:
    """Run an async command and turn the errors a user can fix into clear messages."""

    @wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return asyncio.run(func(*args, **kwargs))
        except click.ClickException:
            raise
        except Exception as error:
            message = _failure(error)
            if message is None:
                raise
            raise Failure(message) from None

    return run


def _failure(error: Exception) -> str | None:
    """The message for an error a user can fix, ``None`` for a bug. The error types are
    imported here, when one happens, not when the command starts."""
    from tortoise.exceptions import DBConnectionError, OperationalError

    from core.businessfile import BusinessFileError
    from core.db import DatabaseURLError
    from core.errors import SlotwiseError

    if isinstance(error, BusinessFileError):
        return f"the business file has problems; nothing was imported:\n{error}"
    if isinstance(error, SlotwiseError | DatabaseURLError):
        return str(error)
    if isinstance(error, DBConnectionError | ConnectionError | OSError):
        return f"cannot reach the database: {error}"
    if isinstance(error, OperationalError):
        if _missing_table(error):
            return (
                "the database has no Slotwise tables yet; run 'slotwise migrate' "
                "or 'slotwise import FILE'"
            )
        return f"the database refused the query: {error}"
    return None


def _missing_table(error: Exception) -> bool:
    text = str(error)
    return "no such table" in text or ("relation" in text and "does not exist" in text)


def _db_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--db",
        "db_url",
        metavar="URL",
        default=None,
        help="Database URL (default: SLOTWISE_DATABASE_URL, else ./data/slotwise.sqlite3).",
    )(func)


def _url(db_url: str | None) -> str:
    return db_url or _settings().database_url


def _settings(db_url: str | None = None) -> Settings:
    from slotwise.settings import get_settings

    settings = get_settings()
    return settings.model_copy(update={"database_url": db_url}) if db_url else settings


def _parse_now(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    return _parse_instant(value, "--now")


def _parse_instant(value: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO-8601 time such as 2026-12-01T09:30:00Z", param_hint=option
        ) from None
    if moment.tzinfo is None:
        raise click.BadParameter(
            f"{value!r} has no UTC offset; add Z or +01:00, e.g. {value}Z", param_hint=option
        )
    return moment


def _parse_date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date in the form YYYY-MM-DD", param_hint=option
        ) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Slotwise: real free slots, booked by chat, never twice."""


@main.command("migrate")
@click.option(
    "--demo-if-empty",
    "demo",
    is_flag=True,
    help="Then load the demo business if the database has none (docker-compose.yml's demo).",
)
@_db_option
@friendly
async def migrate_command(demo: bool, db_url: str | None) -> None:
    """Create or upgrade the database schema."""
    from core.db import migrate

    url = _url(db_url)
    await migrate(url)
    click.echo("The database is up to date.")
    if demo:
        from core.businessfile import load_business_file
        from core.db import database
        from core.store import replace_business

        async with database(url):
            if await _has_business():
                return
            business = load_business_file(DEMO_FILE)
            await replace_business(business)
        click.echo(f"Loaded the demo business {business.info.name!r}.")


@main.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--replace",
    "replace_all",
    is_flag=True,
    help="Delete everything, bookings included, and load FILE; "
    "the old business is first exported to ./data/backups/.",
)
@_db_option
@friendly
async def import_command(file: Path, replace_all: bool, db_url: str | None) -> None:
    """Load the business in FILE (YAML or JSON): its rules replace the database's,
    matched by id, and every booking already there is kept with its manage link.

    Bookings the new rules would not allow are kept and listed. With --replace,
    everything is replaced, bookings included, after a backup of the old business.
    """
    from core.businessfile import load_business_file
    from core.db import database, migrate
    from core.importing import import_business
    from core.store import count_bookings, replace_business

    business = load_business_file(file)
    url = _url(db_url)
    await migrate(url)
    async with database(url):
        if replace_all:
            dropped = await count_bookings()
            backup = await _backup() if dropped or await _has_business() else None
            await replace_business(business)
        else:
            report = await import_business(business)
    click.echo(
        f"Imported {business.info.name!r}: {len(business.resources)} resources, "
        f"{len(business.services)} services, {len(business.bookings)} bookings."
    )
    if replace_all:
        if backup is not None:
            click.echo(f"The previous business is backed up in {backup}")
        click.echo(f"Replaced everything: {dropped} bookings of the database were dropped.")
        return
    _echo_report(report)


async def _has_business() -> bool:
    from core.errors import NoBusiness
    from core.store import load_directory

    try:
        await load_directory()
    except NoBusiness:
        return False
    return True


async def _backup() -> Path:
    """The business in the database, bookings with their tokens and customers, as a
    business file under ``BACKUP_DIR`` that ``slotwise import --replace`` reads back."""
    from core.businessfile import dump_business
    from core.store import load_business

    text = dump_business(await load_business())
    BACKUP_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = BACKUP_DIR / f"slotwise-{stamp}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _echo_report(report: ImportReport) -> None:
    for what, changes in (("resources", report.resources), ("services", report.services)):
        for line in _changes(what, changes):
            click.echo(line)
    click.echo(
        f"Bookings: {report.added_bookings} added, {report.known_bookings} of the file "
        "already there; none deleted."
    )
    if not report.misfits:
        return
    zone = ZoneInfo(report.timezone)
    click.echo(
        f"{len(report.misfits)} bookings fall outside the new rules "
        "(kept; move or cancel them if need be):"
    )
    for misfit in report.misfits:
        local = misfit.start.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        click.echo(f"  #{misfit.booking_id} {misfit.service} {local}: {'; '.join(misfit.reasons)}")


def _changes(what: str, changes: Changes) -> list[str]:
    lines = []
    if changes.added:
        lines.append(f"Added {what}: {', '.join(changes.added)}")
    if changes.removed:
        lines.append(f"Removed {what}: {', '.join(changes.removed)}")
    if changes.switched_off:
        lines.append(
            f"Switched off, not deleted, because bookings use them: {what} "
            + ", ".join(changes.switched_off)
        )
    return lines


@main.command("export")
@_db_option
@friendly
async def export_command(db_url: str | None) -> None:
    """Write the business in the database to standard output as a business file,
    confirmed bookings with their manage tokens and customers."""
    from core.businessfile import dump_business
    from core.db import database
    from core.store import load_business

    async with database(_url(db_url)):
        business = await load_business()
    click.echo(dump_business(business), nl=False)


@main.command("slots")
@click.option("--service", "service_id", required=True, metavar="ID", help="Service id.")
@click.option("--from", "first", required=True, metavar="YYYY-MM-DD", help="First local date.")
@click.option("--to", "last", required=True, metavar="YYYY-MM-DD", help="Last local date.")
@click.option("--provider", default=None, metavar="ID", help="Only slots using this resource.")
@click.option("--now", default=None, metavar="ISO", help="The instant of the query (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON with UTC starts.")
@_db_option
@friendly
async def slots_command(
    service_id: str,
    first: str,
    last: str,
    provider: str | None,
    now: str | None,
    as_json: bool,
    db_url: str | None,
) -> None:
    """List the free slots of a service between two local dates, both included."""
    first_day, last_day = _parse_date(first, "--from"), _parse_date(last, "--to")
    if last_day < first_day:
        raise click.BadParameter(f"{last} is before --from {first}", param_hint="--to")
    if (last_day - first_day).days >= MAX_QUERY_DAYS:
        raise click.BadParameter(
            f"at most {MAX_QUERY_DAYS} days at once; narrow --from/--to", param_hint="--to"
        )
    from core import directory
    from slotwise.container import Services
    from slotwise.present import slots_json, slots_text

    # The same service as the API's /slots: live holds count (Redis when configured).
    clock = _fixed_clock(_parse_now(now))
    opened = Services.open(_settings(db_url), clock=clock, migrate_first=False, chat=False)
    async with opened as services:
        slots = await services.bookings.offer(service_id, first_day, last_day, provider)
        offered = await directory.catalogue()
    if as_json:
        click.echo(json.dumps(slots_json(slots)))
    else:
        resources = {r.id: r for r in offered.resources}
        click.echo(slots_text(slots, resources, offered.timezone, offered.locale))


@main.command("explain")
@click.option("--service", "service_id", required=True, metavar="ID", help="Service id.")
@click.option("--start", required=True, metavar="ISO", help="The start to explain, with offset.")
@click.option("--provider", default=None, metavar="ID", help="Require this resource.")
@click.option("--now", default=None, metavar="ISO", help="The instant of the query (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print the reasons as JSON.")
@_db_option
@friendly
async def explain_command(
    service_id: str,
    start: str,
    provider: str | None,
    now: str | None,
    as_json: bool,
    db_url: str | None,
) -> None:
    """Say whether START is a free slot of the service and, if not, why."""
    from slotwise.container import Services
    from slotwise.present import explanation_json, reason_text

    moment = _parse_instant(start, "--start")
    # Through the same services as the API and the chat: live holds count as taken.
    async with Services.open(_settings(db_url), migrate_first=False, chat=False) as services:
        explanation, snapshot = await services.offers.explain_start(
            service_id, moment, _parse_now(now), provider
        )
    if as_json:
        click.echo(json.dumps(explanation_json(explanation)))
        return
    if explanation.slot is not None:
        names = ", ".join(snapshot.resources[r].name for r in explanation.slot.resources)
        click.echo(f"{start} is a free slot ({names}).")
        return
    click.echo(f"{start} is not a free slot:")
    for reason in explanation.reasons:
        click.echo(f"  - {reason_text(reason, snapshot.timezone, snapshot.locale)}")


def _reading_lang(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    """A language we read ("en"), or a locale with its region ("en-US": month-first dates)."""
    base, _, region = value.replace("_", "-").partition("-")
    if base.lower() not in LANGUAGES or (region and not region.isalpha()):
        choices = ", ".join(repr(code) for code in LANGUAGES)
        raise click.BadParameter(f"{value!r} is not one of {choices}, or one with a region (en-US)")
    return f"{base.lower()}-{region.upper()}" if region else base.lower()


@main.command("understand")
@click.argument("text")
@click.option("--now", default=None, metavar="ISO", help="When it was written (default: now).")
@click.option(
    "--tz",
    "zone",
    default=None,
    metavar="ZONE",
    help="IANA zone of the business (default: the business's with --db, else UTC).",
)
@click.option(
    "--lang",
    default="en",
    show_default=True,
    metavar="LANG[-REGION]",
    callback=_reading_lang,
    help="The language the message is read in (en, es, de, fr, ru); with a region, that "
    "locale's habits: en-US reads 3/4 as March 4, everyone else as 3 April.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the reading as JSON (UTC times).")
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    default=None,
    help="Match the services and staff of the business in this database.",
)
@click.option(
    "--explain", is_flag=True, help="Also print which words gave which part of the reading."
)
@friendly
async def understand_command(
    text: str,
    now: str | None,
    zone: str | None,
    lang: str,
    as_json: bool,
    db_url: str | None,
    explain: bool,
) -> None:
    """Show what the bot reads in TEXT: intent, service, provider, choice and time wish.

    Put options before TEXT and '--' before a TEXT that starts with a dash:
    slotwise understand --lang es --json -- "-1"
    """
    from bot.understand import Catalog, catalog_of, reading_json, understand
    from bot.understand.reading import reading_text

    moment = _parse_now(now)
    catalog = Catalog()
    if db_url is not None:
        from core import directory
        from core.db import database

        async with database(db_url):
            names = await directory.directory()
        catalog = catalog_of(names)
        zone = zone or names.info.timezone
    zone = zone or "UTC"
    try:
        ZoneInfo(zone)
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        raise click.BadParameter(
            f"{zone!r} is not an IANA time zone such as Europe/Berlin", param_hint="--tz"
        ) from None
    reading = understand(text, now=moment, zone=zone, lang=lang, catalog=catalog)
    if as_json:
        click.echo(json.dumps(reading_json(reading), ensure_ascii=False))
    else:
        click.echo(reading_text(reading, zone))
    if explain:
        from bot.understand.explain import explain as explain_words

        click.echo("why:")
        for line in explain_words(text, lang=lang, catalog=catalog):
            click.echo(f"  {line}")


@main.command("run")
@_db_option
@friendly
async def run_command(db_url: str | None) -> None:
    """Migrate, load the demo business into an empty database, show what is bookable,
    and serve the web chat and the REST API, with the worker beside it sending the
    notifications: what ``make run`` does."""
    from core import directory
    from core.businessfile import load_business_file
    from core.errors import NoBusiness
    from core.store import replace_business
    from core.users import list_users
    from slotwise.container import Services
    from slotwise.present import slots_text

    settings = _settings(db_url)
    now = datetime.now(UTC)
    async with Services.open(settings) as services:
        try:
            offered = await directory.catalogue()
        except NoBusiness:
            business = load_business_file(DEMO_FILE)
            await replace_business(business)
            click.echo(
                f"Loaded the demo business {business.info.name!r} into {settings.database_url}."
            )
            offered = await directory.catalogue()
        today = now.astimezone(ZoneInfo(offered.timezone)).date()
        resources = {r.id: r for r in offered.resources}
        click.echo("The next free slots of each service:\n")
        for service in offered.services:
            slots = await services.bookings.offer(
                service.id, today, today + timedelta(days=NEXT_DAYS)
            )
            click.echo(f"{service.name} ({service.id}, {service.duration_min} min)")
            text = slots_text(slots[:NEXT_SLOTS], resources, offered.timezone, offered.locale)
            click.echo("  " + text.replace("\n", "\n  ") + "\n")
        if not await list_users():
            click.echo(
                "The admin panel has no users yet. Make the first (it prints a one-time link):\n"
                "  .venv/bin/slotwise user create you@example.org --role sysadmin\n"
            )
    click.echo(
        "Also try: .venv/bin/slotwise slots --service consult --from YYYY-MM-DD --to YYYY-MM-DD\n"
        "          .venv/bin/slotwise explain --service consult --start 2026-12-01T09:00:00Z\n"
        "          .venv/bin/slotwise chat   (the bot in this terminal)\n"
    )
    # The worker sends the outbox beside the server, as a second process that ends with it.
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "slotwise", "worker", *(["--db", db_url] if db_url else [])
    )
    try:
        await _serve(None, None, db_url)
    finally:
        if worker.returncode is None:
            worker.terminate()
        await worker.wait()


@main.command("serve")
@click.option("--host", default=None, help="Address to listen on (default: SLOTWISE_HOST).")
@click.option("--port", type=int, default=None, help="Port (default: SLOTWISE_PORT).")
@_db_option
def serve_command(host: str | None, port: int | None, db_url: str | None) -> None:
    """Serve the web chat, the manage-booking pages and the REST API with Hypercorn."""
    asyncio.run(_serve(host, port, db_url))


async def _serve(host: str | None, port: int | None, db_url: str | None) -> None:
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    from slotwise.app import create_app
    from slotwise.logs import configure_logging
    from slotwise.settings import get_settings

    settings = get_settings()
    updates: dict[str, Any] = {}
    if db_url:
        updates["database_url"] = db_url
    if host:
        updates["host"] = host
    if port:
        updates["port"] = port
    settings = settings.model_copy(update=updates)
    config = Config()
    config.bind = [f"{settings.host}:{settings.port}"]
    # Hypercorn's errors through our own logging set-up, printed once, in our format; the
    # access log to standard output, with manage and hold tokens masked in addresses.
    config.errorlog = logging.getLogger("hypercorn.error")
    config.accesslog = configure_logging(settings)
    root = f"http://{settings.host}:{settings.port}"
    say = _say(settings)
    say(f"Slotwise is listening. Chat with the bot: {root}/")
    say(f"  REST API: {root}/api/v1/services  (description: {root}/api/v1/openapi.json)")
    say(f"  Admin panel: {root}/admin/  (users: slotwise user create EMAIL --role ...)")
    say(f'  Put the chat on another site: <script src="{settings.base_url}/widget.js" async>')
    say("Press Ctrl+C to stop.")
    if settings.workers > 1:
        await _serve_workers(settings, config, updates)
        return
    await serve(create_app(settings), config)


def _say(settings: Settings) -> Callable[[str], None]:
    """How a long-running command announces itself: printed, or with
    ``SLOTWISE_LOG_FORMAT=json`` logged, so that every line of its output is JSON."""
    if settings.log_format == "json":
        announce = logging.getLogger("slotwise")
        return lambda line: announce.info("%s", line.strip())
    return click.echo


async def _serve_workers(settings: Settings, config: Any, updates: dict[str, Any]) -> None:
    """``SLOTWISE_WORKERS`` Hypercorn processes on one socket, each building the app from
    the environment (:mod:`slotwise.asgi`): the options given here are passed on as
    variables. Migrations run once here first, not in each worker at the same time. The
    supervisor then blocks this process (and its idle event loop) until it stops."""
    import os

    from hypercorn.run import run

    from core.db import migrate

    for name, value in updates.items():
        os.environ[f"SLOTWISE_{name.upper()}"] = str(value)
    applied = await migrate(settings.database_url)
    if applied:
        logging.getLogger(__name__).info("applied migrations: %s", ", ".join(applied))
    config.workers = settings.workers
    config.application_path = "slotwise.asgi:app"
    folder = None
    if settings.metrics_token is not None:
        import shutil
        import tempfile

        from slotwise.metrics import MULTIPROCESS

        # Each worker writes its figures here; /metrics adds them up (a fresh folder per run).
        folder = tempfile.mkdtemp(prefix="slotwise-metrics-")
        os.environ[MULTIPROCESS] = folder
    try:
        code = run(config)
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    if code:
        sys.exit(code)


@main.command("chat")
@click.option("--user", default="console", show_default=True, help="Who you are to the bot.")
@click.option("--lang", default=None, metavar="LANG", help="Your language (en, es, de, fr, ru).")
@click.option("--tz", "zone", default=None, metavar="ZONE", help="Your IANA timezone.")
@click.option(
    "--now", default=None, metavar="ISO", help="Pretend it is this instant (scripted chats)."
)
@_db_option
@friendly
async def chat_command(
    user: str, lang: str | None, zone: str | None, now: str | None, db_url: str | None
) -> None:
    """Chat with the bot in the terminal; type a number to press that button.

    With input piped in, each line is one message (a scripted conversation).
    """
    from bot.conversations import MemoryConversations
    from channels.console import console_chat
    from core import directory
    from core.bookings import utc_now
    from slotwise.container import Services

    interactive = sys.stdin.isatty()
    clock = _fixed_clock(_parse_now(now)) if now else utc_now
    opened = Services.open(_settings(db_url), clock=clock, conversations=MemoryConversations())
    async with opened as services:
        await directory.business_info()  # a clear "no business" before the first message
        if interactive:
            click.echo("Chatting with the bot; Ctrl+D ends. Type a number to press a button.\n")
        await console_chat(
            services.chat,
            _lines(interactive),
            click.echo,
            user=user,
            locale=lang,
            zone=zone,
            echo=not interactive,
        )


def _fixed_clock(instant: datetime) -> Callable[[], datetime]:
    return lambda: instant


def _lines(interactive: bool) -> Iterator[str]:
    while True:
        try:
            line = input("you: ") if interactive else sys.stdin.readline()
        except EOFError:
            return
        if not interactive and line == "":
            return
        yield line


@main.group("apikey")
def apikey_group() -> None:
    """API keys: how partners and widgets on other sites identify themselves."""


@apikey_group.command("create")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["client", "staff"]),
    default="client",
    show_default=True,
    help="staff: the key may also act for the business (mark no-shows).",
)
@_db_option
@friendly
async def apikey_create(name: str, role: str, db_url: str | None) -> None:
    """Make a key for the client NAME and print it (once: only its hash is kept)."""
    from core.apikeys import create_api_key
    from core.db import database, migrate
    from core.errors import InvalidRequest

    url = _url(db_url)
    await migrate(url)
    async with database(url):
        try:
            _, key = await create_api_key(name, role)
        except InvalidRequest as error:
            raise Failure(error.message) from None
    click.echo(key)
    click.echo(
        f"This is the key of {name.strip()!r}; it is shown only now. The client sends it as "
        "'Authorization: Bearer <key>'.",
        err=True,
    )


@apikey_group.command("list")
@_db_option
@friendly
async def apikey_list(db_url: str | None) -> None:
    """List the keys: name, when made, and whether revoked (never the keys themselves)."""
    from core.apikeys import list_api_keys
    from core.db import database

    async with database(_url(db_url)):
        clients = await list_api_keys()
    if not clients:
        click.echo("No API keys; make one with 'slotwise apikey create NAME'.")
    for found in clients:
        state = f"revoked {found.revoked_at:%Y-%m-%d %H:%M}Z" if found.revoked_at else "live"
        click.echo(f"{found.name}\t{found.role}\tmade {found.created_at:%Y-%m-%d %H:%M}Z\t{state}")


@apikey_group.command("revoke")
@click.argument("name")
@_db_option
@friendly
async def apikey_revoke(name: str, db_url: str | None) -> None:
    """Refuse the key of NAME from now on."""
    from core.apikeys import revoke_api_key
    from core.db import database
    from core.errors import NotFound

    async with database(_url(db_url)):
        try:
            await revoke_api_key(name)
        except NotFound as error:
            raise Failure(error.message) from None
    click.echo(f"The key of {name!r} is revoked.")


@main.group("feed")
def feed_group() -> None:
    """Calendar feeds: a staff member's or a room's bookings for their calendar app."""


@feed_group.command("url")
@click.argument("resource")
@click.option("--new", is_flag=True, help="Replace the address: the old one stops working.")
@_db_option
@friendly
async def feed_url(resource: str, new: bool, db_url: str | None) -> None:
    """Print the calendar feed address of RESOURCE (built from SLOTWISE_PUBLIC_URL)."""
    from core.errors import NotFound
    from slotwise.container import Services

    async with Services.open(_settings(db_url), chat=False) as services:
        try:
            if new:
                link = await services.feeds.revoke_resource(resource)
            else:
                link = await services.feeds.resource_link(resource)
        except NotFound as error:
            raise Failure(error.message) from None
    click.echo(link)
    if new:
        click.echo("Every earlier address of this feed no longer works.", err=True)


# --- staff members' own calendars (docs/calendars.md) -----------------------------------------


@main.group("calendar")
def calendar_group() -> None:
    """Staff members' own calendars (CalDAV): their busy time in, their bookings out."""


@calendar_group.command("connect")
@click.argument("resource")
@click.option("--url", required=True, help="The address of the calendar itself (CalDAV).")
@click.option("--user", "username", required=True, help="The user name at the calendar server.")
@click.option(
    "--password", default=None, help="An app password; default: read from standard input."
)
@_db_option
@friendly
async def calendar_connect(
    resource: str, url: str, username: str, password: str | None, db_url: str | None
) -> None:
    """Connect RESOURCE's calendar and sync it once (the password is kept encrypted)."""
    if password is None:
        if sys.stdin.isatty():
            password = click.prompt("Password", hide_input=True)
        else:
            password = sys.stdin.readline().rstrip("\r\n")
    shown = await _with_calendars(db_url, lambda c: c.connect(resource, url, username, password))
    click.echo(_calendar_line(shown))
    if shown.state != "ok":
        raise Failure(
            f"the calendar of {resource!r} is connected but could not be read: "
            f"{shown.last_error}. Fix it and connect again."
        )


@calendar_group.command("sync")
@click.argument("resource", required=False)
@_db_option
@friendly
async def calendar_sync(resource: str | None, db_url: str | None) -> None:
    """Read and write RESOURCE's calendar now (every connected calendar without RESOURCE,
    several at a time: SLOTWISE_CALENDAR_SYNC_PARALLEL)."""

    async def run(calendars: Any) -> list[Any]:
        if resource is not None:
            return [await calendars.sync(resource)]
        return list(await calendars.sync_all())

    for shown in await _with_calendars(db_url, run):
        click.echo(_calendar_line(shown))


@calendar_group.command("list")
@_db_option
@friendly
async def calendar_list(db_url: str | None) -> None:
    """List the connected calendars: whose, their state, and the last sync."""
    found = await _with_calendars(db_url, lambda c: c.connections())
    if not found:
        click.echo("No calendars connected; connect one with 'slotwise calendar connect'.")
    for shown in found:
        click.echo(_calendar_line(shown))


@calendar_group.command("disconnect")
@click.argument("resource")
@_db_option
@friendly
async def calendar_disconnect(resource: str, db_url: str | None) -> None:
    """Forget RESOURCE's calendar and the busy time read from it."""
    await _with_calendars(db_url, lambda c: c.disconnect(resource))
    click.echo(
        f"The calendar of {resource!r} is disconnected; the events written there stay there."
    )


async def _with_calendars(db_url: str | None, work: Callable[[Any], Awaitable[T]]) -> T:
    from core.db import database, migrate
    from core.errors import SlotwiseError
    from slotwise.container import calendars_of

    settings = _settings(db_url)
    await migrate(settings.database_url)
    async with database(settings.database_url):
        try:
            return await work(calendars_of(settings))
        except SlotwiseError as error:
            option = _CALENDAR_OPTIONS.get(error.field or "")
            raise Failure(f"{option}: {error.message}" if option else error.message) from None


_CALENDAR_OPTIONS = {"url": "--url", "username": "--user", "password": "--password"}
"""The option of ``slotwise calendar connect`` that a field error names."""


async def _calendar_lines(done: Awaitable[list[Any]]) -> list[str]:
    return [_calendar_line(shown) for shown in await done]


def _calendar_line(shown: Any) -> str:
    when = f"synced {shown.synced_at:%Y-%m-%d %H:%M}Z" if shown.synced_at else "never synced"
    error = f" ({shown.last_error})" if shown.last_error else ""
    return f"calendar {shown.resource}\t{shown.state}{error}\t{shown.busy} busy\t{when}"


# --- the worker: notifications (docs/notifications.md) ---------------------------------------


@main.command("worker")
@click.option("--once", is_flag=True, help="Send everything due now, print what happened, exit.")
@click.option(
    "--now", default=None, metavar="ISO", help="With --once: the instant to send at (default: now)."
)
@click.option(
    "--heartbeat",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Touch FILE after every round, for a health check that reads its age.",
)
@_db_option
@friendly
async def worker_command(
    once: bool, now: str | None, heartbeat: Path | None, db_url: str | None
) -> None:
    """Send the due messages of the outbox (confirmations, changes, cancellations,
    reminders) by e-mail and the configured channels; runs until Ctrl+C or SIGTERM."""
    from core.webhooks import WebhookSender, fan_out
    from slotwise.container import Services, calendars_of
    from slotwise.worker import Moment, Worker, senders_of

    if now is not None and not once:
        raise click.BadParameter("--now only goes with --once", param_hint="--now")
    settings = _settings(db_url)
    moment = Moment()
    calendars = calendars_of(settings, moment)
    async with Services.open(settings, clock=moment, chat=False) as services:
        worker = Worker(
            senders_of(settings),
            public_url=settings.base_url,
            batch=settings.worker_batch,
            lease=timedelta(seconds=settings.worker_lease_seconds),
            cascade=services.cascade,
            moment=moment,
            jobs=[lambda at: _calendar_lines(calendars.sync_due(at)), fan_out],
            webhooks=WebhookSender(allow_private=settings.webhooks_allow_private),
            feed_link=services.feeds.customer_link,
        )
        if once:
            at = _parse_now(now)
            results = await worker.drain(at)
            for result in results:
                click.echo(result.line())
            for line in await worker.run_jobs(at):
                click.echo(line)
            counts = {o: sum(r.outcome == o for r in results) for o in ("sent", "failed", "dead")}
            dropped = sum(r.outcome == "dropped" for r in results)
            deferred = sum(r.outcome == "deferred" for r in results)
            click.echo(
                f"{counts['sent']} sent, {counts['failed']} failed (will retry), "
                f"{counts['dead']} dead, {dropped} dropped"
                + (f", {deferred} deferred (quiet hours)." if deferred else ".")
            )
            return
        from slotwise.logs import configure_logging

        configure_logging(settings)
        await _run_worker(worker, settings.worker_poll_seconds, heartbeat, _say(settings))


async def _run_worker(
    worker: Any,
    poll: float,
    heartbeat: Path | None = None,
    say: Callable[[str], None] = click.echo,
) -> None:
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    say(f"The worker {worker.name} is sending the outbox; Ctrl+C stops it.")
    await worker.run(stop, poll=poll, heartbeat=heartbeat)
    say("The worker stopped.")


@main.command("outbox")
@click.option("--dead", is_flag=True, required=True, help="List the dead messages.")
@_db_option
@friendly
async def outbox_command(dead: bool, db_url: str | None) -> None:
    """Show the outbox: with --dead, one line per message that failed too often."""
    from core.db import database
    from core.outbox import dead_messages

    async with database(_url(db_url)):
        found = await dead_messages()
    for message in found:
        click.echo(
            f"#{message.id}\t{message.kind}\t{message.dedup_key}\tattempts={message.attempts}\t"
            f"due={message.due.isoformat()}\t{message.last_error}"
        )
    if not found:
        click.echo("No dead messages.", err=True)


# --- channels (Slack engineer: the registry of every channel's check) --------------------

CHANNEL_CHECKS = (
    ("Telegram", "channels.telegram"),
    ("SMS/WhatsApp", "channels.sms"),
    ("Slack", "channels.slack"),
)
"""Each channel's package exposes ``check(settings) -> str``: one line saying whether its
credentials work (a line with ": works") or "not configured"; anything else is a failure."""


@main.group("channels")
def channels_group() -> None:
    """The chat channels (Telegram, SMS/WhatsApp, Slack)."""


@channels_group.command("check")
def channels_check() -> None:
    """Say for each channel whether its credentials work against its API; exit 1 if a
    configured channel fails."""
    import importlib
    import inspect

    settings = _settings()
    failed = False
    for title, module_name in CHANNEL_CHECKS:
        try:
            check = importlib.import_module(module_name).check
        except (ImportError, AttributeError):
            continue  # that channel is not built into this version
        try:
            line = check(settings)
            if inspect.isawaitable(line):
                line = asyncio.run(_awaited(line))
        except Exception as error:  # a check must never hide the others
            line = f"{title}: FAILED: {error!r}"
        line = str(line)
        click.echo(line)
        # Each check says FAILED when a configured channel does not work (off is no failure).
        if "failed" in line.casefold():
            failed = True
    if failed:
        sys.exit(1)


async def _awaited(value: Any) -> Any:
    return await value


# --- Telegram (channels/telegram) ---------------------------------------------------------


@main.command("telegram")
@click.option(
    "--polling", is_flag=True, help="Ask Telegram for updates (no public URL needed; dev only)."
)
@click.option(
    "--set-webhook",
    "set_hook",
    is_flag=True,
    help="Register SLOTWISE_PUBLIC_URL/telegram/webhook (with the secret) with Telegram.",
)
@_db_option
@friendly
async def telegram_command(polling: bool, set_hook: bool, db_url: str | None) -> None:
    """Run the Telegram bot by polling, or point Telegram's webhook at this server."""
    from channels.telegram import misconfigured, set_webhook

    settings = _settings(db_url)
    if polling == set_hook:
        raise click.UsageError("give one of --polling or --set-webhook")
    if set_hook:
        if not settings.public_url:
            raise Failure("SLOTWISE_PUBLIC_URL is not set: Telegram needs the public https address")
        try:
            url = await set_webhook(settings, settings.public_url)
        except ValueError as error:
            raise Failure(str(error)) from None
        click.echo(f"Telegram now sends updates to {url}")
        return
    if settings.telegram_token is None:
        raise Failure(misconfigured(settings) or "SLOTWISE_TELEGRAM_TOKEN is not set")
    await _poll_telegram(settings)


async def _poll_telegram(settings: Settings) -> None:
    from channels.telegram.updates import TelegramBot, make_bot
    from core import directory
    from slotwise.container import Services

    assert settings.telegram_token is not None
    async with Services.open(settings) as services:
        await directory.business_info()  # a clear "no business" before the first update
        tg = TelegramBot(
            make_bot(settings.telegram_token.get_secret_value(), settings.telegram_api_base),
            lambda: services,
        )
        await tg.bot.delete_webhook()  # Telegram refuses getUpdates while a webhook is set
        me = await tg.bot.get_me()
        click.echo(f"Polling Telegram as @{me.username}; Ctrl+C stops.")
        await tg.dispatcher.start_polling(tg.bot, allowed_updates=["message", "callback_query"])


# --- users of the admin panel (docs/admin.md) ---------------------------------------------


@main.group("user")
def user_group() -> None:
    """Users of the admin panel: sysadmins, admins and staff."""


def _enrol_link(token: str, db_url: str | None) -> str:
    return f"{_settings(db_url).base_url}/admin/enrol/{token}"


def _cli_user() -> ChangedBy:
    """Who the audit log says made a change at the command line: the system account."""
    import getpass

    from core.users import ChangedBy

    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no account name for this uid (a bare container)
        name = f"uid {os.getuid()}"
    return ChangedBy(name, "cli")


@user_group.command("create")
@click.argument("email")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["sysadmin", "admin", "staff"]),
    help="sysadmin: users and settings too; admin: rules, bookings, reports; staff: their own.",
)
@click.option("--resource", default=None, metavar="ID", help="The staff member's resource id.")
@click.option(
    "--lang", default="en", type=click.Choice(list(LANGUAGES)), help="The panel's language."
)
@_db_option
@friendly
async def user_create(
    email: str, role: str, resource: str | None, lang: str, db_url: str | None
) -> None:
    """Make a user and print their one-time link (24 hours) to set a password and a
    two-factor code."""
    from core.db import database, migrate
    from core.errors import InvalidRequest
    from core.sealed import use_secret
    from core.users import invite_user
    from slotwise.secret import server_secret

    use_secret(server_secret(_settings(db_url)))
    url = _url(db_url)
    await migrate(url)
    async with database(url):
        try:
            user, token = await invite_user(
                email, role, resource, by=_cli_user(), now=datetime.now(UTC), locale=lang
            )
        except InvalidRequest as error:
            raise Failure(error.message) from None
    click.echo(_enrol_link(token, db_url))
    click.echo(
        f"This is the one-time link of {user.email} ({user.role.value}); it works once, for 24 "
        "hours. Send it to them privately.",
        err=True,
    )


@user_group.command("link")
@click.argument("email")
@_db_option
@friendly
async def user_link(email: str, db_url: str | None) -> None:
    """A new one-time link for EMAIL (lost password or phone): their password, two-factor key,
    recovery codes and sessions stop working now."""
    from core.db import database
    from core.errors import NotFound
    from core.sealed import use_secret
    from core.users import make_new_link
    from slotwise.secret import server_secret

    use_secret(server_secret(_settings(db_url)))
    async with database(_url(db_url)):
        try:
            user, token = await make_new_link(email, by=_cli_user(), now=datetime.now(UTC))
        except NotFound as error:
            raise Failure(error.message) from None
    click.echo(_enrol_link(token, db_url))
    click.echo(f"The new link of {user.email}; the old sign-in no longer works.", err=True)


@user_group.command("list")
@_db_option
@friendly
async def user_list(db_url: str | None) -> None:
    """List the users: e-mail, role, resource, and whether they finished their link."""
    from core.db import database
    from core.users import list_users

    async with database(_url(db_url)):
        users = await list_users()
    if not users:
        click.echo("No users; make the first with 'slotwise user create EMAIL --role sysadmin'.")
    for user in users:
        state = "disabled" if not user.active else "ready" if user.enrolled else "link not used"
        factor = "two-factor" if user.two_factor else "password only"
        where = f"\t{user.resource}" if user.resource else ""
        click.echo(f"{user.email}\t{user.role.value}{where}\t{state}\t{factor}")


@user_group.command("disable")
@click.argument("email")
@_db_option
@friendly
async def user_disable(email: str, db_url: str | None) -> None:
    """EMAIL can no longer sign in; their sessions end now."""
    from core.db import database
    from core.errors import NotFound
    from core.users import disable_user

    async with database(_url(db_url)):
        try:
            user = await disable_user(email, by=_cli_user(), now=datetime.now(UTC))
        except NotFound as error:
            raise Failure(error.message) from None
    click.echo(f"{user.email} can no longer sign in.")


@user_group.command("enable")
@click.argument("email")
@_db_option
@friendly
async def user_enable(email: str, db_url: str | None) -> None:
    """EMAIL may sign in again (one who never used their link needs 'slotwise user link')."""
    from core.db import database
    from core.errors import NotFound
    from core.users import enable_user

    async with database(_url(db_url)):
        try:
            user = await enable_user(email, by=_cli_user(), now=datetime.now(UTC))
        except NotFound as error:
            raise Failure(error.message) from None
    click.echo(f"{user.email} may sign in again.")


# --- operating it: backups (docs/deploy.md) --------------------------------------------------


@main.command("backup")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@_db_option
def backup_command(path: Path | None, db_url: str | None) -> None:
    """Write a consistent copy of the whole database to PATH (a new file, or an existing
    folder; default ./data/backups/) while the server may keep running; print where."""
    from slotwise.backup import BackupError, backup

    try:
        written = backup(_url(db_url), path)
    except BackupError as error:
        raise Failure(str(error)) from None
    click.echo(f"Backed up to {written}")


@main.command("restore")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--force", is_flag=True, help="Replace a database that is not empty (everything in it goes)."
)
@_db_option
@friendly
async def restore_command(path: Path, force: bool, db_url: str | None) -> None:
    """Load the backup at PATH into the database, which must be empty unless --force;
    stop the server and the worker first. Migrations the backup lacks are applied."""
    from slotwise.backup import BackupError, restore

    url = _url(db_url)
    try:
        applied = await restore(url, path, force=force)
    except BackupError as error:
        raise Failure(str(error)) from None
    click.echo(f"Restored {path} into {_shown(url)}.")
    if applied:
        click.echo(f"Brought up to this release: {', '.join(applied)}.")


def _shown(url: str) -> str:
    """A database URL without its password, for messages."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
