"""oauth apps (authorization code + PKCE): oauth_clients' kind, redirect URIs and platform;
oauth_grants, oauth_codes; tokens and REST hooks belong to a grant

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 14:40:00.000000
"""
import sqlalchemy as sa
from alembic import op

from hub.db import UTCDateTime

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('oauth_clients', schema=None) as batch_op:
        batch_op.alter_column('account_id', existing_type=sa.String(length=40), nullable=True)
        batch_op.add_column(
            sa.Column('kind', sa.String(length=12), server_default='service', nullable=False)
        )
        batch_op.add_column(
            sa.Column('redirect_uris', sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )
        batch_op.add_column(sa.Column('platform', sa.String(length=16), nullable=True))
    op.create_table(
        'oauth_grants',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('client_id', sa.String(length=40), nullable=False),
        sa.Column('user_id', sa.String(length=40), nullable=False),
        sa.Column('account_id', sa.String(length=40), nullable=False),
        sa.Column('environment', sa.String(length=12), nullable=False),
        sa.Column('scope', sa.Text(), nullable=False),
        sa.Column('revoked_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('revoked_reason', sa.String(length=40), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['client_id'], ['oauth_clients.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['account_users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_oauth_grants_account_id', 'oauth_grants', ['account_id'])
    op.create_index('ix_oauth_grants_client_id', 'oauth_grants', ['client_id'])
    op.create_index('ix_oauth_grants_user_id', 'oauth_grants', ['user_id'])
    op.create_table(
        'oauth_codes',
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('client_id', sa.String(length=40), nullable=False),
        sa.Column('user_id', sa.String(length=40), nullable=False),
        sa.Column('environment', sa.String(length=12), nullable=False),
        sa.Column('redirect_uri', sa.Text(), nullable=False),
        sa.Column('scope', sa.Text(), nullable=False),
        sa.Column('code_challenge', sa.String(length=128), nullable=False),
        sa.Column('code_challenge_method', sa.String(length=8), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('grant_id', sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(['client_id'], ['oauth_clients.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['account_users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('code_hash'),
    )
    op.create_index('ix_oauth_codes_client_id', 'oauth_codes', ['client_id'])
    with op.batch_alter_table('oauth_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('grant_id', sa.String(length=40), nullable=True))
        batch_op.create_index('ix_oauth_tokens_grant_id', ['grant_id'])
        batch_op.create_foreign_key(
            'fk_oauth_tokens_grant_id_oauth_grants',
            'oauth_grants',
            ['grant_id'],
            ['id'],
            ondelete='CASCADE',
        )
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('platform', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('grant_id', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('owner_credential', sa.String(length=80), nullable=True))
        batch_op.create_index('ix_webhook_endpoints_grant_id', ['grant_id'])
        batch_op.create_foreign_key(
            'fk_webhook_endpoints_grant_id_oauth_grants',
            'oauth_grants',
            ['grant_id'],
            ['id'],
            ondelete='CASCADE',
        )


def downgrade() -> None:
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_constraint('fk_webhook_endpoints_grant_id_oauth_grants', type_='foreignkey')
        batch_op.drop_index('ix_webhook_endpoints_grant_id')
        batch_op.drop_column('owner_credential')
        batch_op.drop_column('grant_id')
        batch_op.drop_column('platform')
    with op.batch_alter_table('oauth_tokens', schema=None) as batch_op:
        batch_op.drop_constraint('fk_oauth_tokens_grant_id_oauth_grants', type_='foreignkey')
        batch_op.drop_index('ix_oauth_tokens_grant_id')
        batch_op.drop_column('grant_id')
    op.drop_index('ix_oauth_codes_client_id', table_name='oauth_codes')
    op.drop_table('oauth_codes')
    op.drop_index('ix_oauth_grants_user_id', table_name='oauth_grants')
    op.drop_index('ix_oauth_grants_client_id', table_name='oauth_grants')
    op.drop_index('ix_oauth_grants_account_id', table_name='oauth_grants')
    op.drop_table('oauth_grants')
    op.execute("DELETE FROM oauth_clients WHERE kind = 'app'")
    with op.batch_alter_table('oauth_clients', schema=None) as batch_op:
        batch_op.drop_column('platform')
        batch_op.drop_column('redirect_uris')
        batch_op.drop_column('kind')
        batch_op.alter_column('account_id', existing_type=sa.String(length=40), nullable=False)
