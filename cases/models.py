"""The core of case data: cases, the people in them (a role belongs to the case, never to the
person) and the notes agencies add. Each feature's own records live in its package's models.

Names, dates of birth, addresses, contact details, identifiers and free text are `Sealed`:
encrypted under the case's or the person's own data key. Structural fields stay in clear so
lists and reports stay fast.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

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
from app.keys.sealed import DATE
from app.keys.sealed import TEXT
from app.keys.sealed import Sealed
from app.keys.sealed import SealedRecord
from panels.models import Panel
from panels.types.common import PanelSpec
from panels.types.common import ReferralStatus
from panels.types.common import RiskLevel

if TYPE_CHECKING:  # the features' models: relationships name them, and they import this core
    from cases.actions.models import CaseAction
    from cases.people.models import PersonSearchKey
    from cases.referrals.models import CaseTransfer
    from cases.referrals.models import Referral


def case_reference(spec: PanelSpec, case_id: int) -> str:
    """How people name a case: its type's prefix and number, as MARAC-000042."""
    return f"{spec.reference_prefix}-{case_id:06d}"


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
        return case_reference(self.panel.spec, self.id)

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
