"""The public REST API under ``/api/v1``: for web widgets, partners and tests.

Thin by design: it checks the shape of a request, calls ``core`` (the same
availability and booking services the CLI and the bot use) and translates
the answer. Every error leaves as ``application/problem+json`` with a stable
``code``; a request can never produce a traceback.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
)
from quart import Blueprint, Response, g, request
from quart_schema import (
    RequestSchemaValidationError,
    document_headers,
    validate_querystring,
    validate_request,
)
from werkzeug.exceptions import HTTPException

from channels.clients import Client, Limits, client_address
from channels.problems import database_unavailable, masked_path, problem
from channels.services import services
from channels.wire import slot_json, utc_z
from core.apikeys import authenticate
from core.bookings import Actor, BookingInfo, BookingService, CustomerInput
from core.customers import business_region, e164, preferences
from core.db import unavailable
from core.directory import catalogue
from core.errors import (
    ConcurrentChange,
    EngineError,
    HoldError,
    HoldExpired,
    IdempotencyKeyReused,
    InvalidPreference,
    InvalidRequest,
    NoBusiness,
    NotASlot,
    NotFound,
    OfferGone,
    PolicyViolation,
    SlotUnavailable,
    SlotwiseError,
    StoreError,
    Unavailable,
    UnknownProvider,
    UnknownService,
)
from core.holds import Hold
from core.text import describe, first_control

log = logging.getLogger(__name__)

api = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_SLOT_DAYS = 62


# --- request shapes -----------------------------------------------------------------------


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _plain(value: str) -> str:
    """No control characters or lone surrogates: PostgreSQL refuses a NUL outright."""
    bad = first_control(value)
    if bad is not None:
        raise ValueError(f"contains the control character {describe(bad)}; send plain text")
    return value


def _free_text(value: str) -> str:
    """Like :func:`_plain`, but tab and newlines are fine (a reason may have lines)."""
    bad = first_control(value, lines=True)
    if bad is not None:
        raise ValueError(f"contains the control character {describe(bad)}; send plain text")
    return value


def _instant(value: object) -> datetime:
    """ISO 8601 text with an offset: a number (an epoch?) says nothing about the zone."""
    if not isinstance(value, str):
        raise ValueError("give an ISO 8601 date and time as text, e.g. 2026-12-01T09:30:00Z")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("not an ISO 8601 date and time; write e.g. 2026-12-01T09:30:00Z") from None
    if moment.tzinfo is None:
        raise ValueError("give a time with a UTC offset, e.g. 2026-12-01T09:30:00Z")
    if not 1 < moment.year < 9999:
        raise ValueError("give a year between 2 and 9998")
    return moment


def _day(value: object) -> date:
    """An ISO 8601 date (``2026-12-01``), nothing else."""
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise ValueError("give a date as YYYY-MM-DD, e.g. 2026-12-01")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError("no such date; write it as YYYY-MM-DD, e.g. 2026-12-01") from None
    if not 1 < day.year < 9999:
        raise ValueError("give a year between 2 and 9998")
    return day


def _email(value: str) -> str:
    """A well-formed address (syntax only: no DNS look-up), in its normal spelling."""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(f"not an e-mail address: {error}") from None


def _phone(value: str) -> str:
    """Plain text a phone number may be written in; checked against the business's
    region in :func:`customer_input` (``+`` numbers right here)."""
    if not PHONE_CHARS.fullmatch(value):
        raise ValueError("a phone number has digits, spaces, '+', '-', '.', '(' and ')' only")
    if value.strip().startswith("+"):
        e164(value, None)
    return value


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
PHONE_CHARS = re.compile(r"[0-9+\-. ()]{3,40}")
Text = Annotated[StrictStr, AfterValidator(_plain)]
Name = Annotated[Text, Field(min_length=1, max_length=200)]
Id = Annotated[Text, Field(min_length=1, max_length=100)]
Instant = Annotated[AwareDatetime, BeforeValidator(_instant)]
Day = Annotated[date, BeforeValidator(_day)]


class SlotsQuery(Strict):
    service: Id
    from_: Day = Field(alias="from")
    to: Day
    provider: Id | None = None


class HoldRequest(Strict):
    service: Id
    start: Instant
    provider: Id | None = None
    seats: Annotated[StrictInt, Field(ge=1, le=1000)] | None = None


class CustomerBody(Strict):
    name: Name
    phone: Annotated[StrictStr, Field(max_length=40), AfterValidator(_phone)] | None = None
    email: Annotated[Text, Field(max_length=254), AfterValidator(_email)] | None = None
    timezone: Annotated[Text, Field(max_length=64)] | None = None
    """The customer's IANA zone (times and quiet hours); else the channel's, else the business's."""
    locale: Annotated[Text, Field(max_length=16)] | None = None
    """The language of their messages (en, es, de, fr, ru; a region may follow)."""


