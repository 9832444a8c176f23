"""the ages the SafeLives return counts, coded on each referral

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-08 05:00:00.000000

The SafeLives Marac return (domain §2.10, E8) counts victims aged 16 or 17 and perpetrators
aged 17 or under. Reports read only clear columns, so submission codes the victim's age band
on the referral date and the number of young perpetrators from the sealed dates of birth.
Referrals submitted before this revision keep both columns NULL, which reports count as "not
known": their answers are sealed, and a migration does not open them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('victim_age_band', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('young_perpetrators', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_column('young_perpetrators')
        batch_op.drop_column('victim_age_band')
