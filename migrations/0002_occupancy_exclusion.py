"""No two active occupancy rows of a capacity-one resource may overlap: PostgreSQL enforces it.

Confirmed bookings must never exceed a resource's capacity, and a check in
Python alone loses to two processes booking at once. On PostgreSQL an
exclusion constraint over the occupancy rows makes the database refuse the
second booking (``IntegrityError`` from asyncpg's ``ExclusionViolationError``,
SQLSTATE 23P01). Its ``WHERE`` sees only this table, hence the ``active``
(booking confirmed) and ``exclusive`` (capacity 1) columns on the rows.
Resources with capacity above one are checked by the booking service under
lock; a constraint cannot sum seats.

SQLite has no ``EXCLUDE`` and a single writer: there the booking service's
check inside a ``BEGIN IMMEDIATE`` transaction is the guarantee, and this
migration does nothing. ``RunSQL`` cannot be limited to one dialect, so the
statements run through ``RunPython`` after a dialect check.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

CONSTRAINT = "booking_resource_no_overlap"

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    f"""ALTER TABLE "booking_resource" ADD CONSTRAINT "{CONSTRAINT}" EXCLUDE USING gist (
    "resource_id" WITH =,
    tstzrange("occupied_start", "occupied_end", '[)') WITH &&
) WHERE ("active" AND "exclusive")""",
]

# The extension stays: other objects may use it, and creating it needs privileges.
BACKWARD = [f'ALTER TABLE "booking_resource" DROP CONSTRAINT IF EXISTS "{CONSTRAINT}"']


async def _run_on_postgres(schema_editor, statements) -> None:
    if schema_editor.DIALECT != "postgres":
        return  # SQLite: nothing to do, see the module docstring.
    for sql in statements:
        await schema_editor._run_sql(sql)


async def forward(apps, schema_editor) -> None:
    await _run_on_postgres(schema_editor, FORWARD)


async def backward(apps, schema_editor) -> None:
    await _run_on_postgres(schema_editor, BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    initial = False

    operations = [
        ops.RunPython(forward, backward),
    ]
