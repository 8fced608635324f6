"""appointments: the tenant index also orders by id (the list's tie-break)

The list orders by (scheduled_at, id). With `id` in the index the database reads a page
straight off it, with no sort step for appointments that start at the same time.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 12:00:00.000000
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_appointments_tenant_start', table_name='appointments')
    op.create_index(
        'ix_appointments_tenant_start',
        'appointments',
        ['account_id', 'environment', 'scheduled_at', 'id'],
    )


def downgrade() -> None:
    op.drop_index('ix_appointments_tenant_start', table_name='appointments')
    op.create_index(
        'ix_appointments_tenant_start', 'appointments', ['account_id', 'environment', 'scheduled_at']
    )
