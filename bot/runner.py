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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.conversations import ConversationStore
from bot.dialog.effects import (
    CancelBooking,
    Cancelled,
    ChangeRefused,
    CheckCode,
    CodeChecked,
    CodeNotNeeded,
    CodeNotSent,
    CodeSent,
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
    Reminded,
    SendCode,
    TakeHold,
    Trouble,
    Waitlisted,
    Why,
)
from bot.dialog.state import BookingRef, HeldSlot, Offer, PendingCode, State
from bot.dialog.step import MAX_SLOTS, Context, new_state, step
from bot.i18n import Speaker, gettext_in, pick_language
from bot.inbound import MAX_TEXT, Inbound
from bot.replies import Attachment, Reply
from bot.understand import catalog_of
from bot.waitlist import answer as waitlist_answer
from core import verification
from core.bookings import Actor, BookingInfo, BookingService, Cascade, CustomerInput, Identity
from core.bookings.customers import (
    ask_for_person,
    known_customer,
    link_phone,
    phone_to_link,
    reminded_booking,
    upcoming_bookings,
)
from core.business import Entry
from core.directory import directory
from core.errors import (
    HoldError,
    NoBusiness,
    NoShowLimit,
    PolicyViolation,
    SlotUnavailable,
    UnknownProvider,
    UnknownService,
)
from core.holds.quota import HoldQuota
from core.offers import HORIZON, Offers, Reason, Slot, samples
from core.text.calendar import booking_ics
from core.text.links import calendar_link, manage_link

__all__ = ["Chat"]

log = logging.getLogger(__name__)

SendCodeBy = Callable[[str, str, str, str], Awaitable[None]]
"""Sends a verification code by SMS: ``(phone, code, business, lang)``; raises when it could
not (the composition root wires the SMS channel's; none when SMS is not configured)."""

CODES_PER_NUMBER = 5
"""Codes one number may be sent in :data:`CODE_WINDOW`, whatever the conversations asking
(each conversation sends three at most): a number is not an SMS pump."""
CODE_WINDOW = timedelta(hours=1)

REMINDER_TIE = timedelta(hours=24)
"""How long a number typed after a reminder answers it (keep, move, cancel)."""

