"""The one place that decides who may see case data (domain §8 R4-R6, security R15-R19).

Every fetch of a case, referral or meeting goes through `*_or_404`, and every list, search and
match through the scopes below (`case_scope`, `referral_scope`, `meeting_scope`): they are the
same rules written once as SQL. A missing object and a forbidden one get the same 404, and the
refusal is recorded.

Who sees a case, on panels whose ISP their organisation has signed (`panels.policy`):
- coordinators and chairs: every case of their panels;
- representatives: the cases listed at a meeting whose confidentiality statement they have
  accepted (R3), and the cases their agency referred;
- anyone on the case's panel holding an emergency (break-glass) grant, until it expires (a
  request beyond the person's limits gives nothing until a coordinator approves it);
- nobody at all from an organisation the case is restricted against (staff as subject).
Managers, auditors and admins see no case content through panels they do not sit on.

Actions (R5 "their own actions", R13): staff of the agency that owns an action see it and
report on it, on panels they sit on in force, even when they cannot open the rest of the case;
the panel's coordinators and chairs see and report on every action of their cases.

Aggregate figures (issue 20, domain R23, `report_scope`): a manager sees the figures of the
panels in the areas an administrator assigned them, and never a case; a panel's coordinators
and chairs, in force, see their own panels' figures. Figures shown to anyone who does not run
the panel leave it, so they are shown with small numbers suppressed, as every export is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import NoReturn

from flask import g
from flask import has_request_context
from sqlalchemy import ColumnElement
from sqlalchemy import and_
from sqlalchemy import exists
from sqlalchemy import false
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import joinedload
from sqlalchemy.orm import selectinload

from app.accounts.models import GlobalRole
from app.accounts.models import User
from app.database import db
from app.database import utcnow
from app.errors import NotFoundRefusal
from cases.actions.models import CaseAction
from cases.break_glass.models import BreakGlassGrant
from cases.meetings.models import AttendanceStatus
from cases.meetings.models import InformationSent
from cases.meetings.models import MeetingAttendance
from cases.meetings.models import MeetingMinutes
from cases.meetings.models import MinutesStatus
from cases.models import Case
from cases.reach.queries import reached_by
from cases.referrals.models import Referral
from cases.reports.models import Extract
from cases.reports.models import ManagerArea
from cases.restrictions.models import CaseRestriction
from panels.models import Area
from panels.models import ConfidentialityDeclaration
from panels.models import Meeting
from panels.models import Panel
from panels.models import PanelRole
from panels.policy import PanelAccess
from panels.policy import panel_access
from panels.types.common import FieldCategory
from panels.types.common import ReferralStatus


@dataclass(frozen=True)
class Viewer:
    """What one user may reach right now: their memberships in force and emergency grants."""

    user: User
    panels: PanelAccess
    grants: dict[int, datetime] = field(default_factory=dict)  # case id -> grant expiry
    restricted: frozenset[int] = frozenset()  # cases closed to the viewer's organisation
    # Open grants past their end: not in force, and their end is not yet on the record.
    expired_grants: bool = False

    @property
    def user_id(self) -> int:
        return self.user.id

    @property
    def organisation_id(self) -> int:
        return self.panels.organisation_id


def viewer_of(user: User) -> Viewer:
    """The user's access for this request, worked out once. A grant past its end is simply not
    in force; break_glass records its end before the request's work is committed."""
    if has_request_context():
        cached: dict[int, Viewer] = g.setdefault("case_viewers", {})
        if user.id not in cached:
            cached[user.id] = _viewer(user, utcnow())
        return cached[user.id]
    return _viewer(user, utcnow())


def viewer_seen(user: User) -> Viewer | None:
    """The user's access if this request has already worked it out (no query otherwise)."""
    if not has_request_context():
        return None
    cached: dict[int, Viewer] = g.get("case_viewers", {})
    return cached.get(user.id)


def forget_cached_viewer() -> None:
    """Drop this request's cached access, after granting or ending emergency access."""
    if has_request_context():
        g.pop("case_viewers", None)
        g.pop("panel_access", None)
        g.pop("report_scopes", None)


