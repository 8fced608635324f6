"""credentials hardening: refresh-token families, encrypted signing keys and stored answers

oauth_tokens gains family_id (existing pairs: each its own family), rotated_at and successor;
signing_keys.private_pem and idempotency_keys.response_body are encrypted with the key ring
(IVALID_ENCRYPTION_KEYS, or the data directory's generated key). Webhook secrets have been
stored encrypted since 0002: nothing to migrate for them. Down decrypts again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 12:00:00.000000
"""
import sqlalchemy as sa
from alembic import op
from cryptography.fernet import MultiFernet

import hub.db

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_FERNET_PREFIX = b'gAAAAA'  # every Fernet token starts so (version byte 0x80, timestamp)


def _box() -> MultiFernet:
    from hub import crypto
    from hub.migrate import migration_settings

    return crypto.box(migration_settings(op.get_context().config))


def _recode(table: str, key: str, column: str, forward: bool) -> None:
    """Encrypt (forward) or decrypt every stored value of `table.column` not yet so."""
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(f'SELECT {key}, {column} FROM {table} WHERE {column} IS NOT NULL')
    ).all()
    if not rows:
        return
    box = _box()
    text_column = table == 'signing_keys'
    for row_key, value in rows:
        raw = value.encode('ascii') if isinstance(value, str) else bytes(value)
        encrypted = raw.startswith(_FERNET_PREFIX)
        if encrypted == forward:
            continue
        new = box.encrypt(raw) if forward else box.decrypt(raw)
        conn.execute(
            sa.text(f'UPDATE {table} SET {column} = :value WHERE {key} = :key'),
            {'value': new.decode('ascii') if text_column else new, 'key': row_key},
        )


def upgrade() -> None:
    with op.batch_alter_table('oauth_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('family_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('rotated_at', hub.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('successor', sa.Text(), nullable=True))
    op.execute('UPDATE oauth_tokens SET family_id = access_jti WHERE family_id IS NULL')
    with op.batch_alter_table('oauth_tokens', schema=None) as batch_op:
        batch_op.alter_column('family_id', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index(batch_op.f('ix_oauth_tokens_family_id'), ['family_id'], unique=False)
    _recode('signing_keys', 'kid', 'private_pem', forward=True)
    _recode('idempotency_keys', 'id', 'response_body', forward=True)


def downgrade() -> None:
    _recode('idempotency_keys', 'id', 'response_body', forward=False)
    _recode('signing_keys', 'kid', 'private_pem', forward=False)
    with op.batch_alter_table('oauth_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oauth_tokens_family_id'))
        batch_op.drop_column('successor')
        batch_op.drop_column('rotated_at')
        batch_op.drop_column('family_id')
