from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_booking_service')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Business',
            name='colour',
            field=fields.CharField(null=True, max_length=7),
        ),
        ops.AddField(
            model_name='Resource',
            name='aliases',
            field=fields.JSONField(default=list, db_default=[], encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Service',
            name='aliases',
            field=fields.JSONField(default=list, db_default=[], encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
    ]
