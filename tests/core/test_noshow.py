"""No-shows: marking (only after the start, audited), counting per customer, the policy."""

from __future__ import annotations

import pytest

from core import models as m
from core.bookings import Actor
from core.bookings.noshow import enforce
from core.businessfile import parse_business
from core.customers import CustomerInput
from core.errors import NoShowLimit, NotFound, PolicyViolation
from core.store import replace_business
from tests.conftest import TestDatabase
from tests.core.test_booking import ALICE, CLINIC, TUESDAY, Setup, at, make_setup

STAFF = Actor("staff", "Ana", "slack")


@pytest.fixture
async def setup(db: TestDatabase) -> Setup:
    return await make_setup()


async def test_a_no_show_is_marked_after_the_start_with_history_and_no_reminders(
    setup: Setup,
) -> None:
    info = await setup.service.book("cut", at(TUESDAY, 10), ALICE)
    with pytest.raises(PolicyViolation, match="only after its start") as refused:
        await setup.service.mark_no_show(info.manage_token, actor=STAFF)
    assert refused.value.field == "status"
    setup.clock.now = at(TUESDAY, 10, 5)
    done = await setup.service.mark_no_show(info.manage_token, actor=STAFF)
    assert done.status == "no_show"
    assert (await setup.service.get(info.manage_token)).status == "no_show"
    history = await m.BookingHistory.filter(booking_id=info.id).order_by("id")
    assert [(h.action, h.actor, h.channel) for h in history] == [
        ("booked", "customer:Alice", "api"),
        ("no_show", "staff:Ana", "slack"),
    ]
    assert history[1].data["no_shows"] == 1
    kinds = await m.Outbox.filter(booking_id=info.id).values_list("kind", flat=True)
    assert not [k for k in kinds if str(k).startswith("reminder")]
    # Twice changes nothing.
    assert await setup.service.mark_no_show(info.manage_token, actor=STAFF) == done
    assert await m.BookingHistory.filter(booking_id=info.id).count() == 2


async def test_a_cancelled_booking_is_no_no_show(setup: Setup) -> None:
    info = await setup.service.book("cut", at(TUESDAY, 10), ALICE)
    await setup.service.cancel(info.manage_token, actor=STAFF, override=False)
    setup.clock.now = at(TUESDAY, 11)
    with pytest.raises(PolicyViolation, match="cancelled booking"):
        await setup.service.mark_no_show(info.manage_token, actor=STAFF)
    with pytest.raises(NotFound):
        await setup.service.mark_no_show("nope" * 30, actor=STAFF)


POLICY = CLINIC.replace(
    "    cancel_notice_min: 120\n",
    "    cancel_notice_min: 120\n    no_shows: {after: 2, then: refuse_chat}\n",
    1,
)


async def test_the_policy_counts_no_shows_per_customer_and_refuses_chat(setup: Setup) -> None:
    await replace_business(parse_business(POLICY))
    service = setup.service
    first = await service.book("cut", at(TUESDAY, 10), ALICE)
    second = await service.book("cut", at(TUESDAY, 11), ALICE)
    other = await service.book("cut", at(TUESDAY, 12), CustomerInput("Bob", phone="+4999"))
    setup.clock.now = at(TUESDAY, 13)
    await service.mark_no_show(first.manage_token, actor=STAFF)
    standing = await service.no_show_standing("cut", ALICE)
    assert (standing.no_shows, standing.applies) == (1, False)
    await enforce("cut", ALICE, channel="telegram")  # one is not enough
    await service.mark_no_show(second.manage_token, actor=STAFF)
    await service.mark_no_show(other.manage_token, actor=STAFF)
    standing = await service.no_show_standing("cut", ALICE)
    assert (standing.no_shows, standing.refuses_chat) == (2, True)
    with pytest.raises(NoShowLimit) as refused:
        await enforce("cut", ALICE, channel="telegram")
    assert refused.value.action == "refuse_chat"
    assert refused.value.code == "no_show_limit"
    await enforce("cut", ALICE, channel="api")  # staff and partners may still book


async def test_the_confirm_policy_asks_for_a_confirmation(setup: Setup) -> None:
    await replace_business(
        parse_business(POLICY.replace("after: 2, then: refuse_chat", "after: 1"))
    )
    info = await setup.service.book("cut", at(TUESDAY, 10), ALICE)
    setup.clock.now = at(TUESDAY, 11)
    await setup.service.mark_no_show(info.manage_token, actor=STAFF)
    with pytest.raises(NoShowLimit) as refused:
        await enforce("cut", ALICE, channel="api")
    assert (refused.value.action, refused.value.field) == ("confirm", "customer_confirmed")
    found = await enforce("cut", ALICE, channel="telegram", confirmed=True)
    assert found.needs_confirmation
