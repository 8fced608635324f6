"""Dashboard: account users, their one-time links, failed sign-ins; connect links bound to a session

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 12:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

import hub.db

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'account_users',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('account_id', sa.String(length=40), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('password_hash', sa.Text(), nullable=True),
        sa.Column('totp_secret', sa.Text(), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('session_version', sa.Integer(), nullable=False),
        sa.Column('last_sign_in_at', hub.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('created_at', hub.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', hub.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('email'),
    )
    op.create_index('ix_account_users_account_id', 'account_users', ['account_id'])
    op.create_table(
        'account_user_tokens',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.String(length=40), nullable=False),
        sa.Column('purpose', sa.String(length=16), nullable=False),
        sa.Column('created_at', hub.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', hub.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', hub.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['account_users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_hash'),
    )
    op.create_index('ix_account_user_tokens_user_id', 'account_user_tokens', ['user_id'])
    op.create_table(
        'sign_in_attempts',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('at', hub.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_sign_in_attempts_email_at', 'sign_in_attempts', ['email', 'at'])
    op.create_index('ix_sign_in_attempts_address_at', 'sign_in_attempts', ['address', 'at'])
    with op.batch_alter_table('integration_oauth_states', schema=None) as batch_op:
        batch_op.add_column(sa.Column('binding_hash', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('integration_oauth_states', schema=None) as batch_op:
        batch_op.drop_column('binding_hash')
    op.drop_index('ix_sign_in_attempts_address_at', table_name='sign_in_attempts')
    op.drop_index('ix_sign_in_attempts_email_at', table_name='sign_in_attempts')
    op.drop_table('sign_in_attempts')
    op.drop_index('ix_account_user_tokens_user_id', table_name='account_user_tokens')
    op.drop_table('account_user_tokens')
    op.drop_index('ix_account_users_account_id', table_name='account_users')
    op.drop_table('account_users')
