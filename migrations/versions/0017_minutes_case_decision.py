"""the panel's decision on each case in the minutes

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-12 04:00:00.000000

Each case's section of a meeting's minutes records what the panel decided, as a code of the
panel type's decisions (a MARAC's safety plan, a Channel panel's adoption, a MACE risk
level...). A code and not free text, so it is stored in clear; empty while the draft leaves
it open.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meeting_minutes_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decision', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('meeting_minutes_cases', schema=None) as batch_op:
        batch_op.drop_column('decision')
