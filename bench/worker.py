"""``python -m bench.worker``: how fast two workers empty the outbox.

On PostgreSQL (``SLOTWISE_BENCH_DATABASE_URL`` or ``SLOTWISE_TEST_DATABASE_URL``;
its content is replaced): 10,000 customer confirmations, all due at once, sent by
two :class:`slotwise.worker.Worker` s in this process (each its own claims, sharing
the connection pool) to a local sender that only counts. The figures: messages
per second of wall time, and the lag from due to sent (p50, p95, max), which here
is mostly the queue's length (all were due at the start). Each worker claims a batch
in one statement, reads what the batch needs in a few (``core.notify.prepare_many``)
and marks the batch's sent messages in one (``core.outbox.mark_sent_many``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from datetime import UTC, datetime

from core import models as m
from core.bookings import BookingService, CustomerInput
from core.businessfile import parse_business
from core.db import database, migrate
from core.notify import Outgoing
from core.store import replace_business
from slotwise.worker import Senders, Worker

BUSINESS = """
business: {name: Bench clinic, timezone: UTC}
resources:
  - {id: ana, name: Ana, weekly_hours: {mon: [["00:00", "23:59"]], tue: [["00:00", "23:59"]],
      wed: [["00:00", "23:59"]], thu: [["00:00", "23:59"]], fri: [["00:00", "23:59"]],
      sat: [["00:00", "23:59"]], sun: [["00:00", "23:59"]]}}
services:
  - {id: solo, name: Solo, duration_min: 60, requires: [[ana]]}
"""


class Counting:
    def __init__(self) -> None:
        self.count = 0

    async def deliver(self, address: str, message: Outgoing) -> str | None:
        self.count += 1
        return message.dedup_key


async def run(url: str, messages: int) -> None:
    await migrate(url)
    async with database(url):
        await replace_business(parse_business(BUSINESS))
        now = datetime.now(UTC)
        service = BookingService(None)
        slots = await service.offer("solo", now.date(), now.date().replace(year=now.year + 1))
        customer = CustomerInput("Bench", email="bench@example.org")
        info = await service.book("solo", slots[-1].start, customer)
        row = await m.Outbox.get(dedup_key=f"booking:{info.id}:confirmation")
        await m.Outbox.all().delete()  # messages of no booking survive an import
        due = datetime.now(UTC)
        await m.Outbox.bulk_create(
            [
                m.Outbox(
                    dedup_key=f"bench:{n}",
                    kind=row.kind,
                    booking_id=info.id,
                    payload=row.payload,
                    available_at=due,
                )
                for n in range(messages)
            ],
            batch_size=1000,
        )
        counting = Counting()
        senders = Senders()
        senders.add("email", counting)
        workers = [
            Worker(senders, public_url="https://book.example", name=f"bench-{i}") for i in (1, 2)
        ]
        started = time.perf_counter()
        await asyncio.gather(*(w.drain() for w in workers))
        wall = time.perf_counter() - started
        sent = await m.Outbox.filter(status=m.OutboxStatus.SENT).values_list(
            "available_at", "sent_at"
        )
    lags = sorted((s - a).total_seconds() for a, s in sent)
    print("| measurement | figure |\n|---|---|")
    print(f"| messages sent (two workers, PostgreSQL) | {counting.count:,} of {messages:,} |")
    print(f"| throughput | {counting.count / wall:,.0f} messages/s |")
    print(
        f"| lag due → sent, p50 / p95 / max | {statistics.median(lags):.2f} s / "
        f"{lags[int(len(lags) * 0.95)]:.2f} s / {lags[-1]:.2f} s |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000)
    args = parser.parse_args()
    url = os.environ.get("SLOTWISE_BENCH_DATABASE_URL") or os.environ.get(
        "SLOTWISE_TEST_DATABASE_URL"
    )
    if not url or not url.startswith(("postgres://", "postgresql://")):
        print(
            "\nWorker: set SLOTWISE_BENCH_DATABASE_URL to a PostgreSQL database "
            "(its content is replaced) to measure it."
        )
        return
    asyncio.run(run(url, args.messages))


if __name__ == "__main__":
    main()
