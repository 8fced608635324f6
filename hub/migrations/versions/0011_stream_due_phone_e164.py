"""customers' E.164 phone (indexed, backfilled) and lower-cased e-mails; streams' own pull due
time and discovered fields; connections' remote usage (API credits)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 15:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

import hub.db
from hub.phones import e164

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

BATCH = 1000


def _backfill_phones() -> None:
    """Every stored phone in E.164, with the customer service's own normalisation."""
    bind = op.get_bind()
    customers = sa.table(
        'customers',
        sa.column('id', sa.String),
        sa.column('phone', sa.String),
        sa.column('phone_e164', sa.String),
    )
    last = ''
    while True:
        rows = bind.execute(
            sa.select(customers.c.id, customers.c.phone)
            .where(customers.c.phone.is_not(None), customers.c.id > last)
            .order_by(customers.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for customer_id, phone in rows:
            normal = e164(phone)
            if normal is not None:
                bind.execute(
                    customers.update()
                    .where(customers.c.id == customer_id)
                    .values(phone_e164=normal)
                )
        last = rows[-1][0]


def upgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_e164', sa.String(length=16), nullable=True))
        batch_op.create_index(
            'ix_customers_tenant_phone_e164',
            ['account_id', 'environment', 'phone_e164'],
            unique=False,
        )
    _backfill_phones()
    # Matching compares e-mails by equality on the index: every one is lower-cased (the
    # customer service always wrote them so; this makes it true of any other writer's rows).
    op.execute("UPDATE customers SET email = lower(email) WHERE email <> lower(email)")
    with op.batch_alter_table('integration_streams', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('pull_due_at', hub.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column('remote_fields', sa.JSON(), nullable=True))
    with op.batch_alter_table('integration_connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remote_usage', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('integration_connections', schema=None) as batch_op:
        batch_op.drop_column('remote_usage')
    with op.batch_alter_table('integration_streams', schema=None) as batch_op:
        batch_op.drop_column('remote_fields')
        batch_op.drop_column('pull_due_at')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index('ix_customers_tenant_phone_e164')
        batch_op.drop_column('phone_e164')
