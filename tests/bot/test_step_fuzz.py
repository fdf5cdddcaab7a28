"""The dialog never fails a customer: random text and random button presses, in memory.

The step is pure, so this drives it without a database: each effect it asks
for is answered by a plausible random result (slots found or not, a hold
taken or refused, a booking confirmed or its slot gone), the way the runner
would. Every message must get at least one reply, and the state must survive
a round trip through JSON (it is stored between messages).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
from bot.dialog.step import Context, new_state, step
from bot.i18n import LANGUAGES
from bot.inbound import Inbound
from bot.replies import Attachment
from bot.understand import Catalog, Named

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
CTX = Context(
    now=NOW,
    business="Test salon",
    home_zone="Europe/Berlin",
    home_lang="en",
    catalog=Catalog(
        services=(Named("cut", ("Haircut", "corte")), Named("colour", ("Colour",))),
        providers=(Named("ana", ("Ana",)), Named("ben", ("Ben",))),
    ),
    services={"cut": "Haircut", "colour": "Colour"},
    providers={"ana": "Ana", "ben": "Ben"},
)
OFFERS = tuple(
    Offer(
        start=NOW + timedelta(hours=h),
        end=NOW + timedelta(hours=h, minutes=45),
        resources=("ana",) if h % 2 else ("ben",),
    )
    for h in range(2, 12)
)
BOOKING = BookingRef(token="t0ken", service="cut", start=OFFERS[0].start, end=OFFERS[0].end)
ICS = Attachment("booking.ics", "text/calendar", b"BEGIN:VCALENDAR", url="https://x/b/t0ken.ics")
REASONS = ("closed", "busy", "too_soon", "too_far", "blocked", "off_grid", "none", "full")

phrases = st.sampled_from(
    [
        "haircut tomorrow afternoon",
        "corte mañana a las 5",
        "with Ana next tuesday after 4",
        "yes",
        "no",
        "2",
        "the second one",
        "my bookings",
        "cancel",
        "reschedule my appointment",
        "start over",
        "talk to a person",
        "español",
        "earlier",
        "later",
        "another day",
        "Ada Lovelace",
        "ada@example.com",
        "+49 30 1234567",
        "help",
        "waitlist",
        "🙂",
        "123456",
        "1",
        "3",
    ]
)
texts = st.one_of(phrases, st.text(max_size=60), st.text(min_size=1000, max_size=5000))


def answer(effect: Effect, data: st.DataObject) -> Event | None:
    """A plausible result of the effect, as the runner would report it."""
    pick = data.draw
    match effect:
        case FindSlots():
            slots = pick(st.lists(st.sampled_from(OFFERS), max_size=5, unique=True))
            why = pick(
                st.none()
                | st.builds(Why, st.sampled_from(REASONS), st.none() | st.integers(0, 9999))
            )
            nearby = () if slots else tuple(pick(st.lists(st.sampled_from(OFFERS), max_size=3)))
            return Found(
                effect,
                tuple(sorted(slots, key=lambda o: o.start)),
                why,
                nearby,
                pick(st.booleans()),
            )
        case TakeHold(offer=offer):
            if pick(st.booleans()):
                held = HeldSlot(
                    token="h",
                    service=effect.service,
                    start=offer.start,
                    end=offer.end,
                    resources=offer.resources,
                    expires_at=NOW + timedelta(minutes=5),
                )
                return HoldTaken(held, effect.then_confirm)
            return HoldRefused(OFFERS[:3])
        case ReleaseHold():
            return None
        case ConfirmHold(hold=hold):
            booking = BookingRef(token="b", service=hold.service, start=hold.start, end=hold.end)
            return pick(
                st.sampled_from(
                    [
                        Confirmed(booking, "https://x/b/b", ICS),
                        ConfirmRefused(expired=True),
                        ConfirmRefused(expired=False, alternatives=OFFERS[:2]),
                        Trouble(effect),
                    ]
                )
            )
        case ListBookings(purpose=purpose):
            return Listed(purpose, tuple(pick(st.lists(st.just(BOOKING), max_size=2))))
        case CancelBooking(booking=booking):
            return pick(
                st.sampled_from([Cancelled(booking), ChangeRefused(booking, too_late=True)])
            )
        case MoveBooking(booking=booking):
            return pick(
                st.sampled_from(
                    [
                        Moved(booking, booking, "https://x/b/b", ICS),
                        ChangeRefused(booking, too_late=False, alternatives=OFFERS[:2]),
                    ]
                )
            )
        case JoinWaitlist():
            return Waitlisted(effect.service, effect.start, effect.end)
        case HandOver():
            return HandedOver()
        case SendCode(phone=phone):
            code = PendingCode(
                phone=phone, digest="d", expires_at=NOW + timedelta(minutes=10), attempts_left=5
            )
            return pick(st.sampled_from([CodeNotNeeded(phone), CodeNotSent(phone), CodeSent(code)]))
        case CheckCode(code=code):
            left = code.model_copy(update={"attempts_left": 1})
            return pick(
                st.sampled_from(
                    [
                        CodeChecked("confirmed", code.phone, None),
                        CodeChecked("wrong", code.phone, left),
                        CodeChecked("expired", code.phone, None),
                        CodeChecked("exhausted", code.phone, None),
                    ]
                )
            )
    raise AssertionError(effect)


def run(state: State, inbound: Inbound, data: st.DataObject) -> tuple[State, int]:
    """One message and every effect it causes; the number of replies. Sometimes a reminder
    came before it (the runner feeds :class:`Reminded` first, as after a reminder)."""
    replies = 0
    events: list[Inbound | Event] = [inbound]
    if data.draw(st.integers(0, 5)) == 0:
        events.insert(0, Reminded(BOOKING))
    for _ in range(12):
        if not events:
            break
        outcome = step(state, events.pop(0), CTX)
        state = State.model_validate_json(outcome.state.model_dump_json())
        replies += len(outcome.replies)
        for effect in outcome.effects:
            result = answer(effect, data)
            if result is not None:
                events.append(result)
    return state, replies


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), lang=st.sampled_from(LANGUAGES))
def test_every_message_gets_a_reply(data: st.DataObject, lang: str) -> None:
    state = new_state(CTX, lang)
    if data.draw(st.booleans()):  # a slot held, the contact asked: the typed-number paths
        held = HeldSlot(
            token="h",
            service="cut",
            start=OFFERS[0].start,
            end=OFFERS[0].end,
            resources=OFFERS[0].resources,
            expires_at=NOW + timedelta(minutes=5),
        )
        state = state.model_copy(
            update={"stage": "contact", "service": "cut", "name": "Ada", "hold": held}
        )
        state, replies = run(state, Inbound("test", "u", text="+49 30 1234567"), data)
        assert replies >= 1, "no reply to a typed number"
        if state.stage == "code" and data.draw(st.booleans()):
            state, replies = run(state, Inbound("test", "u", text="123 456"), data)
            assert replies >= 1, "no reply to a code"
    for _ in range(data.draw(st.integers(1, 8))):
        if state.shown and data.draw(st.booleans()):
            choice = data.draw(st.sampled_from(state.shown)).value
            inbound = Inbound("test", "u", choice=choice)
        elif data.draw(st.integers(0, 9)) == 0:
            inbound = Inbound("test", "u", choice=data.draw(st.text(max_size=30)))
        else:
            inbound = Inbound("test", "u", text=data.draw(texts))
        state, replies = run(state, inbound, data)
        assert replies >= 1, f"no reply to {inbound!r}"
