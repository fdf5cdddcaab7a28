from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from core.models import UTCDatetimeField

class Migration(migrations.Migration):
    dependencies = [('models', '0004_aliases_colour')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Booking',
            name='idempotency_fingerprint',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.CreateModel(
            name='ApiKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=100)),
                ('prefix', fields.CharField(unique=True, max_length=16)),
                ('digest', fields.CharField(max_length=64)),
                ('created_at', UTCDatetimeField(auto_now=False, auto_now_add=True)),
                ('revoked_at', UTCDatetimeField(null=True)),
            ],
            options={'table': 'api_key', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Keys of API clients, kept only as hashes'},
            bases=['Model'],
        ),
    ]
