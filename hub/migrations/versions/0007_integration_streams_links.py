"""integrations as a generic model: streams (cursors, channels) and typed local↔remote links

integration_calendars becomes integration_streams (stream name, optional technician, remote
container id); integration_links is keyed on (connection, local_type, local_id) instead of the
appointment id, with the stream, `remote_parent` (was calendar_id) and `remote_version` (was
remote_etag). Connections keep the raw token response (encrypted) and per-connection endpoints.
Existing Google/Outlook connections, cursors, channels and links are carried over; downgrade
carries appointment links and per-technician streams back (anything else is dropped).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 12:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

import hub.db

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_STREAM_COLUMNS = (
    "id, environment, account_id, created_at, updated_at, connection_id, technician_id, "
    "linked_by, cursor, full_sync_started_at, last_pulled_at, channel_id, "
    "channel_resource_id, channel_token, channel_expires_at, channel_error"
)


def upgrade() -> None:
    with op.batch_alter_table('integration_connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_response', sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column('endpoints', sa.JSON(), nullable=False, server_default='{}')
        )
    with op.batch_alter_table('integration_connections', schema=None) as batch_op:
        batch_op.alter_column('endpoints', server_default=None)

    op.create_table('integration_streams',
    sa.Column('connection_id', sa.String(length=40), nullable=False),
    sa.Column('stream', sa.String(length=64), nullable=False),
    sa.Column('technician_id', sa.String(length=40), nullable=True),
    sa.Column('remote_id', sa.String(length=320), nullable=False),
    sa.Column('linked_by', sa.String(length=12), nullable=False),
    sa.Column('cursor', sa.JSON(), nullable=True),
    sa.Column('full_sync_started_at', hub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_pulled_at', hub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('channel_id', sa.String(length=64), nullable=True),
    sa.Column('channel_resource_id', sa.String(length=300), nullable=True),
    sa.Column('channel_token', sa.Text(), nullable=True),
    sa.Column('channel_expires_at', hub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('channel_error', sa.Text(), nullable=True),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('environment', sa.String(length=12), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', hub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', hub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_integration_streams_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['connection_id'], ['integration_connections.id'], name=op.f('fk_integration_streams_connection_id_integration_connections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], name=op.f('fk_integration_streams_technician_id_technicians'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integration_streams')),
    sa.UniqueConstraint('channel_id', name=op.f('uq_integration_streams_channel_id')),
    sa.UniqueConstraint('connection_id', 'stream', 'remote_id', name=op.f('uq_integration_streams_connection_id_stream_remote_id')),
    sa.UniqueConstraint('connection_id', 'stream', 'technician_id', name=op.f('uq_integration_streams_connection_id_stream_technician_id'))
    )
    with op.batch_alter_table('integration_streams', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_integration_streams_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_integration_streams_connection_id'), ['connection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_integration_streams_technician_id'), ['technician_id'], unique=False)
    # Both calendar connectors call their per-technician stream "events".
    op.execute(
        f"INSERT INTO integration_streams ({_STREAM_COLUMNS}, stream, remote_id) "
        f"SELECT {_STREAM_COLUMNS}, 'events', calendar_id FROM integration_calendars"
    )
    with op.batch_alter_table('integration_calendars', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_integration_calendars_technician_id'))
        batch_op.drop_index(batch_op.f('ix_integration_calendars_connection_id'))
        batch_op.drop_index(batch_op.f('ix_integration_calendars_account_id'))
    op.drop_table('integration_calendars')

    with op.batch_alter_table('integration_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stream', sa.String(length=64), nullable=False, server_default='events'))
        batch_op.add_column(sa.Column('local_type', sa.String(length=32), nullable=False, server_default='appointment'))
        batch_op.add_column(sa.Column('local_id', sa.String(length=40), nullable=True))
    op.execute("UPDATE integration_links SET local_id = appointment_id")
    with op.batch_alter_table('integration_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_integration_links_appointment_id'))
        batch_op.drop_constraint(batch_op.f('uq_integration_links_connection_id_appointment_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_integration_links_appointment_id_appointments'), type_='foreignkey')
        batch_op.drop_column('appointment_id')
        batch_op.alter_column('local_id', existing_type=sa.String(length=40), nullable=False)
        batch_op.alter_column('stream', server_default=None)
        batch_op.alter_column('local_type', server_default=None)
        batch_op.alter_column('calendar_id', new_column_name='remote_parent', existing_type=sa.String(length=320), existing_nullable=True)
        batch_op.alter_column('remote_etag', new_column_name='remote_version', existing_type=sa.String(length=200), existing_nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_integration_links_connection_id_local_type_local_id'), ['connection_id', 'local_type', 'local_id'])
        batch_op.create_index('ix_integration_links_local', ['local_type', 'local_id'], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM integration_links WHERE local_type <> 'appointment'")
    op.execute(
        "DELETE FROM integration_links WHERE local_id NOT IN (SELECT id FROM appointments)"
    )
    with op.batch_alter_table('integration_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('appointment_id', sa.String(length=40), nullable=True))
    op.execute("UPDATE integration_links SET appointment_id = local_id")
    with op.batch_alter_table('integration_links', schema=None) as batch_op:
        batch_op.drop_index('ix_integration_links_local')
        batch_op.drop_constraint(batch_op.f('uq_integration_links_connection_id_local_type_local_id'), type_='unique')
        batch_op.alter_column('remote_version', new_column_name='remote_etag', existing_type=sa.String(length=200), existing_nullable=True)
        batch_op.alter_column('remote_parent', new_column_name='calendar_id', existing_type=sa.String(length=320), existing_nullable=True)
        batch_op.drop_column('local_id')
        batch_op.drop_column('local_type')
        batch_op.drop_column('stream')
        batch_op.alter_column('appointment_id', existing_type=sa.String(length=40), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_integration_links_appointment_id_appointments'), 'appointments', ['appointment_id'], ['id'], ondelete='CASCADE')
        batch_op.create_unique_constraint(batch_op.f('uq_integration_links_connection_id_appointment_id'), ['connection_id', 'appointment_id'])
        batch_op.create_index(batch_op.f('ix_integration_links_appointment_id'), ['appointment_id'], unique=False)

    op.create_table('integration_calendars',
    sa.Column('connection_id', sa.String(length=40), nullable=False),
    sa.Column('technician_id', sa.String(length=40), nullable=False),
    sa.Column('calendar_id', sa.String(length=320), nullable=False),
    sa.Column('linked_by', sa.String(length=12), nullable=False),
    sa.Column('cursor', sa.JSON(), nullable=True),
    sa.Column('full_sync_started_at', hub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_pulled_at', hub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('channel_id', sa.String(length=64), nullable=True),
    sa.Column('channel_resource_id', sa.String(length=300), nullable=True),
    sa.Column('channel_token', sa.Text(), nullable=True),
    sa.Column('channel_expires_at', hub.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('channel_error', sa.Text(), nullable=True),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('environment', sa.String(length=12), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('created_at', hub.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', hub.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_integration_calendars_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['connection_id'], ['integration_connections.id'], name=op.f('fk_integration_calendars_connection_id_integration_connections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], name=op.f('fk_integration_calendars_technician_id_technicians'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integration_calendars')),
    sa.UniqueConstraint('channel_id', name=op.f('uq_integration_calendars_channel_id')),
    sa.UniqueConstraint('connection_id', 'calendar_id', name=op.f('uq_integration_calendars_connection_id_calendar_id')),
    sa.UniqueConstraint('connection_id', 'technician_id', name=op.f('uq_integration_calendars_connection_id_technician_id'))
    )
    with op.batch_alter_table('integration_calendars', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_integration_calendars_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_integration_calendars_connection_id'), ['connection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_integration_calendars_technician_id'), ['technician_id'], unique=False)
    op.execute(
        f"INSERT INTO integration_calendars ({_STREAM_COLUMNS}, calendar_id) "
        f"SELECT {_STREAM_COLUMNS}, remote_id FROM integration_streams "
        "WHERE technician_id IS NOT NULL AND stream = 'events'"
    )
    with op.batch_alter_table('integration_streams', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_integration_streams_technician_id'))
        batch_op.drop_index(batch_op.f('ix_integration_streams_connection_id'))
        batch_op.drop_index(batch_op.f('ix_integration_streams_account_id'))
    op.drop_table('integration_streams')

    with op.batch_alter_table('integration_connections', schema=None) as batch_op:
        batch_op.drop_column('endpoints')
        batch_op.drop_column('token_response')
