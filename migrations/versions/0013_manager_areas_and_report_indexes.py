"""managers' areas, and the indexes the repeat-rate report counts through

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 02:00:00.000000

`manager_areas` holds the areas (partnerships) an administrator assigned each manager to
report on. The repeat rate counts a panel's listings by meeting date: meetings are found by
their (panel_id, held_on) index, then each meeting's referrals by (meeting_id, status,
is_repeat) without reading the referral rows. A referral sent on by a transfer is found from
the receiving panel's referral through transferred_from_id.
"""
from alembic import op
import sqlalchemy as sa

import app.database  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'manager_areas',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('area_id', sa.Integer(), nullable=False),
        sa.Column('added_by_id', sa.Integer(), nullable=True),
        sa.Column('added_at', app.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['added_by_id'], ['users.id'],
            name=op.f('fk_manager_areas_added_by_id_users'), ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['area_id'], ['areas.id'],
            name=op.f('fk_manager_areas_area_id_areas'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_manager_areas_user_id_users'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_manager_areas')),
        sa.UniqueConstraint('user_id', 'area_id', name=op.f('uq_manager_areas_user_id_area_id')),
    )
    with op.batch_alter_table('manager_areas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_manager_areas_area_id'), ['area_id'], unique=False)

    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(
            'ix_referrals_meeting_id_status_is_repeat',
            ['meeting_id', 'status', 'is_repeat'],
            unique=False,
        )
        batch_op.create_index(
            'ix_referrals_transferred_from_id', ['transferred_from_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_transferred_from_id')
        batch_op.drop_index('ix_referrals_meeting_id_status_is_repeat')

    with op.batch_alter_table('manager_areas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_manager_areas_area_id'))

    op.drop_table('manager_areas')
