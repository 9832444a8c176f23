"""Cases, the people in them (a role belongs to the case, never to the person), notes and the
retention rules that decide when a closed case's content is destroyed.

Names, dates of birth, addresses, contact details, identifiers and free text are `Sealed`:
encrypted under the case's or the person's own data key. Structural fields stay in clear so
lists and reports stay fast.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import Base
from app.database import utcnow
from app.keys.blind import IndexKind
from app.keys.sealed import DATE
from app.keys.sealed import TEXT
from app.keys.sealed import Sealed
from app.keys.sealed import SealedRecord
from panels.models import Meeting
from panels.models import Panel
from panels.models import PanelType
from panels.registry import ReferralStatus
from panels.registry import RepeatDefinition
from panels.registry import RiskLevel
from panels.registry import RiskTool

REFERENCE_PREFIX = {
    PanelType.MARAC: "MARAC",
    PanelType.COMMUNITY_MARAC: "CMARAC",
    PanelType.CHANNEL: "CHANNEL",
    PanelType.MACE: "MACE",
    PanelType.IOM: "IOM",
}


def split_alias(alias: str) -> tuple[str, str]:
    """An alias is written "Given names Family name": the last word is the family name."""
    *given, family = alias.split() or [""]
    return " ".join(given), family


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class CaseRole(StrEnum):
    VICTIM = "victim"
    PERPETRATOR = "perpetrator"
    CHILD = "child"
    SUBJECT = "subject"
    PERSON_OF_CONCERN = "person_of_concern"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class RecordType(StrEnum):
    """Kinds of record a retention rule governs."""

    CLOSED_CASE = "closed_case"

    @property
    def label(self) -> str:
        return {"closed_case": "Closed case (people, notes, summary)"}[self.value]


class Case(SealedRecord):
    """A panel's case: for MARAC the victim with the same perpetrator(s) (domain §2.5); for the
    other panels the person at its centre. Referrals belong to it; the latest one's state,
    risk, repeat flag and next meeting are copied here so the case list filters and sorts on
    one table."""

    __tablename__ = "cases"
    __table_args__ = (
        # The case list's default order, carrying the columns its filters test, so counting
        # and paging a filtered list reads the index alone: at a million referrals reading each
        # row for its risk level cost 25 ms a query (count and page) on SQLite.
        Index(
            "ix_cases_panel_id_last_referred_on_filters",
            "panel_id",
            "last_referred_on",
            "id",
            "risk_level",
            "stage",
            "is_repeat",
            "next_meeting_on",
        ),
        Index("ix_cases_panel_id_next_meeting_on", "panel_id", "next_meeting_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id"), index=True)
    status: Mapped[CaseStatus] = mapped_column(default=CaseStatus.OPEN)
    opened_on: Mapped[date]
    closed_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Legal hold blocks disposal; the reason names the inquiry, never a person.
    legal_hold_reason: Mapped[str | None] = mapped_column(String(200))
    legal_hold_since: Mapped[datetime | None]
    disposed_at: Mapped[datetime | None]
    disposal_rule: Mapped[str | None] = mapped_column(String(120))
    # Copied from the case's referrals by cases.referrals, for the case list.
    stage: Mapped[ReferralStatus | None]
    risk_level: Mapped[RiskLevel | None]
    is_repeat: Mapped[bool] = mapped_column(default=False)
    referral_count: Mapped[int] = mapped_column(default=0)
    last_referred_on: Mapped[date | None]
    flag_expires_on: Mapped[date | None]
    next_meeting_on: Mapped[date | None]

    summary = Sealed(TEXT)

    panel: Mapped[Panel] = relationship(lazy="joined", innerjoin=True)
    people: Mapped[list[CasePerson]] = relationship(back_populates="case")
    notes: Mapped[list[CaseNote]] = relationship(
        back_populates="case", order_by="CaseNote.created_at"
    )
    referrals: Mapped[list[Referral]] = relationship(
        back_populates="case",
        order_by="(Referral.referred_on, Referral.id)",
        foreign_keys="Referral.case_id",
    )
    transfers: Mapped[list[CaseTransfer]] = relationship(
        back_populates="case", order_by="CaseTransfer.transferred_on"
    )
    actions: Mapped[list[CaseAction]] = relationship(
        back_populates="case", order_by="(CaseAction.due_on, CaseAction.id)"
    )

    @property
    def reference(self) -> str:
        return f"{REFERENCE_PREFIX[self.panel.panel_type]}-{self.id:06d}"

    @property
    def on_legal_hold(self) -> bool:
        return self.legal_hold_reason is not None


class Person(SealedRecord):
    """Someone known to one or more panels. Their identity is sealed under their own data key,
    so it survives the disposal of one case while another still needs it."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    given_names = Sealed(TEXT)
    family_name = Sealed(TEXT)
    aliases = Sealed(TEXT)  # one per line
    date_of_birth = Sealed(DATE)
    other_birth_dates = Sealed(TEXT)  # ISO dates, one per line: a DOB may be uncertain (E50)
    address = Sealed(TEXT)
    phone = Sealed(TEXT)
    contact_safety = Sealed(TEXT)  # safe to call, safe times, who is and is not safe to talk to
    nhs_number = Sealed(TEXT)
    pnc_id = Sealed(TEXT)

    search_keys: Mapped[list[PersonSearchKey]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )

    @property
    def full_name(self) -> str:
        return f"{self.given_names or ''} {self.family_name or ''}".strip()


