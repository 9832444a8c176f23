"""Scoped reads for meetings: every meeting of the user's panels (filtered, paged), the
meetings a referral can be listed at, an agenda, a meeting's attendance, quorum and
declarations of interest, its minutes and the actions agreed at it.

Who sees what is decided by `cases.policy`; these queries carry its scopes. On the meetings
list only a coordinator sees how many cases a meeting lists; a member who does not coordinate
the panel sees dates, panels and whether they have accepted the statement (R3), nothing of
an agenda.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement
from sqlalchemy import Subquery
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import true
from sqlalchemy.orm import aliased
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm import selectinload

from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import db
from cases import policy
from cases.actions.models import CaseAction
from cases.meetings.models import AgendaItem
from cases.meetings.models import AgendaReason
from cases.meetings.models import AttendanceStatus
from cases.meetings.models import CaseResearch
from cases.meetings.models import InformationSent
from cases.meetings.models import InterestDeclaration
from cases.meetings.models import MeetingAttendance
from cases.meetings.models import MeetingMinutes
from cases.meetings.models import MeetingObserver
from cases.meetings.models import MinutesCaseSection
from cases.meetings.rules import Attendee
from cases.meetings.rules import QuorumCheck
from cases.meetings.rules import attendance_fingerprint
from cases.meetings.rules import check_quorum
from cases.meetings.rules import describe_quorum
from cases.models import Case
from cases.referrals.models import Referral
from panels.models import Area
from panels.models import ConfidentialityDeclaration
from panels.models import Meeting
from panels.models import MeetingKind
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.types.common import ReferralStatus

CALENDAR_LIMIT = 100
LISTING_LIMIT = 24
ON_AN_AGENDA = (ReferralStatus.LISTED, ReferralStatus.HEARD)
PAGE_SIZE = 25
UK = ZoneInfo("Europe/London")
MAX_PAGES = 200


def coordinated_panels(user: User) -> Sequence[Panel]:
    """The panels the user coordinates, by area and name: those they may add meetings to."""
    return db.session.scalars(
        select(Panel)
        .join(Panel.area)
        .where(Panel.id.in_(policy.viewer_of(user).panels.coordinates))
        .order_by(Area.name, Panel.name)
    ).all()


def upcoming_meetings(panel_id: int, on_or_after: date) -> Sequence[Meeting]:
    """The panel's meetings from `on_or_after`, soonest first (bounded)."""
    return db.session.scalars(
        select(Meeting)
        .where(Meeting.panel_id == panel_id, Meeting.held_on >= on_or_after)
        .order_by(Meeting.held_on)
        .limit(LISTING_LIMIT)
    ).all()


def meetings_for(user: User, since: date) -> list[tuple[Meeting, int]]:
    """Meetings of the user's coordinated panels from `since`, with how many referrals each
    has listed or heard (one grouped query)."""
    viewer = policy.viewer_of(user)
    # Cases closed to the user's organisation are not counted: the count would show they exist.
    pairs = _agenda_pairs(None, viewer.restricted)
    listed = (
        select(pairs.c.meeting_id, func.count().label("n")).group_by(pairs.c.meeting_id).subquery()
    )
    rows = db.session.execute(
        select(Meeting, func.coalesce(listed.c.n, 0))
        .outerjoin(listed, listed.c.meeting_id == Meeting.id)
        .where(Meeting.panel_id.in_(viewer.panels.coordinates), Meeting.held_on >= since)
        .order_by(Meeting.held_on, Meeting.id)
        .limit(CALENDAR_LIMIT)
    ).all()
    return [(meeting, count) for meeting, count in rows]


