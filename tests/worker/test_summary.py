"""The staff's morning summary: asked for in the business file (or by a rule edit), queued
once per person and local day at their time, written when it goes, by Slack else e-mail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import models as m
from core.bookings import Actor, BookingService
from core.businessfile import business_document, parse_business
from core.errors import SlotwiseError
from core.rules import set_morning_summary
from core.store import load_rules_as_business, replace_business
from slotwise.worker import Senders, Worker
from tests.conftest import TestDatabase
from tests.core.test_booking import ALICE, CLINIC, TUESDAY, Clock, at
from tests.worker.test_notify_routes import FakeSlack
from tests.worker.test_worker import PUBLIC, Recorder, recording

BERLIN = (
    CLINIC.replace("timezone: UTC}", "timezone: Europe/Berlin}", 1)
    .replace(
        "  - {id: ana, name: Ana, weekly_hours:",
        '  - {id: ana, name: Ana, slack_user: U0ANA, morning_summary: "07:30", weekly_hours:',
        1,
    )
    .replace(
        "  - {id: ben, name: Ben, weekly_hours:",
        '  - {id: ben, name: Ben, email: ben@clinic.example, morning_summary: "08:00", '
        "weekly_hours:",
        1,
    )
)
STAFF = Actor("staff", "Ana", "slack")


def worker(senders: Senders) -> Worker:
    return Worker(senders, public_url=PUBLIC, name="w1", clock=lambda: at(TUESDAY, 0))


@pytest.fixture
async def clinic(db: TestDatabase) -> None:
    await replace_business(parse_business(BERLIN))


def test_the_business_file_reads_and_writes_morning_summary() -> None:
    business = parse_business(BERLIN)
    assert business.morning_summaries == {"ana": 450, "ben": 480}
    document = business_document(business)
    assert document["resources"][0]["morning_summary"] == "07:30"
    with pytest.raises(SlotwiseError, match="morning_summary"):
        parse_business(BERLIN.replace('"07:30"', '"25:00"'))


async def test_each_staff_member_gets_their_day_once_at_their_time(clinic: None) -> None:
    service = BookingService(None, clock=Clock())
    # Berlin is UTC+1 in December: 10:00 and 12:00 Berlin on Tuesday.
    await service.book("solo", at(TUESDAY, 9), ALICE)
    await service.book("solo", at(TUESDAY, 11), ALICE)
    await service.book("solo", at(TUESDAY, 13) - timedelta(days=1), ALICE)  # Monday
    await m.Outbox.filter(kind__not="staff_summary").delete()  # only the summaries here
    slack = FakeSlack()
    mail = Recorder()
    senders = recording(mail)
    senders.add_channel(slack)  # type: ignore[arg-type]
    early = await worker(senders).drain(datetime(2026, 12, 1, 6, 29, tzinfo=UTC))
    assert early == []  # 07:29 in Berlin: queued, not due
    keys = set(await m.Outbox.filter(kind="staff_summary").values_list("dedup_key", flat=True))
    assert keys == {"summary:ana:2026-12-01", "summary:ben:2026-12-01"}
    (sent,) = await worker(senders).drain(datetime(2026, 12, 1, 6, 30, tzinfo=UTC))
    assert (sent.kind, sent.outcome) == ("staff_summary", "sent")
    ((user, reply),) = slack.sent
    assert user == "U0ANA"
    text = reply.text.replace("\u202f", " ")
    assert text.splitlines()[0] == "Your day, Tue, Dec 1: 2 bookings"
    assert "10:00 AM–11:00 AM: Solo, Alice" in text
    assert "12:00 PM–1:00 PM: Solo, Alice" in text
    assert text.count("• ") == 2  # Monday's booking is another day
    # Ben (no Slack user) by e-mail at 08:00 his time, with no bookings.
    (ben,) = await worker(senders).drain(datetime(2026, 12, 1, 7, 0, tzinfo=UTC))
    assert ben.outcome == "sent"
    ((address, message),) = mail.sent
    assert address == "ben@clinic.example"
    assert "You have no bookings today." in message.text
    # Once a day: later rounds that day queue nothing more; the next day has its own.
    assert await worker(senders).drain(datetime(2026, 12, 1, 9, 0, tzinfo=UTC)) == []
    assert await m.Outbox.filter(kind="staff_summary").count() == 2
    nxt = await worker(senders).drain(datetime(2026, 12, 2, 7, 0, tzinfo=UTC))
    assert sorted(r.dedup_key for r in nxt) == ["summary:ana:2026-12-02", "summary:ben:2026-12-02"]


async def test_no_summary_after_opting_out_nor_long_after_its_time(clinic: None) -> None:
    senders = recording(Recorder())
    slack = FakeSlack()
    senders.add_channel(slack)  # type: ignore[arg-type]
    assert await worker(senders).drain(datetime(2026, 12, 1, 6, 0, tzinfo=UTC)) == []
    await set_morning_summary("ana", None, actor=STAFF)
    business = await load_rules_as_business()
    assert "ana" not in business.morning_summaries
    results = await worker(senders).drain(datetime(2026, 12, 1, 6, 30, tzinfo=UTC))
    assert [(r.dedup_key, r.outcome) for r in results] == [("summary:ana:2026-12-01", "dropped")]
    assert not slack.sent
    await set_morning_summary("ana", "07:30", actor=STAFF)
    # Noon in Berlin the next day: more than three hours late, that day gets none, and
    # Ben's of the day before, never sent, is dropped rather than sent a day late.
    late = await worker(senders).drain(datetime(2026, 12, 2, 11, 0, tzinfo=UTC))
    assert [(r.dedup_key, r.outcome) for r in late] == [("summary:ben:2026-12-01", "dropped")]
    assert not await m.Outbox.filter(dedup_key="summary:ana:2026-12-02").exists()
    assert not slack.sent