class PersonSearchKey(Base):
    """One blind index of a person: their name and date of birth, an alias, or an identifier."""

    __tablename__ = "person_search_keys"
    __table_args__ = (Index("ix_person_search_keys_kind_value", "kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[IndexKind]
    value: Mapped[int]

    person: Mapped[Person] = relationship(back_populates="search_keys")


class CasePerson(Base):
    __tablename__ = "case_people"
    __table_args__ = (UniqueConstraint("case_id", "person_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[CaseRole]

    case: Mapped[Case] = relationship(back_populates="people")
    person: Mapped[Person] = relationship(lazy="joined", innerjoin=True)


class CaseNote(SealedRecord):
    """Something an agency recorded about a case, sealed under the case's key."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    text = Sealed(TEXT)

    case: Mapped[Case] = relationship(back_populates="notes")
    author: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    agency: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)


class Referral(SealedRecord):
    """One referral to a panel. It is sealed under its own key: until screening it belongs to
    no case, and screening may attach it to an existing case (a repeat) or open a new one.

    Everything the referrer typed is kept sealed in `answers` (JSON, by section) so a draft
    loses nothing; what lists and reports need (status, dates, criteria, risk, repeat, the
    coded diversity answers) is copied to clear columns when it is submitted and screened.
    """

    __tablename__ = "referrals"
    __table_args__ = (
        Index("ix_referrals_panel_id_status_referred_on", "panel_id", "status", "referred_on"),
        Index("ix_referrals_case_id_referred_on", "case_id", "referred_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    status: Mapped[ReferralStatus] = mapped_column(default=ReferralStatus.DRAFT)
    referrer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    referring_agency_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    referred_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    screened_at: Mapped[datetime | None]
    screened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    criteria: Mapped[list[str] | None] = mapped_column(JSON)
    risk_tool: Mapped[RiskTool | None]
    risk_score: Mapped[int | None]
    risk_level: Mapped[RiskLevel | None]
    consent_given: Mapped[bool | None]
    victim_aware: Mapped[bool | None]
    children_count: Mapped[int] = mapped_column(default=0)
    # Coded diversity answers for the published figures: "yes", "no" or "not_known" (E8).
    victim_gender: Mapped[str | None] = mapped_column(String(20))
    victim_minoritised: Mapped[str | None] = mapped_column(String(20))
    victim_disabled: Mapped[str | None] = mapped_column(String(20))
    victim_lgbt: Mapped[str | None] = mapped_column(String(20))
    # Repeat detection (domain §2.10.1): the referral it repeats and the rule that applied.
    is_repeat: Mapped[bool] = mapped_column(default=False)
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"))
    repeat_definition: Mapped[RepeatDefinition | None]
    rules_version: Mapped[str | None] = mapped_column(String(20))
    flag_expires_on: Mapped[date | None]
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"), index=True)

    # Bumped on every change: two people saving the same referral at once cannot both win.
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    answers = Sealed(TEXT)
    decision_reason = Sealed(TEXT)

    panel: Mapped[Panel] = relationship(lazy="joined", innerjoin=True)
    case: Mapped[Case | None] = relationship(back_populates="referrals", foreign_keys=[case_id])
    referrer: Mapped[User] = relationship(foreign_keys=[referrer_id])
    referring_agency: Mapped[Organisation] = relationship()
    meeting: Mapped[Meeting | None] = relationship()
    repeat_of: Mapped[Referral | None] = relationship(remote_side=[id])
    assessments: Mapped[list[RiskAssessment]] = relationship(back_populates="referral")

    @property
    def reference(self) -> str:
        return f"REF-{self.id:06d}"


class RiskAssessment(SealedRecord):
    """A completed risk tool: a versioned instrument, its score and level in clear, and the
    per-item answers (answer, source, comment) sealed under the referral's key."""

    __tablename__ = "risk_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    tool: Mapped[RiskTool]
    instrument_version: Mapped[str] = mapped_column(String(40))
    completed_on: Mapped[date | None]
    with_victim: Mapped[bool | None]
    score: Mapped[int | None]
    level: Mapped[RiskLevel | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    items = Sealed(TEXT)  # JSON list of {"answer", "source", "comment"}

    referral: Mapped[Referral] = relationship(back_populates="assessments")


class CaseTransfer(SealedRecord):
    """A case moved to another area's panel (Marac-to-Marac, domain §2.6, E9): the case and all
    its history travel; the receiving panel sees where it came from."""

    __tablename__ = "case_transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    from_panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id"))
    to_panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id"))
    transferred_on: Mapped[date]
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    reason = Sealed(TEXT)

    case: Mapped[Case] = relationship(back_populates="transfers")
    from_panel: Mapped[Panel] = relationship(foreign_keys=[from_panel_id], lazy="joined")
    to_panel: Mapped[Panel] = relationship(foreign_keys=[to_panel_id], lazy="joined")


# Action plans (domain §2.6, R13) ------------------------------------------------------------


class ActionStatus(StrEnum):
    """Where an action stands. The two ways of not finishing are kept apart, as the minutes
    must: circumstances changed, or the agency did not do it (domain §2.6)."""

    OPEN = "open"
    COMPLETED = "completed"
    NO_LONGER_POSSIBLE = "no_longer_possible"
    NOT_DONE = "not_done"

    @property
    def label(self) -> str:
        return {
            "open": "Open",
            "completed": "Completed",
            "no_longer_possible": "Not possible: circumstances changed",
            "not_done": "Not done by the agency",
        }[self.value]

    @property
    def outstanding(self) -> bool:
        return self is ActionStatus.OPEN

    @property
    def needs_reason(self) -> bool:
        return self in (ActionStatus.NO_LONGER_POSSIBLE, ActionStatus.NOT_DONE)


class CaseAction(SealedRecord):
    """An action an agency volunteered for a case, usually at a meeting: the agency keeps
    responsibility for it and reports on it until it is closed (domain §1, §2.6, R13). The
    wording is sealed under the case's key."""

    __tablename__ = "case_actions"
    __table_args__ = (
        # The actions lists read these indexes alone: an agency's actions, and the actions of
        # the panels someone coordinates, by status and due date, carrying what the access
        # scope tests. At a million referrals a coordinator's panels hold about 60,000 actions.
        Index(
            "ix_case_actions_owner_agency_id_status_due_on_scope",
            "owner_agency_id",
            "status",
            "due_on",
            "id",
            "panel_id",
            "case_id",
        ),
        Index(
            "ix_case_actions_panel_id_status_due_on_scope",
            "panel_id",
            "status",
            "due_on",
            "id",
            "owner_agency_id",
            "case_id",
        ),
        # Each case's plan, and its outstanding and overdue actions for the agenda.
        Index("ix_case_actions_case_id_status_due_on", "case_id", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    # The case's panel, copied so the lists need not join every case (a transfer moves it).
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    due_on: Mapped[date]
    status: Mapped[ActionStatus] = mapped_column(default=ActionStatus.OPEN)
    agreed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    description = Sealed(TEXT)

    case: Mapped[Case] = relationship(back_populates="actions")
    owner_agency: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)
    meeting: Mapped[Meeting | None] = relationship()
    updates: Mapped[list[ActionUpdate]] = relationship(
        back_populates="action", order_by="(ActionUpdate.reported_at, ActionUpdate.id)"
    )

    def overdue(self, today: date) -> bool:
        return self.status.outstanding and self.due_on < today


class ActionUpdate(SealedRecord):
    """A progress report on an action, by its agency or the panel's coordinator: the status
    it left the action in and what was done, sealed under the case's key."""

    __tablename__ = "case_action_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("case_actions.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    status: Mapped[ActionStatus]
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)

    text = Sealed(TEXT)

    action: Mapped[CaseAction] = relationship(back_populates="updates")
    agency: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)


class RetentionRule(Base):
    """How long a kind of record is kept for a type of panel, in months after it ends."""

    __tablename__ = "retention_rules"
    __table_args__ = (UniqueConstraint("panel_type", "record_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_type: Mapped[PanelType]
    record_type: Mapped[RecordType]
    months: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def description(self) -> str:
        return f"{self.panel_type.value}/{self.record_type.value}: {self.months} months"


# Information sharing (domain §7-8) ---------------------------------------------------------


class CaseRestriction(Base):
    """Staff-as-subject: someone in the case works for this organisation, so none of its staff
    may open, list or find the case, whatever their role or emergency (security R19)."""

    __tablename__ = "case_restrictions"
    __table_args__ = (
        Index("ix_case_restrictions_case_id_organisation_id", "case_id", "organisation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    placed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lifted_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)


class BreakGlassReason(StrEnum):
    IMMEDIATE_RISK = "immediate_risk"
    URGENT_SAFEGUARDING = "urgent_safeguarding"
    COVERING_ABSENT_COLLEAGUE = "covering_absent_colleague"
    EMERGENCY_MEETING = "emergency_meeting"

    @property
    def label(self) -> str:
        return {
            "immediate_risk": "Immediate risk to someone's life or safety",
            "urgent_safeguarding": "Urgent safeguarding decision needed",
            "covering_absent_colleague": "Covering for an absent colleague",
            "emergency_meeting": "Preparing for an emergency meeting",
        }[self.value]


class BreakGlassReview(StrEnum):
    JUSTIFIED = "justified"
    NOT_JUSTIFIED = "not_justified"

    @property
    def label(self) -> str:
        return {"justified": "Justified", "not_justified": "Not justified"}[self.value]


class BreakGlassGrant(SealedRecord):
    """Emergency access to one case by someone with no normal relationship to it: stated
    reason, short time box, alert to the case's coordinators, review afterwards (R19)."""

    __tablename__ = "break_glass_grants"
    __table_args__ = (Index("ix_break_glass_grants_user_id_expires_at", "user_id", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason_code: Mapped[BreakGlassReason]
    started_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]  # set when ended early, or recorded after expiry
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
    review_outcome: Mapped[BreakGlassReview | None]

    reason = Sealed(TEXT)
    review_note = Sealed(TEXT)

    case: Mapped[Case] = relationship(lazy="joined", innerjoin=True)
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined", innerjoin=True)


class CaseAlert(Base):
    """Something a coordinator must look at, such as emergency access to their case. It holds
    a reference and a code, never personal data: alerts may be read or mailed anywhere."""

    __tablename__ = "case_alerts"
    __table_args__ = (Index("ix_case_alerts_recipient_id_read_at", "recipient_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("break_glass_grants.id"))
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship(lazy="joined", innerjoin=True)


class LawfulBasis(StrEnum):
    """The lawful basis a sharing decision relies on (domain §7.1-7.3)."""

    PUBLIC_TASK_SAFEGUARDING = "public_task_safeguarding"
    PUBLIC_TASK_CRIME = "public_task_crime"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    LAW_ENFORCEMENT = "law_enforcement"
    CONSENT = "consent"

    @property
    def label(self) -> str:
        return {
            "public_task_safeguarding": "UK GDPR 6(1)(e) public task, with DPA 2018 Sch.1 "
            "para 18 (safeguarding of children and individuals at risk)",
            "public_task_crime": "UK GDPR 6(1)(e) public task, with DPA 2018 Sch.1 para 10 "
            "(preventing or detecting unlawful acts) and Crime and Disorder Act 1998 s115",
            "legal_obligation": "UK GDPR 6(1)(c) legal obligation",
            "vital_interests": "UK GDPR 6(1)(d) vital interests",
            "law_enforcement": "DPA 2018 Part 3 law enforcement processing (s35)",
            "consent": "Consent of the person (UK GDPR 6(1)(a))",
        }[self.value]


class ConsentStatus(StrEnum):
    GIVEN = "given"
    REFUSED = "refused"
    NOT_SOUGHT_UNSAFE = "not_sought_unsafe"
    NOT_SOUGHT_PREJUDICE = "not_sought_prejudice"
    CANNOT_BE_GIVEN = "cannot_be_given"

    @property
    def label(self) -> str:
        return {
            "given": "Consent given",
            "refused": "Consent refused (shared without it)",
            "not_sought_unsafe": "Not sought: seeking it would put someone at risk",
            "not_sought_prejudice": "Not sought: it would prejudice preventing or detecting crime",
            "cannot_be_given": "Cannot be given (capacity, or cannot reasonably be obtained)",
        }[self.value]


class Disclosure(StrEnum):
    """What a sharing decision was about."""

    WITHIN_PANEL = "within_panel"
    TRANSFER = "transfer"
    OUTSIDE_PANEL = "outside_panel"

    @property
    def label(self) -> str:
        return {
            "within_panel": "Sharing with the panel",
            "transfer": "Transfer to another panel",
            "outside_panel": "Disclosure outside the panel",
        }[self.value]


class SharingDecision(SealedRecord):
    """A decision to share or not to share, with its lawful basis, consent and reasons (R8,
    golden rule 7). Onward disclosure also records each originating agency's agreement (R7)."""

    __tablename__ = "sharing_decisions"
    __table_args__ = (Index("ix_sharing_decisions_case_id_decided_at", "case_id", "decided_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    panel_id: Mapped[int] = mapped_column(ForeignKey("panels.id"))
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    disclosure: Mapped[Disclosure]
    shared: Mapped[bool]
    lawful_basis: Mapped[LawfulBasis | None]  # none only when the decision is not to share
    consent: Mapped[ConsentStatus]
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("case_transfers.id"))

    # Who it went to: meant to be an organisation or panel, but typed, so sealed like free text.
    recipient = Sealed(TEXT)
    reason = Sealed(TEXT)
    # Why information was disclosed without an originator's agreement (R7), if it was.
    without_agreement_reason = Sealed(TEXT)

    decided_by: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    agency: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)
    originators: Mapped[list[OriginatorAgreement]] = relationship(
        back_populates="decision", cascade="all, delete-orphan", order_by="OriginatorAgreement.id"
    )


class OriginatorAgreement(Base):
    """Whether an agency that provided information in the case agreed to its onward disclosure."""

    __tablename__ = "originator_agreements"
    __table_args__ = (UniqueConstraint("decision_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("sharing_decisions.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    agreed: Mapped[bool]

    decision: Mapped[SharingDecision] = relationship(back_populates="originators")
    organisation: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)
