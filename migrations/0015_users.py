from tortoise import migrations
from tortoise.migrations import operations as ops
from core.models import UTCDatetimeField, UserRole
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0014_notify_settings')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SignInFailure',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', UTCDatetimeField(auto_now=False, auto_now_add=False)),
                ('address', fields.CharField(max_length=64)),
                ('account', fields.CharField(max_length=254)),
            ],
            options={'table': 'sign_in_failure', 'app': 'models', 'indexes': [Index(fields=['address', 'at']), Index(fields=['account', 'at'])], 'pk_attr': 'id', 'table_description': 'Failed admin sign-ins, for the lockout by address and account'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SignInLock',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(max_length=300)),
                ('until', UTCDatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sign_in_lock', 'app': 'models', 'indexes': [Index(fields=['key', 'until'])], 'pk_attr': 'id', 'table_description': 'Addresses and accounts locked out of signing in, until when'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(unique=True, max_length=254)),
                ('role', fields.CharEnumField(description='SYSADMIN: sysadmin\nADMIN: admin\nSTAFF: staff', enum_type=UserRole, max_length=16)),
                ('resource', fields.CharField(null=True, max_length=64)),
                ('locale', fields.CharField(default='en', max_length=16)),
                ('password_hash', fields.CharField(null=True, max_length=255)),
                ('totp_secret', fields.CharField(null=True, max_length=64)),
                ('totp_pending', fields.CharField(null=True, max_length=64)),
                ('totp_last_step', fields.BigIntField(null=True)),
                ('recovery_codes', fields.TextField(default='', unique=False)),
                ('invite_digest', fields.CharField(null=True, unique=True, max_length=64)),
                ('invite_expires_at', UTCDatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', UTCDatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'app_user', 'app': 'models', 'pk_attr': 'id', 'table_description': 'People who sign in to the admin panel, with their role'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UserSession',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('digest', fields.CharField(unique=True, max_length=64)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('csrf', fields.CharField(max_length=64)),
                ('address', fields.CharField(default='', max_length=64)),
                ('created_at', UTCDatetimeField(auto_now=False, auto_now_add=False)),
                ('last_seen_at', UTCDatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', UTCDatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', UTCDatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'user_session', 'app': 'models', 'indexes': [Index(fields=['user_id'])], 'pk_attr': 'id', 'table_description': 'Signed-in admin panel sessions, kept by the hash of their token'},
            bases=['Model'],
        ),
    ]
