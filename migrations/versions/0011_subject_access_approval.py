"""subject access: a second person approves the confirmed records before the bundle opens

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 23:45:00.000000

Requests recorded before this revision have no approval: their bundles stay closed until a
second auditor approves them, as new ones do.
"""
from alembic import op
import sqlalchemy as sa

import app.database  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('subject_access_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bundle_approved_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('bundle_approved_at', app.database.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_subject_access_requests_bundle_approved_by_id_users'),
            'users',
            ['bundle_approved_by_id'],
            ['id'],
        )


def downgrade():
    with op.batch_alter_table('subject_access_requests', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_subject_access_requests_bundle_approved_by_id_users'),
            type_='foreignkey',
        )
        batch_op.drop_column('bundle_approved_at')
        batch_op.drop_column('bundle_approved_by_id')
