"""What the panel calls each recorded change: an admin reads "Changed the weekly hours", not
``resource.hours``, in the audit log, a booking's history and a user's changes.

The histories (``booking_history``, ``rule_history``, ``user_history``) keep short codes,
which the audit log's "What" filter still takes. :func:`action_words` is the one table of
their words; ``tests/admin/test_actions.py`` reads the code base for every code written to
a history and fails on one without words here. A code without words (an old row's) is
shown as it is, never an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from admin.words import Words

__all__ = ["ActionWords", "action_words"]


@dataclass(frozen=True, slots=True)
class ActionWords:
    labels: Mapping[str, str]
    """Each code's words in the reader's language."""

    def label(self, code: str) -> str:
        return self.labels.get(code, code)

    def code(self, typed: str) -> str:
        """The code of words an admin typed in the filter (any case), else what they typed:
        the filter takes a code as well as its words."""
        wanted = typed.strip().casefold()
        found = (code for code, label in self.labels.items() if label.casefold() == wanted)
        return next(found, typed.strip())

    def offered(self, codes: Iterable[str]) -> list[tuple[str, str]]:
        """``(code, words)`` of these codes, in the order of their words, for the filter."""
        return sorted(((c, self.label(c)) for c in codes), key=lambda pair: pair[1].casefold())


def action_words(words: Words) -> ActionWords:
    _ = words._
    return ActionWords(
        {
            # booking_history (core.bookings, core.store's import, core.notify.note)
            "booked": _("Booked"),
            "cancelled": _("Cancelled the booking"),
            "rescheduled": _("Moved the booking"),
            "no_show": _("Marked as a no-show"),
            "imported": _("Imported"),
            "message": _("Sent the customer a message"),
            "customer_merged": _("Merged duplicate customers"),
            # rule_history: the rules (core.rules)
            "resource.put": _("Added or changed a resource"),
            "resource.remove": _("Removed a resource"),
            "resource.hours": _("Changed the weekly hours"),
            "resource.override": _("Changed the hours of a date"),
            "resource.overrides": _("Changed the hours of several dates"),
            "resource.override_removed": _("Removed a date override"),
            "resource.block": _("Added blocked time"),
            "resource.block_removed": _("Removed blocked time"),
            "resource.morning_summary": _("Changed the morning summary"),
            "service.put": _("Added or changed a service"),
            "service.remove": _("Removed a service"),
            "service.reminders": _("Changed a service's reminders"),
            "business.quiet_hours": _("Changed the quiet hours"),
            "business.details": _("Changed the business details"),
            # rule_history: calendars, customers, the waitlist, settings
            "calendar.connect": _("Connected a calendar"),
            "calendar.disconnect": _("Disconnected a calendar"),
            "calendar.sync": _("Synchronised a calendar"),
            "customer_erased": _("Erased a customer's personal data"),
            "waitlist_removed": _("Removed from the waitlist"),
            "api_key_created": _("Created an API key"),
            "api_key_revoked": _("Revoked an API key"),
            "webhook_created": _("Added a webhook"),
            "webhook_deleted": _("Deleted a webhook"),
            # user_history (core.users.manage)
            "user_invited": _("Invited a user"),
            "user_link_made": _("Made a new sign-in link"),
            "user_two_factor_reset": _("Reset a user's two-factor sign-in"),
            "user_role_changed": _("Changed a user's role"),
            "user_disabled": _("Disabled a user"),
            "user_enabled": _("Enabled a user"),
            "user_password_changed": _("Changed their own password"),
        }
    )
