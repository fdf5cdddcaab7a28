from tortoise import migrations
from tortoise.migrations import operations as ops
from core.models import UTCDatetimeField
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0011_feed_keys')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CalendarConnection',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('resource', fields.OneToOneField('models.Resource', source_field='resource_id', db_constraint=True, to_field='id', related_name='calendar', on_delete=OnDelete.CASCADE)),
                ('url', fields.CharField(max_length=500)),
                ('username', fields.CharField(max_length=200)),
                ('secret', fields.TextField(unique=False)),
                ('sync_token', fields.TextField(null=True, unique=False)),
                ('state', fields.CharField(default='new', max_length=16)),
                ('last_error', fields.TextField(default='', unique=False)),
                ('synced_at', UTCDatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('full_sync_at', UTCDatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('due_at', UTCDatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', UTCDatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'calendar_connection', 'app': 'models', 'pk_attr': 'id', 'table_description': "Own calendars of staff, read for busy time and written with bookings"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ExternalBusy',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('connection', fields.ForeignKeyField('models.CalendarConnection', source_field='connection_id', db_constraint=True, to_field='id', related_name='busy', on_delete=OnDelete.CASCADE)),
                ('resource', fields.ForeignKeyField('models.Resource', source_field='resource_id', db_constraint=True, to_field='id', related_name='external_busy', on_delete=OnDelete.CASCADE)),
                ('href', fields.CharField(max_length=500)),
                ('start', UTCDatetimeField(auto_now=False, auto_now_add=False)),
                ('end', UTCDatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'external_busy', 'app': 'models', 'indexes': [Index(fields=['resource_id', 'start']), Index(fields=['connection_id', 'href'])], 'pk_attr': 'id', 'table_description': "Busy time read from own calendars of staff, without titles"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PushedEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('connection', fields.ForeignKeyField('models.CalendarConnection', source_field='connection_id', db_constraint=True, to_field='id', related_name='pushed', on_delete=OnDelete.CASCADE)),
                ('booking_id', fields.IntField()),
                ('href', fields.CharField(max_length=500)),
                ('version', fields.CharField(max_length=64)),
            ],
            options={'table': 'pushed_event', 'app': 'models', 'unique_together': (('connection_id', 'booking_id'),), 'pk_attr': 'id', 'table_description': "Bookings written into own calendars of staff"},
            bases=['Model'],
        ),
    ]
