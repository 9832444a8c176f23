"""the job queue's outbox, and coordinators' referral-level extracts

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 15:02:32.399777

Background work is written to `outbox_messages` in the same transaction as the change that
asks for it (design §6). An extract's file is kept in `report_extract_parts`, sealed under the
extract's own data key, until it expires (issue 20).
"""
from alembic import op
import sqlalchemy as sa

import app.database  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task', sa.String(length=80), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', app.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', app.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failed_at', app.database.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_messages_created_at'), ['created_at'], unique=False)

    op.create_table('report_extracts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('panel_ids', sa.JSON(), nullable=False),
    sa.Column('referred_from', sa.Date(), nullable=True),
    sa.Column('referred_to', sa.Date(), nullable=True),
    sa.Column('personal', sa.Boolean(), nullable=False),
    sa.Column('file_format', sa.Enum('csv', 'xlsx', name='extractformat', native_enum=False, length=40), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'ready', 'failed', 'expired', name='extractstatus', native_enum=False, length=40), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=True),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('created_at', app.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', app.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', app.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expires_at', app.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('downloads', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=120), nullable=True),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('data_key_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_keys.id'], name=op.f('fk_report_extracts_data_key_id_data_keys')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_report_extracts_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_extracts')),
    sa.UniqueConstraint('uid', name=op.f('uq_report_extracts_uid'))
    )
    with op.batch_alter_table('report_extracts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_extracts_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_extracts_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_extracts_requested_by_id'), ['requested_by_id'], unique=False)

    op.create_table('report_extract_parts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('extract_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('data_key_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['data_key_id'], ['data_keys.id'], name=op.f('fk_report_extract_parts_data_key_id_data_keys')),
    sa.ForeignKeyConstraint(['extract_id'], ['report_extracts.id'], name=op.f('fk_report_extract_parts_extract_id_report_extracts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_extract_parts')),
    sa.UniqueConstraint('extract_id', 'sequence', name=op.f('uq_report_extract_parts_extract_id_sequence')),
    sa.UniqueConstraint('uid', name=op.f('uq_report_extract_parts_uid'))
    )
    with op.batch_alter_table('report_extract_parts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_extract_parts_data_key_id'), ['data_key_id'], unique=False)



def downgrade():
    with op.batch_alter_table('report_extract_parts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_extract_parts_data_key_id'))

    op.drop_table('report_extract_parts')
    with op.batch_alter_table('report_extracts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_extracts_requested_by_id'))
        batch_op.drop_index(batch_op.f('ix_report_extracts_expires_at'))
        batch_op.drop_index(batch_op.f('ix_report_extracts_data_key_id'))

    op.drop_table('report_extracts')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_created_at'))

    op.drop_table('outbox_messages')