def _viewer(user: User, now: datetime) -> Viewer:
    # Only grants given (at once, or on a coordinator's approval): a request awaiting approval,
    # declined or withdrawn has no time box and gives nothing (issue 26).
    open_grants: list[tuple[int, datetime]] = [
        (case_id, expires)
        for case_id, expires in db.session.execute(
            select(BreakGlassGrant.case_id, BreakGlassGrant.expires_at).where(
                BreakGlassGrant.user_id == user.id,
                BreakGlassGrant.ended_at.is_(None),
                BreakGlassGrant.was_given(),
            )
        ).all()
        if expires is not None
    ]
    live = {case_id: expires for case_id, expires in open_grants if expires > now}
    # Restrictions are few, so the ids are read once rather than checked row by row: a NOT
    # EXISTS on every case of a large panel would be paid by every list and count.
    restricted = db.session.scalars(
        select(CaseRestriction.case_id).where(
            CaseRestriction.organisation_id == user.organisation_id,
            CaseRestriction.lifted_at.is_(None),
        )
    ).all()
    expired = len(live) < len(open_grants)
    return Viewer(user, panel_access(user), live, frozenset(restricted), expired)


# Scopes: conditions any query of cases, referrals or meetings must carry ------------------


def case_scope(viewer: Viewer) -> ColumnElement[bool]:
    """The cases the viewer may see, as a condition on `Case`."""
    access = viewer.panels
    reachable: list[ColumnElement[bool]] = []
    if access.panel_wide:
        reachable.append(Case.panel_id.in_(access.panel_wide))
    if access.represents:
        # Listed at a meeting whose confidentiality statement they accepted (R3, R5), or
        # referred by their agency: read from rows kept for the purpose (cases/reach), one
        # index range instead of a probe per case of the panels.
        reachable.append(reached_by(viewer.user_id, viewer.organisation_id, access.represents))
    if viewer.grants:
        reachable.append(and_(Case.id.in_(viewer.grants), Case.panel_id.in_(access.panels)))
    if not reachable:
        return false()
    if viewer.restricted:
        return and_(or_(*reachable), not_restricted(viewer))
    return or_(*reachable)


def not_restricted(viewer: Viewer) -> ColumnElement[bool]:
    """The case is not closed to the viewer's organisation (someone in it works there)."""
    return Case.id.not_in(viewer.restricted)


def referral_scope(viewer: Viewer) -> ColumnElement[bool]:
    """Who sees a referral. Before screening: its referrer while still on the panel, and once
    sent the panel's coordinators. Once in a case: the viewer must see the case, and be on
    the case's panel as coordinator or chair, or be its referrer (a transfer moves the case
    and its history away from the sending panel's people)."""
    in_case = select(Case.id).where(_sees_referral_in_case(viewer))
    return or_(_unscreened_for(viewer), Referral.case_id.in_(in_case.scalar_subquery()))


def referral_scope_with_case(viewer: Viewer) -> ColumnElement[bool]:
    """`referral_scope`, for a query that outer-joins each referral's case (`Case` on
    `Referral.case_id`): the same rule read from the joined row, instead of a subquery of every
    case the viewer sees, which the database builds anew for each statement (a national extract
    reads a million referrals in batches; tests/invariants/test_access_matrix.py proves both
    give the same referrals to everyone)."""
    return or_(_unscreened_for(viewer), and_(Case.id.is_not(None), _sees_referral_in_case(viewer)))


def _unscreened_for(viewer: Viewer) -> ColumnElement[bool]:
    access = viewer.panels
    return and_(
        Referral.case_id.is_(None),
        or_(
            and_(Referral.referrer_id == viewer.user_id, Referral.panel_id.in_(access.panels)),
            and_(
                Referral.submitted_at.is_not(None),
                Referral.status != ReferralStatus.WITHDRAWN,
                Referral.panel_id.in_(access.coordinates),
            ),
        ),
    )


def _sees_referral_in_case(viewer: Viewer) -> ColumnElement[bool]:
    """On `Case`: the viewer sees the case and runs its panel, or referred it while on it."""
    access = viewer.panels
    return and_(
        case_scope(viewer),
        or_(
            Case.panel_id.in_(access.panel_wide),
            and_(Referral.referrer_id == viewer.user_id, Case.panel_id.in_(access.panels)),
        ),
    )


