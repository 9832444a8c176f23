"""who may see a case through listing and referral, kept as rows (cases/reach)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 23:41:04.430910

A representative sees the cases listed at a meeting whose confidentiality statement they
accepted, and the cases their agency referred to the case's panel (issue 23). The rows are
derived from referrals, agenda entries, declarations and each case's panel: the upgrade
derives them for the cases already held, and the app keeps them from then on.
"""
from alembic import op
import sqlalchemy as sa

import app.database  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_readers',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('panel_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_readers_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['panel_id'], ['panels.id'], name=op.f('fk_case_readers_panel_id_panels')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_case_readers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'panel_id', 'case_id', name=op.f('pk_case_readers'))
    )
    with op.batch_alter_table('case_readers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_readers_case_id'), ['case_id'], unique=False)

    op.create_table('case_referring_agencies',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('panel_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_referring_agencies_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_case_referring_agencies_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['panel_id'], ['panels.id'], name=op.f('fk_case_referring_agencies_panel_id_panels')),
    sa.PrimaryKeyConstraint('organisation_id', 'panel_id', 'case_id', name=op.f('pk_case_referring_agencies'))
    )
    with op.batch_alter_table('case_referring_agencies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_referring_agencies_case_id'), ['case_id'], unique=False)

    op.execute(
        """
        INSERT INTO case_readers (user_id, panel_id, case_id)
        SELECT d.user_id, c.panel_id, c.id FROM cases c
          JOIN referrals r ON r.case_id = c.id
          JOIN confidentiality_declarations d ON d.meeting_id = r.meeting_id
        UNION
        SELECT d.user_id, c.panel_id, c.id FROM cases c
          JOIN meeting_agenda_items a ON a.case_id = c.id
          JOIN confidentiality_declarations d ON d.meeting_id = a.meeting_id
        """
    )
    op.execute(
        """
        INSERT INTO case_referring_agencies (organisation_id, panel_id, case_id)
        SELECT DISTINCT r.referring_agency_id, c.panel_id, c.id FROM cases c
          JOIN referrals r ON r.case_id = c.id AND r.panel_id = c.panel_id
        """
    )
    # A large deployment's rows arrive all at once: the planner learns of them now, not when
    # the statistics are next gathered (ANALYZE of one table is the same on both engines).
    op.execute("ANALYZE case_readers")
    op.execute("ANALYZE case_referring_agencies")


def downgrade():
    with op.batch_alter_table('case_referring_agencies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_referring_agencies_case_id'))

    op.drop_table('case_referring_agencies')
    with op.batch_alter_table('case_readers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_readers_case_id'))

    op.drop_table('case_readers')
