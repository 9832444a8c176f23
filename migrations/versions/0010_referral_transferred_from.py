"""transfers: a receiving panel's referral names the referral it came from

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 23:20:00.000000

A transfer's referral is now dated the day of the transfer, and its repeat window is read from
the referral it came from (E1, E9). Referrals made by transfers before this revision carry the
original referral's date and no link, which reads the same window, so they need no change.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transferred_from_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_referrals_transferred_from_id_referrals'),
            'referrals',
            ['transferred_from_id'],
            ['id'],
        )


def downgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_referrals_transferred_from_id_referrals'), type_='foreignkey'
        )
        batch_op.drop_column('transferred_from_id')
