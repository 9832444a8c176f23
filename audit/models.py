"""Audit events, hash-chained in sequence, and signed checkpoints of the chain head."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from app.database import Base


class AuditAction(StrEnum):
    """subject:action. Keep grouped and alphabetical; never write these strings elsewhere."""

    ACCESS_DENIED = "access:denied"

    ACTION_AGREED = "action:agreed"
    ACTION_DUE_DATE_CHANGED = "action:due_date_changed"
    ACTION_PROGRESS_REPORTED = "action:progress_reported"
    ACTION_VIEWED = "action:viewed"
    ACTIONS_LIST_VIEWED = "action:list_viewed"

    AREA_CREATED = "admin:area_created"
    MANAGER_AREA_ADDED = "admin:manager_area_added"
    MANAGER_AREA_REMOVED = "admin:manager_area_removed"
    MEMBERSHIP_ADDED = "admin:membership_added"
    MEMBERSHIP_REMOVED = "admin:membership_removed"
    ORGANISATION_CREATED = "admin:organisation_created"
    ORGANISATION_UPDATED = "admin:organisation_updated"
    PANEL_CREATED = "admin:panel_created"
    PANEL_SETTINGS_CHANGED = "admin:panel_settings_changed"
    PANEL_UPDATED = "admin:panel_updated"
    USER_CREATED = "admin:user_created"
    USER_DEACTIVATED = "admin:user_deactivated"
    USER_PASSWORD_RESET_ISSUED = "admin:user_password_reset_issued"
    USER_REACTIVATED = "admin:user_reactivated"
    USER_TWO_FACTOR_RESET = "admin:user_two_factor_reset"
    USER_UPDATED = "admin:user_updated"

    ISP_AGREEMENT_ADDED = "isp:agreement_added"
    ISP_SIGNATORY_ADDED = "isp:signatory_added"
    ISP_SIGNATORY_RENEWED = "isp:signatory_renewed"
    ISP_SIGNATORY_SIGNED_AGAIN = "isp:signatory_signed_again"
    ISP_SIGNATORY_WITHDRAWN = "isp:signatory_withdrawn"

    AUDIT_CHECKPOINT_CREATED = "audit:checkpoint_created"
    AUDIT_LOG_EXPORTED = "audit:log_exported"
    AUDIT_LOG_VIEWED = "audit:log_viewed"
    AUDIT_VERIFIED = "audit:verified"

    BREAK_GLASS_APPROVED = "break_glass:approved"
    BREAK_GLASS_DECLINED = "break_glass:declined"
    BREAK_GLASS_ENDED = "break_glass:ended"
    BREAK_GLASS_REQUESTED = "break_glass:requested"
    BREAK_GLASS_REVIEWED = "break_glass:reviewed"
    BREAK_GLASS_STARTED = "break_glass:started"
    BREAK_GLASS_WITHDRAWN = "break_glass:withdrawn"
    ALERTS_VIEWED = "break_glass:alerts_viewed"
    ALERT_ACKNOWLEDGED = "break_glass:alert_acknowledged"

    CASE_ACCESS_LOG_VIEWED = "case:access_log_viewed"
    CASE_CLOSED = "case:closed"
    CASE_LIST_VIEWED = "case:list_viewed"
    CASE_NOTE_ADDED = "case:note_added"
    CASE_OPENED = "case:opened"
    CASE_PERSON_ADDED = "case:person_added"
    CASE_RESTRICTED = "case:restricted"
    CASE_RESTRICTION_LIFTED = "case:restriction_lifted"
    CASE_RESTRICTIONS_VIEWED = "case:restrictions_viewed"
    CASE_TRANSFERRED = "case:transferred"
    CASE_VIEWED = "case:viewed"
    PEOPLE_SEARCHED = "case:people_searched"
    PEOPLE_SEARCH_THROTTLED = "case:people_search_throttled"

    CASE_REVIEW_ACKNOWLEDGED = "case_review:acknowledged"
    CASE_REVIEW_APPEAL_DECIDED = "case_review:appeal_decided"
    CASE_REVIEW_APPEAL_REQUESTED = "case_review:appeal_requested"
    CASE_REVIEW_APPLICATION_RECEIVED = "case_review:application_received"
    CASE_REVIEW_COMPLAINT_ADDED = "case_review:complaint_added"
    CASE_REVIEW_FIGURES_VIEWED = "case_review:figures_viewed"
    CASE_REVIEW_LIST_VIEWED = "case_review:list_viewed"
    CASE_REVIEW_MEETING_HELD = "case_review:meeting_held"
    CASE_REVIEW_OUTCOME_RECORDED = "case_review:outcome_recorded"
    CASE_REVIEW_THRESHOLD_DECIDED = "case_review:threshold_decided"
    CASE_REVIEW_VIEWED = "case_review:viewed"

    ATTENDANCE_RECORDED = "meeting:attendance_recorded"
    CONFIDENTIALITY_ACCEPTED = "meeting:confidentiality_accepted"
    AGENDA_CHANGED = "meeting:agenda_changed"
    AGENDA_PUBLISHED = "meeting:agenda_published"
    INTEREST_DECLARED = "meeting:interest_declared"
    INTEREST_WITHDRAWN = "meeting:interest_withdrawn"
    # A meeting pack (agenda, minutes, actions extract) downloaded as a PDF (R9).
    MEETING_PACK_PRINTED = "meeting:pack_printed"
    MEETING_SCHEDULED = "meeting:scheduled"
    MEETING_VIEWED = "meeting:viewed"
    MINUTES_APPROVED = "meeting:minutes_approved"
    MINUTES_EXTRACT_VIEWED = "meeting:minutes_extract_viewed"
    MINUTES_SAVED = "meeting:minutes_saved"
    MINUTES_VIEWED = "meeting:minutes_viewed"
    RESEARCH_RECORDED = "meeting:research_recorded"
    RESEARCH_VIEWED = "meeting:research_viewed"

    NOTIFICATION_CHOICES_CHANGED = "notification:choices_changed"
    NOTIFICATIONS_READ = "notification:read"

    REFERRAL_ACCEPTED = "referral:accepted"
    REFERRAL_CARRIED_FORWARD = "referral:carried_forward"
    REFERRAL_HEARD = "referral:heard"
    REFERRAL_LIST_VIEWED = "referral:list_viewed"
    REFERRAL_LISTED = "referral:listed"
    REFERRAL_REJECTED = "referral:rejected"
    REFERRAL_RETURNED = "referral:returned"
    REFERRAL_STARTED = "referral:started"
    REFERRAL_SUBMITTED = "referral:submitted"
    REFERRAL_UPDATED = "referral:section_saved"
    REFERRAL_VIEWED = "referral:viewed"
    REFERRAL_WITHDRAWN = "referral:withdrawn"

    REPORT_EXPORTED = "report:exported"
    REPORT_EXTRACT_DOWNLOADED = "report:extract_downloaded"
    REPORT_EXTRACT_EXPIRED = "report:extract_expired"
    REPORT_EXTRACT_FAILED = "report:extract_failed"
    REPORT_EXTRACT_MADE = "report:extract_made"
    REPORT_EXTRACT_REQUESTED = "report:extract_requested"
    REPORT_VIEWED = "report:viewed"

    SHARING_DECISION_RECORDED = "sharing:decision_recorded"
    SHARING_LOG_VIEWED = "sharing:log_viewed"

    SUBJECT_ACCESS_BUNDLE_APPROVED = "subject_access:bundle_approved"
    SUBJECT_ACCESS_BUNDLE_VIEWED = "subject_access:bundle_viewed"
    SUBJECT_ACCESS_CLOCK_PAUSED = "subject_access:clock_paused"
    SUBJECT_ACCESS_CLOCK_RESUMED = "subject_access:clock_resumed"
    SUBJECT_ACCESS_COMPLETED = "subject_access:completed"
    SUBJECT_ACCESS_DISCLOSURE_DECIDED = "subject_access:disclosure_decided"
    SUBJECT_ACCESS_EXTENDED = "subject_access:extended"
    SUBJECT_ACCESS_LIST_VIEWED = "subject_access:list_viewed"
    SUBJECT_ACCESS_RECEIVED = "subject_access:received"
    SUBJECT_ACCESS_REFUSED = "subject_access:refused"
    SUBJECT_ACCESS_SUBJECTS_CONFIRMED = "subject_access:subjects_confirmed"
    SUBJECT_ACCESS_VIEWED = "subject_access:viewed"

    DATA_KEYS_REWRAPPED = "keys:rewrapped"
    DATA_KEY_REPLACED = "keys:data_key_replaced"

    CASE_CONTENT_DESTROYED = "retention:case_content_destroyed"
    LEGAL_HOLD_LIFTED = "retention:legal_hold_lifted"
    LEGAL_HOLD_PLACED = "retention:legal_hold_placed"
    RETENTION_RULE_CHANGED = "retention:rule_changed"

    PASSWORD_ACCEPTED = "auth:password_accepted"
    PASSWORD_CHANGED = "auth:password_changed"
    PASSWORD_SET_BY_LINK = "auth:password_set_by_link"
    RECOVERY_CODE_USED = "auth:recovery_code_used"
    RECOVERY_CODES_REISSUED = "auth:recovery_codes_reissued"
    SIGN_IN = "auth:sign_in"
    SIGN_IN_FAILED = "auth:sign_in_failed"
    SIGN_IN_THROTTLED = "auth:sign_in_throttled"
    SIGN_OUT = "auth:sign_out"
    TWO_FACTOR_ENROLLED = "auth:two_factor_enrolled"
    TWO_FACTOR_ENROLMENT_STARTED = "auth:two_factor_enrolment_started"
    TWO_FACTOR_FAILED = "auth:two_factor_failed"
    TWO_FACTOR_PASSED = "auth:two_factor_passed"

    @property
    def label(self) -> str:
        """e.g. "Sign-in: password accepted", readable without its neighbours in a list."""
        group, name = self.value.split(":", 1)
        return f"{ACTION_GROUPS[group]}: {name.replace('_', ' ')}"


ACTION_GROUPS = {
    "access": "Access",
    "action": "Action",
    "admin": "Admin",
    "audit": "Audit trail",
    "auth": "Sign-in",
    "break_glass": "Emergency access",
    "case": "Case",
    "case_review": "ASB Case Review",
    "isp": "Information sharing protocol",
    "keys": "Encryption keys",
    "meeting": "Meeting",
    "notification": "Notifications",
    "referral": "Referral",
    "report": "Report",
    "retention": "Retention",
    "sharing": "Sharing decision",
    "subject_access": "Subject access",
}


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"


class AuditEvent(Base):
    """One entry of the chain. Never updated or deleted (database triggers refuse both).

    Holds ids and codes only: no names, addresses or free text in clear, so the trail survives
    crypto-shredding of case content and leaks nothing if read on its own.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_object", "object_type", "object_id"),
        Index("ix_audit_events_actor_id_sequence", "actor_id", "sequence"),
    )

    # Assigned from the chain head under a lock, never from a database sequence (gaps on rollback).
    sequence: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None]  # no foreign key: the trail outlives accounts
    actor_agency_id: Mapped[int | None] = mapped_column(index=True)
    actor_role: Mapped[str | None] = mapped_column(String(40))
    action: Mapped[AuditAction] = mapped_column(index=True)
    outcome: Mapped[Outcome]
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(200))
    changes: Mapped[str | None] = mapped_column(Text)  # canonical JSON, sensitive values masked
    ip_address: Mapped[str | None] = mapped_column(String(45))
    session_ref: Mapped[str | None] = mapped_column(String(16))  # keyed hash of the session id
    request_id: Mapped[str | None] = mapped_column(String(32))
    previous_hash: Mapped[str] = mapped_column(String(64))
    event_hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """A signed statement of the chain head, to be copied somewhere the database's admins can't
    reach; a later verification against it catches even a chain recomputed from scratch."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence: Mapped[int] = mapped_column(BigInteger)
    head_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    signature: Mapped[str] = mapped_column(String(128))
