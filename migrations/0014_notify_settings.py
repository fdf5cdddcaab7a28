"""Per-service reminder offsets, the business's quiet hours, and a staff resource's e-mail."""

import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0013_waitlist_noshow")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Business",
            name="quiet_end_min",
            field=fields.SmallIntField(default=480, db_default=480),
        ),
        ops.AddField(
            model_name="Business",
            name="quiet_start_min",
            field=fields.SmallIntField(default=1260, db_default=1260),
        ),
        ops.AddField(
            model_name="Resource",
            name="email",
            field=fields.CharField(null=True, max_length=254),
        ),
        ops.AddField(
            model_name="Service",
            name="reminders",
            field=fields.JSONField(
                null=True,
                encoder=functools.partial(dumps, separators=(",", ":")),
                decoder=loads,
            ),
        ),
    ]
