"""The admin panel: people with roles sign in (password and two-factor code) and manage
the business. Server-rendered pages under ``/admin`` (Quart, Jinja), in the user's language.

It uses ``core``'s doors (``core.users``, ``core.bookings``, ``core.audit``,
``core.directory``, ``core.rules``), never ``bot``; ``tests/test_layers.py`` holds
it to that. Every route says who may open it (:mod:`admin.access`), and
``tests/admin/test_access.py`` walks them all.
"""

from admin import (  # noqa: F401 (each module's routes hang on the blueprint)
    account,
    audit,
    calendar,
    calendars,
    customers,
    pages,
    reports,
    rules,
    rules_dates,
    rules_misfits,
    rules_resources,
    services,
    settings,
    signin,
    today,
    users,
    waitlist,
)
from admin.blueprint import admin, register_admin
from admin.config import AdminConfig

__all__ = [
    "AdminConfig",
    "account",
    "admin",
    "audit",
    "calendar",
    "calendars",
    "customers",
    "pages",
    "register_admin",
    "reports",
    "rules",
    "settings",
    "signin",
    "today",
    "users",
    "waitlist",
]
