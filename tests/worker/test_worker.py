"""The worker on real databases and a real SMTP server: what it sends, to whom, once."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar

from channels.base import SendFailed
from channels.email import EMAIL, SmtpEmail, SmtpTarget, message_id
from core import models as m
from core.bookings import Actor, BookingService
from core.notify import Drop, Outgoing, prepare
from core.outbox import MessageKind, RetryPolicy, claim, dead_messages
from core.text.calendar import booking_uid
from slotwise.worker import Senders, Worker
from tests.conftest import TestDatabase
from tests.core.test_booking import ALICE, MONDAY, NOW, TUESDAY, Clock, at, load_clinic

PUBLIC = "https://book.example"
CUSTOMER = Actor("customer", "Alice", "web")


class Inbox:
    """An aiosmtpd handler keeping every e-mail it accepts."""

    def __init__(self) -> None:
        self.mails: list[EmailMessage] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        data: bytes = envelope.content  # type: ignore[attr-defined]
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.mails.append(parsed)
        return "250 OK"


@pytest.fixture
def smtp(unused_tcp_port: int) -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=unused_tcp_port)
    controller.start()
    try:
        yield inbox, unused_tcp_port
    finally:
        controller.stop()


class Recorder:
    """A sender that keeps what it was given (a fake of an outside service, not our code)."""

    def __init__(self, fail: SendFailed | None = None) -> None:
        self.sent: list[tuple[str, Outgoing]] = []
        self.fail = fail

    async def deliver(self, address: str, message: Outgoing) -> str | None:
        if self.fail is not None:
            raise self.fail
        self.sent.append((address, message))
        return f"id-{len(self.sent)}"


def worker(senders: Senders, name: str = "w1") -> Worker:
    return Worker(senders, public_url=PUBLIC, name=name, clock=lambda: NOW)


def recording(recorder: Recorder) -> Senders:
    senders = Senders()
    senders.add(EMAIL, recorder)
    return senders


def calendar_of(mail: EmailMessage) -> tuple[str, Calendar]:
    parts = [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return parts[0].get_param("method"), Calendar.from_ical(parts[0].get_content())


async def test_confirmation_and_reminders_reach_a_real_smtp_server_with_calendar_parts(
    db: TestDatabase, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    await load_clinic()
    clock = Clock()
    info = await BookingService(None, clock=clock).book("solo", at(TUESDAY, 10), ALICE)
    senders = Senders()
    target = SmtpTarget.parse(f"smtp://127.0.0.1:{port}")
    senders.add(EMAIL, SmtpEmail(target, sender="clinic@book.example", public_url=PUBLIC))
    results = await worker(senders).drain(NOW)
    outcomes = {r.kind: r.outcome for r in results}
    assert outcomes[MessageKind.CUSTOMER_CONFIRMATION] == "sent"
    assert outcomes[MessageKind.STAFF_NOTICE] == "dropped"
    (mail,) = inbox.mails
    assert mail["To"] == "alice@example.org"
    assert mail["Subject"].startswith("Gebucht: Solo")  # Alice reads German
    key = f"booking:{info.id}:confirmation"
    assert mail["Message-ID"] == message_id(key, "book.example")
    assert mail.get_body(("plain",)).get_content().startswith("Hallo Alice,")
    assert f"{PUBLIC}/b/{info.manage_token}" in mail.get_body(("html",)).get_content()
    method, cal = calendar_of(mail)
    assert method == "REQUEST"
    (event,) = cal.walk("VEVENT")
    assert str(event["uid"]) == booking_uid(info.id, PUBLIC)
    row = await m.Outbox.get(dedup_key=key)
    assert (row.status, row.provider_id) == (m.OutboxStatus.SENT, mail["Message-ID"])
    # The reminders wait for their time, then go out once each.
    assert await worker(senders).drain(at(MONDAY, 9)) == []
    later = await worker(senders).drain(at(TUESDAY, 9))
    assert [r.kind for r in later] == [MessageKind.REMINDER, MessageKind.REMINDER]
    assert [r.dedup_key.split(":")[3] for r in later] == ["1440", "120"]
    assert [m_["Subject"].split(":")[0] for m_ in inbox.mails[1:]] == ["Erinnerung"] * 2


async def test_a_cancellation_mail_carries_method_cancel_with_the_same_uid(
    db: TestDatabase, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    await load_clinic()
    service = BookingService(None, clock=Clock())
    info = await service.book("solo", at(TUESDAY, 10), ALICE)
    await service.cancel(info.manage_token, actor=CUSTOMER)
    senders = Senders()
    target = SmtpTarget.parse(f"smtp://127.0.0.1:{port}")
    senders.add(EMAIL, SmtpEmail(target, sender="clinic@book.example", public_url=PUBLIC))
    await worker(senders).drain(at(TUESDAY, 9))
    by_subject = {mail["Subject"].split(":")[0]: mail for mail in inbox.mails}
    assert set(by_subject) == {"Gebucht", "Storniert"}  # no reminder of a cancelled booking
    method, cal = calendar_of(by_subject["Storniert"])
    (event,) = cal.walk("VEVENT")
    assert method == "CANCEL"
    assert (str(event["uid"]), str(event["status"])) == (
        booking_uid(info.id, PUBLIC),
        "CANCELLED",
    )


async def test_a_worker_killed_between_claim_and_send_is_resent_exactly_once(
    db: TestDatabase,
) -> None:
    await load_clinic()
    await BookingService(None, clock=Clock()).book("solo", at(TUESDAY, 10), ALICE)
    lost = await claim("killed", NOW, lease=timedelta(minutes=2))  # then it died
    assert {c.kind for c in lost} >= {MessageKind.CUSTOMER_CONFIRMATION}
    recorder = Recorder()
    assert await worker(recording(recorder)).drain(NOW + timedelta(minutes=1)) == []
    after = NOW + timedelta(minutes=3)
    await worker(recording(recorder)).drain(after)
    await worker(recording(recorder)).drain(after)
    assert [message.kind for _, message in recorder.sent] == [MessageKind.CUSTOMER_CONFIRMATION]


async def test_two_workers_on_postgres_never_send_one_message_twice(db: TestDatabase) -> None:
    if db.backend != "postgres":
        pytest.skip("SQLite has one writer: one worker")
    await load_clinic()
    info = await BookingService(None, clock=Clock()).book("solo", at(TUESDAY, 10), ALICE)
    row = await m.Outbox.get(dedup_key=f"booking:{info.id}:confirmation")
    for n in range(200):
        await m.Outbox.create(
            dedup_key=f"booking:{info.id}:copy:{n}",
            kind=MessageKind.CUSTOMER_CONFIRMATION.value,
            booking_id=info.id,
            payload=row.payload,
            available_at=NOW,
        )
    recorder = Recorder()
    senders = recording(recorder)
    one, two = (
        Worker(senders, public_url=PUBLIC, name="a", batch=7),
        Worker(senders, public_url=PUBLIC, name="b", batch=7),
    )
    await asyncio.gather(one.drain(NOW), two.drain(NOW))
    keys = [message.dedup_key for _, message in recorder.sent]
    assert len(keys) == len(set(keys)) == 201


async def test_a_reminder_of_a_booking_moved_after_it_was_queued_is_dropped_not_sent_stale(
    db: TestDatabase,
) -> None:
    await load_clinic()
    service = BookingService(None, clock=Clock())
    info = await service.book("solo", at(TUESDAY, 10), ALICE)
    early = at(TUESDAY, 8, 30)
    (reminder,) = [
        c for c in await claim("w1", early) if c.payload.get("offset_min") == 120
    ]  # claimed, about to be sent...
    await service.reschedule(info.manage_token, at(TUESDAY, 14), actor=CUSTOMER)  # ...moved
    decided = await prepare(reminder, early, public_url=PUBLIC)
    assert decided == Drop("the booking was moved after the reminder was queued")
    recorder = Recorder()
    await worker(recording(recorder)).drain(at(TUESDAY, 13))
    reminders = [
        msg
        for _, msg in recorder.sent
        if msg.dedup_key.startswith(f"booking:{info.id}:reminder:120:")
    ]
    assert len(reminders) == 1
    assert "14:00" in reminders[0].text  # the new time's reminder


async def test_a_message_every_route_refuses_for_good_is_dead_and_listed(
    db: TestDatabase,
) -> None:
    await load_clinic()
    info = await BookingService(None, clock=Clock()).book("solo", at(TUESDAY, 10), ALICE)
    refusing = recording(Recorder(SendFailed("no such mailbox", permanent=True)))
    results = await worker(refusing).drain(NOW)
    assert {r.kind: r.outcome for r in results}[MessageKind.CUSTOMER_CONFIRMATION] == "dead"
    (dead,) = await dead_messages()
    assert dead.dedup_key == f"booking:{info.id}:confirmation"
    assert "no such mailbox" in dead.last_error


async def test_a_temporary_failure_is_retried_later_then_dead_after_max_attempts(
    db: TestDatabase,
) -> None:
    await load_clinic()
    await BookingService(None, clock=Clock()).book("solo", at(TUESDAY, 10), ALICE)
    down = recording(Recorder(SendFailed("connection refused", permanent=False)))
    policy = RetryPolicy(base=timedelta(seconds=1), cap=timedelta(seconds=1), max_attempts=2)
    flaky = Worker(down, public_url=PUBLIC, name="w1", policy=policy)
    first = await flaky.drain(NOW)
    assert {r.kind: r.outcome for r in first}[MessageKind.CUSTOMER_CONFIRMATION] == "failed"
    second = await flaky.drain(NOW + timedelta(seconds=5))
    assert [r.outcome for r in second] == ["dead"]


async def test_a_customer_no_registered_channel_reaches_is_dropped_not_retried(
    db: TestDatabase,
) -> None:
    await load_clinic()
    await BookingService(None, clock=Clock()).book("solo", at(TUESDAY, 10), ALICE)
    results = await worker(Senders()).drain(NOW)
    assert {r.outcome for r in results} == {"dropped"}
