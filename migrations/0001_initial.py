from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from core.models import BookingStatus, ResourceKind, UTCDatetimeField, new_manage_token
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Business',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('timezone', fields.CharField(max_length=64)),
                ('locale', fields.CharField(default='en', max_length=16)),
                ('created_at', UTCDatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', UTCDatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'business', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The business: name, timezone, default locale'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Customer',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(default='', max_length=200)),
                ('phone', fields.CharField(null=True, max_length=32)),
                ('email', fields.CharField(null=True, max_length=254)),
                ('locale', fields.CharField(null=True, max_length=16)),
                ('timezone', fields.CharField(null=True, max_length=64)),
                ('created_at', UTCDatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'customer', 'app': 'models', 'pk_attr': 'id', 'table_description': 'People who book'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ChannelIdentity',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='identities', on_delete=OnDelete.CASCADE)),
                ('channel', fields.CharField(max_length=32)),
                ('external_id', fields.CharField(max_length=255)),
                ('created_at', UTCDatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'channel_identity', 'app': 'models', 'unique_together': (('channel', 'external_id'),), 'pk_attr': 'id', 'table_description': 'How a channel names a customer'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Resource',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('business', fields.ForeignKeyField('models.Business', source_field='business_id', db_constraint=True, to_field='id', related_name='resources', on_delete=OnDelete.CASCADE)),
                ('slug', fields.CharField(max_length=64)),
                ('name', fields.CharField(max_length=200)),
                ('kind', fields.CharEnumField(default=ResourceKind.STAFF, description='STAFF: staff\nROOM: room\nEQUIPMENT: equipment', enum_type=ResourceKind, max_length=16)),
                ('capacity', fields.IntField(default=1)),
                ('timezone', fields.CharField(null=True, max_length=64)),
                ('active', fields.BooleanField(default=True)),
                ('position', fields.IntField(default=0)),
            ],
            options={'table': 'resource', 'app': 'models', 'unique_together': (('business', 'slug'),), 'pk_attr': 'id', 'table_description': 'Bookable staff, rooms and equipment'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Block',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('resource', fields.ForeignKeyField('models.Resource', source_field='resource_id', db_constraint=True, to_field='id', related_name='blocks', on_delete=OnDelete.CASCADE)),
                ('start', fields.CharField(max_length=32)),
                ('end', fields.CharField(max_length=32)),
                ('rrule', fields.TextField(null=True, unique=False)),
                ('reason', fields.TextField(default='', unique=False)),
                ('created_at', UTCDatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'block', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Time a resource cannot be booked, naive local wall time as ISO text'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DateOverride',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('resource', fields.ForeignKeyField('models.Resource', source_field='resource_id', db_constraint=True, to_field='id', related_name='date_overrides', on_delete=OnDelete.CASCADE)),
                ('date', fields.DateField()),
                ('start_min', fields.SmallIntField(null=True)),
                ('end_min', fields.SmallIntField(null=True)),
            ],
            options={'table': 'date_override', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Open stretches replacing the weekly hours of a date, null times = closed'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Service',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('business', fields.ForeignKeyField('models.Business', source_field='business_id', db_constraint=True, to_field='id', related_name='services', on_delete=OnDelete.CASCADE)),
                ('slug', fields.CharField(max_length=64)),
                ('name', fields.CharField(max_length=200)),
                ('duration_min', fields.IntField()),
                ('buffer_before_min', fields.IntField(default=0)),
                ('buffer_after_min', fields.IntField(default=0)),
                ('slot_step_min', fields.IntField(null=True)),
                ('min_notice_min', fields.IntField(default=0)),
                ('max_advance_days', fields.IntField(default=60)),
                ('seats', fields.IntField(default=1)),
                ('active', fields.BooleanField(default=True)),
                ('position', fields.IntField(default=0)),
            ],
            options={'table': 'service', 'app': 'models', 'unique_together': (('business', 'slug'),), 'pk_attr': 'id', 'table_description': 'What can be booked, with durations and policies'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Booking',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('business', fields.ForeignKeyField('models.Business', source_field='business_id', db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.CASCADE)),
                ('service', fields.ForeignKeyField('models.Service', source_field='service_id', db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.RESTRICT)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', null=True, db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.SET_NULL)),
                ('start', UTCDatetimeField(auto_now=False, auto_now_add=False)),
                ('end', UTCDatetimeField(auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(default=BookingStatus.CONFIRMED, description='CONFIRMED: confirmed\nCANCELLED: cancelled\nCOMPLETED: completed\nNO_SHOW: no_show', enum_type=BookingStatus, max_length=16)),
                ('source_channel', fields.CharField(default='', max_length=32)),
                ('manage_token', fields.CharField(default=new_manage_token, unique=True, max_length=64)),
                ('seats', fields.IntField(default=1)),
                ('idempotency_key', fields.CharField(null=True, unique=True, max_length=128)),
                ('created_at', UTCDatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', UTCDatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'booking', 'app': 'models', 'indexes': [Index(fields=['business_id', 'start']), Index(fields=['customer_id', 'start'])], 'pk_attr': 'id', 'table_description': 'Appointments'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BookingHistory',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('booking', fields.ForeignKeyField('models.Booking', source_field='booking_id', db_constraint=True, to_field='id', related_name='history', on_delete=OnDelete.CASCADE)),
                ('at', UTCDatetimeField(auto_now=False, auto_now_add=True)),
                ('actor', fields.CharField(default='', max_length=200)),
                ('channel', fields.CharField(default='', max_length=32)),
                ('action', fields.CharField(max_length=32)),
                ('data', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'booking_history', 'app': 'models', 'indexes': [Index(fields=['booking_id', 'at'])], 'pk_attr': 'id', 'table_description': 'Append-only audit of bookings'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BookingResource',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('booking', fields.ForeignKeyField('models.Booking', source_field='booking_id', db_constraint=True, to_field='id', related_name='occupancy', on_delete=OnDelete.CASCADE)),
                ('resource', fields.ForeignKeyField('models.Resource', source_field='resource_id', db_constraint=True, to_field='id', related_name='occupancy', on_delete=OnDelete.RESTRICT)),
                ('position', fields.SmallIntField(default=0)),
                ('occupied_start', UTCDatetimeField(auto_now=False, auto_now_add=False)),
                ('occupied_end', UTCDatetimeField(auto_now=False, auto_now_add=False)),
                ('appointment_start', UTCDatetimeField(auto_now=False, auto_now_add=False)),
                ('appointment_end', UTCDatetimeField(auto_now=False, auto_now_add=False)),
                ('seats', fields.IntField(default=1)),
                ('active', fields.BooleanField(default=True)),
                ('exclusive', fields.BooleanField(default=True)),
            ],
            options={'table': 'booking_resource', 'app': 'models', 'indexes': [Index(fields=['resource_id', 'occupied_start', 'occupied_end']), Index(fields=['resource_id', 'occupied_end']), Index(fields=['booking_id'])], 'pk_attr': 'id', 'table_description': 'Occupancy: seats of a resource taken by a booking, buffers included'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ServicePool',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('service', fields.ForeignKeyField('models.Service', source_field='service_id', db_constraint=True, to_field='id', related_name='pools', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField(default=0)),
            ],
            options={'table': 'service_pool', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One pool of the resources a service requires'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ServicePoolMember',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('pool', fields.ForeignKeyField('models.ServicePool', source_field='pool_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('resource', fields.ForeignKeyField('models.Resource', source_field='resource_id', db_constraint=True, to_field='id', related_name='pool_memberships', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField(default=0)),
            ],
            options={'table': 'service_pool_member', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A resource in a service pool'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WeeklyHours',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('resource', fields.ForeignKeyField('models.Resource', source_field='resource_id', db_constraint=True, to_field='id', related_name='weekly_hours', on_delete=OnDelete.CASCADE)),
                ('weekday', fields.SmallIntField()),
                ('start_min', fields.SmallIntField(null=True)),
                ('end_min', fields.SmallIntField(null=True)),
            ],
            options={'table': 'weekly_hours', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Open stretches per weekday, minutes after local midnight'},
            bases=['Model'],
        ),
    ]
