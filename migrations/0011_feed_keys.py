from tortoise import migrations
from tortoise.migrations import operations as ops
from core.models import UTCDatetimeField
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0010_names')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FeedKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=16)),
                ('subject', fields.CharField(max_length=100)),
                ('version', fields.IntField(default=1)),
                ('changed_at', UTCDatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'feed_key', 'app': 'models', 'unique_together': (('kind', 'subject'),), 'pk_attr': 'id', 'table_description': 'Versions of calendar feed addresses, raised when one is revoked'},
            bases=['Model'],
        ),
    ]
