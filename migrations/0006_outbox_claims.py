from tortoise import migrations
from tortoise.migrations import operations as ops
from core.models import OutboxStatus, UTCDatetimeField
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0005_api_keys_idempotency')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='Outbox',
            name=None,
            fields=['sent_at', 'available_at'],
        ),
        ops.AddField(
            model_name='Outbox',
            name='locked_by',
            field=fields.CharField(null=True, max_length=100),
        ),
        ops.AddField(
            model_name='Outbox',
            name='locked_until',
            field=UTCDatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Outbox',
            name='provider_id',
            field=fields.CharField(null=True, max_length=200),
        ),
        ops.AddField(
            model_name='Outbox',
            name='status',
            field=fields.CharEnumField(default=OutboxStatus.PENDING, description='PENDING: pending\nSENT: sent\nDROPPED: dropped\nDEAD: dead', db_default='pending', enum_type=OutboxStatus, max_length=16),
        ),
        # Rows sent before this migration were marked by sent_at alone.
        ops.RunSQL(
            'UPDATE "outbox" SET "status" = \'sent\' WHERE "sent_at" IS NOT NULL',
            reverse_sql='SELECT 1',
        ),
        ops.AddIndex(
            model_name='Outbox',
            index=Index(fields=['status', 'available_at']),
        ),
    ]
