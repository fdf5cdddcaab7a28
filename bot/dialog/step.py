"""The dialog: one pure step per message or effect result.

``step(state, event, context) -> Outcome(state, replies, effects)``. The step
reads the message (with :mod:`bot.understand`), decides what to say and what
the runner should do, and never waits on the world: the runner executes the
effects against ``core`` and feeds their results back as the next events.
Everything a customer can do is therefore testable in memory, and the step
never raises for anything a customer can send (a hypothesis test holds it to
that).

The bot asks only for what it is missing: a service, then a day or time; it
offers real slots; a picked slot is held while it asks for a name and a phone
or e-mail it does not know yet; a summary is confirmed with one tap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.dialog.contact import read_contact, read_name_and_contact, unreadable
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
)
from bot.dialog.fit import MORE, fit
from bot.dialog.state import BookingRef, Offer, Shown, State, Wish
from bot.dialog.wording import Wording, midnight
from bot.i18n import LANGUAGES, Speaker, language_name, pick_language
from bot.inbound import MAX_TEXT, Inbound
from bot.replies import Option, Reply
from bot.understand import Catalog, Exact, Reading, understand
from core.notify.messages import reminder_actions
from core.text import strip_controls
from core.verification import CODE_DIGITS

__all__ = ["MAX_SLOTS", "Context", "Outcome", "new_state", "step"]

MAX_SLOTS = 5
"""Slots offered at a time: more is a wall of buttons on a phone."""
WAITLIST_AROUND = timedelta(hours=1)
"""A waitlist entry for an exact wished time covers this much either side of it."""
SWITCH_MARGIN = 2
"""How much more another language must understand of a message to switch to it: a
stray word ("no", a number read as a time) must not change the conversation's language."""
PATIENCE = 3
"""Misunderstood messages in a row before the bot offers a person."""
MAX_CODES = 3
"""Codes one conversation may have sent by SMS: enough for a typo, too few to pump SMS."""
MOVE_AFTER = timedelta(minutes=1)
"""A reminder's "move it" looks for the free times starting after the old start."""


