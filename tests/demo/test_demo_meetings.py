"""The demo's meetings as they were recorded (issue 21, domain §2.6, R2, R3): every meeting held
has its attendance, each attendee had accepted that meeting's confidentiality statement before
it began, meetings fall before the demo's today at the panel's cadence, one was not quorate,
someone declared an interest now and then, who came is the kind of agency the panel type
has, and the minutes of every meeting that heard cases were drafted and then approved by the
chair (R12)."""

from __future__ import annotations

from collections import Counter
from collections import defaultdict
from datetime import date
from datetime import datetime
from datetime import timedelta
from itertools import pairwise

from sqlalchemy import select

from app.accounts.models import AgencyType
from app.database import db
from app.template_filters import UK
from cases.actions.models import ActionDueDateChange
from cases.actions.models import ActionStatus
from cases.actions.models import CaseAction
from cases.meetings import queries
from cases.meetings.models import AgendaReason
from cases.meetings.models import AttendanceStatus
from cases.meetings.models import CaseResearch
from cases.meetings.models import InformationSent
from cases.meetings.models import InterestDeclaration
from cases.meetings.models import MeetingAttendance
from cases.meetings.models import MeetingMinutes
from cases.meetings.models import MeetingObserver
from cases.meetings.models import MinutesCaseSection
from cases.meetings.models import MinutesStatus
from cases.models import Case
from cases.referrals.models import Referral
from demo.cases import TODAY
from demo.clock import working_days_after
from panels.models import ConfidentialityDeclaration
from panels.models import Meeting
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.types.common import MeetingCadence
from panels.types.common import PanelType
from tests.demo.conftest import Demo

A, P = AgencyType, PanelType
# The agencies that sit on each type of panel (domain §2.6, §3.4, §4.4, §5.4, §6): a
# coordinator from the council's community safety team runs every one of them.
AGENCIES = {
    P.MARAC: {
        A.POLICE,
        A.DOMESTIC_ABUSE_SERVICE,
        A.CHILDRENS_SOCIAL_CARE,
        A.ADULT_SOCIAL_CARE,
        A.HOUSING,
        A.HEALTH,
        A.PROBATION,
        A.EDUCATION,
        A.COMMUNITY_SAFETY,
    },
    P.COMMUNITY_MARAC: {
        A.COMMUNITY_SAFETY,
        A.HOUSING,
        A.POLICE,
        A.ADULT_SOCIAL_CARE,
        A.HEALTH,
        A.FIRE,
        A.VOLUNTARY_SECTOR,
    },
    P.CHANNEL: {
        A.COMMUNITY_SAFETY,
        A.POLICE,
        A.CHILDRENS_SOCIAL_CARE,
        A.ADULT_SOCIAL_CARE,
        A.EDUCATION,
        A.HEALTH,
        A.PROBATION,
    },
    P.MACE: {
        A.CHILDRENS_SOCIAL_CARE,
        A.POLICE,
        A.EDUCATION,
        A.HEALTH,
        A.YOUTH_JUSTICE,
        A.VOLUNTARY_SECTOR,
        A.COMMUNITY_SAFETY,
    },
    P.IOM: {A.POLICE, A.PROBATION, A.HEALTH, A.HOUSING, A.COMMUNITY_SAFETY},
}
# Who each type's meetings are about, so who must be there (each type's quorum).
AT_THE_HEART = {
    P.MARAC: {A.POLICE, A.DOMESTIC_ABUSE_SERVICE},
    P.COMMUNITY_MARAC: {A.POLICE, A.COMMUNITY_SAFETY},
    P.CHANNEL: {A.POLICE, A.COMMUNITY_SAFETY},
    P.MACE: {A.POLICE, A.CHILDRENS_SOCIAL_CARE},
    P.IOM: {A.POLICE, A.PROBATION},
}


def uk_day(moment: datetime) -> date:
    return moment.astimezone(UK).date()


def held_meetings() -> list[Meeting]:
    return list(db.session.scalars(select(Meeting).order_by(Meeting.panel_id, Meeting.held_on)))


