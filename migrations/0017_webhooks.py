from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from core.models import UTCDatetimeField
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0016_morning_summary')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Webhook',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('url', fields.CharField(max_length=500)),
                ('events', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('secret', fields.TextField(unique=False)),
                ('cursor', fields.IntField(default=0)),
                ('active', fields.BooleanField(default=True)),
                ('created_by', fields.CharField(default='', max_length=254)),
                ('created_at', UTCDatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'webhook', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Addresses told of booking events, with sealed signing secrets'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='User',
            name='totp_pending',
            field=fields.CharField(null=True, max_length=255),
        ),
        ops.AlterField(
            model_name='User',
            name='totp_secret',
            field=fields.CharField(null=True, max_length=255),
        ),
    ]
