"""Staff members' own calendars: their busy time read in, their bookings written out.

See :mod:`core.calendars.sync` for how, and ``docs/calendars.md`` for users.
"""

from core.calendars.credentials import MAKE_KEY, Credentials
from core.calendars.remote import PRIVATE_FIX
from core.calendars.sync import (
    Calendars,
    Connection,
    StaffCalendar,
    clashing,
    connection_of,
    staff_calendars,
)

__all__ = [
    "MAKE_KEY",
    "PRIVATE_FIX",
    "Calendars",
    "Connection",
    "Credentials",
    "StaffCalendar",
    "clashing",
    "connection_of",
    "staff_calendars",
]
