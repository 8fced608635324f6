"""msal token cache: integration_connections.token_cache (encrypted, nullable)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:20:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('integration_connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_cache', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('integration_connections', schema=None) as batch_op:
        batch_op.drop_column('token_cache')
