from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from core.models import UTCDatetimeField, new_waitlist_token
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_occupancy_exclusion')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BookingSeries',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('business', fields.ForeignKeyField('models.Business', source_field='business_id', db_constraint=True, to_field='id', related_name='series', on_delete=OnDelete.CASCADE)),
                ('service', fields.ForeignKeyField('models.Service', source_field='service_id', db_constraint=True, to_field='id', related_name='series', on_delete=OnDelete.CASCADE)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', null=True, db_constraint=True, to_field='id', related_name='series', on_delete=OnDelete.SET_NULL)),
                ('frequency', fields.CharField(max_length=16)),
                ('interval_days', fields.IntField()),
                ('count', fields.IntField()),
                ('first_start', UTCDatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', UTCDatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'booking_series', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Recurring requests, whose occurrences are bookings'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Outbox',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('dedup_key', fields.CharField(unique=True, max_length=200)),
                ('kind', fields.CharField(max_length=48)),
                ('booking', fields.ForeignKeyField('models.Booking', source_field='booking_id', null=True, db_constraint=True, to_field='id', related_name='outbox', on_delete=OnDelete.CASCADE)),
                ('payload', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('available_at', UTCDatetimeField(auto_now=False, auto_now_add=False)),
                ('sent_at', UTCDatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
                ('last_error', fields.TextField(default='', unique=False)),
                ('created_at', UTCDatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'outbox', 'app': 'models', 'indexes': [Index(fields=['sent_at', 'available_at']), Index(fields=['booking_id'])], 'pk_attr': 'id', 'table_description': 'Messages to send, written with their cause, sent at least once'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ServiceBlackout',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('service', fields.ForeignKeyField('models.Service', source_field='service_id', db_constraint=True, to_field='id', related_name='blackouts', on_delete=OnDelete.CASCADE)),
                ('start', fields.CharField(max_length=32)),
                ('end', fields.CharField(max_length=32)),
                ('reason', fields.TextField(default='', unique=False)),
                ('position', fields.IntField(default=0)),
            ],
            options={'table': 'service_blackout', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Local wall-time stretches in which bookings of a service cannot change'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WaitlistEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token', fields.CharField(default=new_waitlist_token, unique=True, max_length=64)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='waitlist', on_delete=OnDelete.CASCADE)),
                ('service', fields.ForeignKeyField('models.Service', source_field='service_id', db_constraint=True, to_field='id', related_name='waitlist', on_delete=OnDelete.CASCADE)),
                ('provider', fields.ForeignKeyField('models.Resource', source_field='provider_id', null=True, db_constraint=True, to_field='id', related_name='waitlist', on_delete=OnDelete.CASCADE)),
                ('wished_start', UTCDatetimeField(auto_now=False, auto_now_add=False)),
                ('wished_end', UTCDatetimeField(auto_now=False, auto_now_add=False)),
                ('source_channel', fields.CharField(default='', max_length=32)),
                ('created_at', UTCDatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'waitlist_entry', 'app': 'models', 'indexes': [Index(fields=['service_id', 'wished_start'])], 'pk_attr': 'id', 'table_description': 'Customers waiting for room in a wished window'},
            bases=['Model'],
        ),
        ops.AddIndex(
            model_name='Block',
            index=Index(fields=['resource_id']),
        ),
        ops.AddField(
            model_name='Booking',
            name='reschedule_count',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Booking',
            name='series',
            field=fields.ForeignKeyField('models.BookingSeries', source_field='series_id', null=True, db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddIndex(
            model_name='Booking',
            index=Index(fields=['series_id']),
        ),
        ops.AddIndex(
            model_name='DateOverride',
            index=Index(fields=['resource_id']),
        ),
        ops.AddField(
            model_name='Service',
            name='cancel_notice_min',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Service',
            name='max_reschedules',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Service',
            name='reschedule_notice_min',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddIndex(
            model_name='ServicePool',
            index=Index(fields=['service_id']),
        ),
        ops.AddIndex(
            model_name='ServicePoolMember',
            index=Index(fields=['pool_id']),
        ),
        ops.AddIndex(
            model_name='WeeklyHours',
            index=Index(fields=['resource_id']),
        ),
    ]
