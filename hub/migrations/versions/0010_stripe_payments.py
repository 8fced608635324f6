"""stripe payments: services' payment settings; stripe_connections, stripe_customers,
payments, stripe_events

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-03 12:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

from hub.db import UTCDateTime

revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None


def _tenant_columns() -> list[sa.Column]:
    return [
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('account_id', sa.String(length=40), nullable=False),
        sa.Column('environment', sa.String(length=12), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('payment', sa.String(length=12), server_default='none', nullable=False)
        )
        batch_op.add_column(sa.Column('deposit_amount', sa.Numeric(12, 2), nullable=True))
        batch_op.add_column(sa.Column('deposit_percent', sa.Numeric(5, 2), nullable=True))
    op.create_table(
        'stripe_connections',
        *_tenant_columns(),
        sa.Column('mode', sa.String(length=12), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('stripe_account_id', sa.String(length=64), nullable=True),
        sa.Column('api_key', sa.Text(), nullable=True),
        sa.Column('webhook_secret', sa.Text(), nullable=True),
        sa.Column('charges_enabled', sa.Boolean(), nullable=False),
        sa.Column('livemode', sa.Boolean(), nullable=False),
        sa.Column('refund_policy', sa.JSON(), nullable=False),
        sa.Column('success_url', sa.Text(), nullable=True),
        sa.Column('cancel_url', sa.Text(), nullable=True),
        sa.Column('connected_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('account_id', 'environment'),
        sa.UniqueConstraint('stripe_account_id', 'environment'),
    )
    op.create_index('ix_stripe_connections_account_id', 'stripe_connections', ['account_id'])
    op.create_table(
        'stripe_customers',
        *_tenant_columns(),
        sa.Column('connection_id', sa.String(length=40), nullable=False),
        sa.Column('customer_id', sa.String(length=40), nullable=False),
        sa.Column('stripe_customer_id', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(
            ['connection_id'], ['stripe_connections.id'], ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('connection_id', 'customer_id'),
    )
    op.create_index('ix_stripe_customers_account_id', 'stripe_customers', ['account_id'])
    op.create_index('ix_stripe_customers_customer_id', 'stripe_customers', ['customer_id'])
    op.create_table(
        'payments',
        *_tenant_columns(),
        sa.Column('appointment_id', sa.String(length=40), nullable=False),
        sa.Column('connection_id', sa.String(length=40), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('amount', sa.Integer(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('url', sa.Text(), nullable=True),
        sa.Column('session_id', sa.String(length=100), nullable=True),
        sa.Column('session_attempt', sa.Integer(), nullable=False),
        sa.Column('session_key', sa.String(length=255), nullable=False),
        sa.Column('expires_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('payment_intent_id', sa.String(length=100), nullable=True),
        sa.Column('stripe_customer_id', sa.String(length=64), nullable=True),
        sa.Column('paid_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('refunded_amount', sa.Integer(), nullable=False),
        sa.Column('refund_requested', sa.Integer(), nullable=False),
        sa.Column('refund_key', sa.String(length=255), nullable=True),
        sa.Column('refund_id', sa.String(length=100), nullable=True),
        sa.Column('refund_status', sa.String(length=20), nullable=True),
        sa.Column('work_due', sa.Boolean(), nullable=False),
        sa.Column('next_attempt_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(
            ['connection_id'], ['stripe_connections.id'], ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('appointment_id'),
    )
    op.create_index('ix_payments_account_id', 'payments', ['account_id'])
    op.create_index('ix_payments_connection_id', 'payments', ['connection_id'])
    op.create_index('ix_payments_work', 'payments', ['work_due', 'next_attempt_at'])
    op.create_index('ix_payments_session', 'payments', ['session_id'])
    op.create_index('ix_payments_intent', 'payments', ['payment_intent_id'])
    op.create_table(
        'stripe_events',
        sa.Column('id', sa.String(length=100), nullable=False),
        sa.Column('type', sa.String(length=100), nullable=False),
        sa.Column('connection_id', sa.String(length=40), nullable=True),
        sa.Column('stripe_account', sa.String(length=64), nullable=True),
        sa.Column('object_id', sa.String(length=100), nullable=True),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('received_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('processed_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ['connection_id'], ['stripe_connections.id'], ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_stripe_events_processed_at', 'stripe_events', ['processed_at'])


def downgrade() -> None:
    op.drop_index('ix_stripe_events_processed_at', table_name='stripe_events')
    op.drop_table('stripe_events')
    for name in ('intent', 'session', 'work', 'connection_id', 'account_id'):
        op.drop_index(f'ix_payments_{name}', table_name='payments')
    op.drop_table('payments')
    op.drop_index('ix_stripe_customers_customer_id', table_name='stripe_customers')
    op.drop_index('ix_stripe_customers_account_id', table_name='stripe_customers')
    op.drop_table('stripe_customers')
    op.drop_index('ix_stripe_connections_account_id', table_name='stripe_connections')
    op.drop_table('stripe_connections')
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_column('deposit_percent')
        batch_op.drop_column('deposit_amount')
        batch_op.drop_column('payment')