class BookingRequest(Strict):
    service: Id
    start: Instant
    provider: Id | None = None
    seats: Annotated[StrictInt, Field(ge=1, le=1000)] | None = None
    customer: CustomerBody
    hold: Annotated[Text, Field(min_length=1, max_length=200)] | None = None
    customer_confirmed: StrictBool = False
    """The customer confirmed they will come: what a service's no-show policy ``confirm``
    asks for once they have missed enough appointments."""


class CancelRequest(Strict):
    reason: Annotated[StrictStr, Field(max_length=500), AfterValidator(_free_text)] = ""


class RescheduleRequest(Strict):
    start: Instant


class WaitlistRequest(Strict):
    service: Id
    provider: Id | None = None
    customer: CustomerBody
    window_start: Instant
    window_end: Instant


class IdempotencyHeaders(BaseModel):
    idempotency_key: Annotated[StrictStr, Field(min_length=1, max_length=200)] | None = None


# --- helpers ------------------------------------------------------------------------------


def booking_json(booking: BookingInfo) -> dict[str, Any]:
    return {
        "id": booking.id,
        "manage_token": booking.manage_token,
        "service": booking.service_id,
        "start": utc_z(booking.start),
        "end": utc_z(booking.end),
        "status": booking.status,
        "resources": list(booking.resources),
        "seats": booking.seats,
        "customer": {"name": booking.customer_name},
        "source_channel": booking.source_channel,
        "reschedule_count": booking.reschedule_count,
    }


def hold_json(hold: Hold) -> dict[str, Any]:
    return {
        "token": hold.token,
        "expires_at": utc_z(hold.expires_at),
        "service": hold.service_id,
        "start": utc_z(hold.start),
        "resources": list(hold.resources),
        "seats": hold.seats,
    }


def bookings() -> BookingService:
    return services().bookings


def limits() -> Limits:
    return services().limits


async def identify() -> Client | Response:
    """The client of this request (see :mod:`channels.clients`); a key that does not
    verify is refused rather than taken for anonymous, so a typo shows at once."""
    authorization = request.headers.get("Authorization")
    if authorization is not None:
        scheme, _, presented = authorization.partition(" ")
        found = await authenticate(presented.strip()) if scheme.lower() == "bearer" else None
        if found is None:
            return problem(
                401,
                "invalid_api_key",
                "the API key is unknown or revoked; send 'Authorization: Bearer <key>' with a "
                "key from 'slotwise apikey create', or no Authorization header",
                field="Authorization",
                headers={"WWW-Authenticate": 'Bearer realm="slotwise"'},
            )
        return Client("key", f"key:{found.id}", found.name, staff=found.staff)
    address = client_address(
        request.remote_addr,
        request.headers.getlist("X-Forwarded-For"),
        limits().trusted_proxies,
    )
    return Client("address", f"addr:{address}", address)


@api.before_request
async def who_is_asking() -> Response | None:
    found = await identify()
    if isinstance(found, Response):
        return found
    g.client = found
    return None


def client() -> Client:
    found: Client = g.client
    return found


def client_id() -> str:
    return client().id


def too_many(what: str, wait: int) -> Response:
    return problem(
        429,
        "rate_limited",
        f"too many {what}; try again in {wait} seconds",
        headers={"Retry-After": str(wait)},
    )


