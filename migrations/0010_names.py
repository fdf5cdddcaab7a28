from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_slack_user')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Resource',
            name='names',
            field=fields.JSONField(default=dict, db_default={}, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Service',
            name='names',
            field=fields.JSONField(default=dict, db_default={}, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
    ]