def action_scope(viewer: Viewer) -> ColumnElement[bool]:
    """The actions the viewer may see and report on, as a condition on `CaseAction` alone
    (it carries its case's panel): their agency's own, and every action of the cases their
    panels' coordinators and chairs see. A destroyed case's actions are deleted with it."""
    access = viewer.panels
    conditions = [
        CaseAction.panel_id.in_(access.panels),
        or_(
            CaseAction.owner_agency_id == viewer.organisation_id,
            CaseAction.panel_id.in_(access.panel_wide),
        ),
    ]
    if viewer.restricted:
        conditions.append(CaseAction.case_id.not_in(viewer.restricted))
    return and_(*conditions)


def meeting_scope(viewer: Viewer) -> ColumnElement[bool]:
    """Meetings of the panels the viewer sits on (their agendas need a declaration too)."""
    return Meeting.panel_id.in_(viewer.panels.panels)


# Object fetches: the object, or the same recorded 404 ---------------------------------------


def refuse(
    user: User, kind: str, object_id: int | str, changes: dict[str, list[object]] | None = None
) -> NoReturn:
    """Answer 404, exactly as for something that is not there; the refusal handler records the
    attempt once the request's own work is rolled back."""
    raise NotFoundRefusal(user, (kind, object_id), changes)


def case_or_404(user: User, case_id: int) -> Case:
    """The case with everything its page shows, if the user may see it."""
    case = db.session.scalar(
        select(Case)
        .where(Case.id == case_id, case_scope(viewer_of(user)))
        .options(
            selectinload(Case.people),
            selectinload(Case.notes),
            selectinload(Case.transfers),
            selectinload(Case.actions).selectinload(CaseAction.updates),
            selectinload(Case.referrals).options(
                joinedload(Referral.referring_agency),
                # Not joined: a meeting joins its panel, and SQLite materialised that nested
                # outer join for every meeting in the deployment (150 ms at 10,000 referrals).
                selectinload(Referral.meeting),
                selectinload(Referral.assessments),
            ),
        )
    )
    if case is None:
        refuse(user, "cases", case_id)
    return case


def coordinated_case_or_404(user: User, case_id: int) -> Case:
    """The case, if the user coordinates its panel (screening, transfers, restrictions)."""
    case = case_or_404(user, case_id)
    if not viewer_of(user).panels.coordinator_of(case.panel_id):
        refuse(user, "cases", case_id)
    return case


def action_planning_case_or_404(user: User, case_id: int) -> Case:
    """The case, if the user may agree actions for it: its panel's coordinators and chairs,
    who run the meeting where agencies volunteer them."""
    case = case_or_404(user, case_id)
    if not plans_actions(user, case.panel_id):
        refuse(user, "cases", case_id)
    return case


def action_or_404(user: User, case_id: int, action_id: int) -> CaseAction:
    """The action of that case, with its reports, if the user may see and report on it."""
    action = db.session.scalar(
        select(CaseAction)
        .where(
            CaseAction.id == action_id,
            CaseAction.case_id == case_id,
            action_scope(viewer_of(user)),
        )
        .options(selectinload(CaseAction.updates))
    )
    if action is None:
        # Filed under the case, so its coordinators see the attempt in who has seen it.
        refuse(user, "cases", case_id, {"action_id": [None, action_id]})
    return action


def referral_or_404(user: User, referral_id: int) -> Referral:
    referral = db.session.scalar(
        select(Referral).where(Referral.id == referral_id, referral_scope(viewer_of(user)))
    )
    if referral is None:
        refuse(user, "referrals", referral_id)
    return referral


def coordinated_referral_or_404(user: User, referral_id: int) -> Referral:
    """The referral, if the user coordinates its panel (screening, listing, hearing)."""
    referral = referral_or_404(user, referral_id)
    if not coordinates(user, referral.panel_id):
        refuse(user, "referrals", referral_id)
    return referral


def meeting_or_404(user: User, meeting_id: int) -> Meeting:
    meeting = db.session.scalar(
        select(Meeting).where(Meeting.id == meeting_id, meeting_scope(viewer_of(user)))
    )
    if meeting is None:
        refuse(user, "meetings", meeting_id)
    return meeting


