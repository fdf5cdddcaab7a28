"""``slotwise worker --once`` and ``slotwise outbox --dead``, run as the command."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from click.testing import CliRunner

from core import models as m
from core.bookings import BookingService
from core.db import database
from core.outbox import claim
from slotwise.cli import main
from tests.core.test_booking import ALICE, NOW, TUESDAY, Clock, at, load_clinic


def book(url: str, *, claim_as: str | None = None) -> int:
    async def run() -> int:
        async with database(url):
            await load_clinic()
            info = await BookingService(None, clock=Clock()).book("solo", at(TUESDAY, 10), ALICE)
            if claim_as is not None:
                await claim(claim_as, NOW, lease=timedelta(minutes=2))
            return info.id

    return asyncio.run(run())


def once(url: str, now: str) -> list[str]:
    result = CliRunner().invoke(
        main, ["worker", "--once", "--now", now, "--db", url], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_worker_once_sends_what_is_due_with_a_line_each_and_a_summary(empty_db_url: str) -> None:
    booking = book(empty_db_url)
    lines = once(empty_db_url, "2026-11-30T08:00:00Z")
    assert f"sent\t#1\tcustomer_confirmation\tbooking:{booking}:confirmation" in lines[0]
    assert "by email to a***@example.org" in lines[0]  # enough to tell, no personal data
    assert not any("alice@" in line for line in lines)
    assert lines[-1] == "1 sent, 0 failed (will retry), 0 dead, 1 dropped."
    assert once(empty_db_url, "2026-11-30T08:00:00Z") == [
        "0 sent, 0 failed (will retry), 0 dead, 0 dropped."
    ]


def test_worker_once_after_a_killed_worker_resends_only_when_the_lease_ended(
    empty_db_url: str,
) -> None:
    book(empty_db_url, claim_as="killed")
    assert once(empty_db_url, "2026-11-30T08:01:00Z")[-1].startswith("0 sent")
    assert once(empty_db_url, "2026-11-30T08:03:00Z")[-1].startswith("1 sent")
    assert once(empty_db_url, "2026-11-30T08:04:00Z")[-1].startswith("0 sent")


def test_outbox_dead_lists_one_line_per_dead_message(empty_db_url: str) -> None:
    booking = book(empty_db_url)

    async def kill() -> None:
        async with database(empty_db_url):
            await m.Outbox.filter(dedup_key=f"booking:{booking}:confirmation").update(
                status=m.OutboxStatus.DEAD, attempts=8, last_error="smtp: refused"
            )

    asyncio.run(kill())
    result = CliRunner().invoke(main, ["outbox", "--dead", "--db", empty_db_url])
    assert result.exit_code == 0, result.output
    (line,) = result.output.splitlines()
    assert line.startswith(f"#1\tcustomer_confirmation\tbooking:{booking}:confirmation\t")
    assert line.endswith("attempts=8\tdue=2026-11-30T08:00:00+00:00\tsmtp: refused")


def test_worker_now_without_once_is_refused() -> None:
    result = CliRunner().invoke(main, ["worker", "--now", "2026-11-30T08:00:00Z"])
    assert result.exit_code == 2
    assert "--now only goes with --once" in result.output


def test_worker_once_runs_the_waitlist_cascade_at_its_now(empty_db_url: str) -> None:
    """The offer is made, held and lapses at the instants given by --now, not the real clock."""
    from core.bookings import Actor
    from core.customers import CustomerInput

    async def setup() -> None:
        async with database(empty_db_url):
            await load_clinic()
            service = BookingService(None, clock=Clock())
            info = await service.book("solo", at(TUESDAY, 10), ALICE)
            amy = CustomerInput("Amy", email="amy@example.org")
            ten = at(TUESDAY, 10)
            await service.join_waitlist("solo", ten, ten + timedelta(minutes=30), amy)
            await service.cancel(info.manage_token, actor=Actor("staff", "Ana", "slack"))

    async def offers() -> list[str]:
        async with database(empty_db_url):
            return [row.status for row in await m.WaitlistOffer.all().order_by("id")]

    asyncio.run(setup())
    lines = once(empty_db_url, "2026-11-30T08:00:00Z")
    assert any("capacity_freed" in line and "offered entry #1" in line for line in lines), lines
    assert any("waitlist_offer" in line and line.startswith("sent") for line in lines), lines
    assert asyncio.run(offers()) == ["open"]
    once(empty_db_url, "2026-11-30T08:14:00Z")
    assert asyncio.run(offers()) == ["open"]
    once(empty_db_url, "2026-11-30T08:15:00Z")
    assert asyncio.run(offers()) == ["expired"]
