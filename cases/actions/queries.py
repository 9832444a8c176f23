"""Reads for action plans: who may own an action, where it was agreed, an agency's actions and
the outstanding actions of the cases on an agenda. Visibility comes from `cases.policy`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import ColumnElement
from sqlalchemy import Select
from sqlalchemy import and_
from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import true
from sqlalchemy.orm import contains_eager

from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import db
from cases import policy
from cases.actions.models import ActionStatus
from cases.actions.models import CaseAction
from cases.models import Case
from cases.queries import page_window
from cases.referrals.models import Referral
from cases.restrictions.models import CaseRestriction
from panels.models import Meeting
from panels.models import Panel
from panels.models import PanelMembership
from panels.policy import signed_in_force

PAGE_SIZE = 50


class Showing(StrEnum):
    """Which of the agency's actions the list shows."""

    OUTSTANDING = "outstanding"
    OVERDUE = "overdue"
    CLOSED = "closed"
    ALL = "all"

    @property
    def label(self) -> str:
        return {
            "outstanding": "Outstanding",
            "overdue": "Overdue",
            "closed": "Closed",
            "all": "All",
        }[self.value]


class Whose(StrEnum):
    AGENCY = "agency"  # the viewer's own agency's actions
    PANELS = "panels"  # every agency's, on the panels the viewer coordinates or chairs


def owner_agencies(case: Case, day: date, panel: Panel | None = None) -> list[Organisation]:
    """Agencies that may take on an action for the case, by name: those with active staff on
    its panel (or on `panel`, one it may move to) whose signature of that panel's protocol is
    in force (R1), leaving out any the case is restricted against (their staff could never see
    the action)."""
    panel = panel or case.panel
    restricted = select(CaseRestriction.organisation_id).where(
        CaseRestriction.case_id == case.id, CaseRestriction.lifted_at.is_(None)
    )
    return list(
        db.session.scalars(
            select(Organisation)
            .join(User, User.organisation_id == Organisation.id)
            .join(PanelMembership, PanelMembership.user_id == User.id)
            .where(
                PanelMembership.panel_id == panel.id,
                User.active.is_(True),
                Organisation.active.is_(True),
                Organisation.id.in_(signed_in_force(panel, day)),
                Organisation.id.not_in(restricted),
            )
            .distinct()
            .order_by(Organisation.name)
        ).all()
    )


def left_behind_by_transfer(case: Case, to_panel: Panel, day: date) -> list[CaseAction]:
    """The case's open actions a transfer to `to_panel` would close: their agencies could not
    own an action there (`owner_agencies`), so nobody on the receiving panel could report
    on them (R19)."""
    staying = {agency.id for agency in owner_agencies(case, day, to_panel)}
    return [
        action
        for action in sorted(case.actions, key=lambda a: (a.due_on, a.id))
        if action.status.outstanding and action.owner_agency_id not in staying
    ]


def meetings_of(case: Case, day: date) -> list[Meeting]:
    """The meetings of the case's panel held by the day that it was listed at, latest first:
    where its actions are agreed."""
    return list(
        db.session.scalars(
            select(Meeting)
            .where(
                Meeting.panel_id == case.panel_id,
                Meeting.held_on <= day,
                Meeting.id.in_(
                    select(Referral.meeting_id).where(
                        Referral.case_id == case.id, Referral.meeting_id.is_not(None)
                    )
                ),
            )
            .order_by(Meeting.held_on.desc(), Meeting.id.desc())
        ).all()
    )


@dataclass(frozen=True)
class ActionPage:
    actions: Sequence[CaseAction]
    total: int
    page: int
    pages: int


def actions_for(
    user: User, *, showing: Showing, whose: Whose, page: int, today: date
) -> ActionPage:
    """The actions the user's agency owns (or, for coordinators and chairs, every agency's on
    their panels), soonest due first, a page at a time."""
    viewer = policy.viewer_of(user)
    conditions = [policy.action_scope(viewer), _showing(showing, today)]
    if whose is Whose.AGENCY:
        conditions.append(CaseAction.owner_agency_id == viewer.organisation_id)
    else:
        conditions.append(CaseAction.panel_id.in_(viewer.panels.panel_wide))
    query = select(CaseAction).where(*conditions)
    total = db.session.scalar(query.with_only_columns(func.count(CaseAction.id))) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages)
    rows = _page_rows(query, page, total)
    return ActionPage(rows, total, page, pages)


def _page_rows(query: Select[CaseAction], page: int, total: int) -> Sequence[CaseAction]:
    """The page's actions: their ids first (read from the end past the middle, as the case
    list does), then those rows with their cases."""
    window = page_window(page, total, PAGE_SIZE)
    order = (CaseAction.due_on, CaseAction.id)
    ids = list(
        db.session.scalars(
            query.with_only_columns(CaseAction.id)
            .order_by(*(column.desc() for column in order) if window.from_end else order)
            .offset(window.offset)
            .limit(window.limit)
        )
    )
    if window.from_end:
        ids.reverse()
    return db.session.scalars(
        select(CaseAction)
        .join(CaseAction.case)
        .where(CaseAction.id.in_(ids))
        .order_by(*order)
        .options(contains_eager(CaseAction.case))
    ).all()


def _showing(showing: Showing, today: date) -> ColumnElement[bool]:
    if showing is Showing.OUTSTANDING:
        return CaseAction.status == ActionStatus.OPEN
    if showing is Showing.OVERDUE:
        return and_(CaseAction.status == ActionStatus.OPEN, CaseAction.due_on < today)
    if showing is Showing.CLOSED:
        return CaseAction.status != ActionStatus.OPEN
    return true()


@dataclass(frozen=True)
class Outstanding:
    open: int
    overdue: int


def outstanding_by_case(case_ids: Sequence[int], today: date) -> dict[int, Outstanding]:
    """Open and overdue actions of each case, for the agenda (R13: reviewed at the next
    meeting). One grouped query."""
    if not case_ids:
        return {}
    overdue = func.sum(case((CaseAction.due_on < today, 1), else_=0))
    rows = db.session.execute(
        select(CaseAction.case_id, func.count(), overdue)
        .where(CaseAction.case_id.in_(case_ids), CaseAction.status == ActionStatus.OPEN)
        .group_by(CaseAction.case_id)
    ).all()
    return {case_id: Outstanding(count, int(late or 0)) for case_id, count, late in rows}
