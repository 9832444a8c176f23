"""meeting attendance, agencies sending information, observers and declarations of interest

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 04:00:00.000000

Attendance and declarations of interest hold ids and codes only (who, for which agency, in
which panel role, attended or sent apologies). An observer's name and organisation are typed
in, so they are sealed, each observer under a data key of their own.
"""
from alembic import op
import sqlalchemy as sa

import app.database  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

STATUSES = ('present', 'deputy', 'apologies')
ROLES = ('coordinator', 'chair', 'representative')


def upgrade():
    op.create_table(
        'meeting_attendance',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column(
            'panel_role',
            sa.Enum(*ROLES, name='panelrole', native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column(
            'status',
            sa.Enum(*STATUSES, name='attendancestatus', native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('recorded_at', app.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_attendance_meeting_id_meetings'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_meeting_attendance_organisation_id_organisations')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_meeting_attendance_recorded_by_id_users')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_meeting_attendance_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_attendance')),
        sa.UniqueConstraint('meeting_id', 'user_id', name=op.f('uq_meeting_attendance_meeting_id_user_id')),
    )
    with op.batch_alter_table('meeting_attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_attendance_user_id'), ['user_id'], unique=False)

    op.create_table(
        'meeting_information_sent',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('recorded_at', app.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_information_sent_meeting_id_meetings'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_meeting_information_sent_organisation_id_organisations')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_meeting_information_sent_recorded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_information_sent')),
        sa.UniqueConstraint('meeting_id', 'organisation_id', name=op.f('uq_meeting_information_sent_meeting_id_organisation_id')),
    )
    with op.batch_alter_table('meeting_information_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_information_sent_organisation_id'), ['organisation_id'], unique=False)

    op.create_table(
        'meeting_observers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('recorded_at', app.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('name', sa.LargeBinary(), nullable=True),
        sa.Column('organisation', sa.LargeBinary(), nullable=True),
        sa.Column('uid', sa.String(length=32), nullable=False),
        sa.Column('data_key_id', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['data_key_id'], ['data_keys.id'], name=op.f('fk_meeting_observers_data_key_id_data_keys')),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_observers_meeting_id_meetings'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_meeting_observers_recorded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_observers')),
        sa.UniqueConstraint('uid', name=op.f('uq_meeting_observers_uid')),
    )
    with op.batch_alter_table('meeting_observers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_observers_data_key_id'), ['data_key_id'], unique=False)
        batch_op.create_index('ix_meeting_observers_meeting_id', ['meeting_id'], unique=False)

    op.create_table(
        'meeting_interest_declarations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('recorded_at', app.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_meeting_interest_declarations_case_id_cases')),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_interest_declarations_meeting_id_meetings'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_meeting_interest_declarations_organisation_id_organisations')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_meeting_interest_declarations_recorded_by_id_users')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_meeting_interest_declarations_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_interest_declarations')),
        sa.UniqueConstraint('meeting_id', 'case_id', 'user_id', name=op.f('uq_meeting_interest_declarations_meeting_id_case_id_user_id')),
    )
    with op.batch_alter_table('meeting_interest_declarations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_interest_declarations_case_id'), ['case_id'], unique=False)


def downgrade():
    op.drop_table('meeting_interest_declarations')
    op.drop_table('meeting_observers')
    op.drop_table('meeting_information_sent')
    op.drop_table('meeting_attendance')
