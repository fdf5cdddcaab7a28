"""Staff resources may name their Slack user (``resources[].slack_user``), for the slash commands."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("models", "0008_customers")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Resource",
            name="slack_user",
            field=fields.CharField(null=True, max_length=32),
        ),
    ]