@dataclass(frozen=True, slots=True)
class Context:
    """What the step may know of the world: the time, and the business's vocabulary."""

    now: datetime
    business: str
    home_zone: str
    home_lang: str
    catalog: Catalog
    services: Mapping[str, str]
    """Bookable services, id to name, in the business's order."""
    providers: Mapping[str, str]
    """Staff a customer may ask for, id to name."""
    translated: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Names in other languages, by language then service or staff id (the business file's
    ``names``); a name missing there is the one of ``services`` or ``providers``."""

    def services_in(self, lang: str) -> Mapping[str, str]:
        """The services' names a customer writing ``lang`` reads, in the business's order."""
        local = self.translated.get(lang, {})
        return {sid: local.get(sid, name) for sid, name in self.services.items()}

    def providers_in(self, lang: str) -> Mapping[str, str]:
        local = self.translated.get(lang, {})
        return {pid: local.get(pid, name) for pid, name in self.providers.items()}


@dataclass(frozen=True, slots=True)
class Outcome:
    state: State
    replies: tuple[Reply, ...] = ()
    effects: tuple[Effect, ...] = field(default=())


def new_state(ctx: Context, locale: str | None = None, zone: str | None = None) -> State:
    """A fresh conversation, in the customer's language if we speak it, else the business's."""
    return State(
        lang=pick_language(locale, ctx.home_lang),
        zone=zone or ctx.home_zone,
        locale=regional(locale),
    )


def regional(locale: str | None) -> str | None:
    """``"en-US"`` from "en_us", "en-US-u-ca-gregory"; None for a locale without a region
    or one that is not a locale at all (a channel's field is the customer's to fill)."""
    if not locale:
        return None
    parts = locale.strip().replace("_", "-").split("-")
    if len(parts) < 2:
        return None
    base, region = parts[0].lower(), parts[1].upper()
    if not (base.isascii() and base.isalpha() and 2 <= len(base) <= 3):
        return None
    if not (region.isascii() and region.isalpha() and len(region) == 2):
        return None
    return f"{base}-{region}"


def reading_locale(lang: str, locale: str | None) -> str:
    """What a message in ``lang`` is read with: the customer's locale when it is that
    language ("en-US" for English), else the language alone."""
    if locale is not None and pick_language(locale) == lang:
        return locale
    return lang


def step(state: State, event: Inbound | Event, ctx: Context) -> Outcome:
    """One turn of the dialog (see the module docstring)."""
    if isinstance(event, Inbound):
        return _Turn(state, ctx).message(event)
    return _Turn(state, ctx).result(event)


class _Turn:
    """One step's working: the state being built, and the words for this customer."""

    def __init__(self, state: State, ctx: Context) -> None:
        self.state = state
        self.ctx = ctx

    # --- helpers --------------------------------------------------------------------------

    @property
    def sp(self) -> Speaker:
        return Speaker(self.state.lang, self.state.zone, self.ctx.home_zone)

    def _(self, message: str) -> str:
        return self.sp._(message)

    def update(self, **changes: object) -> State:
        self.state = self.state.model_copy(update=changes)
        return self.state

    def out(
        self,
        *replies: Reply,
        effects: Sequence[Effect] = (),
    ) -> Outcome:
        """The replies, fitted to the channel's traits (:mod:`bot.dialog.fit`); the options
        they leave on screen are remembered, so that a typed number picks one."""
        fitted = fit(replies, self.state.traits, self._)
        if fitted.options is not None:
            more = fitted.more
            if not fitted.paged and any(o.value == MORE for o in fitted.options):
                more = _options(self.state.more)  # the same page again: its "More" still works
            self.update(shown=_shown(fitted.options), more=_shown(more))
        elif replies:
            self.update(shown=(), more=())
        return Outcome(self.state, fitted.replies, tuple(effects))

    @property
    def words(self) -> Wording:
        lang = self.state.lang
        return Wording(self.sp, self.ctx.services_in(lang), self.ctx.providers_in(lang))

    def service_name(self, service: str) -> str:
        return self.ctx.services_in(self.state.lang).get(service, service)

    def local_midnight(self, moment: datetime, days: int = 0) -> datetime:
        return midnight(moment, self.state.zone, days)

    def menu_options(self) -> list[Option]:
        names = self.ctx.services_in(self.state.lang)
        options = [Option(name, f"svc:{sid}") for sid, name in names.items()]
        return [
            *options[:8],
            Option(self._("My bookings"), "menu:list"),
            Option(self._("Help"), "menu:help"),
        ]

    # --- messages -------------------------------------------------------------------------

    def message(self, inbound: Inbound) -> Outcome:
        self.update(traits=inbound.traits)
        if inbound.choice is not None:
            return self.value(inbound.choice[:200])
        raw = (inbound.text or "")[:MAX_TEXT]
        text = strip_controls(raw).strip()  # read what a person could have meant
        if not text:
            return self.greet()
        if self.state.stage == "code" and self.state.code is not None and _code_like(text):
            return self.out(effects=[CheckCode(self.state.code, text)])
        reading = self.read(text)
        if reading.command is not None:
            handled = self.command(reading, text)
            if handled is not None:
                return handled
        asked_details = self.state.stage in ("name", "contact")
        # "+49 1512 3456789" reads as 3:12 PM too: asked for a contact, a number is one.
        a_contact = (
            self.state.stage == "contact"
            and reading.service is None
            and read_contact(text) is not None
        )
        if a_contact or (
            asked_details
            and reading.intent in ("unknown", "book", "choice")
            and not (reading.when is not None or reading.service is not None)
        ):  # a name or a phone number, unless it is a new wish ("haircut on Friday")
            if self.state.stage == "name":
                return self.got_name(raw.strip())
            return self.got_contact(raw.strip())
        if reading.intent == "choice" and reading.choice is not None and not _wish_like(reading):
            return self.numbered(reading.choice)
        if reading.date_conflict:
            if reading.service is not None and self.state.goal != "reschedule":
                self.update(service=reading.service, goal="book")
            lead = self._("That weekday and date don't match. Which day do you mean?")
            return self.ask_when(lead)
        match reading.intent:
            case "help":
                return self.help()
            case "list":
                return self.out(effects=[ListBookings("list")])
            case "cancel":
                if self.state.stage in ("confirm", "confirm_cancel"):
                    # "Cancel" on a summary is "no"; "yes, cancel it" is the confirmation.
                    return self.answer(self.state.stage == "confirm_cancel")
                return self.out(effects=[ListBookings("cancel")])
            case "reschedule":
                if self.state.stage == "confirm_move":
                    return self.answer(True)  # "yes, move it"
                # "Move it to Thursday": the day goes with the request, not asked again.
                self.update(wish=self.wish_of(reading) if reading.when is not None else None)
                return self.out(effects=[ListBookings("reschedule")])
            case "waitlist":
                return self.waitlist()
            case "yes" if _wish_like(reading):
                return self.yes_and(reading)
            case "yes" | "no":
                return self.answer(reading.intent == "yes")
            case "book" | "choice":
                return self.wants(reading)
        if self.state.stage in ("start", "service") and self.state.misunderstood == 0:
            self.update(misunderstood=1)  # "hi", "hello there": a greeting, not a wish
            return self.greet()
        return self.misunderstood()

    def read(self, text: str) -> Reading:
        """The message's reading. When another language we speak makes more of it than the
        conversation's language, switch to that one: people write in their own."""
        reading = self._understand(text, self.state.lang)
        if self.state.stage in ("name", "contact") or not any(ch.isalpha() for ch in text):
            return reading  # a name is not a language
        if reading.date_conflict or reading.intent in _ACTIONS:
            return reading  # understood in the conversation's language: no need to look further
        others = {lang: self._understand(text, lang) for lang in LANGUAGES}
        if _only_a_time(reading):
            # "Je dois annuler mon rendez-vous" read in English is a booking on Monday ("mon"):
            # a language that reads a cancel or a move in it has a word of its own for it.
            for lang, other in others.items():
                if lang != self.state.lang and other.intent in ("cancel", "reschedule"):
                    self.update(lang=lang)
                    return other
        if reading.when is not None and reading.intent != "unknown":
            return reading
        best, best_lang, score = reading, self.state.lang, _score(reading) + SWITCH_MARGIN - 1
        for lang, other in others.items():
            if lang == self.state.lang:
                continue
            if other.intent not in ("unknown", "choice") and _score(other) > score:
                best, best_lang, score = other, lang, _score(other)
        if best_lang != self.state.lang:
            self.update(lang=best_lang)
        return best

    def _understand(self, text: str, lang: str) -> Reading:
        return understand(
            text,
            now=self.ctx.now,
            zone=self.state.zone,
            lang=reading_locale(lang, self.state.locale),
            catalog=self.ctx.catalog,
        )

    def command(self, reading: Reading, text: str) -> Outcome | None:
        match reading.command:
            case "restart":
                return self.restart()
            case "human":
                return self.hand_over(text)
            case "language":
                if reading.language in LANGUAGES:
                    return self.switch_language(reading.language)
                return self.languages()
            case "earlier" | "later" | "another_day" if self.state.stage == "slots":
                return self.navigate(reading.command)
        return None

    def numbered(self, n: int) -> Outcome:
        shown = self.state.shown
        if 1 <= n <= len(shown):
            return self.value(shown[n - 1].value)
        if shown:
            text = self._("Please pick a number from 1 to {n}.").format(n=len(shown))
            return self.out(Reply(text, _options(shown)))
        return self.out(
            Reply(self._("There is nothing to choose from right now."), tuple(self.menu_options()))
        )

    # --- button values --------------------------------------------------------------------

    def value(self, value: str) -> Outcome:
        kind, _sep, arg = value.partition(":")
        match kind:
            case "menu":
                return self.menu(arg)
            case "svc" if arg in self.ctx.services:
                return self.chose_service(arg)
            case "when":
                return self.quick_when(arg)
            case "slot":
                return self.picked(arg)
            case "nav" if self.state.stage == "slots" and arg in ("earlier", "later", "day"):
                return self.navigate("another_day" if arg == "day" else arg)
            case "yes" | "no" if not arg:
                return self.answer(kind == "yes")
            case "bk":
                return self.picked_booking(arg)
            case "act" if arg in ("cancel", "reschedule"):
                self.update(wish=None)
                return self.out(
                    effects=[ListBookings("cancel" if arg == "cancel" else "reschedule")]
                )
            case "wait" if arg == "join":
                return self.waitlist()
            case "code" if arg in ("again", "skip") and self.state.stage == "code":
                return self.code_choice(arg)
            case "rem" if arg in ("keep", "move", "cancel"):
                return self.reminder(arg)
            case "lang" if arg in LANGUAGES:
                return self.switch_language(arg)
            case "more" if not arg and self.state.more:
                return self.out(
                    Reply(self._("Please choose one of these:"), _options(self.state.more))
                )
        return self.again(self._("That option is no longer available."))

    def menu(self, arg: str) -> Outcome:
        match arg:
            case "book":
                return self.restart(greet=False)
            case "list":
                return self.out(effects=[ListBookings("list")])
            case "help":
                return self.help()
            case "human":
                return self.hand_over("")
            case "language":
                return self.languages()
        return self.greet()

    # --- the booking path -----------------------------------------------------------------

    def greet(self) -> Outcome:
        if self.state.stage not in ("start", "service"):
            return self.again(self._("Welcome back!"))
        self.update(stage="service")
        example = self._("{service} tomorrow afternoon").format(service=self.example_service())
        text = self._(
            "Hello! I'm the booking assistant of {business}. What would you like to book? "
            "You can also write, for example, “{example}”."
        ).format(business=self.ctx.business, example=example.strip())
        return self.out(Reply(text, tuple(self.menu_options())))

    def example_service(self) -> str:
        """A service of this business for the examples of what to write (not "haircut" at a
        dentist's)."""
        return next(iter(self.ctx.services_in(self.state.lang).values()), "")

    def restart(self, *, greet: bool = True) -> Outcome:
        effects: list[Effect] = [ReleaseHold(self.state.hold.token)] if self.state.hold else []
        self.state = State(
            lang=self.state.lang,
            zone=self.state.zone,
            name=self.state.name,
            phone=self.state.phone,
            email=self.state.email,
        )
        outcome = self.greet() if greet else self.advance()
        return Outcome(outcome.state, outcome.replies, (*effects, *outcome.effects))

    def wants(self, reading: Reading) -> Outcome:
        """Take what the message names (service, person, time) and go on from there."""
        changes: dict[str, object] = {"misunderstood": 0}
        if reading.service is not None and self.state.goal != "reschedule":
            if reading.service != self.state.service:
                changes["provider"] = None
            changes["service"] = reading.service
        if reading.provider is not None:
            changes["provider"] = reading.provider
        if reading.when is not None:
            changes["wish"] = self.wish_of(reading)
        if self.state.stage in ("start", "pick_booking", "confirm_cancel", "language"):
            changes["goal"] = "book"
        asked_service = self.state.stage == "service" and self.state.service is None
        self.update(**changes)
        named_nothing = reading.service is None and reading.provider is None
        if asked_service and named_nothing and reading.when is None:
            # Asked which service, they named something we do not offer ("a massage").
            return self.ask_service(
                self._("Sorry, I couldn't find that among our services. Please pick one:")
            )
        return self.advance()

    def wish_of(self, reading: Reading) -> Wish:
        when = reading.when
        assert when is not None
        if isinstance(when, Exact):
            start = max(self.ctx.now, self.local_midnight(when.at))
            return Wish(start=start, end=self.local_midnight(when.at, 1), at=when.at)
        return Wish(start=max(self.ctx.now, when.start), end=when.end)

    def chose_service(self, service: str) -> Outcome:
        if self.state.goal == "reschedule":
            return self.prompt_again_outcome()
        self.update(service=service, provider=None, goal="book", misunderstood=0)
        if self.state.stage == "start":
            self.update(stage="service")
        return self.advance()

    def advance(self) -> Outcome:
        """Ask for the first thing missing, or search when nothing is."""
        state = self.state
        service = state.target.service if state.goal == "reschedule" and state.target else None
        service = service or state.service
        if service is None:
            return self.ask_service()
        if state.wish is None:
            return self.ask_when()
        wish = state.wish
        return self.out(effects=[FindSlots(service, state.provider, wish.start, wish.end, wish.at)])

    def ask_service(self, lead: str | None = None) -> Outcome:
        self.update(stage="service")
        text = lead or self._("What would you like to book?")
        return self.out(Reply(text, tuple(self.menu_options())))

    def ask_when(self, lead: str | None = None) -> Outcome:
        self.update(stage="when")
        service = self.state.target.service if self.state.target else self.state.service
        text = lead or self._("When would you like to come for {what}?").format(
            what=self.service_name(service or "")
        )
        options = (
            Option(self._("Today"), "when:today"),
            Option(self._("Tomorrow"), "when:tomorrow"),
            Option(self._("This week"), "when:week"),
            Option(self._("First available"), "when:asap"),
        )
        return self.out(Reply(text, options, hint="date"))

    def quick_when(self, arg: str) -> Outcome:
        now = self.ctx.now
        match arg:
            case "today":
                wish = Wish(start=now, end=self.local_midnight(now, 1))
            case "tomorrow":
                wish = Wish(start=self.local_midnight(now, 1), end=self.local_midnight(now, 2))
            case "week":
                wish = Wish(start=now, end=self.local_midnight(now, 7))
            case "asap":
                wish = Wish(start=now)
            case _:
                return self.prompt_again_outcome()
        self.update(wish=wish)
        return self.advance()

    def navigate(self, where: str) -> Outcome:
        service = self.current_service()
        slots = self.state.slots
        if service is None or self.state.wish is None:
            return self.advance()
        now = self.ctx.now
        provider = self.state.provider
        # Slots for an exact wish are listed closest first: page from the extremes.
        first = min((o.start for o in slots), default=self.state.wish.start)
        last = max((o.start for o in slots), default=None)
        if where == "earlier":
            end = first
            start = max(now, end - timedelta(days=7))
            if end <= now:
                return self.again(self._("There is nothing earlier."))
            return self.out(effects=[FindSlots(service, provider, start, end, latest=True)])
        if where == "later":
            after = last + timedelta(minutes=1) if last else self.state.wish.start
            return self.out(effects=[FindSlots(service, provider, after, None)])
        start = self.local_midnight(first, 1)
        self.update(wish=Wish(start=start, end=None))
        return self.out(effects=[FindSlots(service, provider, start, None)])

    def current_service(self) -> str | None:
        if self.state.goal == "reschedule" and self.state.target is not None:
            return self.state.target.service
        return self.state.service

    def picked(self, arg: str) -> Outcome:
        index, _sep, start = arg.partition(":")
        slots = self.state.slots
        if not index.isdigit() or int(index) >= len(slots):
            return self.gone()
        offer = slots[int(index)]
        if offer.start.isoformat() != start or self.state.stage != "slots":
            return self.gone()
        service = self.current_service()
        if service is None:
            return self.gone()
        provider = self.provider_of(offer)
        if self.state.goal == "reschedule" and self.state.target is not None:
            self.update(stage="confirm_move", picked=offer)
            text = self._("Move {what} from {old} to {new}?").format(
                what=self.service_name(service),
                old=self.sp.when(self.state.target.start),
                new=self.words.slot(offer),
            )
            return self.out(Reply(text, self.yes_no(self._("Yes, move it"), self._("No"))))
        effects: list[Effect] = []
        if self.state.hold is not None:
            effects.append(ReleaseHold(self.state.hold.token))
            self.update(hold=None)
        effects.append(TakeHold(service, offer, provider))
        return self.out(effects=effects)

    def provider_of(self, offer: Offer) -> str | None:
        return next((r for r in offer.resources if r in self.ctx.providers), None)

    def gone(self) -> Outcome:
        return self.again(self._("That option is no longer available."))

    def after_hold(self, lead: str) -> Outcome:
        """Ask for what is still missing to book, or show the summary."""
        state = self.state
        if state.name is None:
            self.update(stage="name")
            return self.out(Reply(f"{lead} {self._('What name should I put the booking under?')}"))
        if state.phone is None and state.email is None:
            return self.ask_contact(lead)
        return self.summary(lead)

    def ask_contact(self, lead: str = "") -> Outcome:
        self.update(stage="contact")
        ask = self._("What phone number or e-mail can we reach you at?")
        return self.out(Reply(f"{lead} {ask}".strip(), hint="contact"))

    def got_name(self, text: str) -> Outcome:
        if unreadable(text):
            lead = self._("Your name has characters I cannot use.")
            return self.out(Reply(f"{lead} {self._('What name should I put the booking under?')}"))
        name, contact = read_name_and_contact(text)
        if contact is not None:  # "Sophie Turner, sophie.t@example.com": both at once
            self.update(phone=contact.phone, email=contact.email)
        if name is None:
            return self.out(Reply(self._("Please write just your name, for example “Ana García”.")))
        self.update(name=name, misunderstood=0)
        if self.state.phone is None and self.state.email is None:
            return self.ask_contact()
        return self.contact_given(contact.phone if contact is not None else None)

    def got_contact(self, text: str) -> Outcome:
        if unreadable(text):
            return self.ask_contact(self._("That has characters I cannot use."))
        contact = read_contact(text)
        if contact is None:
            return self.out(
                Reply(
                    self._(
                        "That doesn't look like a phone number or an e-mail address. "
                        "Please write one, for example +49 30 1234567 or ana@example.com."
                    )
                )
            )
        self.update(phone=contact.phone, email=contact.email, misunderstood=0)
        return self.contact_given(contact.phone)

    def contact_given(self, phone: str | None) -> Outcome:
        """A typed phone number is only a claim: the runner sends it a code when it belongs
        to a customer this chat is not tied to (:class:`SendCode`), and the booking goes on
        when the code comes back, is not needed, or the customer goes on without it."""
        if phone is None or phone == self.state.verified_phone:
            return self.details_done()
        if self.state.codes_sent >= MAX_CODES:
            return self.details_done(self.no_more_codes())
        return self.out(effects=[SendCode(phone, self.state.lang)])

    def no_more_codes(self) -> str:
        return self._(
            "I can't send more codes in this chat; I'll go on without linking your other bookings."
        )

    def details_done(self, lead: str = "") -> Outcome:
        if self.state.hold is None or self.state.goal == "waitlist":
            outcome = self.waitlist() if self.state.goal == "waitlist" else self.advance()
            if not lead:
                return outcome
            return replace(outcome, replies=(Reply(lead), *outcome.replies))
        return self.summary(lead)

    # --- a code for a typed phone number ----------------------------------------------------

    def code_options(self) -> tuple[Option, ...]:
        return (
            Option(self._("Send a new code"), "code:again"),
            Option(self._("Go on without linking"), "code:skip"),
        )

    def ask_code(self, lead: str) -> Outcome:
        self.update(stage="code")
        ask = self._("Please type the code here.")
        return self.out(Reply(f"{lead} {ask}", self.code_options()))

    def code_choice(self, arg: str) -> Outcome:
        phone = self.state.phone
        if arg == "skip" or phone is None:
            self.update(code=None)
            return self.details_done(
                self._("All right: this chat stays apart from the bookings of that number.")
            )
        self.update(code=None)
        return self.contact_given(phone)

    def code_result(self, event: CodeChecked) -> Outcome:
        match event.result:
            case "confirmed":
                self.update(code=None, verified_phone=event.phone, phone=event.phone)
                return self.details_done(self._("Thank you, your number is confirmed."))
            case "wrong":
                self.update(code=event.code)
                return self.ask_code(self._("That code is not right."))
        self.update(code=None)
        text = self._("That code can no longer be used.")
        return self.out(Reply(text, self.code_options()))

    # --- answers to a reminder --------------------------------------------------------------

    def reminded(self, booking: BookingRef) -> Outcome:
        """A reminder of ``booking`` is the latest thing the customer read: its keep / move /
        cancel are what a number picks now (the reminder showed them; nothing is said)."""
        options = tuple(Option(label, value) for label, value in reminder_actions(self.sp))
        self.update(stage="reminded", target=booking, goal="book", misunderstood=0)
        self.update(shown=_shown(options), more=())
        return Outcome(self.state)

    def reminder(self, action: str) -> Outcome:
        target = self.state.target
        if self.state.stage != "reminded" or target is None:
            return self.gone()
        if action == "keep":
            self.update(stage="start", target=None)
            text = self._("Thank you! See you then: {booking}.").format(
                booking=self.words.booking(target)
            )
            return self.out(Reply(text, tuple(self.menu_options())))
        if action == "cancel":
            self.update(goal="cancel")
            if self.state.traits.has_buttons:
                return self.chose_booking(target)
            # Without buttons, the question says the numbers, as the reminder did ("1" and
            # "2" pick the yes and no behind it; no carrier word is asked for).
            self.update(stage="confirm_cancel", target=target)
            text = self._("Cancel {booking}? Reply 1 to cancel it, 2 to keep it.").format(
                booking=self.words.booking(target)
            )
            asked = self.out(Reply(text))
            yes_no = self.yes_no(self._("Yes, cancel it"), self._("No, keep it"))
            self.update(shown=_shown(yes_no), more=())
            return replace(asked, state=self.state)
        # Move: the free times nearest after the old one; the old booking stays until the
        # new time is confirmed (the move is one change of the booking).
        start = max(self.ctx.now, target.start + MOVE_AFTER)
        self.update(
            goal="reschedule",
            target=target,
            service=target.service,
            provider=None,
            wish=Wish(start=start, end=None),
        )
        return self.advance()

    def summary(self, lead: str) -> Outcome:
        hold = self.state.hold
        assert hold is not None
        self.update(stage="confirm")
        contact = self.state.email or self.state.phone or ""
        text = self._("{what}, {when}. Name: {name}, contact: {contact}. Shall I book it?").format(
            what=self.words.what(hold.service, hold.resources),
            when=self.sp.span(hold.start, hold.end),
            name=self.state.name,
            contact=contact,
        )
        return self.out(
            Reply(f"{lead} {text}".strip(), self.yes_no(self._("Confirm"), self._("Cancel")))
        )

    def yes_no(self, yes: str, no: str) -> tuple[Option, ...]:
        return (Option(yes, "yes"), Option(no, "no"))

    def answer(self, yes: bool) -> Outcome:
        state = self.state
        match state.stage:
            case "confirm" if state.hold is not None:
                if yes:
                    return self.out(effects=[self.confirm_hold()])
                self.update(hold=None, stage="slots", will_attend=False)
                reply = Reply(self._("All right, I let that time go."), self.slot_options())
                return self.out(reply, effects=[ReleaseHold(state.hold.token)])
            case "confirm_cancel" if state.target is not None:
                if yes:
                    return self.out(effects=[CancelBooking(state.target)])
                self.update(stage="start", target=None)
                return self.out(
                    Reply(self._("Fine, your booking stays."), tuple(self.menu_options()))
                )
            case "confirm_move" if state.target is not None and state.picked is not None:
                if yes:
                    move = MoveBooking(state.target, state.picked, self.provider_of(state.picked))
                    return self.out(effects=[move])
                self.update(stage="slots", picked=None)
                return self.out(
                    Reply(self._("No problem. Pick another time:"), self.slot_options())
                )
        if yes and state.stage in ("start", "service"):
            return self.ask_service()
        return self.misunderstood()

    def yes_and(self, reading: Reading) -> Outcome:
        """ "Great, Friday at 5 then": a yes that goes on to a time or a service is that wish;
        it confirms only what is on screen when it names the very time held or picked."""
        state = self.state
        held = state.hold.start if state.hold is not None else None
        if state.stage == "confirm_move" and state.picked is not None:
            held = state.picked.start
        elif state.stage != "confirm":
            held = None
        same_service = reading.service in (None, self.current_service())
        if held is not None and same_service and _names_moment(reading, held):
            return self.answer(True)
        return self.wants(reading)

    def confirm_hold(self) -> ConfirmHold:
        state = self.state
        assert state.hold is not None
        assert state.name is not None
        return ConfirmHold(
            state.hold,
            state.name,
            state.phone,
            state.email,
            state.lang,
            state.zone,
            will_attend=state.will_attend,
        )

    def slot_options(self) -> tuple[Option, ...]:
        options = [
            Option(self.words.slot(o), f"slot:{i}:{o.start.isoformat()}")
            for i, o in enumerate(self.state.slots)
        ]
        options += [
            Option(self._("Earlier"), "nav:earlier"),
            Option(self._("Later"), "nav:later"),
            Option(self._("Another day"), "nav:day"),
        ]
        return tuple(options)

    # --- bookings: list, cancel, move -----------------------------------------------------

    def picked_booking(self, token: str) -> Outcome:
        booking = next((b for b in self.state.bookings if b.token == token), None)
        if booking is None or self.state.stage != "pick_booking":
            return self.gone()
        return self.chose_booking(booking)

    def chose_booking(self, booking: BookingRef) -> Outcome:
        """The booking to cancel or move: confirm the cancel, or find the new time (asked
        for unless the request said it: "move it to Thursday")."""
        label = self.words.booking(booking)
        if self.state.goal == "cancel":
            self.update(stage="confirm_cancel", target=booking)
            text = self._("Cancel {booking}?").format(booking=label)
            return self.out(
                Reply(text, self.yes_no(self._("Yes, cancel it"), self._("No, keep it")))
            )
        self.update(target=booking, goal="reschedule", service=booking.service)
        if self.state.wish is not None:
            return self.advance()
        return self.ask_when(
            self._("When would you like to move {booking} to?").format(booking=label)
        )

    # --- other requests -------------------------------------------------------------------

    def waitlist(self) -> Outcome:
        state = self.state
        service, wish = self.current_service(), state.wish
        if service is None or wish is None:
            self.update(goal="waitlist")
            return self.advance()
        self.update(goal="waitlist")
        if state.name is None:
            self.update(stage="name")
            return self.out(Reply(self._("For the waitlist: what is your name?")))
        if state.phone is None and state.email is None:
            return self.ask_contact(self._("For the waitlist:"))
        start, end = wish.start, wish.end or self.local_midnight(wish.start, 1)
        if wish.at is not None:  # "Tuesday at 3": around that time, not the whole day
            start, end = max(self.ctx.now, wish.at - WAITLIST_AROUND), wish.at + WAITLIST_AROUND
        join = JoinWaitlist(
            service, state.provider, start, end, state.name, state.phone, state.email
        )
        return self.out(effects=[join])

    def help(self) -> Outcome:
        example = self._("{service} next Tuesday after 4").format(service=self.example_service())
        traits = self.state.traits
        if traits.has_buttons and not traits.reserved_words:
            text = self._(
                "I can book an appointment, show your bookings, cancel or move one. Write what "
                "and when, for example “{example}”, or tap a button. “Start over” "
                "begins again; “talk to a person” asks our staff to reply."
            )
        else:  # no buttons to tap, and "start" may be a carrier's word
            text = self._(
                "I can book an appointment, show your bookings, cancel or move one. Write what "
                "and when, for example “{example}”, or the number of an option; “talk to a "
                "person” asks our staff to reply."
            )
        text = text.format(example=example.strip())
        options = (
            *self.menu_options()[:-1],
            Option(self._("Cancel a booking"), "act:cancel"),
            Option(self._("Move a booking"), "act:reschedule"),
            Option(self._("Talk to a person"), "menu:human"),
            Option(self._("Language"), "menu:language"),
        )
        self.update(stage="start")
        return self.out(Reply(text, options))

    def hand_over(self, text: str) -> Outcome:
        state = self.state
        return self.out(effects=[HandOver(text[:MAX_TEXT], state.name, state.phone, state.email)])

    def languages(self) -> Outcome:
        self.update(stage="language")
        options = tuple(Option(language_name(lang), f"lang:{lang}") for lang in LANGUAGES)
        return self.out(Reply(self._("Which language would you like?"), options))

    def switch_language(self, lang: str) -> Outcome:
        self.update(lang=lang)
        if self.state.stage == "language":
            self.update(stage="start")
        return self.again(self._("I'll write in English from now on."))

    def misunderstood(self) -> Outcome:
        count = self.state.misunderstood + 1
        self.update(misunderstood=count)
        if count >= PATIENCE:
            text = self._(
                "Sorry, I still don't understand. Would you like a person to reply to you?"
            )
            options = (
                Option(self._("Talk to a person"), "menu:human"),
                Option(self._("Start over"), "menu:book"),
                Option(self._("Help"), "menu:help"),
            )
            return self.out(Reply(text, options))
        return self.again(self._("Sorry, I didn't understand that."))

    def again(self, lead: str) -> Outcome:
        """``lead``, then the current question again, in one message (one SMS, not two)."""
        first, *rest = self.prompt_again()
        return self.out(replace(first, text=f"{lead} {first.text}"), *rest)

    def prompt_again_outcome(self) -> Outcome:
        return self.out(*self.prompt_again())

    def prompt_again(self) -> list[Reply]:
        """The question of the current stage, asked again (after a hiccup)."""
        state = self.state
        shown = _options(state.shown)
        match state.stage:
            case "name":
                return [Reply(self._("What name should I put the booking under?"))]
            case "contact":
                ask = self._("What phone number or e-mail can we reach you at?")
                return [Reply(ask, hint="contact")]
            case "code":
                return [Reply(self._("Please type the code we sent you by SMS."), shown)]
            case "when":
                return [Reply(self._("Which day or time would suit you?"), shown, hint="date")]
            case (
                "slots"
                | "confirm"
                | "pick_booking"
                | "confirm_cancel"
                | "confirm_move"
                | "reminded"
            ):
                if shown:
                    return [Reply(self._("Please choose one of these:"), shown)]
        return [Reply(self._("What would you like to do?"), tuple(self.menu_options()))]

    # --- results of effects ---------------------------------------------------------------

    def result(self, event: Event) -> Outcome:
        match event:
            case Found():
                return self.found(event)
            case HoldTaken(hold=hold, then_confirm=then_confirm):
                self.update(hold=hold)
                if then_confirm and self.state.name is not None:
                    return self.out(effects=[self.confirm_hold()])
                minutes = max(1, round((hold.expires_at - self.ctx.now).total_seconds() / 60))
                lead = self.sp.n_(
                    "I'm holding {when} for you for {n} minute.",
                    "I'm holding {when} for you for {n} minutes.",
                    minutes,
                ).format(when=self.sp.when(hold.start), n=minutes)
                return self.after_hold(lead)
            case HoldRefused(alternatives=alternatives, lapsed=True):
                return self.offer(
                    self._(
                        "Sorry, my hold on that time ran out and someone else booked it "
                        "meanwhile. Here are the closest free times:"
                    ),
                    alternatives,
                )
            case HoldRefused(alternatives=alternatives):
                return self.offer(
                    self._("Sorry, that time was just taken. Here are the closest free times:"),
                    alternatives,
                )
            case Confirmed():
                self.update(will_attend=False)
                return self.confirmed(event)
            case ConfirmRefused(no_shows=missed, refuse_chat=True) if missed:
                lost = self.state.hold
                self.update(stage="start", hold=None, slots=(), goal="book")
                text = self.sp.n_(
                    "Because of {n} missed appointment, this service cannot be booked in the "
                    "chat. Please contact us directly.",
                    "Because of {n} missed appointments, this service cannot be booked in the "
                    "chat. Please contact us directly.",
                    missed,
                ).format(n=missed)
                effects = [ReleaseHold(lost.token)] if lost is not None else []
                return self.out(Reply(text, tuple(self.menu_options())), effects=effects)
            case ConfirmRefused(no_shows=missed) if missed and self.state.hold is not None:
                self.update(stage="confirm", will_attend=True)
                text = self.sp.n_(
                    "Our records show {n} missed appointment. Please confirm that you will "
                    "come, or cancel in good time. Shall I book it?",
                    "Our records show {n} missed appointments. Please confirm that you will "
                    "come, or cancel in good time. Shall I book it?",
                    missed,
                ).format(n=missed)
                return self.out(Reply(text, self.yes_no(self._("Confirm"), self._("Cancel"))))
            case ConfirmRefused(expired=True):
                lost = self.state.hold
                self.update(hold=None)
                if lost is None:
                    return self.advance()
                offer = Offer(start=lost.start, end=lost.end, resources=lost.resources)
                take = TakeHold(lost.service, offer, self.provider_of(offer), then_confirm=True)
                return self.out(effects=[take])
            case ConfirmRefused(alternatives=alternatives):
                self.update(hold=None)
                return self.offer(
                    self._("Sorry, that time was taken in the meantime. Here are the closest:"),
                    alternatives,
                )
            case Listed():
                return self.listed(event)
            case Cancelled(booking=booking):
                self.update(stage="start", target=None, goal="book", bookings=())
                text = self._("Cancelled: {booking}.").format(booking=self.words.booking(booking))
                return self.out(Reply(text, tuple(self.menu_options())))
            case Moved():
                return self.moved(event)
            case ChangeRefused():
                return self.change_refused(event)
            case Waitlisted(service=service, start=start, end=end):
                self.update(stage="start", goal="book", wish=None, slots=())
                text = self._(
                    "You're on the waitlist for {what}, {window}. "
                    "We'll write to you if a time frees up."
                ).format(what=self.service_name(service), window=self.words.window(start, end))
                return self.out(Reply(text, tuple(self.menu_options())))
            case HandedOver():
                text = self._(
                    "I've asked our staff to reply to you here. Meanwhile I'm happy to help "
                    "with bookings."
                )
                return self.out(Reply(text, tuple(self.menu_options())))
            case CodeNotNeeded() | CodeNotSent():
                return self.details_done()
            case CodeSent(code=code):
                self.update(code=code, codes_sent=self.state.codes_sent + 1)
                lead = self._(
                    "We already know {phone}. To link this chat with its bookings, I've sent a "
                    "code by SMS to that number."
                ).format(phone=code.phone)
                return self.ask_code(lead)
            case CodeChecked():
                return self.code_result(event)
            case Reminded(booking=booking):
                return self.reminded(booking)
            case Trouble():
                text = self._(
                    "Sorry, something went wrong on our side. Please try again in a moment."
                )
                return self.again(text)
        return self.prompt_again_outcome()  # pragma: no cover - every event is handled above

    def found(self, event: Found) -> Outcome:
        request = event.request
        lead: list[str] = []
        if event.provider_unknown:
            self.update(provider=None)
            lead.append(self._("That person doesn't offer this service; here is who does."))
        if event.why is not None:
            lead.append(self.words.why(event.why, request))
        if event.slots:
            if event.why is None:
                lead.append(self.slots_intro(request, event.slots))
            else:
                lead.append(self._("The closest free times:"))
            return self.offer(" ".join(lead), event.slots, waitlist=event.why is not None)
        if event.nearby:
            lead.append(self._("The closest free times:"))
            return self.offer(" ".join(lead), event.nearby, waitlist=True)
        self.update(stage="when", slots=())
        lead.append(self._("I found nothing free in the next two weeks."))
        options = (
            Option(self._("Join the waitlist"), "wait:join"),
            Option(self._("Talk to a person"), "menu:human"),
            Option(self._("Start over"), "menu:book"),
        )
        return self.out(Reply(" ".join(lead), options, hint="date"))

    def slots_intro(self, request: FindSlots, slots: Sequence[Offer]) -> str:
        what = self.service_name(request.service)
        if request.provider is not None and request.provider in self.ctx.providers:
            what = self.words.what(request.service, (request.provider,))
        if request.at is not None and slots and slots[0].start == request.at:
            return self._("{when} is free for {what}. Other times nearby are below.").format(
                when=self.sp.when(request.at), what=what
            )
        return self._("Free times for {what}:").format(what=what)

    def offer(self, text: str, slots: Sequence[Offer], *, waitlist: bool = False) -> Outcome:
        self.update(stage="slots", slots=tuple(slots[:MAX_SLOTS]), misunderstood=0)
        options = list(self.slot_options())
        if waitlist:
            options.append(Option(self._("Join the waitlist"), "wait:join"))
        return self.out(Reply(text, tuple(options)))

    def confirmed(self, event: Confirmed) -> Outcome:
        booking = event.booking
        self.update(stage="start", hold=None, slots=(), wish=None, goal="book", misunderstood=0)
        text = self._("Booked! {what}, {when}. To see, move or cancel it: {link}").format(
            what=self.words.what(booking.service, booking.resources),
            when=self.sp.span(booking.start, booking.end),
            link=event.manage_url,
        )
        options = (
            Option(self._("My bookings"), "menu:list"),
            Option(self._("Book another"), "menu:book"),
        )
        return self.out(Reply(text, options, attachments=(event.ics,)))

    def moved(self, event: Moved) -> Outcome:
        booking = event.booking
        self.update(
            stage="start", target=None, picked=None, slots=(), wish=None, goal="book", bookings=()
        )
        text = self._("Moved! {what} is now {when}. Details: {link}").format(
            what=self.words.what(booking.service, booking.resources),
            when=self.sp.span(booking.start, booking.end),
            link=event.manage_url,
        )
        return self.out(Reply(text, tuple(self.menu_options()), attachments=(event.ics,)))

    def change_refused(self, event: ChangeRefused) -> Outcome:
        if event.too_late:
            self.update(stage="start", target=None, picked=None, goal="book")
            text = self._(
                "This booking can no longer be changed here: it is too close to the appointment. "
                "A person can help."
            )
            options = (
                Option(self._("Talk to a person"), "menu:human"),
                *self.menu_options(),
            )
            return self.out(Reply(text, options))
        self.update(picked=None)
        return self.offer(
            self._("Sorry, that time was taken in the meantime. Here are the closest:"),
            event.alternatives,
        )

    def listed(self, event: Listed) -> Outcome:
        bookings = event.bookings
        if not bookings:
            self.update(stage="start", bookings=())
            text = self._("You have no upcoming bookings.")
            return self.out(Reply(text, tuple(self.menu_options())))
        lines = [f"• {self.words.booking(b, span=True)}" for b in bookings]
        if event.purpose == "list":
            self.update(stage="start", bookings=bookings)
            text = "\n".join([self._("Your upcoming bookings:"), *lines])
            options = (
                Option(self._("Cancel a booking"), "act:cancel"),
                Option(self._("Move a booking"), "act:reschedule"),
                Option(self._("Book another"), "menu:book"),
            )
            return self.out(Reply(text, options))
        goal = "cancel" if event.purpose == "cancel" else "reschedule"
        self.update(stage="pick_booking", goal=goal, bookings=bookings)
        if len(bookings) == 1:  # no question with one answer
            return self.chose_booking(bookings[0])
        question = (
            self._("Which booking should I cancel?")
            if goal == "cancel"
            else self._("Which booking would you like to move?")
        )
        choices = tuple(Option(self.words.booking(b), f"bk:{b.token}") for b in bookings[:10])
        return self.out(Reply(question, choices))


