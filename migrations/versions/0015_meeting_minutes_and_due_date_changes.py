"""meeting minutes (general, per case and per agency) and action due dates changed by agreement

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-10 04:00:00.000000

Every word of the minutes is sealed: the general section under a data key of its own, what is
said about a case (its discussion and each agency's contribution) under the case's key, so it
is destroyed with the case's content. A due date change keeps the two dates in clear and its
reason sealed under the case's key.
"""
from alembic import op
import sqlalchemy as sa

import app.database  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

STATUSES = ('draft', 'approved')


def _sealed_columns():
    return [
        sa.Column('uid', sa.String(length=32), nullable=False),
        sa.Column('data_key_id', sa.String(length=32), nullable=False),
    ]


def upgrade():
    op.create_table(
        'meeting_minutes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column(
            'status',
            sa.Enum(*STATUSES, name='minutesstatus', native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('drafted_by_id', sa.Integer(), nullable=False),
        sa.Column('drafted_at', app.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=False),
        sa.Column('updated_at', app.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('approved_by_id', sa.Integer(), nullable=True),
        sa.Column('approved_at', app.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column('general', sa.LargeBinary(), nullable=True),
        *_sealed_columns(),
        sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_meeting_minutes_approved_by_id_users')),
        sa.ForeignKeyConstraint(['data_key_id'], ['data_keys.id'], name=op.f('fk_meeting_minutes_data_key_id_data_keys')),
        sa.ForeignKeyConstraint(['drafted_by_id'], ['users.id'], name=op.f('fk_meeting_minutes_drafted_by_id_users')),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_minutes_meeting_id_meetings'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_meeting_minutes_updated_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_minutes')),
        sa.UniqueConstraint('meeting_id', name=op.f('uq_meeting_minutes_meeting_id')),
        sa.UniqueConstraint('uid', name=op.f('uq_meeting_minutes_uid')),
    )
    with op.batch_alter_table('meeting_minutes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_minutes_data_key_id'), ['data_key_id'], unique=False)

    op.create_table(
        'meeting_minutes_cases',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('minutes_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('discussion', sa.LargeBinary(), nullable=True),
        *_sealed_columns(),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_meeting_minutes_cases_case_id_cases')),
        sa.ForeignKeyConstraint(['data_key_id'], ['data_keys.id'], name=op.f('fk_meeting_minutes_cases_data_key_id_data_keys')),
        sa.ForeignKeyConstraint(['minutes_id'], ['meeting_minutes.id'], name=op.f('fk_meeting_minutes_cases_minutes_id_meeting_minutes'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_minutes_cases')),
        sa.UniqueConstraint('minutes_id', 'case_id', name=op.f('uq_meeting_minutes_cases_minutes_id_case_id')),
        sa.UniqueConstraint('uid', name=op.f('uq_meeting_minutes_cases_uid')),
    )
    with op.batch_alter_table('meeting_minutes_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_minutes_cases_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_minutes_cases_data_key_id'), ['data_key_id'], unique=False)

    op.create_table(
        'meeting_minutes_contributions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('section_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.LargeBinary(), nullable=True),
        *_sealed_columns(),
        sa.ForeignKeyConstraint(['data_key_id'], ['data_keys.id'], name=op.f('fk_meeting_minutes_contributions_data_key_id_data_keys')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_meeting_minutes_contributions_organisation_id_organisations')),
        sa.ForeignKeyConstraint(['section_id'], ['meeting_minutes_cases.id'], name=op.f('fk_meeting_minutes_contributions_section_id_meeting_minutes_cases'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_minutes_contributions')),
        sa.UniqueConstraint('section_id', 'organisation_id', name=op.f('uq_meeting_minutes_contributions_section_id_organisation_id')),
        sa.UniqueConstraint('uid', name=op.f('uq_meeting_minutes_contributions_uid')),
    )
    with op.batch_alter_table('meeting_minutes_contributions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_minutes_contributions_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_minutes_contributions_organisation_id'), ['organisation_id'], unique=False)

    op.create_table(
        'case_action_due_date_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('action_id', sa.Integer(), nullable=False),
        sa.Column('changed_by_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('previous_due_on', sa.Date(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('changed_at', app.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('reason', sa.LargeBinary(), nullable=True),
        *_sealed_columns(),
        sa.ForeignKeyConstraint(['action_id'], ['case_actions.id'], name=op.f('fk_case_action_due_date_changes_action_id_case_actions')),
        sa.ForeignKeyConstraint(['agency_id'], ['organisations.id'], name=op.f('fk_case_action_due_date_changes_agency_id_organisations')),
        sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_case_action_due_date_changes_changed_by_id_users')),
        sa.ForeignKeyConstraint(['data_key_id'], ['data_keys.id'], name=op.f('fk_case_action_due_date_changes_data_key_id_data_keys')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_action_due_date_changes')),
        sa.UniqueConstraint('uid', name=op.f('uq_case_action_due_date_changes_uid')),
    )
    with op.batch_alter_table('case_action_due_date_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_action_due_date_changes_action_id'), ['action_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_action_due_date_changes_data_key_id'), ['data_key_id'], unique=False)


def downgrade():
    op.drop_table('case_action_due_date_changes')
    op.drop_table('meeting_minutes_contributions')
    op.drop_table('meeting_minutes_cases')
    op.drop_table('meeting_minutes')
