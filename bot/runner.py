"""The runner: loads a conversation, runs dialog steps, carries out their effects with ``core``.

Every channel calls :meth:`Chat.handle` with an :class:`~bot.inbound.Inbound`
and renders the replies it gets back. The dialog step is pure; here is where
the world is touched: the business's vocabulary, slots, holds, bookings, the
customer's record and the conversation store. Whatever fails here becomes a
friendly reply, never an exception in a channel.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.conversations import ConversationStore
from bot.dialog.effects import (
    CancelBooking,
    Cancelled,
    ChangeRefused,
    Confirmed,
    ConfirmHold,
    ConfirmRefused,
    Effect,
    Event,
    FindSlots,
    Found,
    HandedOver,
    HandOver,
    HoldRefused,
    HoldTaken,
    JoinWaitlist,
    ListBookings,
    Listed,
    MoveBooking,
    Moved,
    ReleaseHold,
    TakeHold,
    Trouble,
    Waitlisted,
    Why,
)
from bot.dialog.state import BookingRef, HeldSlot, Offer, State
from bot.dialog.step import MAX_SLOTS, Context, new_state, step
from bot.i18n import gettext_in, pick_language
from bot.ics import booking_ics
from bot.inbound import MAX_TEXT, Inbound
from bot.replies import Attachment, Reply
from bot.understand import catalog_of
from core.availability import snapshot_for_dates
from core.bookings import Actor, BookingInfo, BookingService, CustomerInput, Identity
from core.bookings.customers import ask_for_person, known_customer, upcoming_bookings
from core.engine.errors import UnknownProvider, UnknownService
from core.engine.explain import explain
from core.engine.snapshot import Slot
from core.errors import (
    HoldError,
    PolicyViolation,
    SlotUnavailable,
)
from core.holds.quota import HoldQuota
from core.store import NoBusiness, load_directory

__all__ = ["Chat"]

log = logging.getLogger(__name__)

HORIZON = timedelta(days=14)
"""How far ahead an open-ended wish ("first available") looks."""
MAX_ROUNDS = 12
"""Steps per message (message plus effect results): a guard against a dialog loop."""
DIRECTORY_SECONDS = 30.0
"""How long the business's names are reused before being read again."""
EXPLAIN_SAMPLES = 48
PREFERRED_REASONS = ("busy", "full", "blocked", "too_soon", "too_far", "closed")


