"""streams' own pull due time (a push notification pulls the stream it names)

The same column another migration of the chain may add (record streams): added only if absent.

Revision ID: 0014
Revises: 0010
Create Date: 2026-12-03 15:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

from hub.db import UTCDateTime

revision = '0014'
down_revision = '0010'
branch_labels = None
depends_on = None


def _has_column() -> bool:
    columns = sa.inspect(op.get_bind()).get_columns('integration_streams')
    return any(column['name'] == 'pull_due_at' for column in columns)


def upgrade() -> None:
    if not _has_column():
        with op.batch_alter_table('integration_streams', schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('pull_due_at', UTCDateTime(timezone=True), nullable=True)
            )


def downgrade() -> None:
    if _has_column():
        with op.batch_alter_table('integration_streams', schema=None) as batch_op:
            batch_op.drop_column('pull_due_at')
