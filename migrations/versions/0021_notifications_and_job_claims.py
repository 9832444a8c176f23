"""notifications, their delivery log and choices; job claims and daily runs;
the browsers each account has signed in from

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 17:45:17.171505

Notifications (issue 22): each person's notifications, their choices of how each kind reaches
them, the email delivery log, and the reminders already given. The outbox names the worker that
claimed each message, so a worker starting gives back a dead one's work; the daily steps of the
job queue remember the day they last ran. `known_devices` holds the hash of each browser's
device cookie, so a sign-in from a new one tells the account's holder.
"""

from alembic import op
import sqlalchemy as sa

import app.database  # noqa: F401  (custom column types such as UTCDateTime)


# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('known_devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('first_seen_at', app.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', app.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_known_devices_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_known_devices')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_known_devices_token_hash'))
    )
    with op.batch_alter_table('known_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_known_devices_user_id'), ['user_id'], unique=False)

    op.create_table(
        "job_scheduled_runs",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("last_run_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_scheduled_runs")),
    )
    op.create_table(
        "notifications_sent_once",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("created_at", app.database.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_notifications_sent_once")),
    )
    with op.batch_alter_table("notifications_sent_once", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notifications_sent_once_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "notification_choices",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "event",
            sa.Enum(
                "referral_waiting",
                "referral_returned",
                "referral_accepted",
                "referral_rejected",
                "agenda_published",
                "minutes_approved",
                "action_assigned",
                "action_due_soon",
                "action_overdue",
                "emergency_access",
                "isp_review_due",
                "isp_withdrawn",
                "account_invitation",
                "password_reset",
                "new_device",
                "two_factor_changed",
                name="event",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "choice",
            sa.Enum("email", "digest", "app", name="choice", native_enum=False, length=40),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_choices_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "event", name=op.f("pk_notification_choices")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column(
            "event",
            sa.Enum(
                "referral_waiting",
                "referral_returned",
                "referral_accepted",
                "referral_rejected",
                "agenda_published",
                "minutes_approved",
                "action_assigned",
                "action_due_soon",
                "action_overdue",
                "emergency_access",
                "isp_review_due",
                "isp_withdrawn",
                "account_invitation",
                "password_reset",
                "new_device",
                "two_factor_changed",
                name="event",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("panel_name", sa.String(length=200), nullable=True),
        sa.Column("reference", sa.String(length=40), nullable=True),
        sa.Column("link", sa.String(length=300), nullable=False),
        sa.Column(
            "choice",
            sa.Enum("email", "digest", "app", name="choice", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("created_at", app.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", app.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("digest_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["users.id"],
            name=op.f("fk_notifications_recipient_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notifications_digest_waiting", ["choice", "digest_id"], unique=False
        )
        batch_op.create_index("ix_notifications_recipient", ["recipient_id", "id"], unique=False)
        batch_op.create_index(
            "ix_notifications_recipient_unread", ["recipient_id", "read_at"], unique=False
        )

    op.create_table(
        "notification_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "sent",
                "retrying",
                "failed",
                name="deliverystatus",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", app.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", app.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", app.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_notification_deliveries_notification_id_notifications"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["users.id"],
            name=op.f("fk_notification_deliveries_recipient_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_deliveries")),
    )
    with op.batch_alter_table("notification_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_deliveries_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notification_deliveries_recipient_id"), ["recipient_id"], unique=False
        )
        batch_op.create_index(
            "ix_notification_deliveries_retry", ["status", "next_attempt_at"], unique=False
        )

    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=120), nullable=True))


def downgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("claimed_by")

    with op.batch_alter_table("notification_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_deliveries_retry")
        batch_op.drop_index(batch_op.f("ix_notification_deliveries_recipient_id"))
        batch_op.drop_index(batch_op.f("ix_notification_deliveries_created_at"))

    op.drop_table("notification_deliveries")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_recipient_unread")
        batch_op.drop_index("ix_notifications_recipient")
        batch_op.drop_index("ix_notifications_digest_waiting")

    op.drop_table("notifications")
    op.drop_table("notification_choices")
    with op.batch_alter_table("notifications_sent_once", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_sent_once_created_at"))

    op.drop_table("notifications_sent_once")
    op.drop_table("job_scheduled_runs")
    with op.batch_alter_table("known_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_known_devices_user_id"))

    op.drop_table("known_devices")