# Decisions about one object the viewer already holds -----------------------------------------


def coordinates(user: User, panel_id: int) -> bool:
    return viewer_of(user).panels.coordinator_of(panel_id)


def sees_case(user: User, case_id: int) -> bool:
    return (
        db.session.scalar(select(Case.id).where(Case.id == case_id, case_scope(viewer_of(user))))
        is not None
    )


def plans_actions(user: User, panel_id: int) -> bool:
    return panel_id in viewer_of(user).panels.panel_wide


def reports_on(user: User, action: CaseAction) -> bool:
    """Whether the user may report on an action of a case they see (for the case page)."""
    viewer = viewer_of(user)
    return (
        action.owner_agency_id == viewer.organisation_id
        or action.case.panel_id in viewer.panels.panel_wide
    )


def may_see_agenda(user: User, meeting: Meeting) -> bool:
    """Coordinators prepare the papers; everyone else accepts the statement first (R3)."""
    if coordinates(user, meeting.panel_id):
        return True
    return declared(user, meeting)


def declared(user: User, meeting: Meeting) -> bool:
    return (
        db.session.scalar(
            select(ConfidentialityDeclaration.id).where(
                ConfidentialityDeclaration.meeting_id == meeting.id,
                ConfidentialityDeclaration.user_id == user.id,
            )
        )
        is not None
    )


def shows(user: User, panel: Panel, category: FieldCategory) -> bool:
    """Whether the user sees a restricted group of fields on this panel's cases (R6, R16):
    coordinators and chairs always; representatives when their agency type is listed."""
    access = viewer_of(user).panels
    if panel.id in access.panel_wide:
        return True
    return access.sits_on(panel.id) and access.agency_type in panel.settings.agencies_seeing(
        category
    )


def field_view(user: User, panel: Panel) -> frozenset[FieldCategory]:
    """The restricted categories the user may see on the panel's cases, for templates."""
    return frozenset(category for category in FieldCategory if shows(user, panel, category))


def emergency_grant_expiry(user: User, case: Case) -> datetime | None:
    """When the user's emergency access to the case ends, if that is how they see it."""
    viewer = viewer_of(user)
    if case.panel_id in viewer.panels.panel_wide:
        return None
    return viewer.grants.get(case.id)


def may_break_glass(user: User, case_id: int) -> Case | None:
    """The case, if the user could be given emergency access to it: they sit on its panel in
    force, cannot already see it, and the case is not restricted against their organisation.
    Anything else is None, so the answer reveals no more than "you cannot"."""
    viewer = viewer_of(user)
    case = db.session.scalar(
        select(Case).where(
            Case.id == case_id,
            Case.panel_id.in_(viewer.panels.panels),
            not_restricted(viewer),
            ~case_scope(viewer),
        )
    )
    return case


def coordinators_of(case: Case) -> Sequence[User]:
    """The coordinators in force of the case's panel who may see it, to be told about
    emergency access (a coordinator the case is restricted against is not told it exists)."""
    from panels.models import PanelMembership
    from panels.models import PanelRole

    members = db.session.scalars(
        select(User)
        .join(PanelMembership, PanelMembership.user_id == User.id)
        .where(
            PanelMembership.panel_id == case.panel_id,
            PanelMembership.role == PanelRole.COORDINATOR,
            User.organisation_id.not_in(
                select(CaseRestriction.organisation_id).where(
                    CaseRestriction.case_id == case.id, CaseRestriction.lifted_at.is_(None)
                )
            ),
        )
        .order_by(User.id)
    ).all()
    return [member for member in members if panel_access(member).coordinator_of(case.panel_id)]


def visible_case_ids_of(column: Mapped[int | None], viewer: Viewer) -> ColumnElement[bool]:
    """`column IN (the viewer's cases)`, for rows that belong to a case."""
    return column.in_(select(Case.id).where(case_scope(viewer)).scalar_subquery())


# Aggregate figures: whose panels' reports a user sees -----------------------------------------