MAX_ROUNDS = 12
"""Steps per message (message plus effect results): a guard against a dialog loop."""
DIRECTORY_SECONDS = 30.0
"""How long the business's names are reused before being read again."""


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
        cascade: Cascade | None = None,
        send_code: SendCodeBy | None = None,
        code_key: bytes = b"",
    ) -> None:
        """``send_code`` and ``code_key`` (the server's secret): a typed phone number that
        belongs to another customer links this chat to them only after a code sent by SMS
        comes back; without ``send_code`` it never links (the booking goes on apart)."""
        self._bookings = bookings
        self._cascade = cascade
        self._offers = Offers(bookings)
        self._live = HoldQuota()
        self._holds_per_address = live_holds_per_address
        self._conversations = conversations
        self._public_url = public_url.rstrip("/")
        self._clock = clock or (lambda: datetime.now(UTC))
        self._context: tuple[float, Context] | None = None
        self._send_code = send_code
        self._codes_sent = HoldQuota()  # per number: live "tokens" that expire after the window
        self._code_key = code_key

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
        offer = await self._offer_answer(inbound, state, ctx)
        if offer is not None:
            return offer  # the conversation is left as it was
        first: list[Event] = []
        try:
            reminded = await self._reminder_answered(inbound, state, ctx)
        except Exception:
            log.exception("cannot read the latest reminder")
            reminded = None
        if reminded is not None:
            first.append(reminded)
        replies, state = await self._turn(state, inbound, ctx, first)
        try:
            await self._conversations.put(
                inbound.channel, inbound.user, state.model_copy(update={"updated_at": ctx.now})
            )
        except Exception:
            log.exception("cannot store the conversation")
        return replies

    async def _offer_answer(
        self, inbound: Inbound, state: State, ctx: Context
    ) -> list[Reply] | None:
        """An answer to a waitlist offer (:mod:`bot.waitlist`), or ``None``."""
        if self._cascade is None:
            return None
        try:
            return await waitlist_answer(
                self._cascade,
                inbound,
                ctx.now,
                Speaker(state.lang, state.zone, ctx.home_zone),
                last_turn=state.updated_at,
                services=dict(ctx.services_in(state.lang)),
                manage_url=self.manage_url("{token}"),
            )
        except Exception:
            log.exception("answering a waitlist offer failed")
            return [self._sorry(inbound, state.lang)]

    async def _reminder_answered(
        self, inbound: Inbound, state: State, ctx: Context
    ) -> Reminded | None:
        """:class:`Reminded` when this message answers the chat's latest reminder: a button
        of one, or a bare number typed while the reminder is the last thing we wrote (sent
        after the conversation's last turn, at most :data:`REMINDER_TIE` ago)."""
        pressed = inbound.choice is not None and inbound.choice.startswith("rem:")
        typed = (inbound.text or "").strip()
        if not pressed and not (typed.isascii() and typed.isdigit() and len(typed) <= 2):
            return None
        found = await reminded_booking(inbound.channel, inbound.user, ctx.now, REMINDER_TIE)
        if found is None:
            return None
        info, sent_at = found
        if not pressed and state.updated_at is not None and state.updated_at >= sent_at:
            return None  # the chat went on after the reminder: a number answers what it shows
        return Reminded(_ref(info))

    async def _turn(
        self,
        state: State,
        inbound: Inbound,
        ctx: Context,
        first: Sequence[Event] = (),
    ) -> tuple[list[Reply], State]:
        with self._bookings.rules_kept():  # busy time stays fresh; see BookingService
            return await self._rounds(state, inbound, ctx, first)

    async def _rounds(
        self, state: State, inbound: Inbound, ctx: Context, first: Sequence[Event]
    ) -> tuple[list[Reply], State]:
        replies: list[Reply] = []
        events: list[Inbound | Event] = [*first, inbound]
        for _ in range(MAX_ROUNDS):
            if not events:
                break
            event = events.pop(0)
            try:
                outcome = step(state, event, ctx)
            except Exception:
                log.exception("the dialog failed on %s", type(event).__name__)
                fresh = new_state(ctx, state.lang, state.zone).model_copy(
                    update={"locale": state.locale}
                )
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
            names = await directory()
            info = names.info
            context = Context(
                now=self._now(),
                business=info.name,
                home_zone=info.timezone,
                home_lang=info.locale,
                catalog=catalog_of(names),
                services={e.id: e.name for e in names.services},
                providers={e.id: e.name for e in names.providers},
                translated=_translated((*names.services, *names.providers)),
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
                try:  # the no-show policy refuses chat joins as it refuses chat bookings
                    await self._bookings.join_waitlist(
                        effect.service,
                        effect.start,
                        effect.end,
                        CustomerInput(
                            effect.name, effect.phone, effect.email, state.lang, state.zone
                        ),
                        provider=effect.provider,
                        channel=inbound.channel,
                        identity=Identity(inbound.channel, inbound.user),  # "1" takes its offer
                    )
                except NoShowLimit as refused:
                    return ConfirmRefused(
                        expired=False, no_shows=max(1, refused.standing), refuse_chat=True
                    )
                return Waitlisted(effect.service, effect.start, effect.end)
            case SendCode():
                return await self._code(effect, inbound, ctx)
            case CheckCode(code=code, typed=typed):
                pending = verification.Pending(
                    code.phone, code.digest, code.expires_at, code.attempts_left
                )
                result, left = verification.check(pending, typed, self._code_key, self._now())
                if result == "confirmed":
                    await link_phone(inbound.channel, inbound.user, code.phone, self._now())
                kept = (
                    None
                    if left is None
                    else code.model_copy(update={"attempts_left": left.attempts_left})
                )
                return CodeChecked(result, code.phone, kept)
            case HandOver():
                customer = (
                    CustomerInput(effect.name, effect.phone, effect.email) if effect.name else None
                )
                await ask_for_person(
                    inbound.channel, inbound.user, customer, effect.message, self._now()
                )
                return HandedOver()
        return None  # pragma: no cover - every effect is handled above

    async def _code(self, effect: SendCode, inbound: Inbound, ctx: Context) -> Event:
        """A code to the typed number when it would link this chat to another customer's
        bookings (:func:`~core.bookings.customers.phone_to_link`)."""
        phone = await phone_to_link(inbound.channel, inbound.user, effect.phone)
        if phone is None:
            return CodeNotNeeded(effect.phone)
        if self._send_code is None or not self._code_key:
            return CodeNotSent(phone)
        now, number = self._now(), f"code:{phone}"
        if self._codes_sent.full(number, CODES_PER_NUMBER, now):
            log.info(
                "no code sent: %d codes to one number within %s", CODES_PER_NUMBER, CODE_WINDOW
            )
            return CodeNotSent(phone)
        code, pending = verification.issue(phone, self._code_key, now)
        try:
            await self._send_code(phone, code, ctx.business, effect.lang)
        except Exception:
            log.exception("could not send a code for %s", _who(inbound))
            return CodeNotSent(phone)
        self._codes_sent.taken(number, pending.digest, now + CODE_WINDOW)
        return CodeSent(
            PendingCode(
                phone=pending.phone,
                digest=pending.digest,
                expires_at=pending.expires_at,
                attempts_left=pending.attempts_left,
            )
        )

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
            return HoldRefused(_offers(exc.alternatives), lapsed=effect.then_confirm)
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
        identity = Identity(inbound.channel, inbound.user)
        try:  # the service's no-show policy (core.bookings.noshow)
            await self._bookings.check_no_shows(
                effect.hold.service,
                customer,
                channel=inbound.channel,
                identity=identity,
                confirmed=effect.will_attend,
            )
        except NoShowLimit as refused:
            return ConfirmRefused(
                expired=False,
                no_shows=max(1, refused.standing),
                refuse_chat=refused.action == "refuse_chat",
            )
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
        ics = self._ics(info, ctx, effect.lang)
        return Confirmed(booking, self.manage_url(info.manage_token), ics)

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
            effect.booking,
            booking,
            self.manage_url(info.manage_token),
            self._ics(info, ctx, state.lang),
        )

    def manage_url(self, token: str) -> str:
        return manage_link(self._public_url, token)

    def _ics(self, info: BookingInfo, ctx: Context, lang: str) -> Attachment:
        """The calendar file, the service named in the customer's language."""
        data = booking_ics(
            booking_id=info.id,
            public_url=self._public_url,
            moves=info.reschedule_count,
            cancelled=info.status == "cancelled",
            service=ctx.services_in(lang).get(info.service_id, info.service_id),
            business=ctx.business,
            start=info.start,
            end=info.end,
            url=self.manage_url(info.manage_token),
            stamp=self._now(),
        )
        url = calendar_link(self._public_url, info.manage_token)
        return Attachment("booking.ics", "text/calendar", data, url=url)

    # --- finding slots ---------------------------------------------------------------------

    async def _find(self, request: FindSlots, owner: str, ctx: Context) -> Found:
        """The wish as offers, through :class:`core.offers.Offers` (holds counted), with the
        reason when the wished start or window has none free, and what is near."""
        now = self._now()
        start = max(request.start, now)
        end = request.end if request.end is not None else start + HORIZON
        if end <= start:
            return Found(request, (), Why("too_soon", 0))
        provider, provider_unknown = request.provider, False
        offers, zone = self._offers, ctx.home_zone
        try:
            slots = await offers.between(request.service, start, end, zone, provider, owner=owner)
        except UnknownProvider:
            provider, provider_unknown = None, True
            slots = await offers.between(request.service, start, end, zone, None, owner=owner)
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
            why = _why(
                await offers.explain(request.service, [request.at], now, provider, owner=owner)
            )
        if chosen:
            return Found(request, tuple(_offer(s) for s in chosen), why, (), provider_unknown)
        if why is None:
            reason = await offers.explain(
                request.service, samples(start, end), now, provider, owner=owner
            )
            why = _why(reason)
        nearby = await offers.nearby(request.service, start, end, zone, now, provider, owner=owner)
        return Found(request, (), why, _offers(nearby, len(nearby)), provider_unknown)


def _why(reason: Reason | None) -> Why:
    if reason is None:
        return Why("none")
    return Why(
        reason.code,
        reason.minutes,
        reason.earliest or reason.latest,
        reason.resource_name,
        reason.resource,
    )


def _translated(entries: Sequence[Entry]) -> dict[str, dict[str, str]]:
    """The business file's ``names`` turned around: language, then id, then name."""
    by_lang: dict[str, dict[str, str]] = {}
    for entry in entries:
        for lang, name in entry.names:
            by_lang.setdefault(lang, {})[entry.id] = name
    return by_lang


def _zone(name: str | None) -> str | None:
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return None
    return name


def _offer(slot: Slot) -> Offer:
    return Offer(start=slot.start, end=slot.end, resources=slot.resources)


def _offers(slots: Sequence[Slot], most: int = MAX_SLOTS) -> tuple[Offer, ...]:
    return tuple(_offer(s) for s in slots[:most])


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
