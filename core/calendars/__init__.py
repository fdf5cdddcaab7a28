"""Staff members' own calendars: their busy time read in, their bookings written out.

See :mod:`core.calendars.sync` for how, and ``docs/calendars.md`` for users.
"""

from core.calendars.credentials import MAKE_KEY, Credentials
from core.calendars.sync import Calendars, Connection, connection_of

__all__ = ["MAKE_KEY", "Calendars", "Connection", "Credentials", "connection_of"]
