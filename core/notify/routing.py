"""Where a message goes: the customer's routes in the order that fits the booking, and
the staff member a notice of their own calendar goes to.

- A customer's message goes first on the channel they booked on. A booking made
  through the REST API has no channel to answer on: e-mail when they gave one, else
  SMS to their phone (when this installation sends SMS: the worker skips channels it
  has no sender for), then the rest.
- A notice to the staff (new, moved, cancelled booking) goes to the first staff
  resource of the booking that can be reached: its Slack user (``resources[].slack_user``),
  else its e-mail (``resources[].email``); by e-mail too when Slack refuses it for good.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tortoise.expressions import Q

from core import models as m
from core.customers import EMAIL, Route

__all__ = [
    "SLACK",
    "SMS",
    "StaffRecipient",
    "order_routes",
    "staff_directory",
    "staff_recipient",
]

SLACK = "slack"
SMS = "sms"
API = "api"


def order_routes(routes: Sequence[Route], booked_on: str) -> list[Route]:
    """``routes`` (best first) with the booking's own channel first; for an API booking
    e-mail, then SMS, first. Pure; the order among the rest is kept."""

    def rank(route: Route) -> int:
        if booked_on == API:
            return {EMAIL: 0, SMS: 1}.get(route.channel, 2)
        return 0 if route.channel == booked_on else 1

    return sorted(routes, key=rank)


@dataclass(frozen=True, slots=True)
class StaffRecipient:
    resource: str
    """The resource's id (slug)."""
    name: str
    routes: list[Route]
    """Slack first, then e-mail."""
    zone: str | None
    """The resource's own zone, if it has one."""


async def staff_directory(business_id: int) -> dict[str, StaffRecipient]:
    """Every active-or-not staff resource of the business that can be reached (a Slack user
    or an e-mail), by id, in the business file's order: one query, for a whole batch of
    notices."""
    rows = (
        await m.Resource.filter(business_id=business_id, kind=m.ResourceKind.STAFF)
        .filter(Q(slack_user__isnull=False) | Q(email__isnull=False))
        .order_by("position", "id")  # the business file's order
        .values_list("slug", "name", "slack_user", "email", "timezone")
    )
    found: dict[str, StaffRecipient] = {}
    for slug, name, slack_user, email, zone in rows:
        routes = [Route(SLACK, slack_user)] if slack_user else []
        if email:
            routes.append(Route(EMAIL, email))
        if routes:
            found[str(slug)] = StaffRecipient(str(slug), str(name), routes, zone)
    return found


def staff_recipient(
    directory: Mapping[str, StaffRecipient], resources: Sequence[str]
) -> StaffRecipient | None:
    """The first of ``resources`` (a booking's, in pool order) that is staff and has a Slack
    user or an e-mail; ``None`` when none has."""
    return next((directory[slug] for slug in resources if slug in directory), None)