@dataclass(frozen=True)
class AgendaEntry:
    """One case on a meeting's agenda: the referral listed for it (none for a case brought back
    for review), why it is there, and where it came from or went to when carried forward."""

    case: Case
    referral: Referral | None
    reason: AgendaReason
    position: int | None
    carried_from: Meeting | None = None
    carried_to: Meeting | None = None
    # Put on the agenda after it was published: members are told so (they may have read it).
    late: bool = False

    @property
    def case_id(self) -> int:
        return self.case.id

    @property
    def heard_elsewhere(self) -> bool:
        """Carried forward from this meeting to a later one: listed here, not heard here."""
        return self.carried_to is not None


def agenda(meeting: Meeting, user: User | None) -> list[AgendaEntry]:
    """The meeting's agenda in the coordinator's order (entries not yet ordered follow, oldest
    referral first): the referrals listed or heard at it, the cases brought back for review,
    and those carried forward to a later meeting; never a case the user may not see (one
    restricted against their organisation). `None` is the whole agenda, for the services
    that order it. At most five queries, whatever the agenda's length."""
    visible = policy.visible_case_ids_of(Case.id, policy.viewer_of(user)) if user else true()
    return _agenda(meeting, visible)


def _agenda(meeting: Meeting, visible: ColumnElement[bool]) -> list[AgendaEntry]:
    """The agenda's entries whose case meets `visible` (a condition on `Case`)."""
    referrals = db.session.scalars(
        select(Referral)
        .join(Case, Case.id == Referral.case_id)
        .where(Referral.meeting_id == meeting.id, Referral.status.in_(ON_AN_AGENDA), visible)
        .order_by(Referral.referred_on, Referral.id)
        .options(
            selectinload(Referral.case).selectinload(Case.people),
            selectinload(Referral.case).selectinload(Case.transfers),
        )
    ).all()
    items = {
        item.case_id: item
        for item in db.session.scalars(
            select(AgendaItem)
            .join(Case, Case.id == AgendaItem.case_id)
            .where(AgendaItem.meeting_id == meeting.id, visible)
        )
    }
    others = _agenda_others(meeting, items, {r.case_id for r in referrals})
    published = published_moment(meeting)
    entries: list[AgendaEntry] = []
    for referral in referrals:
        assert referral.case is not None
        item = items.get(referral.case.id)
        entries.append(
            AgendaEntry(
                case=referral.case,
                referral=referral,
                reason=item.reason if item else AgendaReason.REFERRAL,
                position=item.position if item else None,
                carried_from=others.meetings.get(item.carried_from_id or 0) if item else None,
                late=_late(published, item.added_at) if item else False,
            )
        )
    for item in items.values():
        if item.case_id in {e.case_id for e in entries}:
            continue
        entries.append(
            AgendaEntry(
                case=others.cases[item.case_id],
                referral=others.referrals.get(item.referral_id or 0),
                reason=item.reason,
                position=item.position,
                carried_to=others.meetings.get(item.carried_to_id or 0),
                late=_late(published, item.added_at) and item.carried_to_id is None,
            )
        )
    # Ordered entries first, in their order; then the rest as they came (stable sort).
    return sorted(entries, key=lambda e: (e.position is None, e.position or 0))


def published_moment(meeting: Meeting) -> datetime:
    """When the agenda opened to members: published by the coordinator, or the start of the
    (UK) day it opens by itself."""
    if meeting.agenda_published_at is not None:
        return meeting.agenda_published_at
    return datetime.combine(meeting.agenda_publishes_on, time.min, tzinfo=UK)


def _late(published: datetime | None, added: datetime | None) -> bool:
    return published is not None and added is not None and added > published


@dataclass(frozen=True)
class _Others:
    cases: dict[int, Case]
    referrals: dict[int, Referral]
    meetings: dict[int, Meeting]


