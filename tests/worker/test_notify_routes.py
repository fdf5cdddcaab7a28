"""Where the worker sends: staff notices to Slack or e-mail, API bookings by e-mail first,
quiet hours checked again at send time, and a confirmation that promises only real reminders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from bot.replies import Reply
from bot.traits import ChannelTraits
from channels.base import SendFailed
from core import models as m
from core.bookings import Actor, BookingService
from core.customers import Route
from core.feeds import FeedService, FeedSigner
from core.notify.routing import order_routes
from core.outbox import MessageKind
from core.rules import set_reminders
from slotwise.worker import Senders, Worker
from tests.conftest import TestDatabase
from tests.core.test_booking import ALICE, NOW, TUESDAY, Clock, at, load_clinic
from tests.worker.test_worker import PUBLIC, Recorder, recording

WEDNESDAY = date(2026, 12, 2)
ADMIN = Actor("admin", "Ada", "admin")
ENGLISH = replace(ALICE, locale=None)


class FakeSlack:
    """A chat channel with buttons that keeps what it was asked to send."""

    name = "slack"
    traits = ChannelTraits(
        has_buttons=True,
        max_options=10,
        max_text=3000,
        attachments=False,
        reserved_words=frozenset(),
        date_picker=False,
    )

    def __init__(self, fail: SendFailed | None = None) -> None:
        self.sent: list[tuple[str, Reply]] = []
        self.fail = fail

    async def send(self, recipient: str, replies: Sequence[Reply]) -> None:
        if self.fail is not None:
            raise self.fail
        self.sent.extend((recipient, reply) for reply in replies)


def worker(senders: Senders) -> Worker:
    return Worker(senders, public_url=PUBLIC, name="w1", clock=lambda: NOW)


def test_api_bookings_go_by_email_then_sms_others_on_their_own_channel_first() -> None:
    routes = [Route("telegram", "42"), Route("sms", "+4912345"), Route("email", "a@b.example")]
    assert [r.channel for r in order_routes(routes, "api")] == ["email", "sms", "telegram"]
    assert [r.channel for r in order_routes(routes, "sms")] == ["sms", "telegram", "email"]
    assert order_routes(routes, "telegram") == routes


async def test_staff_notices_go_to_the_staff_members_slack_with_buttons(db: TestDatabase) -> None:
    await load_clinic()
    await m.Resource.filter(slug="ana").update(slack_user="U0ANA", email="ana@clinic.example")
    service = BookingService(None, clock=Clock())
    info = await service.book("solo", at(TUESDAY, 10), ALICE)
    slack = FakeSlack()
    senders = Senders()
    senders.add_channel(slack)  # type: ignore[arg-type]
    results = await worker(senders).drain(NOW)
    outcome = {r.kind: r for r in results}[MessageKind.STAFF_NOTICE]
    assert outcome.outcome == "sent"
    ((user, reply),) = slack.sent
    assert user == "U0ANA"
    assert reply.text.startswith("New booking: Solo, ")
    assert "for Alice." in reply.text
    assert "+4912345" in reply.text
    assert [(o.label, o.value) for o in reply.options] == [
        ("Mark no-show", f"noshow:{info.manage_token}"),
        ("Message customer", f"message:{info.manage_token}"),
    ]


async def test_a_staff_notice_is_block_kit_with_stable_button_values_on_real_slack_sdk(
    db: TestDatabase,
) -> None:
    from slack_sdk.web.async_client import AsyncWebClient

    from channels.slack.channel import SlackChannel
    from tests.channels.slack.fake import TOKEN, start_fake

    fake = await start_fake()
    try:
        await load_clinic()
        await m.Resource.filter(slug="ana").update(slack_user="U0ANA")
        info = await BookingService(None, clock=Clock()).book("solo", at(TUESDAY, 10), ALICE)
        senders = Senders()
        senders.add_channel(SlackChannel(AsyncWebClient(token=TOKEN, base_url=fake.api_base)))
        await worker(senders).drain(NOW)
        (posted,) = fake.posted("chat.postMessage")
        assert posted["channel"] == "U0ANA"
        section, actions = posted["blocks"]
        assert section["type"] == "section"
        assert section["text"]["text"].startswith("New booking: Solo")
        assert [(b["text"]["text"], b["value"]) for b in actions["elements"]] == [
            ("Mark no-show", f"noshow:{info.manage_token}"),
            ("Message customer", f"message:{info.manage_token}"),
        ]
    finally:
        await fake.server.close()


async def test_staff_notices_go_by_email_without_slack_or_when_slack_refuses(
    db: TestDatabase,
) -> None:
    await load_clinic()
    await m.Resource.filter(slug="ana").update(slack_user="U0ANA", email="ana@clinic.example")
    service = BookingService(None, clock=Clock())
    info = await service.book("solo", at(TUESDAY, 10), ALICE)
    await service.cancel(info.manage_token, actor=Actor("customer", "Alice", "web"))
    mail = Recorder()
    senders = recording(mail)
    senders.add_channel(FakeSlack(SendFailed("user_not_found", permanent=True)))  # type: ignore[arg-type]
    await worker(senders).drain(NOW)
    to_staff = [(a, msg) for a, msg in mail.sent if a == "ana@clinic.example"]
    assert [msg.kind for _, msg in to_staff] == [
        MessageKind.STAFF_NOTICE,
        MessageKind.STAFF_CANCELLATION,
    ]
    assert to_staff[1][1].subject.startswith("Booking cancelled: Solo")
    assert to_staff[1][1].actions == ()  # nothing to mark on a cancelled booking


async def test_a_staff_notice_nobody_can_receive_is_dropped_with_the_reason(
    db: TestDatabase,
) -> None:
    await load_clinic()
    await BookingService(None, clock=Clock()).book("solo", at(TUESDAY, 10), ALICE)
    results = await worker(recording(Recorder())).drain(NOW)
    notice = {r.kind: r for r in results}[MessageKind.STAFF_NOTICE]
    assert notice.outcome == "dropped"
    assert "Slack user or an e-mail" in notice.detail


async def test_the_confirmation_promises_a_reminder_only_when_one_will_go(
    db: TestDatabase,
) -> None:
    await load_clinic()
    await set_reminders("cut", [], actor=ADMIN)
    service = BookingService(None, clock=Clock())
    solo = await service.book("solo", at(WEDNESDAY, 10), ENGLISH)
    cut = await service.book("cut", at(WEDNESDAY, 10), replace(ENGLISH, name="Bea"))
    mail = Recorder()
    await worker(recording(mail)).drain(NOW)
    texts = {msg.dedup_key: msg.text for _, msg in mail.sent if msg.kind == "customer_confirmation"}
    assert "We will remind you on Tue, Dec 1, 10:00" in texts[f"booking:{solo.id}:confirmation"]
    assert "remind" not in texts[f"booking:{cut.id}:confirmation"]
    # A customer the worker cannot reach gets no promise (nor any message).
    other = await service.book("solo", at(WEDNESDAY, 14), replace(ENGLISH, name="Cy"))
    only_telegram = Senders()
    only_telegram.add("telegram", Recorder())
    await worker(only_telegram).drain(NOW)
    row = await m.Outbox.get(dedup_key=f"booking:{other.id}:confirmation")
    assert row.status == m.OutboxStatus.DROPPED


async def test_quiet_hours_are_checked_again_at_send_time_in_the_zone_known_then(
    db: TestDatabase,
) -> None:
    await load_clinic()
    info = await BookingService(None, clock=Clock()).book("solo", at(WEDNESDAY, 10), ENGLISH)
    # After booking we learn the customer lives in Auckland (UTC+13): 08:00 UTC, when the
    # 2 h reminder is due, is 21:00 there.
    await m.Customer.filter(email="alice@example.org").update(timezone="Pacific/Auckland")
    mail = Recorder()
    # The 24 h reminder, due 10:00 UTC Tuesday (23:00 there), waits until 08:00 there.
    results = await worker(recording(mail)).drain(at(TUESDAY, 10))
    (held,) = [r for r in results if r.dedup_key.startswith(f"booking:{info.id}:reminder:1440:")]
    assert held.outcome == "deferred"
    row = await m.Outbox.get(dedup_key=held.dedup_key)
    morning = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)  # 08:00 Wednesday in Auckland
    assert (row.available_at, row.attempts, row.status) == (morning, 0, m.OutboxStatus.PENDING)
    assert await worker(recording(mail)).drain(morning - timedelta(minutes=1)) == []
    sent = await worker(recording(mail)).drain(morning + timedelta(minutes=1))
    assert [(r.dedup_key, r.outcome) for r in sent] == [(held.dedup_key, "sent")]
    # The 2 h reminder, due 08:00 UTC Wednesday (21:00 there): quiet there until 08:00,
    # after the start: dropped.
    results = await worker(recording(mail)).drain(at(WEDNESDAY, 8))
    (late,) = [r for r in results if r.dedup_key.startswith(f"booking:{info.id}:reminder:120:")]
    assert late.outcome == "dropped"
    assert late.detail == "quiet hours in the customer's zone last until the start"


async def test_one_message_that_cannot_be_prepared_does_not_stop_its_batch(
    db: TestDatabase,
) -> None:
    await load_clinic()
    info = await BookingService(None, clock=Clock()).book("solo", at(TUESDAY, 10), ALICE)
    row = await m.Outbox.get(dedup_key=f"booking:{info.id}:confirmation")
    await m.Outbox.create(
        dedup_key=f"booking:{info.id}:broken",
        kind=MessageKind.CUSTOMER_CONFIRMATION.value,
        booking_id=info.id,
        payload={**row.payload, "start": "not a time"},
        available_at=NOW,
    )
    mail = Recorder()
    results = {r.dedup_key: r for r in await worker(recording(mail)).round(NOW)}
    assert results[f"booking:{info.id}:confirmation"].outcome == "sent"
    broken = results[f"booking:{info.id}:broken"]
    assert broken.outcome == "failed"
    assert broken.detail.startswith("preparing failed: ValueError(")
    assert (await m.Outbox.get(dedup_key=broken.dedup_key)).status == m.OutboxStatus.PENDING


async def test_a_customer_asking_for_a_person_reaches_the_staff_of_their_next_booking(
    db: TestDatabase,
) -> None:
    from core.bookings.customers import ask_for_person
    from core.customers import CustomerInput, Identity

    await load_clinic()
    await m.Resource.filter(slug="ana").update(email="ana@clinic.example")
    await m.Resource.filter(slug="ben").update(slack_user="U0BEN")
    service = BookingService(None, clock=Clock())
    chat = Identity("telegram", "4242")
    await service.book(
        "cut", at(TUESDAY, 10), ENGLISH, provider="ben", channel="telegram", identity=chat
    )
    await m.Outbox.all().delete()  # only the handovers below
    await ask_for_person("telegram", "4242", ENGLISH, "can I bring my dog?", NOW)
    await ask_for_person("sms", "+4970000", CustomerInput("Zoe"), "a person please", NOW)
    slack = FakeSlack()
    mail = Recorder()
    senders = recording(mail)
    senders.add_channel(slack)  # type: ignore[arg-type]
    results = await worker(senders).drain(NOW)
    assert [(r.kind, r.outcome) for r in results] == [("staff_handover", "sent")] * 2
    # Alice's next booking is with Ben: his Slack, with her channel, address and contact.
    ((user, reply),) = slack.sent
    assert user == "U0BEN"
    assert reply.text.startswith("Alice asks to talk to a person, on Telegram (4242).")
    assert "“can I bring my dog?”" in reply.text
    assert "+4912345" in reply.text
    assert "alice@example.org" in reply.text
    # Zoe has no booking: the first staff member with a route (Ana, by e-mail).
    ((address, message),) = mail.sent
    assert address == "ana@clinic.example"
    assert message.subject == "Zoe asks to talk to a person"
    assert "on SMS (+4970000)" in message.text
    assert "Please reply to them on SMS." in message.text


async def test_a_handover_with_no_staff_to_tell_is_dropped_with_the_reason(
    db: TestDatabase,
) -> None:
    from core.bookings.customers import ask_for_person

    await load_clinic()
    await ask_for_person("telegram", "4242", None, "hello?", NOW)
    mail = Recorder()
    (result,) = await worker(recording(mail)).drain(NOW)
    assert (result.outcome, result.detail) == (
        "dropped",
        "no staff member has a Slack user or an e-mail",
    )


async def test_a_staff_message_goes_on_the_customers_channel_after_quiet_hours(
    db: TestDatabase,
) -> None:
    from core.customers import Identity
    from core.notify.note import queue_note

    await load_clinic()
    service = BookingService(None, clock=Clock())
    chat = Identity("slack", "U0ALICE")
    info = await service.book("solo", at(TUESDAY, 10), ENGLISH, channel="slack", identity=chat)
    await m.Outbox.all().delete()
    late = datetime(2026, 11, 30, 22, 0, tzinfo=UTC)  # quiet (21:00-08:00, UTC clinic)
    staff = Actor("staff", "Ana", "slack")
    await queue_note(info.manage_token, "Please bring your X-ray.", actor=staff, now=late)
    slack = FakeSlack()
    senders = recording(Recorder())
    senders.add_channel(slack)  # type: ignore[arg-type]
    (held,) = await worker(senders).drain(late)
    assert held.outcome == "deferred"
    assert not slack.sent
    (sent,) = await worker(senders).drain(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    assert (sent.kind, sent.outcome) == ("customer_message", "sent")
    ((user, reply),) = slack.sent
    assert user == "U0ALICE"
    assert reply.text.startswith("A message about your booking Solo, ")
    assert "Please bring your X-ray." in reply.text
    history = await m.BookingHistory.get(booking_id=info.id, action="message")
    assert (history.actor, history.data["text"]) == ("staff:Ana", "Please bring your X-ray.")


async def test_a_confirmation_offers_the_customers_own_feed_and_the_feed_holds_the_booking(
    db: TestDatabase,
) -> None:
    """Issue 17: customers get their feed from the confirmation too (one subscription
    follows every later booking); a cancellation offers nothing to subscribe to."""
    await load_clinic()
    feeds = FeedService(FeedSigner(b"k" * 32), PUBLIC, lambda: NOW)
    service = BookingService(None, clock=Clock())
    booking = await service.book("solo", at(WEDNESDAY, 10), ENGLISH)
    mail = Recorder()
    sending = Worker(
        recording(mail), public_url=PUBLIC, name="w1", clock=lambda: NOW,
        feed_link=feeds.customer_link,
    )  # fmt: skip
    await sending.drain(NOW)
    link = await feeds.customer_link(booking.manage_token)
    assert link is not None
    assert link.startswith(PUBLIC + "/feeds/")
    feed = await feeds.render(link.rsplit("/", 1)[1].removesuffix(".ics"))
    assert feed is not None
    assert f"booking-{booking.id}@".encode() in feed.body
    await service.cancel(booking.manage_token, actor=ADMIN)
    await sending.drain(NOW)
    texts = {msg.kind: msg.text for _, msg in mail.sent}
    assert (
        f"All your bookings in your calendar app, kept up to date: {link}"
        in texts["customer_confirmation"]
    )
    assert "/feeds/" not in texts["customer_cancellation"]