def _options(shown: Sequence[Shown]) -> tuple[Option, ...]:
    return tuple(Option(s.label, s.value) for s in shown)


def _shown(options: Sequence[Option]) -> tuple[Shown, ...]:
    return tuple(Shown(label=o.label, value=o.value) for o in options)


def _score(reading: Reading) -> int:
    """How much of a message a reading understood, to tell which language it is in.

    A name (service, person) scores nothing: aliases match in every language.
    """
    return (
        (reading.intent not in ("unknown", "choice"))
        + 2 * (reading.when is not None)
        + (reading.command is not None)
    )


_ACTIONS = frozenset({"cancel", "reschedule", "list", "waitlist"})
"""Intents said with a word of their own ("annuler", "move"): a message read as one of them
in the conversation's language is in that language."""


def _only_a_time(reading: Reading) -> bool:
    """A booking read with a time: one stray word ("mon" in French, "mar" in Spanish) reads
    as a weekday in another language, and "rendez-vous" may half name a service."""
    return reading.intent == "book" and reading.when is not None


def _names_moment(reading: Reading, moment: datetime) -> bool:
    """Whether the reading's time is ``moment``: that very start, or a window holding it."""
    when = reading.when
    if isinstance(when, Exact):
        return when.at == moment
    if when is None:
        return False
    return when.start <= moment and (when.end is None or moment < when.end)


def _code_like(text: str) -> bool:
    """Whether ``text`` is a code as sent ("123456", "123 456")."""
    digits = "".join(ch for ch in text if ch not in " -")
    return len(digits) == CODE_DIGITS and digits.isascii() and digits.isdigit()


def _wish_like(reading: Reading) -> bool:
    return reading.when is not None or reading.service is not None
