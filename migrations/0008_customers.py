"""Customers recognised across channels (see ``core.customers``).

Phones are found by their E.164 form and e-mails without case, so the customer
gets an ``email_key`` column and both are indexed; channel identities get
``unreachable_at`` and ``opted_out_at``. Existing phones are rewritten in E.164
where they parse (in the business's region when written without ``+``); the rest
are kept as they were.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from core.models import UTCDatetimeField
from tortoise import fields
from tortoise.indexes import Index


async def forward(apps, schema_editor) -> None:
    from core.customers import email_key, phone_or_as_is, region_of

    client = schema_editor.client
    postgres = schema_editor.DIALECT == "postgres"
    mark = (lambda n: f"${n}") if postgres else (lambda n: "?")
    _, business = await client.execute_query(
        'SELECT "locale", "timezone" FROM "business" ORDER BY "id" LIMIT 1'
    )
    region = region_of(business[0]["locale"], business[0]["timezone"]) if business else None
    _, rows = await client.execute_query('SELECT "id", "phone", "email" FROM "customer"')
    for row in rows:
        phone = row["phone"]
        fixed = phone if phone is None else phone_or_as_is(phone, region)
        key = email_key(row["email"])
        if fixed != phone or key is not None:
            await client.execute_query(
                f'UPDATE "customer" SET "phone" = {mark(1)}, "email_key" = {mark(2)} '
                f'WHERE "id" = {mark(3)}',
                [fixed, key, row["id"]],
            )


class Migration(migrations.Migration):
    dependencies = [("models", "0007_rule_history")]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name="ChannelIdentity",
            options={
                "table": "channel_identity",
                "app": "models",
                "unique_together": (("channel", "external_id"),),
                "indexes": [Index(fields=["customer_id"])],
                "pk_attr": "id",
                "table_description": "How a channel names a customer, and whether it may be written to",
            },
        ),
        ops.AddField(
            model_name="ChannelIdentity",
            name="opted_out_at",
            field=UTCDatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="ChannelIdentity",
            name="unreachable_at",
            field=UTCDatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name="ChannelIdentity",
            index=Index(fields=["customer_id"]),
        ),
        ops.AddField(
            model_name="Customer",
            name="email_key",
            field=fields.CharField(null=True, max_length=254),
        ),
        ops.AddIndex(
            model_name="Customer",
            index=Index(fields=["phone"]),
        ),
        ops.AddIndex(
            model_name="Customer",
            index=Index(fields=["email_key"]),
        ),
    ]
