"""each agency's research on each case listed at a meeting

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-11 04:00:00.000000

One row per agency per listed case: research marked done, and what the agency is sharing for
the meeting, sealed under the case's key (so it is destroyed with the case's content) and
tagged with the agency as its originator (R7), or that it has nothing to share.
"""
from alembic import op
import sqlalchemy as sa

import app.database  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'meeting_case_research',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('nothing_to_share', sa.Boolean(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('recorded_at', app.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=False),
        sa.Column('updated_at', app.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('shared', sa.LargeBinary(), nullable=True),
        sa.Column('uid', sa.String(length=32), nullable=False),
        sa.Column('data_key_id', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_meeting_case_research_case_id_cases')),
        sa.ForeignKeyConstraint(['data_key_id'], ['data_keys.id'], name=op.f('fk_meeting_case_research_data_key_id_data_keys')),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_case_research_meeting_id_meetings'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_meeting_case_research_organisation_id_organisations')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_meeting_case_research_recorded_by_id_users')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_meeting_case_research_updated_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_case_research')),
        sa.UniqueConstraint('meeting_id', 'case_id', 'organisation_id', name=op.f('uq_meeting_case_research_meeting_id_case_id_organisation_id')),
        sa.UniqueConstraint('uid', name=op.f('uq_meeting_case_research_uid')),
    )
    with op.batch_alter_table('meeting_case_research', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_case_research_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_case_research_data_key_id'), ['data_key_id'], unique=False)


def downgrade():
    op.drop_table('meeting_case_research')