def _agenda_others(
    meeting: Meeting, items: dict[int, AgendaItem], listed: set[int | None]
) -> _Others:
    """What the agenda's rows name besides its listed referrals, in one query per kind."""
    case_ids = [case_id for case_id in items if case_id not in listed]
    referral_ids = [i.referral_id for i in items.values() if i.referral_id]
    meeting_ids = [m for i in items.values() for m in (i.carried_from_id, i.carried_to_id) if m]
    cases = (
        db.session.scalars(
            select(Case)
            .where(Case.id.in_(case_ids))
            .options(selectinload(Case.people), selectinload(Case.transfers))
        ).all()
        if case_ids
        else []
    )
    referrals = (
        db.session.scalars(select(Referral).where(Referral.id.in_(referral_ids))).all()
        if referral_ids
        else []
    )
    meetings = (
        db.session.scalars(select(Meeting).where(Meeting.id.in_(meeting_ids))).all()
        if meeting_ids
        else []
    )
    return _Others(
        cases={c.id: c for c in cases},
        referrals={r.id: r for r in referrals},
        meetings={m.id: m for m in meetings},
    )


# Browsing every meeting of the user's panels ------------------------------------------------


class When(StrEnum):
    UPCOMING = "upcoming"
    PAST = "past"
    ALL = "all"

    @property
    def label(self) -> str:
        return {
            "upcoming": "Today and to come",
            "past": "Already held",
            "all": "Past and to come",
        }[self.value]


class Order(StrEnum):
    EARLIEST = "earliest"
    LATEST = "latest"

    @property
    def label(self) -> str:
        return {"earliest": "Earliest first", "latest": "Latest first"}[self.value]


@dataclass(frozen=True)
class MeetingFilters:
    """What the meetings list is narrowed to; codes and dates only."""

    when: When = When.UPCOMING
    panel_id: int | None = None
    kind: MeetingKind | None = None
    held_from: date | None = None
    held_to: date | None = None
    order: Order | None = None

    @property
    def ordered(self) -> Order:
        """Meetings to come soonest first; those held, most recent first (unless chosen)."""
        if self.order is not None:
            return self.order
        return Order.LATEST if self.when is When.PAST else Order.EARLIEST


@dataclass(frozen=True)
class MeetingRow:
    meeting: Meeting
    coordinated: bool
    listed: int  # cases listed or heard, counted for the panels the user coordinates only
    declared: bool


@dataclass(frozen=True)
class MeetingPage:
    rows: Sequence[MeetingRow]
    total: int
    page: int
    pages: int

    @property
    def capped(self) -> bool:
        return self.total > MAX_PAGES * PAGE_SIZE


