from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from core.models import UTCDatetimeField
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_outbox_claims')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RuleHistory',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('business', fields.ForeignKeyField('models.Business', source_field='business_id', db_constraint=True, to_field='id', related_name='rule_history', on_delete=OnDelete.CASCADE)),
                ('at', UTCDatetimeField(auto_now=False, auto_now_add=False)),
                ('actor', fields.CharField(max_length=250)),
                ('channel', fields.CharField(max_length=32)),
                ('action', fields.CharField(max_length=48)),
                ('subject', fields.CharField(max_length=100)),
                ('before', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'rule_history', 'app': 'models', 'indexes': [Index(fields=['business_id', 'at']), Index(fields=['subject', 'at'])], 'pk_attr': 'id', 'table_description': 'Changes of the rules, with who made them, before and after'},
            bases=['Model'],
        ),
    ]