class Chat:
    """The bot as channels see it: one message in, replies out (see the module docstring)."""

    def __init__(
        self,
        bookings: BookingService,
        conversations: ConversationStore,
        *,
        public_url: str,
        clock: Callable[[], datetime] | None = None,
        live_holds_per_address: int = 5,
    ) -> None:
        self._bookings = bookings
        self._live = HoldQuota()
        self._holds_per_address = live_holds_per_address
        self._conversations = conversations
        self._public_url = public_url.rstrip("/")
        self._clock = clock or (lambda: datetime.now(UTC))
        self._context: tuple[float, Context] | None = None

    # --- the turn ---------------------------------------------------------------------------

    async def handle(self, inbound: Inbound) -> list[Reply]:
        """The bot's answer to one message; messages of one user are answered in order."""
        try:
            async with self._conversations.turn(inbound.channel, inbound.user):
                return await self._handle(inbound)
        except Exception:  # the conversation store is down (the rest is caught inside)
            log.exception("no turn for %s", _who(inbound))
            return [self._sorry(inbound)]

    async def _handle(self, inbound: Inbound) -> list[Reply]:
        if inbound.text is not None and len(inbound.text) > MAX_TEXT:
            inbound = replace(inbound, text=inbound.text[:MAX_TEXT])
        try:
            ctx = await self._load_context()
        except NoBusiness:
            _ = gettext_in(pick_language(inbound.locale))
            return [Reply(_("This business is not open for bookings yet."))]
        except Exception:
            log.exception("cannot read the business")
            return [self._sorry(inbound)]
        try:
            state = await self._conversations.get(inbound.channel, inbound.user)
            if state is None:
                state = await self._fresh(inbound, ctx)
        except Exception:
            log.exception("cannot load the conversation")
            state = new_state(ctx, inbound.locale, _zone(inbound.timezone))
        if (zone := _zone(inbound.timezone)) and zone != state.zone:
            state = state.model_copy(update={"zone": zone})  # they travelled, or said so now
        replies, state = await self._turn(state, inbound, ctx)
        try:
            await self._conversations.put(
                inbound.channel, inbound.user, state.model_copy(update={"updated_at": ctx.now})
            )
        except Exception:
            log.exception("cannot store the conversation")
        return replies

    async def _turn(
        self, state: State, inbound: Inbound, ctx: Context
    ) -> tuple[list[Reply], State]:
        replies: list[Reply] = []
        events: list[Inbound | Event] = [inbound]
        for _ in range(MAX_ROUNDS):
            if not events:
                break
            event = events.pop(0)
            try:
                outcome = step(state, event, ctx)
            except Exception:
                log.exception("the dialog failed on %s", type(event).__name__)
                fresh = new_state(ctx, state.lang, state.zone)
                return [*replies, self._sorry(inbound, state.lang)], fresh
            state = outcome.state
            replies.extend(outcome.replies)
            for effect in outcome.effects:
                result = await self._run(effect, inbound, state, ctx)
                if result is not None:
                    events.append(result)
        return replies, state

    def _sorry(self, inbound: Inbound, lang: str | None = None) -> Reply:
        _ = gettext_in(lang or pick_language(inbound.locale))
        return Reply(_("Sorry, something went wrong on our side. Please try again in a moment."))

    async def _fresh(self, inbound: Inbound, ctx: Context) -> State:
        """A new conversation: a customer we know gets their name and contact remembered."""
        customer = await known_customer(inbound.channel, inbound.user)
        zone = _zone(inbound.timezone) or (_zone(customer.timezone) if customer else None)
        state = new_state(ctx, inbound.locale or (customer.locale if customer else None), zone)
        if customer is None:
            return state
        return state.model_copy(
            update={"name": customer.name or None, "phone": customer.phone, "email": customer.email}
        )

    async def _load_context(self) -> Context:
        """The business's vocabulary as the dialog needs it, read again every
        ``DIRECTORY_SECONDS`` (an import shows within that), with this moment's time."""
        cached = self._context
        if cached is None or time.monotonic() - cached[0] >= DIRECTORY_SECONDS:
            directory = await load_directory()
            info = directory.info
            context = Context(
                now=self._now(),
                business=info.name,
                home_zone=info.timezone,
                home_lang=info.locale,
                catalog=catalog_of(directory),
                services={e.id: e.name for e in directory.services},
                providers={e.id: e.name for e in directory.providers},
            )
            cached = self._context = (time.monotonic(), context)
        return replace(cached[1], now=self._now())

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC)

    # --- effects ----------------------------------------------------------------------------

    async def _run(
        self, effect: Effect, inbound: Inbound, state: State, ctx: Context
    ) -> Event | None:
        try:
            return await self._execute(effect, inbound, state, ctx)
        except Exception:
            log.exception("could not carry out %s", type(effect).__name__)
            return Trouble(effect)

    async def _execute(
        self, effect: Effect, inbound: Inbound, state: State, ctx: Context
    ) -> Event | None:
        owner = f"{inbound.channel}:{inbound.user}"
        match effect:
            case FindSlots():
                return await self._find(effect, owner, ctx)
            case TakeHold():
                return await self._hold(effect, owner, inbound.origin)
            case ReleaseHold(token=token):
                with contextlib.suppress(HoldError):  # expired or gone: nothing to give back
                    await self._bookings.release(token, owner=owner)
                return None
            case ConfirmHold():
                return await self._confirm(effect, inbound, ctx)
            case ListBookings(purpose=purpose):
                found = await upcoming_bookings(inbound.channel, inbound.user, self._now())
                return Listed(purpose, tuple(_ref(b) for b in found))
            case CancelBooking(booking=booking):
                try:
                    done = await self._bookings.cancel(
                        booking.token, actor=self._actor(state, inbound)
                    )
                except PolicyViolation:
                    return ChangeRefused(booking, too_late=True)
                return Cancelled(_ref(done))
            case MoveBooking():
                return await self._move(effect, inbound, state, ctx)
            case JoinWaitlist():
                await self._bookings.join_waitlist(
                    effect.service,
                    effect.start,
                    effect.end,
                    CustomerInput(effect.name, effect.phone, effect.email, state.lang, state.zone),
                    provider=effect.provider,
                    channel=inbound.channel,
                )
                return Waitlisted(effect.service, effect.start, effect.end)
            case HandOver():
                customer = (
                    CustomerInput(effect.name, effect.phone, effect.email) if effect.name else None
                )
                await ask_for_person(
                    inbound.channel, inbound.user, customer, effect.message, self._now()
                )
                return HandedOver()
        return None  # pragma: no cover - every effect is handled above

    def _actor(self, state: State, inbound: Inbound) -> Actor:
        return Actor("customer", state.name or inbound.user, inbound.channel)

    async def _hold(self, effect: TakeHold, owner: str, origin: str | None) -> Event:
        """Hold the offer; a conversation holds one slot at most, and one address no more
        than ``live_holds_per_address`` across all the conversations it opens."""
        offer, now = effect.offer, self._now()
        address = f"addr:{origin}" if origin else None
        for token in self._live.tokens(owner, now):
            with contextlib.suppress(HoldError):
                await self._bookings.release(token, owner=owner)
            for client in (owner, address):
                if client is not None:
                    self._live.released(client, token)
        if address is not None and self._live.full(address, self._holds_per_address, now):
            log.info("hold refused: %d live holds from one address", self._holds_per_address)
            return HoldRefused(())
        try:
            hold = await self._bookings.hold(
                effect.service, offer.start, owner=owner, provider=effect.provider
            )
        except SlotUnavailable as exc:
            return HoldRefused(_offers(exc.alternatives))
        except (UnknownService, UnknownProvider):
            return HoldRefused(())
        for client in (owner, address):
            if client is not None:
                self._live.taken(client, hold.token, hold.expires_at)
        held = HeldSlot(
            token=hold.token,
            service=effect.service,
            start=offer.start,
            end=offer.end,
            resources=hold.resources,
            expires_at=hold.expires_at,
        )
        return HoldTaken(held, effect.then_confirm)

    async def _confirm(self, effect: ConfirmHold, inbound: Inbound, ctx: Context) -> Event:
        customer = CustomerInput(effect.name, effect.phone, effect.email, effect.lang, effect.zone)
        try:
            info = await self._bookings.confirm(
                effect.hold.token,
                customer,
                owner=f"{inbound.channel}:{inbound.user}",
                idempotency_key=f"chat:{effect.hold.token}"[:128],
                channel=inbound.channel,
                identity=Identity(inbound.channel, inbound.user),  # tied in the same commit
            )
            for client in (f"{inbound.channel}:{inbound.user}", f"addr:{inbound.origin}"):
                self._live.released(client, effect.hold.token)
        except HoldError:
            return ConfirmRefused(expired=True)
        except SlotUnavailable as exc:
            return ConfirmRefused(expired=False, alternatives=_offers(exc.alternatives))
        booking = _ref(info)
        return Confirmed(booking, self.manage_url(info.manage_token), self._ics(booking, ctx))

    async def _move(
        self, effect: MoveBooking, inbound: Inbound, state: State, ctx: Context
    ) -> Event:
        try:
            info = await self._bookings.reschedule(
                effect.booking.token,
                effect.offer.start,
                actor=self._actor(state, inbound),
                provider=effect.provider,
            )
        except PolicyViolation:
            return ChangeRefused(effect.booking, too_late=True)
        except SlotUnavailable as exc:
            return ChangeRefused(
                effect.booking, too_late=False, alternatives=_offers(exc.alternatives)
            )
        booking = _ref(info)
        return Moved(
            effect.booking, booking, self.manage_url(info.manage_token), self._ics(booking, ctx)
        )

    def manage_url(self, token: str) -> str:
        return f"{self._public_url}/b/{token}"

    def _ics(self, booking: BookingRef, ctx: Context) -> Attachment:
        data = booking_ics(
            token=booking.token,
            service=ctx.services.get(booking.service, booking.service),
            business=ctx.business,
            start=booking.start,
            end=booking.end,
            url=self.manage_url(booking.token),
            stamp=self._now(),
        )
        return Attachment(
            "booking.ics", "text/calendar", data, url=f"{self.manage_url(booking.token)}.ics"
        )

    # --- finding slots ----------------------------------------------------------------------

    async def _find(self, request: FindSlots, owner: str, ctx: Context) -> Found:
        now = self._now()
        start = max(request.start, now)
        end = request.end if request.end is not None else start + HORIZON
        if end <= start:
            return Found(request, (), Why("too_soon", 0))
        provider, provider_unknown = request.provider, False
        try:
            slots = await self._offer(request.service, start, end, provider, owner, ctx)
        except UnknownProvider:
            provider, provider_unknown = None, True
            slots = await self._offer(request.service, start, end, None, owner, ctx)
        except UnknownService:
            return Found(request, (), Why("service_inactive"))
        inside = [s for s in slots if start <= s.start < end]
        if request.at is not None:
            at = request.at
            chosen = sorted(inside, key=lambda s: (abs(s.start - at), s.start))[:MAX_SLOTS]
        elif request.latest:
            chosen = inside[-MAX_SLOTS:]
        else:
            chosen = inside[:MAX_SLOTS]
        why: Why | None = None
        if request.at is not None and not any(s.start == request.at for s in inside):
            why = await self._why(request.service, [request.at], provider, now)
        if chosen:
            return Found(request, tuple(_offer(s) for s in chosen), why, (), provider_unknown)
        if why is None:
            why = await self._why(
                request.service, _samples(start, end, ctx.home_zone), provider, now
            )
        nearby = await self._nearby(request.service, start, end, provider, owner, ctx, now)
        return Found(request, (), why, nearby, provider_unknown)

    async def _offer(
        self,
        service: str,
        start: datetime,
        end: datetime,
        provider: str | None,
        owner: str,
        ctx: Context,
    ) -> list[Slot]:
        zone = ZoneInfo(ctx.home_zone)
        first: date = start.astimezone(zone).date()
        last: date = (end - timedelta(microseconds=1)).astimezone(zone).date()
        return await self._bookings.offer(service, first, last, provider, owner=owner)

    async def _nearby(
        self,
        service: str,
        start: datetime,
        end: datetime,
        provider: str | None,
        owner: str,
        ctx: Context,
        now: datetime,
    ) -> tuple[Offer, ...]:
        """A few slots after the wish, and one or two before it, when nothing fits inside."""
        after = await self._offer(service, end, end + HORIZON, provider, owner, ctx)
        found = [s for s in after if s.start >= end][:3]
        if start > now:
            lo = max(now, start - timedelta(days=7))
            before = await self._offer(service, lo, start, provider, owner, ctx)
            found = [s for s in before if lo <= s.start < start][-2:] + found
        return tuple(_offer(s) for s in found)

    async def _why(
        self, service: str, starts: Sequence[datetime], provider: str | None, now: datetime
    ) -> Why:
        """The engine's reason the wished start (or the wished window) is not bookable.

        For a window, starts across it are explained and the most telling reason
        wins ("taken" says more than "closed" when both happen in the afternoon).
        """
        first, last = min(starts).astimezone(UTC).date(), max(starts).astimezone(UTC).date()
        snapshot = await snapshot_for_dates(first, last, service)
        found: dict[str, Why] = {}
        for start in starts:
            explanation = explain(snapshot, service, start, now, provider)
            for reason in explanation.reasons:
                if reason.code == "off_grid" and len(starts) > 1:
                    continue
                at = reason.earliest or reason.latest
                found.setdefault(
                    reason.code, Why(reason.code, reason.minutes, at, reason.resource_name)
                )
                break
        for code in PREFERRED_REASONS:
            if code in found:
                return found[code]
        return next(iter(found.values()), Why("none"))


