from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from core.models import UTCDatetimeField
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0018_calendar_busy_version')]

    initial = False

    operations = [
        ops.CreateModel(
            name='UserHistory',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', UTCDatetimeField(auto_now=False, auto_now_add=False)),
                ('actor', fields.CharField(max_length=250)),
                ('channel', fields.CharField(max_length=32)),
                ('action', fields.CharField(max_length=48)),
                ('subject', fields.CharField(max_length=254)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='history', on_delete=OnDelete.SET_NULL)),
                ('before', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'user_history', 'app': 'models', 'indexes': [Index(fields=['at', 'id']), Index(fields=['subject', 'at'])], 'pk_attr': 'id', 'table_description': "Changes of the panel's users, with who made them, before and after"},
            bases=['Model'],
        ),
        ops.AddIndex(
            model_name='BookingHistory',
            index=Index(fields=['at', 'id']),
        ),
        ops.AddIndex(
            model_name='RuleHistory',
            index=Index(fields=['at', 'id']),
        ),
    ]
