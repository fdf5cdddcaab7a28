from tortoise import migrations
from tortoise.migrations import operations as ops
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0017_webhooks')]

    initial = False

    operations = [
        ops.AddField(
            model_name='CalendarConnection',
            name='busy_version',
            field=fields.UUIDField(null=True, default=uuid4),
        ),
    ]
