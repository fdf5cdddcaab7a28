"""A staff resource's morning summary time (minutes after its local midnight), if it asked for one."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0015_users')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Resource',
            name='summary_at_min',
            field=fields.SmallIntField(null=True),
        ),
    ]
