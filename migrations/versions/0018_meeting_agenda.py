"""the agenda as the coordinator builds it: entries and their order, publication

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 05:00:00.000000

A meeting's agenda opens to members when the coordinator publishes it, or by itself a panel's
number of days before the meeting; each change to the agenda counts a revision. Agenda items
hold a case's place and the reason it is on the agenda (a new referral, a review, a referral
carried forward from a meeting that did not hear it).
"""
from alembic import op
import sqlalchemy as sa

import app.database  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agenda_published_at', app.database.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('agenda_published_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('agenda_revision', sa.Integer(), nullable=False, server_default='1'))
        batch_op.create_foreign_key(batch_op.f('fk_meetings_agenda_published_by_id_users'), 'users', ['agenda_published_by_id'], ['id'])
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.alter_column('agenda_revision', server_default=None)

    op.create_table(
        'meeting_agenda_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('referral_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.Enum('referral', 'flag_expiry', 'review', 'carried_forward', name='agendareason', native_enum=False, length=40), nullable=False),
        sa.Column('position', sa.Integer(), nullable=True),
        sa.Column('carried_from_id', sa.Integer(), nullable=True),
        sa.Column('carried_to_id', sa.Integer(), nullable=True),
        sa.Column('added_by_id', sa.Integer(), nullable=False),
        sa.Column('added_at', app.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_meeting_agenda_items_added_by_id_users')),
        sa.ForeignKeyConstraint(['carried_from_id'], ['meetings.id'], name=op.f('fk_meeting_agenda_items_carried_from_id_meetings')),
        sa.ForeignKeyConstraint(['carried_to_id'], ['meetings.id'], name=op.f('fk_meeting_agenda_items_carried_to_id_meetings')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_meeting_agenda_items_case_id_cases')),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_agenda_items_meeting_id_meetings'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_meeting_agenda_items_referral_id_referrals')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_agenda_items')),
        sa.UniqueConstraint('meeting_id', 'case_id', name=op.f('uq_meeting_agenda_items_meeting_id_case_id')),
    )
    with op.batch_alter_table('meeting_agenda_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_agenda_items_case_id'), ['case_id'], unique=False)


def downgrade():
    op.drop_table('meeting_agenda_items')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_meetings_agenda_published_by_id_users'), type_='foreignkey')
        batch_op.drop_column('agenda_revision')
        batch_op.drop_column('agenda_published_by_id')
        batch_op.drop_column('agenda_published_at')
