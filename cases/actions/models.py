"""Actions agreed for a case, the owning agency's reports on them, and their due dates moved
by agreement."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from app.accounts.models import Organisation
from app.database import utcnow
from app.keys.sealed import TEXT
from app.keys.sealed import Sealed
from app.keys.sealed import SealedRecord
from cases.models import Case
from panels.models import Meeting


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
    due_date_changes: Mapped[list[ActionDueDateChange]] = relationship(
        back_populates="action",
        order_by="(ActionDueDateChange.changed_at, ActionDueDateChange.id)",
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


class ActionDueDateChange(SealedRecord):
    """The due date of an action moved by agreement (issue 21): from when to when, who moved
    it for which agency, and why, the reason sealed under the case's key."""

    __tablename__ = "case_action_due_date_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("case_actions.id"), index=True)
    changed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    previous_due_on: Mapped[date]
    due_on: Mapped[date]
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    reason = Sealed(TEXT)

    action: Mapped[CaseAction] = relationship(back_populates="due_date_changes")
    agency: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)
