"""emergency access beyond the per-person limits waits for a coordinator's approval

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 03:00:00.000000

A request awaiting approval (or declined, or withdrawn) has no time box, so `started_at` and
`expires_at` become nullable; `requested_at` says when the person asked, and is the start of
every grant recorded before this revision.

Downgrading deletes the requests that never gave access (and their alerts): the revision
before has no way to hold them, and the audit trail keeps their events.
"""
from alembic import op
import sqlalchemy as sa

import app.database  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

DECISIONS = ('approved', 'declined', 'withdrawn')


def upgrade():
    with op.batch_alter_table('break_glass_grants', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('requested_at', app.database.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                'approval_needed', sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(
            sa.Column(
                'decision',
                sa.Enum(*DECISIONS, name='breakglassdecision', native_enum=False, length=40),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column('decided_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('decided_at', app.database.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column('decision_note', sa.LargeBinary(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_break_glass_grants_decided_by_id_users'),
            'users',
            ['decided_by_id'],
            ['id'],
        )
        batch_op.alter_column(
            'started_at', existing_type=app.database.UTCDateTime(timezone=True), nullable=True
        )
        batch_op.alter_column(
            'expires_at', existing_type=app.database.UTCDateTime(timezone=True), nullable=True
        )

    # Every grant before this revision was given at once: it was asked for as it started.
    op.execute('UPDATE break_glass_grants SET requested_at = started_at')

    with op.batch_alter_table('break_glass_grants', schema=None) as batch_op:
        batch_op.alter_column(
            'requested_at',
            existing_type=app.database.UTCDateTime(timezone=True),
            nullable=False,
        )


def downgrade():
    never_given = 'SELECT id FROM break_glass_grants WHERE started_at IS NULL'
    op.execute(f'DELETE FROM case_alerts WHERE grant_id IN ({never_given})')
    op.execute('DELETE FROM break_glass_grants WHERE started_at IS NULL')

    with op.batch_alter_table('break_glass_grants', schema=None) as batch_op:
        batch_op.alter_column(
            'expires_at', existing_type=app.database.UTCDateTime(timezone=True), nullable=False
        )
        batch_op.alter_column(
            'started_at', existing_type=app.database.UTCDateTime(timezone=True), nullable=False
        )
        batch_op.drop_constraint(
            batch_op.f('fk_break_glass_grants_decided_by_id_users'), type_='foreignkey'
        )
        batch_op.drop_column('decision_note')
        batch_op.drop_column('decided_at')
        batch_op.drop_column('decided_by_id')
        batch_op.drop_column('decision')
        batch_op.drop_column('approval_needed')
        batch_op.drop_column('requested_at')