def test_every_meeting_held_has_its_attendance_and_none_to_come_has(demo: Demo) -> None:
    """R2: who attended for which agency, with apologies, is on every meeting already held; a
    meeting still to come has nothing recorded."""
    with demo.app.app_context():
        recorded = {
            meeting_id: Counter(statuses) for meeting_id, statuses in _statuses_by_meeting().items()
        }
        for meeting in held_meetings():
            if meeting.held_on < TODAY:
                attended = recorded.get(meeting.id, Counter())
                assert attended[AttendanceStatus.PRESENT] >= 3, (
                    meeting.panel.name,
                    meeting.held_on,
                )
            else:
                assert meeting.id not in recorded, (meeting.panel.name, meeting.held_on)
        statuses = Counter(db.session.scalars(select(MeetingAttendance.status)).all())
        # Now and then a deputy goes in the named representative's place; some send apologies.
        assert statuses[AttendanceStatus.DEPUTY] >= 5
        assert statuses[AttendanceStatus.APOLOGIES] >= 20
        assert statuses[AttendanceStatus.PRESENT] > 5 * statuses[AttendanceStatus.APOLOGIES]


def test_every_attendee_accepted_the_meetings_statement_before_it(demo: Demo) -> None:
    """R3: nobody is recorded as attending a meeting whose confidentiality statement they had
    not accepted before it began; the register was taken on the day of the meeting."""
    with demo.app.app_context():
        accepted = {
            (row.meeting_id, row.user_id): row.accepted_at
            for row in db.session.scalars(select(ConfidentialityDeclaration))
        }
        meetings = {meeting.id: meeting for meeting in held_meetings()}
        rows = db.session.scalars(select(MeetingAttendance)).all()
        assert rows
        for row in rows:
            meeting = meetings[row.meeting_id]
            assert uk_day(row.recorded_at) == meeting.held_on, row.id
            if not row.status.attended:
                continue
            when = accepted.get((row.meeting_id, row.user_id))
            assert when is not None, (meeting.panel.name, meeting.held_on, row.user.display_name)
            assert when < row.recorded_at, row.id
            assert uk_day(when) <= meeting.held_on, row.id


def test_meetings_are_held_before_today_at_the_panels_cadence(demo: Demo) -> None:
    """A year of meetings at least on every panel, each on a Thursday: a monthly panel's on the
    second Thursday of the month, a four-weekly panel's every 28 days; all recorded ones before
    the demo's today."""
    with demo.app.app_context():
        recorded = set(_statuses_by_meeting())
        by_panel: dict[int, list[Meeting]] = defaultdict(list)
        for meeting in held_meetings():
            by_panel[meeting.panel_id].append(meeting)
        panels = db.session.scalars(select(Panel)).all()
        for panel in panels:
            meetings = by_panel[panel.id]
            held = [m for m in meetings if m.held_on < TODAY]
            year_ago = TODAY - timedelta(days=365)
            assert len([m for m in held if m.held_on >= year_ago]) >= 11, panel.name
            assert all(m.id in recorded for m in held), panel.name
            assert all(m.held_on < TODAY for m in meetings if m.id in recorded), panel.name
            assert all(m.held_on.weekday() == 3 for m in meetings), panel.name
            if panel.meeting_cadence is MeetingCadence.MONTHLY:
                assert all(8 <= m.held_on.day <= 14 for m in meetings), panel.name
            else:
                assert panel.meeting_cadence is MeetingCadence.FOUR_WEEKLY, panel.name
                gaps = {(b.held_on - a.held_on).days for a, b in pairwise(meetings)}
                assert gaps == {28}, panel.name


def test_one_meeting_was_not_quorate_and_the_rest_were(demo: Demo) -> None:
    """R2, domain §2.6: the quorum warning has a meeting to show on (the Redbridge MARAC the
    IDVA service could not attend, sending its information instead); panels run otherwise
    with their quorum."""
    with demo.app.app_context():
        short = []
        held = [m for m in held_meetings() if m.held_on < TODAY]
        for meeting in held:
            check = queries.quorum(meeting, queries.attendance_record(meeting))
            if not check.met:
                short.append((meeting, check.missing))
        assert short, "every demo meeting was quorate"
        assert len(short) <= len(held) // 20
        meeting, missing = short[0]
        assert meeting.panel.name == "Redbridge MARAC"
        assert "nobody attended for: IDVA / domestic abuse service" in missing
        information = db.session.scalars(
            select(InformationSent).where(InformationSent.meeting_id == meeting.id)
        ).all()
        assert A.DOMESTIC_ABUSE_SERVICE in {row.organisation.agency_type for row in information}


def test_interests_are_declared_now_and_then_by_attendees_on_cases_heard(demo: Demo) -> None:
    """Domain §2.6: someone declares an interest in a case on the agenda (and leaves for it)
    occasionally; only ever someone who attended, on a case listed at that meeting."""
    with demo.app.app_context():
        declared = db.session.scalars(select(InterestDeclaration)).all()
        assert declared
        assert len(declared) < len([m for m in held_meetings() if m.held_on < TODAY]) // 4
        for row in declared:
            meeting = db.session.get_one(Meeting, row.meeting_id)
            record = queries.attendance_record(meeting)
            assert record.rows[row.user_id].status.attended, row.id
            assert row.case_id in queries.agenda_case_ids(meeting), row.id
            assert uk_day(row.recorded_at) == meeting.held_on, row.id
        newham_marac = [
            row
            for row in declared
            if db.session.get_one(Meeting, row.meeting_id).panel.name == "Newham MARAC"
        ]
        assert newham_marac


