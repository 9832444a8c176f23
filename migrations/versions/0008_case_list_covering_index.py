"""case list: the default-order index also carries the filtered columns

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 20:40:00

A filtered case list (risk level, stage, repeat, listing) counted and paged by reading every
case row of the panel; with the filtered columns in the index it reads the index alone. The new
index starts with the old one's columns, so it serves every query the old one did.
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OLD = ("panel_id", "last_referred_on", "id")
FILTERS = ("risk_level", "stage", "is_repeat", "next_meeting_on")


def upgrade():
    op.create_index("ix_cases_panel_id_last_referred_on_filters", "cases", [*OLD, *FILTERS])
    op.drop_index("ix_cases_panel_id_last_referred_on", table_name="cases")


def downgrade():
    op.create_index("ix_cases_panel_id_last_referred_on", "cases", list(OLD))
    op.drop_index("ix_cases_panel_id_last_referred_on_filters", table_name="cases")