async def fingerprint() -> str:
    """What a request asks for, as a hash: the same Idempotency-Key is answered again
    only for the same method, path and (canonical) JSON body."""
    body = await request.get_json(silent=True)
    canonical = json.dumps(
        [request.method, request.path, body], sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def customer_input(body: CustomerBody) -> CustomerInput:
    """The customer as the core takes it: the phone in E.164 (``+4930123456``), read in the
    business's region when it has no ``+``."""
    if not body.phone and not body.email:
        raise InvalidRequest("give a phone number or an e-mail address", field="customer.phone")
    phone = None
    if body.phone:
        region = None if body.phone.strip().startswith("+") else await business_region()
        try:
            phone = e164(body.phone, region)
        except ValueError as error:
            raise InvalidRequest(f"customer.phone: {error}", field="customer.phone") from None
    timezone, locale = preferences(body.timezone, body.locale)  # 422 naming the field
    return CustomerInput(
        name=body.name.strip(), phone=phone, email=body.email, locale=locale, timezone=timezone
    )


def _token(token: str, field: str) -> str:
    """A token from the address: plain text (a NUL would reach the database)."""
    if first_control(token) is not None:
        raise InvalidRequest(f"{field} contains a control character", field=field)
    return token


def _hold_mismatch(hold: Hold, data: BookingRequest) -> Response | None:
    """A booking confirms exactly what its hold holds: a body that asks for something else
    (another service, start, provider or number of seats) is refused, not quietly changed."""
    differences = [
        ("service", data.service != hold.service_id),
        ("start", data.start != hold.start),
        ("provider", data.provider is not None and data.provider not in hold.resources),
        ("seats", data.seats is not None and data.seats != hold.seats),
    ]
    for field, differs in differences:
        if differs:
            return problem(
                422,
                "hold_mismatch",
                f"{field} differs from the hold's; send the hold's {field}, or book without "
                "the hold",
                field=field,
            )
    return None


# --- read ---------------------------------------------------------------------------------


@api.get("/services")
async def list_services() -> dict[str, Any]:
    offered = await catalogue()
    return {
        "services": [
            {
                "id": s.id,
                "name": s.name,
                "duration_min": s.duration_min,
                "buffer_before_min": s.buffer_before_min,
                "buffer_after_min": s.buffer_after_min,
                "slot_step_min": s.step_min,
                "min_notice_min": s.min_notice_min,
                "max_advance_days": s.max_advance_days,
                "seats": s.seats,
                "requires": [list(pool) for pool in s.requires],
            }
            for s in offered.services
        ]
    }


@api.get("/providers")
async def list_providers() -> dict[str, Any]:
    offered = await catalogue()
    return {
        "providers": [
            {
                "id": r.id,
                "name": r.name,
                "kind": r.kind,
                "capacity": r.capacity,
                "timezone": r.timezone or offered.timezone,
            }
            for r in offered.resources
        ]
    }


@api.get("/slots")
@validate_querystring(SlotsQuery)
async def list_slots(query_args: SlotsQuery) -> dict[str, Any] | Response:
    if query_args.to < query_args.from_:
        return problem(400, "invalid_request", "'to' is before 'from'", field="to")
    if (query_args.to - query_args.from_).days >= MAX_SLOT_DAYS:
        return problem(
            400, "invalid_request", f"ask for at most {MAX_SLOT_DAYS} days at once", field="to"
        )
    try:
        slots = await bookings().offer(
            query_args.service, query_args.from_, query_args.to, query_args.provider
        )
    except InvalidRequest as error:  # named as the caller wrote it, not as the core calls it
        field = {"first": "from", "last": "to"}.get(error.field or "", error.field)
        message = error.message.replace(error.field or "", field or "")
        raise InvalidRequest(message, field=field) from None
    return {"slots": [slot_json(slot) for slot in slots]}


# --- holds --------------------------------------------------------------------------------


@api.post("/holds")
@validate_request(HoldRequest)
async def create_hold(data: HoldRequest) -> tuple[dict[str, Any], int] | Response:
    wait = limits().hold_rate.check(client_id())
    if wait is not None:
        return too_many("holds from this client", wait)
    now = datetime.now(UTC)
    cap = limits().live_hold_cap(client())
    if limits().live_holds.full(client_id(), cap, now):
        return problem(
            429,
            "too_many_holds",
            f"this client already holds {cap} slots; book or release one first",
            headers={"Retry-After": "60"},
        )
    hold = await bookings().hold(
        data.service, data.start, owner=client_id(), provider=data.provider, seats=data.seats
    )
    limits().live_holds.taken(client_id(), hold.token, hold.expires_at)
    return hold_json(hold), 201


@api.delete("/holds/<token>")
async def delete_hold(token: str) -> tuple[str, int]:
    await bookings().release(_token(token, "token"), owner=client_id())
    limits().live_holds.released(client_id(), token)
    return "", 204


# --- bookings -----------------------------------------------------------------------------


@api.post("/bookings")
@validate_request(BookingRequest)
@document_headers(IdempotencyHeaders)
async def create_booking(data: BookingRequest) -> tuple[dict[str, Any], int] | Response:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 0 < len(key) <= 200:
        raise InvalidRequest("Idempotency-Key must be 1 to 200 characters", field="Idempotency-Key")
    scoped_key = f"{client_id()}:{key}" if key else None
    request_hash = await fingerprint() if key else None
    customer = await customer_input(data.customer)
    contact = f"contact:{(customer.email or customer.phone or '').casefold()}"
    for limiter, subject, what in (
        (limits().booking_rate, client_id(), "bookings from this client"),
        (limits().contact_rate, contact, "bookings for this contact"),
    ):
        wait = limiter.check(subject)
        if wait is not None:
            return too_many(what, wait)
    # The service's no-show policy (a 409 no_show_limit names the fix). A replayed
    # request is answered below whatever happened since: the booking exists.
    await bookings().check_no_shows(
        data.service, customer, channel="api", confirmed=data.customer_confirmed
    )
    if data.hold:
        mismatch = _hold_mismatch(await bookings().held(data.hold, owner=client_id()), data)
        if mismatch is not None:
            return mismatch
        booking = await bookings().confirm(
            data.hold,
            customer,
            owner=client_id(),
            idempotency_key=scoped_key,
            request_fingerprint=request_hash,
        )
        limits().live_holds.released(client_id(), data.hold)
    else:
        booking = await bookings().book(
            data.service,
            data.start,
            customer,
            provider=data.provider,
            seats=data.seats,
            idempotency_key=scoped_key,
            request_fingerprint=request_hash,
        )
    return booking_json(booking), 201


@api.get("/bookings/<manage_token>")
async def get_booking(manage_token: str) -> dict[str, Any]:
    return booking_json(await bookings().get(_token(manage_token, "manage_token")))


@api.post("/bookings/<manage_token>/cancel")
@validate_request(CancelRequest)
async def cancel_booking(manage_token: str, data: CancelRequest) -> dict[str, Any]:
    actor = Actor(kind="customer", name=client_id(), channel="api")
    token = _token(manage_token, "manage_token")
    return booking_json(await bookings().cancel(token, actor=actor, reason=data.reason))


@api.post("/bookings/<manage_token>/reschedule")
@validate_request(RescheduleRequest)
async def reschedule_booking(manage_token: str, data: RescheduleRequest) -> dict[str, Any]:
    actor = Actor(kind="customer", name=client_id(), channel="api")
    token = _token(manage_token, "manage_token")
    return booking_json(await bookings().reschedule(token, data.start, actor=actor))


@api.post("/bookings/<manage_token>/no-show")
async def mark_no_show(manage_token: str) -> dict[str, Any] | Response:
    """Staff say the customer did not come (only after the start). Needs a staff key."""
    if not client().staff:
        return problem(
            403,
            "staff_only",
            "marking a no-show needs an API key with the staff role "
            "('slotwise apikey create NAME --role staff')",
            field="Authorization",
        )
    actor = Actor(kind="staff", name=client().name, channel="api")
    token = _token(manage_token, "manage_token")
    return booking_json(await bookings().mark_no_show(token, actor=actor))


@api.post("/waitlist")
@validate_request(WaitlistRequest)
async def join_waitlist(data: WaitlistRequest) -> tuple[dict[str, Any], int] | Response:
    if data.window_end <= data.window_start:
        return problem(
            400, "invalid_request", "window_end must be after window_start", field="window_end"
        )
    entry = await bookings().join_waitlist(
        data.service,
        data.window_start,
        data.window_end,
        await customer_input(data.customer),
        provider=data.provider,
    )
    return {"id": entry.id, "token": entry.token, "service": data.service, "status": "waiting"}, 201


# --- errors -------------------------------------------------------------------------------


@api.errorhandler(RequestSchemaValidationError)
async def invalid_shape(error: RequestSchemaValidationError) -> Response:
    issues = getattr(error.validation_error, "errors", None)
    if callable(issues):
        first = issues()[0]
        field = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        message = first.get("msg", "invalid value")
        if first.get("type") == "extra_forbidden":
            message = "unknown field"
        elif first.get("type") == "timezone_aware":
            message = "give a time with a UTC offset, e.g. 2026-12-01T09:30:00Z"
        elif first.get("type") == "value_error" and "error" in first.get("ctx", {}):
            message = str(first["ctx"]["error"])  # our own words, without "Value error, "
        return problem(400, "invalid_request", f"{field or 'body'}: {message}", field=field or None)
    return problem(
        400, "invalid_request", "the request body is not valid JSON of the expected shape"
    )


PROBLEMS: dict[type[SlotwiseError], tuple[int, str | None]] = {
    NotASlot: (422, None),
    SlotUnavailable: (409, None),
    HoldExpired: (410, None),
    HoldError: (403, None),
    NotFound: (404, None),
    UnknownService: (404, None),
    UnknownProvider: (400, None),
    PolicyViolation: (409, None),
    OfferGone: (410, None),
    ConcurrentChange: (409, None),
    IdempotencyKeyReused: (422, None),
    InvalidPreference: (422, None),
    InvalidRequest: (400, None),
    NoBusiness: (503, None),
    Unavailable: (503, None),
    SlotwiseError: (400, None),
}
"""Each error of the core (:mod:`core.errors`) as an HTTP status and, when it differs from
the error's own ``code``, a problem code. The nearest class in the error's MRO wins."""


def problem_of(error: SlotwiseError) -> tuple[int, str]:
    for cls in type(error).__mro__:
        if cls in PROBLEMS:
            status, code = PROBLEMS[cls]
            return status, code or error.code
    return 500, "internal_error"  # pragma: no cover - SlotwiseError is in the table


@api.errorhandler(SlotwiseError)
async def core_error(error: SlotwiseError) -> Response:
    """Every error of the core, through :data:`PROBLEMS`; a refused slot also carries the
    alternatives (and, when the rules forbid it, the engine's reasons)."""
    status, code = problem_of(error)
    detail, field, extra = error.message, error.field, dict[str, Any]()
    if isinstance(error, EngineError) and field:
        detail = detail.removeprefix(f"{field}: ")  # the field is named beside it
    if isinstance(error, HoldError):
        field = "hold"
    if isinstance(error, SlotUnavailable):
        extra["alternatives"] = [slot_json(s) for s in error.alternatives]
    if isinstance(error, NotASlot):
        extra["reasons"] = [reason.code for reason in error.explanation.reasons]
    if isinstance(error, StoreError | Unavailable):
        field = None
    return problem(status, code, detail, field=field, **extra)


@api.errorhandler(HTTPException)
async def http_error(error: HTTPException) -> Response:
    status = error.code or 500
    codes = {
        400: "invalid_request",
        404: "not_found",
        405: "method_not_allowed",
        413: "request_too_large",
        415: "unsupported_media_type",
    }
    detail = error.description or "request failed"
    if status == 400:
        detail = "the request body is not valid JSON; send a JSON object"
    return problem(status, codes.get(status, "http_error"), detail)


@api.errorhandler(UnicodeDecodeError)
async def not_utf8(error: UnicodeDecodeError) -> Response:
    return problem(400, "invalid_request", "the request body is not UTF-8 text; send JSON in UTF-8")


@api.errorhandler(Exception)
async def unexpected(error: Exception) -> Response:
    if unavailable(error):
        return database_unavailable(error, "api")
    log.exception("unexpected error in %s %s", request.method, masked_path(request.path))
    return problem(500, "internal_error", "something went wrong on our side; it has been logged")