def test_who_came_is_the_kind_of_agency_the_panel_type_has(demo: Demo) -> None:
    """Each type's meetings draw on its own agencies (a MARAC's IDVA and children's social
    care, a Community MARAC's ASB officers and fire service, a MACE's youth justice and
    missing-children service, an IOM's probation and drug treatment), and those at its heart
    attend; no more than one or two agencies send apologies to a meeting."""
    with demo.app.app_context():
        seen: dict[PanelType, set[AgencyType]] = defaultdict(set)
        meetings = {meeting.id: meeting for meeting in held_meetings()}
        apologies: Counter[int] = Counter()
        for row in db.session.scalars(select(MeetingAttendance)):
            panel_type = meetings[row.meeting_id].panel.panel_type
            agency = row.organisation.agency_type
            assert agency in AGENCIES[panel_type], (panel_type, row.organisation.name)
            if row.status.attended:
                seen[panel_type].add(agency)
            else:
                apologies[row.meeting_id] += 1
        for sent in db.session.scalars(select(InformationSent)):
            panel_type = meetings[sent.meeting_id].panel.panel_type
            assert sent.organisation.agency_type in AGENCIES[panel_type], sent.organisation.name
        for panel_type, agencies in AT_THE_HEART.items():
            assert agencies <= seen[panel_type], panel_type
            assert len(seen[panel_type]) >= 5, panel_type
        assert max(apologies.values()) <= 3  # two, and the IDVA service at the meeting above
        observers = db.session.scalars(select(MeetingObserver)).all()
        assert observers
        assert all(observer.name and observer.organisation for observer in observers)


def _statuses_by_meeting() -> dict[int, list[AttendanceStatus]]:
    found: dict[int, list[AttendanceStatus]] = defaultdict(list)
    for meeting_id, status in db.session.execute(
        select(MeetingAttendance.meeting_id, MeetingAttendance.status)
    ):
        found[meeting_id].append(status)
    return dict(found)


def test_past_meetings_that_heard_cases_have_minutes_drafted_then_approved_by_the_chair(
    demo: Demo,
) -> None:
    """R12: every meeting held that heard cases has minutes, drafted by the panel's coordinator
    on a working day after the meeting, and approved by its chair, who attended, some working
    days later; only the most recent may still await the chair. None exist for a meeting to
    come or one without cases."""
    with demo.app.app_context():
        minutes = {m.meeting_id: m for m in db.session.scalars(select(MeetingMinutes))}
        meetings = {m.id: m for m in held_meetings()}
        heard = {
            meeting_id
            for meeting_id in db.session.scalars(
                select(Referral.meeting_id).where(Referral.status.in_(queries.ON_AN_AGENDA))
            )
            if meeting_id is not None and meetings[meeting_id].held_on < TODAY
        }
        assert heard
        drafted_by_then = {
            meeting_id
            for meeting_id in heard
            if working_days_after(meetings[meeting_id].held_on, 1) <= TODAY
        }
        assert set(minutes) == drafted_by_then
        waiting = 0
        for meeting_id, record in minutes.items():
            meeting = meetings[meeting_id]
            drafted = uk_day(record.drafted_at)
            assert meeting.held_on < drafted <= TODAY, meeting_id
            assert record.sections, meeting_id
            roles = {
                membership.user_id: membership.role
                for membership in db.session.scalars(
                    select(PanelMembership).where(PanelMembership.panel_id == meeting.panel_id)
                )
            }
            assert roles[record.drafted_by_id] is PanelRole.COORDINATOR
            if record.status is MinutesStatus.DRAFT:
                waiting += 1
                assert (TODAY - meeting.held_on).days <= 21, meeting_id
                continue
            assert record.approved_at is not None
            assert record.approved_by_id is not None
            assert drafted < uk_day(record.approved_at) <= TODAY
            assert roles[record.approved_by_id] is PanelRole.CHAIR
            attended = {
                row.user_id
                for row in db.session.scalars(
                    select(MeetingAttendance).where(MeetingAttendance.meeting_id == meeting_id)
                )
                if row.status.attended
            }
            assert record.approved_by_id in attended
        assert waiting < len(minutes) / 4
        assert all(s.discussion for m in minutes.values() for s in m.sections)