def _zone(name: str | None) -> str | None:
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return None
    return name


def _samples(start: datetime, end: datetime, zone: str) -> list[datetime]:
    """Starts across the first day of a window, to ask the engine why none is free."""
    step = timedelta(minutes=30)
    first = start.replace(second=0, microsecond=0)
    first += timedelta(minutes=(-first.minute) % 30)
    stop = min(end, start + timedelta(days=1))
    samples: list[datetime] = []
    at = first
    while at < stop and len(samples) < EXPLAIN_SAMPLES:
        samples.append(at)
        at += step
    return samples or [start]


def _offer(slot: Slot) -> Offer:
    return Offer(start=slot.start, end=slot.end, resources=slot.resources)


def _offers(slots: Sequence[Slot]) -> tuple[Offer, ...]:
    return tuple(_offer(s) for s in slots[:MAX_SLOTS])


def _ref(info: BookingInfo) -> BookingRef:
    return BookingRef(
        token=info.manage_token,
        service=info.service_id,
        start=info.start,
        end=info.end,
        resources=info.resources,
    )


def _who(inbound: Inbound) -> str:
    """A conversation as the log names it: the channel and a digest of the user, whose id
    may be a phone number (personal data stays out of the logs)."""
    digest = hashlib.sha256(inbound.user.encode()).hexdigest()[:10]
    return f"{inbound.channel}:{digest}"