@dataclass(frozen=True)
class ReportScope:
    """The panels whose figures a user sees: by area (a manager) or by running them."""

    areas: frozenset[int]  # areas the user manages (none unless their role is manager)
    runs: frozenset[int]  # panels the user coordinates or chairs, in force

    @property
    def empty(self) -> bool:
        return not (self.areas or self.runs)

    def panels(self) -> ColumnElement[bool]:
        """The panels in scope, as a condition on Panel."""
        if self.empty:
            return false()
        return or_(Panel.area_id.in_(self.areas), Panel.id.in_(self.runs))

    def exact_for(self, panel: Panel) -> bool:
        """Whether the user sees the panel's figures unsuppressed: only if they run it."""
        return panel.id in self.runs


def report_scope(user: User) -> ReportScope:
    """The user's reporting scope, worked out once per request (as `viewer_of` is)."""
    if has_request_context():
        cached: dict[int, ReportScope] = g.setdefault("report_scopes", {})
        if user.id not in cached:
            cached[user.id] = _report_scope(user)
        return cached[user.id]
    return _report_scope(user)


def forget_cached_scope() -> None:
    """Drop this request's cached reporting scopes, after a change to a manager's areas."""
    if has_request_context():
        g.pop("report_scopes", None)


def _report_scope(user: User) -> ReportScope:
    areas: frozenset[int] = frozenset()
    if user.global_role is GlobalRole.MANAGER:
        areas = frozenset(
            db.session.scalars(select(ManagerArea.area_id).where(ManagerArea.user_id == user.id))
        )
    return ReportScope(areas=areas, runs=panel_access(user).panel_wide)


def reportable_panel_or_404(user: User, panel_id: int) -> Panel:
    """The panel if its figures are in the user's scope; else the recorded 404 of a panel
    that does not exist, the same for missing and not yours."""
    panel = db.session.scalar(
        select(Panel).where(Panel.id == panel_id, report_scope(user).panels())
    )
    if panel is None:
        refuse(user, "panels", panel_id)
    return panel


def reportable_area_or_404(user: User, area_id: int) -> Area:
    """The area if any of its panels' figures are in the user's scope (its board pack holds
    those panels only); else the recorded 404 of an area that does not exist."""
    area = db.session.scalar(
        select(Area).where(
            Area.id == area_id,
            exists().where(Panel.area_id == Area.id, report_scope(user).panels()),
        )
    )
    if area is None:
        refuse(user, "areas", area_id)
    return area


def extracts_panels(user: User) -> frozenset[int]:
    """The panels whose referrals the user may extract: the ones they coordinate (issue 20)."""
    return viewer_of(user).panels.coordinates


def referral_extract_or_404(user: User, extract_id: int) -> Extract:
    """A referral-level extract, for the person who asked for it while they still coordinate
    every panel it holds; for anyone else, the recorded 404 of one that does not exist."""
    extract = db.session.get(Extract, extract_id)
    if (
        extract is None
        or extract.requested_by_id != user.id
        or not set(extract.panel_ids) <= extracts_panels(user)
    ):
        refuse(user, "report_extracts", extract_id)
    return extract


# Minutes: who reads a meeting's minutes, and its actions extract (issue 21, R3, R12) ---------
#
# Drafts: the panel's coordinators, who write them, and its chair once they have accepted the
# meeting's confidentiality statement (R3), who approves them. Approved minutes are
# distributed: to the panel's coordinators and chairs, and to members in force whose agency
# attended the meeting (as representative or deputy) or sent information to it (R12). Anyone
# else gets the 404 of a meeting that does not exist. The actions extract shows an agency
# only its own actions agreed at the meeting: once the minutes are approved, a member of an
# agency that received them or owns one of those actions opens it; coordinators and chairs
# open any agency's.


def reads_draft_minutes(user: User, meeting: Meeting) -> bool:
    access = viewer_of(user).panels
    if access.coordinator_of(meeting.panel_id):
        return True
    return chairs(user, meeting)


def chairs(user: User, meeting: Meeting) -> bool:
    """Whether the user is the chair, in force, of the meeting's panel and has accepted the
    meeting's statement: who approves its minutes."""
    role = viewer_of(user).panels.roles.get(meeting.panel_id)
    return role is PanelRole.CHAIR and declared(user, meeting)