def test_the_minutes_record_each_cases_decision_in_its_panel_types_terms(demo: Demo) -> None:
    """Issue 21: every case minuted has the panel's decision, one of its panel type's (domain
    §2.8, §3.6), and more than one kind of decision shows on each type's panels."""
    with demo.app.app_context():
        rows = db.session.execute(
            select(MinutesCaseSection.decision, Panel)
            .join(MeetingMinutes, MeetingMinutes.id == MinutesCaseSection.minutes_id)
            .join(Meeting, Meeting.id == MeetingMinutes.meeting_id)
            .join(Panel, Panel.id == Meeting.panel_id)
        ).all()
        assert rows
        kinds: dict[PanelType, set[str]] = defaultdict(set)
        for decision, panel in rows:
            assert panel.spec.decision(decision) is not None, (panel.name, decision)
            kinds[panel.panel_type].add(decision)
        assert set(kinds) == {P.MARAC, P.COMMUNITY_MARAC}  # the types that take referrals
        assert all(len(codes) >= 3 for codes in kinds.values()), kinds


def test_some_open_actions_had_their_due_date_moved_by_agreement_before_it_fell_due(
    demo: Demo,
) -> None:
    """Issue 21: on every panel with actions a few open ones were moved, each after the meeting
    that agreed it and before its old due date (or by the demo's today), with a reason, by the
    agency that owns it or the coordinator; the action is due on the date it was moved to."""
    with demo.app.app_context():
        changes = db.session.scalars(select(ActionDueDateChange)).all()
        panels_with_actions = set(db.session.scalars(select(CaseAction.panel_id).distinct()))
        assert {c.action.panel_id for c in changes} == panels_with_actions
        for change in changes:
            action = change.action
            assert action.meeting is not None
            day = uk_day(change.changed_at)
            assert action.meeting.held_on < day <= min(change.previous_due_on, TODAY), change.id
            assert change.due_on > change.previous_due_on
            assert action.due_on == change.due_on
            assert action.status is ActionStatus.OPEN
            assert change.reason
            roles = {
                m.user_id: m.role
                for m in db.session.scalars(
                    select(PanelMembership).where(PanelMembership.panel_id == action.panel_id)
                )
            }
            assert (
                change.agency_id == action.owner_agency_id
                or roles[change.changed_by_id] is PanelRole.COORDINATOR
            ), change.id


def test_agencies_researched_the_latest_meetings_cases_the_day_before(demo: Demo) -> None:
    """Issue 21 (domain §2.6): on each panel's latest meetings with cases, agencies on the
    panel marked their research the day before, sharing something or nothing, only on cases
    of that meeting's agenda."""
    with demo.app.app_context():
        rows = db.session.scalars(select(CaseResearch)).all()
        assert rows
        assert any(r.nothing_to_share for r in rows)
        assert any(r.shared for r in rows)
        meetings = {m.id: m for m in db.session.scalars(select(Meeting))}
        for row in rows:
            meeting = meetings[row.meeting_id]
            assert row.case_id in queries.agenda_case_ids(meeting), row.id
            assert uk_day(row.recorded_at) < meeting.held_on or meeting.held_on > TODAY, row.id
            assert bool(row.shared) != row.nothing_to_share, row.id


def test_the_next_newham_marac_brings_a_case_back_for_review_first(demo: Demo) -> None:
    """Issue 21 (domain §2.5): the demo's coordinator put a case whose repeat flag expires
    before the following meeting at the top of the next Newham MARAC agenda."""
    with demo.app.app_context():
        meeting = db.session.scalar(
            select(Meeting)
            .join(Panel, Panel.id == Meeting.panel_id)
            .where(Panel.name == "Newham MARAC", Meeting.held_on > TODAY)
            .order_by(Meeting.held_on)
            .limit(1)
        )
        assert meeting is not None
        following = queries.next_meeting_after(meeting)
        until = following.held_on if following else meeting.held_on + timedelta(days=31)
        due = set(
            db.session.scalars(
                select(Case.id).where(
                    Case.panel_id == meeting.panel_id,
                    Case.flag_expires_on >= meeting.held_on,
                    Case.flag_expires_on < until,
                )
            )
        )
        entries = queries.agenda(meeting, None)
        reviews = [e for e in entries if e.reason is AgendaReason.FLAG_EXPIRY]
        # One case is brought back whenever one is due (at the demo's scale there may be none).
        assert len(reviews) == (1 if due else 0)
        if reviews:
            assert entries[0] == reviews[0]
            assert reviews[0].referral is None
            assert reviews[0].case_id in due
