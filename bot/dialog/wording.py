"""How the dialog names things for one customer: services, staff, slots, stretches of time,
and why a wished time cannot be booked.

Kept apart from the dialog's decisions (``step.py``) so that what the bot *says*
about a slot or a refusal is written once, in the customer's language and zone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.dialog.effects import FindSlots, Why
from bot.dialog.state import BookingRef, Offer
from bot.i18n import Speaker

__all__ = ["Wording", "midnight"]


def midnight(moment: datetime, zone: str, days: int = 0) -> datetime:
    """The start of ``moment``'s local day in ``zone``, ``days`` later."""
    tz = ZoneInfo(zone)
    day = moment.astimezone(tz).date() + timedelta(days=days)
    return datetime.combine(day, time(0), tzinfo=tz)


@dataclass(frozen=True, slots=True)
class Wording:
    sp: Speaker
    services: Mapping[str, str]
    providers: Mapping[str, str]

    def _(self, message: str) -> str:
        return self.sp._(message)

    def service_name(self, service: str) -> str:
        return self.services.get(service, service)

    def staff_of(self, resources: Sequence[str]) -> list[str]:
        return [self.providers[r] for r in resources if r in self.providers]

    def staff_name(self, why: Why) -> str | None:
        """The person in the way, by the name a customer of this language reads."""
        if why.resource is not None and why.resource in self.providers:
            return self.providers[why.resource]
        return why.who

    def what(self, service: str, resources: Sequence[str] = ()) -> str:
        """The service, with the staff when any: Haircut with Ana."""
        staff = self.staff_of(resources)
        if not staff:
            return self.service_name(service)
        return self._("{service} with {staff}").format(
            service=self.service_name(service), staff=", ".join(staff)
        )

    def slot(self, offer: Offer) -> str:
        """A slot's button: Tue, Dec 1, 2:00 PM · Ana."""
        staff = self.staff_of(offer.resources)
        when = self.sp.when(offer.start)
        return f"{when} · {', '.join(staff)}" if staff else when

    def booking(self, booking: BookingRef, *, span: bool = False) -> str:
        """A booking in a line: Haircut with Ana, Tue, Dec 1, 2:00 PM (– 2:45 PM)."""
        when = self.sp.span(booking.start, booking.end) if span else self.sp.when(booking.start)
        return f"{self.what(booking.service, booking.resources)}, {when}"

    def window(self, start: datetime, end: datetime) -> str:
        """A stretch of time as briefly as it can be said: one day's span, or from-to."""
        zone = self.sp.zone
        if midnight(start, zone) == midnight(end - timedelta(microseconds=1), zone):
            return self.sp.span(start, end)
        return f"{self.sp.when(start)} – {self.sp.when(end)}"

    def why(self, why: Why, request: FindSlots) -> str:
        """One short sentence on why the wish cannot be met, from the engine's reason."""
        sp = self.sp
        subject, one_day = self._subject(request)
        match why.code:
            case "too_soon":
                text = self._("{subject} is too soon: bookings need {notice} notice.")
                return text.format(subject=subject, notice=sp.duration(why.minutes or 0))
            case "too_far":
                text = self._("{subject} is too far ahead: bookings open up to {latest}.")
                latest = sp.day(why.at) if why.at else "?"
                return text.format(subject=subject, latest=latest)
            case "off_grid":
                text = self._("{subject} is not a start time: appointments start every {step}.")
                return text.format(subject=subject, step=sp.duration(why.minutes or 0))
            case "closed":
                # The engine names the first of the team it found off; unless the customer
                # asked for that person, the business is what is closed to them.
                if why.who and request.provider is not None:
                    text = self._("{subject}: {who} is not working then.")
                    return text.format(subject=subject, who=self.staff_name(why))
                return self._("{subject}: we are closed then.").format(subject=subject)
            case "blocked":
                text = self._("{subject}: {who} is away then.")
                return text.format(subject=subject, who=self.staff_name(why) or self._("the team"))
            case "busy" | "full" | "no_distinct_choice":
                if one_day:
                    return self._("{subject} is fully booked.").format(subject=subject)
                return self._("{subject} is already taken.").format(subject=subject)
            case "service_inactive" | "resource_inactive" | "too_many_seats":
                return self._("This service can't be booked at the moment.")
        return self._("Nothing is free at the time you asked for.")

    def _subject(self, request: FindSlots) -> tuple[str, bool]:
        """What the sentence is about: the wished time, the wished day, or "the time you
        asked for"; and whether it is a whole day (which is "fully booked", not "taken")."""
        if request.at is not None:
            return self.sp.when(request.at), False
        end = request.end
        zone = self.sp.zone
        if end is not None and midnight(request.start, zone) == midnight(
            end - timedelta(microseconds=1), zone
        ):
            return self.sp.day(request.start), True
        return self._("The time you asked for"), False
