from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from core.models import ApiKeyRole, UTCDatetimeField, new_waitlist_token
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0012_calendar_sync')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WaitlistOffer',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token', fields.CharField(default=new_waitlist_token, unique=True, max_length=64)),
                ('hold_token', fields.CharField(unique=True, max_length=64)),
                ('entry', fields.ForeignKeyField('models.WaitlistEntry', source_field='entry_id', db_constraint=True, to_field='id', related_name='offers', on_delete=OnDelete.CASCADE)),
                ('start', UTCDatetimeField(auto_now=False, auto_now_add=False)),
                ('resources', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('occupied_start', UTCDatetimeField(auto_now=False, auto_now_add=False)),
                ('occupied_end', UTCDatetimeField(auto_now=False, auto_now_add=False)),
                ('seats', fields.IntField(default=1)),
                ('status', fields.CharField(default='open', max_length=16)),
                ('offered_at', UTCDatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', UTCDatetimeField(auto_now=False, auto_now_add=False)),
                ('booking', fields.ForeignKeyField('models.Booking', source_field='booking_id', null=True, db_constraint=True, to_field='id', related_name='waitlist_offers', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'waitlist_offer', 'app': 'models', 'indexes': [Index(fields=['status', 'expires_at']), Index(fields=['entry_id'])], 'pk_attr': 'id', 'table_description': 'Freed slots offered to waitlist entries, each held until it expires'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='ApiKey',
            name='role',
            field=fields.CharEnumField(default=ApiKeyRole.CLIENT, description='CLIENT: client\nSTAFF: staff', db_default='client', enum_type=ApiKeyRole, max_length=16),
        ),
        ops.AddField(
            model_name='Service',
            name='no_show_action',
            field=fields.CharField(default='confirm', db_default='confirm', max_length=16),
        ),
        ops.AddField(
            model_name='Service',
            name='no_show_limit',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Service',
            name='waitlist_mode',
            field=fields.CharField(default='offer', db_default='offer', max_length=8),
        ),
        ops.AddField(
            model_name='WaitlistEntry',
            name='booking',
            field=fields.ForeignKeyField('models.Booking', source_field='booking_id', null=True, db_constraint=True, to_field='id', related_name='waitlist_entries', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='WaitlistEntry',
            name='status',
            field=fields.CharField(default='waiting', db_default='waiting', max_length=16),
        ),
    ]