def browse(user: User, filters: MeetingFilters, *, page: int, today: date) -> MeetingPage:
    """One page of the meetings of the user's panels that match the filters (bounded: only
    the first MAX_PAGES can be reached), with each one's declaration status for the user and,
    on the panels they coordinate, how many cases it lists. Three queries whatever the page."""
    viewer = policy.viewer_of(user)
    conditions = [policy.meeting_scope(viewer), *_meeting_conditions(filters, today)]
    total = db.session.scalar(select(func.count()).select_from(Meeting).where(*conditions)) or 0
    pages = min(MAX_PAGES, max(1, -(-total // PAGE_SIZE)))
    page = min(max(page, 1), pages)
    order = filters.ordered
    by_date = Meeting.held_on.asc() if order is Order.EARLIEST else Meeting.held_on.desc()
    by_id = Meeting.id.asc() if order is Order.EARLIEST else Meeting.id.desc()
    rows = db.session.execute(
        select(Meeting, ConfidentialityDeclaration.id)
        .outerjoin(
            ConfidentialityDeclaration,
            and_(
                ConfidentialityDeclaration.meeting_id == Meeting.id,
                ConfidentialityDeclaration.user_id == user.id,
            ),
        )
        .where(*conditions)
        .order_by(by_date, by_id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    coordinated = viewer.panels.coordinates
    counts = _listed_counts([m.id for m, _ in rows if m.panel_id in coordinated], viewer.restricted)
    return MeetingPage(
        [
            MeetingRow(
                meeting,
                meeting.panel_id in coordinated,
                counts.get(meeting.id, 0),
                declaration is not None,
            )
            for meeting, declaration in rows
        ],
        total,
        page,
        pages,
    )


def _meeting_conditions(filters: MeetingFilters, today: date) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.when is When.UPCOMING:
        conditions.append(Meeting.held_on >= today)
    elif filters.when is When.PAST:
        conditions.append(Meeting.held_on < today)
    if filters.panel_id is not None:
        conditions.append(Meeting.panel_id == filters.panel_id)
    if filters.kind is not None:
        conditions.append(Meeting.kind == filters.kind)
    if filters.held_from is not None:
        conditions.append(Meeting.held_on >= filters.held_from)
    if filters.held_to is not None:
        conditions.append(Meeting.held_on <= filters.held_to)
    return conditions


def _listed_counts(meeting_ids: list[int], restricted: frozenset[int]) -> dict[int, int]:
    """How many cases each meeting's agenda has (one grouped query)."""
    if not meeting_ids:
        return {}
    pairs = _agenda_pairs(meeting_ids, restricted)
    rows = db.session.execute(
        select(pairs.c.meeting_id, func.count()).group_by(pairs.c.meeting_id)
    ).all()
    return {meeting_id: count for meeting_id, count in rows if meeting_id is not None}


def panels_with_meetings(user: User) -> Sequence[Panel]:
    """The panels whose meetings the user may browse, by area and name."""
    return db.session.scalars(
        select(Panel)
        .join(Panel.area)
        .where(Panel.id.in_(policy.viewer_of(user).panels.panels))
        .order_by(Area.name, Panel.name)
    ).all()


# Attendance, quorum and interests -----------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """A member of the meeting's panel, as the attendance form lists them."""

    user: User
    role: PanelRole

    @property
    def user_id(self) -> int:
        return self.user.id


def panel_members(meeting: Meeting) -> list[Member]:
    """The panel's members with active accounts, by agency then name: those whose attendance
    can be recorded (named representatives and their deputies, R2)."""
    rows = db.session.execute(
        select(PanelMembership.role, User)
        .join(User, User.id == PanelMembership.user_id)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(PanelMembership.panel_id == meeting.panel_id, User.active.is_(True))
        .order_by(Organisation.name, User.display_name, User.id)
    ).all()
    return [Member(user, role) for role, user in rows]


def by_agency(members: Sequence[Member]) -> list[tuple[Organisation, list[Member]]]:
    grouped: dict[int, list[Member]] = defaultdict(list)
    agencies: dict[int, Organisation] = {}
    for member in members:
        grouped[member.user.organisation_id].append(member)
        agencies[member.user.organisation_id] = member.user.organisation
    return [(agencies[org_id], grouped[org_id]) for org_id in grouped]


def declared_user_ids(meeting: Meeting) -> frozenset[int]:
    """Who has accepted the meeting's confidentiality statement (R3)."""
    return frozenset(
        db.session.scalars(
            select(ConfidentialityDeclaration.user_id).where(
                ConfidentialityDeclaration.meeting_id == meeting.id
            )
        )
    )


@dataclass(frozen=True)
class AttendanceRecord:
    rows: dict[int, MeetingAttendance]  # user id -> their attendance
    information: list[InformationSent]
    observers: list[MeetingObserver]

    @property
    def recorded(self) -> bool:
        return bool(self.rows or self.information or self.observers)

    @property
    def fingerprint(self) -> str:
        return attendance_fingerprint(
            {user_id: row.status.value for user_id, row in self.rows.items()},
            [row.organisation_id for row in self.information],
            [row.uid for row in self.observers],
        )

    def attended(self) -> list[MeetingAttendance]:
        return [row for row in self._ordered() if row.status.attended]

    def apologies(self) -> list[MeetingAttendance]:
        return [row for row in self._ordered() if not row.status.attended]

    def _ordered(self) -> list[MeetingAttendance]:
        return sorted(
            self.rows.values(), key=lambda r: (r.organisation.name, r.user.display_name, r.id)
        )

    def described(self) -> dict[str, Any]:
        """Codes and ids for the audit trail: never an observer's name or organisation."""
        values: dict[str, Any] = {
            f"attendance.{user_id}": row.status.value for user_id, row in self.rows.items()
        }
        values |= {f"information.{row.organisation_id}": True for row in self.information}
        values["observers"] = len(self.observers)
        return values


def attendance_record(meeting: Meeting) -> AttendanceRecord:
    rows = db.session.scalars(
        select(MeetingAttendance).where(MeetingAttendance.meeting_id == meeting.id)
    ).all()
    information = db.session.scalars(
        select(InformationSent)
        .join(Organisation, Organisation.id == InformationSent.organisation_id)
        .where(InformationSent.meeting_id == meeting.id)
        .order_by(Organisation.name)
    ).all()
    observers = db.session.scalars(
        select(MeetingObserver)
        .where(MeetingObserver.meeting_id == meeting.id)
        .order_by(MeetingObserver.position, MeetingObserver.id)
    ).all()
    return AttendanceRecord({row.user_id: row for row in rows}, list(information), list(observers))


def quorum(meeting: Meeting, record: AttendanceRecord) -> QuorumCheck:
    """Whether those recorded as attending make the panel's quorum (its setting)."""
    panel = meeting.panel
    rule = panel.settings.quorum(panel.spec.quorum)
    return check_quorum(
        rule,
        (
            Attendee(row.organisation_id, row.organisation.agency_type, row.panel_role)
            for row in record.attended()
        ),
    )


def quorum_needed(meeting: Meeting) -> str:
    """What the panel's quorum asks of a meeting, in words, for one not yet held."""
    panel = meeting.panel
    return describe_quorum(panel.settings.quorum(panel.spec.quorum))


def agenda_case_ids(meeting: Meeting) -> frozenset[int]:
    """Every case on the meeting's agenda: listed referrals and the agenda's own entries."""
    listed = select(Referral.case_id).where(
        Referral.meeting_id == meeting.id,
        Referral.status.in_(ON_AN_AGENDA),
        Referral.case_id.is_not(None),
    )
    items = select(AgendaItem.case_id).where(AgendaItem.meeting_id == meeting.id)
    return frozenset(
        case_id for case_id in db.session.scalars(listed.union(items)) if case_id is not None
    )


def _agenda_pairs(meeting_ids: list[int] | None, restricted: frozenset[int]) -> Subquery:
    """(meeting id, case id) of every agenda entry (of the meetings given, or all), once each,
    leaving out the cases closed to the viewer's organisation (a count would show they exist)."""
    listed = select(
        Referral.meeting_id.label("meeting_id"), Referral.case_id.label("case_id")
    ).where(
        Referral.status.in_(ON_AN_AGENDA),
        Referral.case_id.is_not(None),
        Referral.case_id.not_in(restricted),
    )
    items = select(AgendaItem.meeting_id, AgendaItem.case_id).where(
        AgendaItem.case_id.not_in(restricted)
    )
    if meeting_ids is not None:
        listed = listed.where(Referral.meeting_id.in_(meeting_ids))
        items = items.where(AgendaItem.meeting_id.in_(meeting_ids))
    return listed.union(items).subquery()


# Building the agenda: what the coordinator may add -------------------------------------------


@dataclass(frozen=True)
class ReviewDue:
    """A case of the panel whose repeat flag expires before the panel's next meeting after
    this one (domain §2.5: raise cases where 12 months have passed since the last MARAC)."""

    case: Case
    flag_expires_on: date


def next_meeting_after(meeting: Meeting) -> Meeting | None:
    """The panel's next scheduled meeting after this one, if it is in the calendar."""
    return db.session.scalar(
        select(Meeting)
        .where(
            Meeting.panel_id == meeting.panel_id,
            Meeting.held_on > meeting.held_on,
            Meeting.kind == MeetingKind.SCHEDULED,
        )
        .order_by(Meeting.held_on)
        .limit(1)
    )


def reviews_due(meeting: Meeting, user: User) -> list[ReviewDue]:
    """The panel's cases whose repeat flag expires from the meeting until its next one (a
    month on when none is in the calendar), not already on this agenda, soonest first;
    bounded, and only for panel types whose cases carry a repeat flag."""
    following = next_meeting_after(meeting)
    until = following.held_on if following else meeting.held_on + timedelta(days=31)
    on_agenda = agenda_case_ids(meeting)
    rows = db.session.scalars(
        select(Case)
        .where(
            Case.panel_id == meeting.panel_id,
            Case.flag_expires_on >= meeting.held_on,
            Case.flag_expires_on < until,
            Case.id.not_in(on_agenda),
            policy.case_scope(policy.viewer_of(user)),
        )
        .order_by(Case.flag_expires_on, Case.id)
        .limit(LISTING_LIMIT)
        .options(selectinload(Case.people))
    ).all()
    return [ReviewDue(case, case.flag_expires_on) for case in rows if case.flag_expires_on]


def not_heard(meeting: Meeting, user: User, today: date) -> Sequence[Referral]:
    """Referrals of the panel still listed at a meeting already held before this one, never
    recorded as heard: the coordinator carries them forward (bounded, oldest meeting first)."""
    earlier = aliased(Meeting)
    return db.session.scalars(
        select(Referral)
        .join(earlier, earlier.id == Referral.meeting_id)
        .join(Case, Case.id == Referral.case_id)
        .where(
            earlier.panel_id == meeting.panel_id,
            earlier.held_on < meeting.held_on,
            earlier.held_on < today,
            Referral.status == ReferralStatus.LISTED,
            policy.case_scope(policy.viewer_of(user)),
        )
        .order_by(earlier.held_on, Referral.id)
        .limit(LISTING_LIMIT)
        .options(
            selectinload(Referral.case).selectinload(Case.people), selectinload(Referral.meeting)
        )
    ).all()


def interests(meeting: Meeting) -> dict[int, list[InterestDeclaration]]:
    """The declarations of interest at the meeting, by case."""
    found: dict[int, list[InterestDeclaration]] = defaultdict(list)
    for row in db.session.scalars(
        select(InterestDeclaration)
        .where(InterestDeclaration.meeting_id == meeting.id)
        .order_by(InterestDeclaration.id)
    ):
        found[row.case_id].append(row)
    return dict(found)


def interested_user_ids(meeting: Meeting) -> frozenset[int]:
    """Who declared an interest in any case at the meeting (and so attended it)."""
    return frozenset(
        db.session.scalars(
            select(InterestDeclaration.user_id).where(InterestDeclaration.meeting_id == meeting.id)
        )
    )


def interest_of(meeting: Meeting, declaration_id: int) -> InterestDeclaration | None:
    """One declaration of interest at the meeting (None: not one of this meeting's)."""
    return db.session.scalar(
        select(InterestDeclaration).where(
            InterestDeclaration.id == declaration_id, InterestDeclaration.meeting_id == meeting.id
        )
    )


# Minutes and the actions extract ------------------------------------------------------------


def minutes_of(meeting: Meeting) -> MeetingMinutes | None:
    """The meeting's minutes with their case sections and contributions (three queries)."""
    return db.session.scalar(
        select(MeetingMinutes)
        .where(MeetingMinutes.meeting_id == meeting.id)
        .options(
            selectinload(MeetingMinutes.sections).selectinload(MinutesCaseSection.contributions)
        )
    )


def agencies_taking_part(meeting: Meeting) -> list[Organisation]:
    """The agencies that attended the meeting (as representative or deputy) or sent
    information to it, by name: those whose contributions the minutes record, and to whom
    they are distributed (R12)."""
    attended = select(MeetingAttendance.organisation_id).where(
        MeetingAttendance.meeting_id == meeting.id,
        MeetingAttendance.status.in_([s for s in AttendanceStatus if s.attended]),
    )
    informed = select(InformationSent.organisation_id).where(
        InformationSent.meeting_id == meeting.id
    )
    return list(
        db.session.scalars(
            select(Organisation)
            .where(or_(Organisation.id.in_(attended), Organisation.id.in_(informed)))
            .order_by(Organisation.name, Organisation.id)
        )
    )


@dataclass(frozen=True)
class CaseMinutesView:
    """One case on the agenda as the minutes show it: its entry and what was minuted."""

    entry: AgendaEntry
    section: MinutesCaseSection | None

    @property
    def case(self) -> Case:
        return self.entry.case

    @property
    def referral(self) -> Referral | None:
        return self.entry.referral

    @property
    def decision(self) -> str | None:
        """The panel's decision on the case in its type's words (None: not recorded)."""
        if self.section is None:
            return None
        found = self.case.panel.spec.decision(self.section.decision)
        return found.label if found else None


def minuted_cases(
    meeting: Meeting, user: User, minutes: MeetingMinutes | None
) -> list[CaseMinutesView]:
    """Each case on the agenda, in its order, with its section of the minutes if one was
    written: listed referrals and cases brought back for review alike, but not a referral
    carried forward to a later meeting (heard there) unless these minutes already speak of
    it; never a case closed to the user's organisation (staff as subject). The minutes go to
    every agency that took part (R12), so a reader need not be able to open each case."""
    sections = {s.case_id: s for s in minutes.sections} if minutes else {}
    restricted = policy.viewer_of(user).restricted
    return [
        CaseMinutesView(entry, sections.get(entry.case_id))
        for entry in _agenda(meeting, Case.id.not_in(restricted))
        if not entry.heard_elsewhere or entry.case_id in sections
    ]


def openable_case_ids(user: User, case_ids: Sequence[int]) -> frozenset[int]:
    """Which of the cases the user may open (one query), to link only those."""
    if not case_ids:
        return frozenset()
    return frozenset(
        db.session.scalars(
            select(Case.id).where(Case.id.in_(case_ids), policy.case_scope(policy.viewer_of(user)))
        )
    )


def agreed_actions(meeting: Meeting, user: User, organisation_id: int) -> Sequence[CaseAction]:
    """The actions agreed at the meeting that the agency owns, as the user may see them (the
    actions scope: never one of a case closed to their organisation), by case and due date."""
    return db.session.scalars(
        select(CaseAction)
        .join(CaseAction.case)
        .where(
            CaseAction.meeting_id == meeting.id,
            CaseAction.owner_agency_id == organisation_id,
            policy.action_scope(policy.viewer_of(user)),
        )
        .order_by(Case.id, CaseAction.due_on, CaseAction.id)
        .options(contains_eager(CaseAction.case))
    ).all()


def agencies_with_actions(meeting: Meeting) -> list[Organisation]:
    """The agencies owning actions agreed at the meeting, by name: whose extract a coordinator
    or chair may open."""
    return list(
        db.session.scalars(
            select(Organisation)
            .where(
                Organisation.id.in_(
                    select(CaseAction.owner_agency_id).where(CaseAction.meeting_id == meeting.id)
                )
            )
            .order_by(Organisation.name, Organisation.id)
        )
    )


def undecided_cases(meeting: Meeting, minutes: MeetingMinutes) -> Sequence[Case]:
    """The cases the minutes are written for (those `minuted_cases` lists, whoever reads
    them) that have no decision recorded, in agenda order; never one whose content was
    destroyed, about which nothing more can be minuted."""
    decided = {s.case_id for s in minutes.sections if s.decision}
    written = {s.case_id for s in minutes.sections}
    return [
        entry.case
        for entry in agenda(meeting, None)
        if (not entry.heard_elsewhere or entry.case_id in written)
        and entry.case_id not in decided
        and entry.case.disposed_at is None
    ]


@dataclass(frozen=True)
class EarlierMinutes:
    """What the approved minutes of one meeting say about a case, for the case's page."""

    meeting: Meeting
    section: MinutesCaseSection

    @property
    def decision(self) -> str | None:
        """The decision in the words of the meeting's panel type."""
        found = self.meeting.panel.spec.decision(self.section.decision)
        return found.label if found else None


def minutes_history(case: Case, user: User) -> list[EarlierMinutes]:
    """The approved minutes' sections about the case from every meeting that minuted it,
    newest first: those of its panel's meetings and, after a Marac-to-Marac transfer, of the
    sending panel's (R19, E9), as far as the user may read them (`policy.minutes_history_scope`).
    Two queries however long the history: the sections with their meetings and panels, then
    the agencies' contributions."""
    rows = db.session.execute(
        select(MinutesCaseSection, Meeting)
        .join(MeetingMinutes, MeetingMinutes.id == MinutesCaseSection.minutes_id)
        .join(Meeting, Meeting.id == MeetingMinutes.meeting_id)
        .where(
            MinutesCaseSection.case_id == case.id,
            policy.minutes_history_scope(policy.viewer_of(user), case),
        )
        .order_by(Meeting.held_on.desc(), Meeting.id.desc())
        .options(selectinload(MinutesCaseSection.contributions))
    ).all()
    return [EarlierMinutes(meeting, section) for section, meeting in rows]


# Research before the meeting (domain §2.6, R7) ----------------------------------------------


def research_of(meeting: Meeting, case_id: int, organisation_id: int) -> CaseResearch | None:
    """One agency's research on one case listed at the meeting, if it has recorded it."""
    return db.session.scalar(
        select(CaseResearch).where(
            CaseResearch.meeting_id == meeting.id,
            CaseResearch.case_id == case_id,
            CaseResearch.organisation_id == organisation_id,
        )
    )


def research_by_case(meeting: Meeting) -> dict[int, dict[int, CaseResearch]]:
    """Every agency's research at the meeting: case id -> organisation id -> record (one
    query). Only for those who run the meeting, or filtered to the reader's own agency."""
    found: dict[int, dict[int, CaseResearch]] = defaultdict(dict)
    for row in db.session.scalars(
        select(CaseResearch).where(CaseResearch.meeting_id == meeting.id)
    ):
        found[row.case_id][row.organisation_id] = row
    return dict(found)


def panel_agencies(meeting: Meeting) -> list[Organisation]:
    """The agencies on the meeting's panel (those with an active member), by name."""
    return [agency for agency, _ in by_agency(panel_members(meeting))]


@dataclass(frozen=True)
class ResearchProgress:
    """Which agencies on the panel have researched a case, and which have not yet."""

    done: list[Organisation]
    pending: list[Organisation]

    @property
    def total(self) -> int:
        return len(self.done) + len(self.pending)


def research_progress(
    agencies: Sequence[Organisation], research: dict[int, dict[int, CaseResearch]], case_id: int
) -> ResearchProgress:
    recorded = research.get(case_id, {})
    return ResearchProgress(
        [a for a in agencies if a.id in recorded], [a for a in agencies if a.id not in recorded]
    )


def panel_case_by_reference(meeting: Meeting, reference: str, user: User) -> Case | None:
    """The case of the meeting's panel with this reference (MARAC-000123, any case of
    letters, leading zeros optional), if the user may see it."""
    prefix, _, number = reference.strip().upper().partition("-")
    if prefix != meeting.panel.spec.reference_prefix or not number.isdigit() or len(number) > 9:
        return None
    return db.session.scalar(
        select(Case).where(
            Case.id == int(number),
            Case.panel_id == meeting.panel_id,
            policy.case_scope(policy.viewer_of(user)),
        )
    )