def receives_minutes(user: User, meeting: Meeting) -> bool:
    """Whether approved minutes of the meeting go to the user (R12)."""
    viewer = viewer_of(user)
    if meeting.panel_id in viewer.panels.panel_wide:
        return True
    if not viewer.panels.sits_on(meeting.panel_id):
        return False
    return agency_took_part(meeting, viewer.organisation_id)


def agency_took_part(meeting: Meeting, organisation_id: int) -> bool:
    """The agency attended the meeting (as representative or deputy) or sent information."""
    attended = select(MeetingAttendance.id).where(
        MeetingAttendance.meeting_id == meeting.id,
        MeetingAttendance.organisation_id == organisation_id,
        MeetingAttendance.status.in_([s for s in AttendanceStatus if s.attended]),
    )
    informed = select(InformationSent.id).where(
        InformationSent.meeting_id == meeting.id,
        InformationSent.organisation_id == organisation_id,
    )
    return bool(db.session.scalar(select(or_(exists(attended), exists(informed)))))


def may_read_minutes(user: User, meeting: Meeting, minutes: MeetingMinutes | None) -> bool:
    if reads_draft_minutes(user, meeting):
        return True
    return minutes is not None and minutes.approved and receives_minutes(user, meeting)


def minutes_history_scope(viewer: Viewer, case: Case) -> ColumnElement[bool]:
    """Which minutes of the meetings that minuted a case its page shows the viewer, as a
    condition on `MeetingMinutes` and `Meeting` (R12, R19, E9). Only approved minutes: a
    draft is distributed to nobody, so it never travels. The coordinators and chairs of the
    case's panel now read all of them, a sending panel's included: the minutes travel with a
    Marac-to-Marac transfer. Anyone else reads only those distributed to them, as
    `receives_minutes` decides: a meeting of a panel they run, or of one they sit on that
    their agency attended or sent information to."""
    approved = MeetingMinutes.status == MinutesStatus.APPROVED
    access = viewer.panels
    if case.panel_id in access.panel_wide:
        return approved
    attended = select(MeetingAttendance.id).where(
        MeetingAttendance.meeting_id == Meeting.id,
        MeetingAttendance.organisation_id == viewer.organisation_id,
        MeetingAttendance.status.in_([s for s in AttendanceStatus if s.attended]),
    )
    informed = select(InformationSent.id).where(
        InformationSent.meeting_id == Meeting.id,
        InformationSent.organisation_id == viewer.organisation_id,
    )
    took_part = and_(Meeting.panel_id.in_(access.panels), or_(exists(attended), exists(informed)))
    return and_(approved, or_(Meeting.panel_id.in_(access.panel_wide), took_part))


def minutes_or_404(user: User, meeting_id: int) -> tuple[Meeting, MeetingMinutes | None]:
    """The meeting and its minutes (None: not drafted yet), if the user may read them."""
    from cases.meetings.queries import minutes_of

    meeting = meeting_or_404(user, meeting_id)
    minutes = minutes_of(meeting)
    if not may_read_minutes(user, meeting, minutes):
        refuse(user, "meetings", meeting_id, {"minutes": [None, True]})
    return meeting, minutes


def may_open_extract(user: User, meeting: Meeting, minutes: MeetingMinutes | None) -> bool:
    viewer = viewer_of(user)
    if meeting.panel_id in viewer.panels.panel_wide:
        return True
    if minutes is None or not minutes.approved or not viewer.panels.sits_on(meeting.panel_id):
        return False
    owns = select(CaseAction.id).where(
        CaseAction.meeting_id == meeting.id,
        CaseAction.owner_agency_id == viewer.organisation_id,
        action_scope(viewer),
    )
    if db.session.scalar(select(exists(owns))):
        return True
    return agency_took_part(meeting, viewer.organisation_id)


def extract_or_404(user: User, meeting_id: int) -> Meeting:
    """The meeting, if the user may open an actions extract of it."""
    from cases.meetings.queries import minutes_of

    meeting = meeting_or_404(user, meeting_id)
    if not may_open_extract(user, meeting, minutes_of(meeting)):
        refuse(user, "meetings", meeting_id, {"extract": [None, True]})
    return meeting
