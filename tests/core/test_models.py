"""The schema as the migrations build it, on every backend, and opening databases by URL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from tortoise.exceptions import IntegrityError

from core import models as m
from core.db import (
    DatabaseURLError,
    connection,
    database,
    dialect,
    migrate,
    normalize_url,
    sqlite_path,
    tortoise_config,
)
from tests.conftest import TestDatabase

T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)
PLUS_ONE = timezone(timedelta(hours=1))


async def _booking(capacity: int = 1) -> tuple[m.Booking, m.Resource]:
    business = await m.Business.create(name="B", timezone="UTC")
    resource = await m.Resource.create(
        business=business, slug=f"r{capacity}", name="R", capacity=capacity
    )
    service = await m.Service.create(business=business, slug="s", name="S", duration_min=30)
    booking = await m.Booking.create(
        business=business, service=service, start=T0, end=T0 + timedelta(minutes=30)
    )
    return booking, resource


async def _occupy(
    booking: m.Booking,
    resource: m.Resource,
    start: datetime,
    minutes: int = 30,
    *,
    active: bool = True,
    exclusive: bool = True,
) -> m.BookingResource:
    return await m.BookingResource.create(
        booking=booking,
        resource=resource,
        occupied_start=start,
        occupied_end=start + timedelta(minutes=minutes),
        appointment_start=start,
        appointment_end=start + timedelta(minutes=minutes),
        active=active,
        exclusive=exclusive,
    )


async def test_all_migrations_are_applied_and_a_rerun_applies_nothing(db: TestDatabase) -> None:
    _, rows = await connection().execute_query(
        'SELECT "name" FROM "tortoise_migrations" ORDER BY "name"'
    )
    assert [r[0] for r in rows] == [
        "0001_initial",
        "0002_occupancy_exclusion",
        "0003_booking_service",
        "0004_aliases_colour",
        "0005_api_keys_idempotency",
        "0006_outbox_claims",
        "0007_rule_history",
        "0008_customers",
        "0009_slack_user",
        "0010_names",
        "0011_feed_keys",
        "0012_calendar_sync",
        "0013_waitlist_noshow",
        "0014_notify_settings",
        "0015_users",
        "0016_morning_summary",
        "0017_webhooks",
        "0018_calendar_busy_version",
        "0019_audit_filters",
    ]
    assert await migrate(db.url) == []
    # migrate() runs in a context of its own: the open database is still usable.
    assert await m.Business.all().count() == 0


async def test_overlapping_active_exclusive_occupancy_is_refused_by_postgres(
    db: TestDatabase,
) -> None:
    if not db.is_postgres:
        pytest.skip("SQLite has no exclusion constraint; the booking service checks under lock")
    booking, resource = await _booking()
    await _occupy(booking, resource, T0)
    with pytest.raises(IntegrityError) as caught:
        await _occupy(booking, resource, T0 + timedelta(minutes=15))
    assert getattr(caught.value.__cause__, "sqlstate", None) == "23P01"


async def test_occupancy_that_is_inactive_shared_or_touching_is_allowed(
    db: TestDatabase,
) -> None:
    booking, resource = await _booking()
    _, shared = await _booking(capacity=2)
    first = await _occupy(booking, resource, T0)
    await _occupy(booking, resource, T0 + timedelta(minutes=10), active=False)  # cancelled
    await _occupy(booking, resource, T0 + timedelta(minutes=30))  # half-open: touching
    await _occupy(booking, resource, T0 - timedelta(minutes=30))
    await _occupy(booking, shared, T0, exclusive=False)
    await _occupy(booking, shared, T0, exclusive=False)
    first.active = False
    await first.save()
    await _occupy(booking, resource, T0)  # the cancelled one's time is free again
    assert await m.BookingResource.filter(active=True).count() == 5


async def test_reactivating_a_cancelled_overlap_is_refused_by_postgres(db: TestDatabase) -> None:
    if not db.is_postgres:
        pytest.skip("SQLite has no exclusion constraint")
    booking, resource = await _booking()
    await _occupy(booking, resource, T0)
    cancelled = await _occupy(booking, resource, T0, active=False)
    with pytest.raises(IntegrityError):
        await m.BookingResource.filter(id=cancelled.id).update(active=True)


async def test_instants_are_written_in_utc_whatever_their_zone(db: TestDatabase) -> None:
    booking, resource = await _booking()
    at_plus_one = datetime(2026, 12, 1, 11, tzinfo=PLUS_ONE)  # 10:00 UTC
    await _occupy(booking, resource, at_plus_one)
    _, rows = await connection().execute_query('SELECT "occupied_start" FROM "booking_resource"')
    stored = rows[0][0]
    if isinstance(stored, str):  # SQLite: text, compared as text
        assert stored == "2026-12-01 10:00:00+00:00"
    else:
        assert stored == at_plus_one
    # A filter value in another zone is converted too, so text comparison stays right.
    found = await m.BookingResource.filter(
        occupied_start__gte=datetime(2026, 12, 1, 10, 30, tzinfo=PLUS_ONE)
    ).count()
    assert found == 1
    row = await m.BookingResource.get()
    assert row.occupied_start == at_plus_one
    assert row.occupied_start.utcoffset() == timedelta(0)


async def test_a_channel_names_one_customer_once(db: TestDatabase) -> None:
    ana = await m.Customer.create(name="Ana")
    bob = await m.Customer.create(name="Bob")
    await m.ChannelIdentity.create(customer=ana, channel="telegram", external_id="42")
    await m.ChannelIdentity.create(customer=bob, channel="sms", external_id="42")
    with pytest.raises(IntegrityError):
        await m.ChannelIdentity.create(customer=bob, channel="telegram", external_id="42")


async def test_bookings_get_distinct_manage_tokens_and_unique_idempotency_keys(
    db: TestDatabase,
) -> None:
    booking, _ = await _booking()
    other = await m.Booking.create(
        business_id=booking.business_id,
        service_id=booking.service_id,
        start=T0,
        end=T0,
        idempotency_key="k1",
    )
    assert booking.manage_token != other.manage_token
    assert len(booking.manage_token) >= 32
    with pytest.raises(IntegrityError):
        await m.Booking.create(
            business_id=booking.business_id,
            service_id=booking.service_id,
            start=T0,
            end=T0,
            idempotency_key="k1",
        )


async def test_a_closed_override_day_is_a_row_without_times(db: TestDatabase) -> None:
    _, resource = await _booking()
    await m.DateOverride.create(resource=resource, date=T0.date())
    row = await m.DateOverride.get()
    assert (row.start_min, row.end_min) == (None, None)


async def test_rows_written_without_aliases_have_none(db: TestDatabase) -> None:
    """What migration 0004 gives the rows already there: no aliases, no colour."""
    business = await m.Business.create(name="B", timezone="UTC")
    await connection().execute_script(
        "INSERT INTO resource (business_id, slug, name, kind, capacity, active, position) "
        f"VALUES ({business.id}, 'r', 'R', 'staff', 1, TRUE, 0); "
        "INSERT INTO service (business_id, slug, name, duration_min, buffer_before_min, "
        "buffer_after_min, min_notice_min, max_advance_days, seats, active, position) "
        f"VALUES ({business.id}, 's', 'S', 30, 0, 0, 0, 60, 1, TRUE, 0)"
    )
    assert [r.aliases for r in await m.Resource.all()] == [[]]
    assert [s.aliases for s in await m.Service.all()] == [[]]
    assert (await m.Business.get()).colour is None


async def test_aliases_keep_their_order_and_script(db: TestDatabase) -> None:
    business = await m.Business.create(name="B", timezone="UTC", colour="#0f766e")
    await m.Resource.create(business=business, slug="r", name="R", aliases=["Доктор Ли", "Dr Lee"])
    row = await m.Resource.get(slug="r")
    assert row.aliases == ["Доктор Ли", "Dr Lee"]
    assert (await m.Business.get(id=business.id)).colour == "#0f766e"


@pytest.mark.parametrize(
    ("url", "normal", "kind", "path"),
    [
        ("sqlite://data/x.db", "sqlite://data/x.db", "sqlite", Path("data/x.db")),
        ("sqlite:///abs/x.db", "sqlite:///abs/x.db", "sqlite", Path("/abs/x.db")),
        ("SQLITE://x.db?busy_timeout=1", "sqlite://x.db?busy_timeout=1", "sqlite", Path("x.db")),
        ("sqlite://:memory:", "sqlite://:memory:", "sqlite", None),
        ("data/x.db", "sqlite://data/x.db", "sqlite", Path("data/x.db")),
        ("postgres://u@h:5432/d", "postgres://u@h:5432/d", "postgres", None),
        ("postgresql://u:p@h/d", "postgres://u:p@h/d", "postgres", None),
    ],
)
def test_database_urls_are_normalised(url: str, normal: str, kind: str, path: Path | None) -> None:
    assert normalize_url(url) == normal
    assert dialect(url) == kind
    assert sqlite_path(url) == path


@pytest.mark.parametrize("url", ["", "mysql://h/d", "sqlite://", "sqlite://?x=1"])
def test_unusable_database_urls_are_refused_clearly(url: str) -> None:
    with pytest.raises(DatabaseURLError, match="database URL"):
        normalize_url(url)


def test_sqlite_connections_use_wal_and_foreign_keys() -> None:
    config = tortoise_config("sqlite://x.db?busy_timeout=1")
    credentials = config["connections"]["sqlite"]["credentials"]
    assert credentials["journal_mode"] == "WAL"
    assert credentials["foreign_keys"] == "ON"
    assert credentials["busy_timeout"] == "1"
    assert config["use_tz"] is True
    assert config["timezone"] == "UTC"


async def test_migrate_creates_a_relative_sqlite_files_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = "sqlite://var/data/slotwise.db"
    assert await migrate(url) == [
        "0001_initial",
        "0002_occupancy_exclusion",
        "0003_booking_service",
        "0004_aliases_colour",
        "0005_api_keys_idempotency",
        "0006_outbox_claims",
        "0007_rule_history",
        "0008_customers",
        "0009_slack_user",
        "0010_names",
        "0011_feed_keys",
        "0012_calendar_sync",
        "0013_waitlist_noshow",
        "0014_notify_settings",
        "0015_users",
        "0016_morning_summary",
        "0017_webhooks",
        "0018_calendar_busy_version",
        "0019_audit_filters",
    ]
    assert (tmp_path / "var" / "data" / "slotwise.db").is_file()
    async with database(url):
        _, rows = await connection().execute_query("PRAGMA journal_mode")
        assert rows[0][0] == "wal"
        _, rows = await connection().execute_query("PRAGMA foreign_keys")
        assert rows[0][0] == 1
        assert await m.Business.all().count() == 0
