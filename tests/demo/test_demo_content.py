"""The demo reads like each panel (issue 25): notes in the panel type's own language, actions
owned by the kind of agency that does them, aliases that are the person's own other names,
meetings at the panel's stated cadence, children under 18 and adults 18 or over, and no victim
or child where the panel type has none."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from datetime import timedelta
from itertools import pairwise

from sqlalchemy import func
from sqlalchemy import select

from app.accounts.models import AgencyType
from app.accounts.models import User
from app.database import db
from app.database import uk_today
from app.settings import ReportSettings
from audit.models import AuditAction
from audit.models import AuditEvent
from cases.actions.models import CaseAction
from cases.models import Case
from cases.models import CaseNote
from cases.models import CaseRole
from cases.referrals.models import Referral
from cases.referrals.rules import age_on
from cases.referrals.rules import people_of
from cases.reports.models import ManagerArea
from cases.reports.queries import safelives_return
from cases.reports.rules import Quarter
from cases.reports.rules import last_complete_quarter
from demo.data import FULL_PANEL_AREAS
from demo.data import MANAGER_AREAS
from demo.data import RETURN_FIGURES
from demo.people import GIVEN
from panels.models import Area
from panels.models import Meeting
from panels.models import Panel
from panels.types.common import MeetingCadence
from panels.types.common import PanelType
from tests.demo.conftest import Demo

P = PanelType
# Words a note of each panel type should use (at least one), and words it never should.
SPOKEN = {
    P.MARAC: {"marac", "idva", "victim", "perpetrator", "sanctuary", "children"},
    P.COMMUNITY_MARAC: {"asb", "neighbour", "incidents", "housing", "patrols", "tenancy"},
    P.CHANNEL: {"channel", "prevent", "mentor", "intervention provider", "vulnerability"},
    P.MACE: {"child", "missing", "return home", "exploitation", "adult of concern"},
    P.IOM: {"iom", "offender manager", "licence", "recall", "drug treatment", "arrested"},
}
UNSPOKEN = {
    P.MARAC: {"prevent", "mentor", "asb", "missing"},
    P.COMMUNITY_MARAC: {"idva", "prevent", "licence", "return home", "perpetrator programme"},
    P.CHANNEL: {"victim", "school", "idva", "perpetrator", "safety plan", "asb"},
    P.MACE: {"idva", "prevent", "perpetrator programme", "safety plan"},
    P.IOM: {"victim", "school", "child", "idva", "prevent"},
}
A = AgencyType
# What an action names, and the kinds of agency that do that.
DONE_BY = {
    "police": {A.POLICE},
    "bail": {A.POLICE},
    "idva": {A.DOMESTIC_ABUSE_SERVICE},
    "sanctuary scheme": {A.HOUSING},
    "management move": {A.HOUSING},
    "tenancy": {A.HOUSING},
    "perpetrator programme": {A.PROBATION, A.DOMESTIC_ABUSE_SERVICE},
    "licence": {A.PROBATION},
    "single assessment": {A.CHILDRENS_SOCIAL_CARE},
    "school": {A.EDUCATION, A.CHILDRENS_SOCIAL_CARE},
    "gp": {A.HEALTH},
    "care and support assessment": {A.ADULT_SOCIAL_CARE},
    "council records": {A.COMMUNITY_SAFETY},
    "community protection warning": {A.COMMUNITY_SAFETY, A.POLICE, A.HOUSING},
    "incident diary": {A.COMMUNITY_SAFETY, A.HOUSING},
    "fire safety": {A.FIRE},
    "befriending": {A.VOLUNTARY_SECTOR},
}
# Where each role belongs: victims in MARAC and Community MARAC cases, children in MARAC
# (the victim's) and MACE cases.
ROLES = {
    P.MARAC: {CaseRole.VICTIM, CaseRole.PERPETRATOR, CaseRole.CHILD},
    P.COMMUNITY_MARAC: {CaseRole.VICTIM, CaseRole.PERPETRATOR},
    P.CHANNEL: {CaseRole.SUBJECT},
    P.MACE: {CaseRole.CHILD, CaseRole.PERSON_OF_CONCERN},
    P.IOM: {CaseRole.SUBJECT},
}
STEP_DAYS = {
    MeetingCadence.WEEKLY: 7,
    MeetingCadence.FORTNIGHTLY: 14,
    MeetingCadence.FOUR_WEEKLY: 28,
}


def said(words: set[str], text: str) -> set[str]:
    return {word for word in words if re.search(rf"\b{re.escape(word)}\b", text.lower())}


def test_notes_read_like_the_panel_type(demo: Demo) -> None:
    with demo.app.app_context():
        seen = set()
        for note in db.session.scalars(select(CaseNote)):
            panel_type = note.case.panel.panel_type
            seen.add(panel_type)
            text = note.text or ""
            assert said(SPOKEN[panel_type], text), (panel_type, text)
            assert not said(UNSPOKEN[panel_type], text), (panel_type, text)
        assert seen == set(PanelType)


def test_each_action_is_owned_by_the_kind_of_agency_it_names(demo: Demo) -> None:
    with demo.app.app_context():
        actions = db.session.scalars(select(CaseAction)).all()
        assert len({action.description for action in actions}) >= 5
        for action in actions:
            named = said(set(DONE_BY), action.description or "")
            assert named, f"{action.description!r} names no kind of agency this test knows"
            kinds = set.intersection(*(DONE_BY[word] for word in named))
            assert action.owner_agency.agency_type in kinds, (
                action.description,
                action.owner_agency.name,
            )


def test_aliases_are_the_persons_own_other_names(demo: Demo) -> None:
    with demo.app.app_context():
        aliases = 0
        for case in db.session.scalars(select(Case)):
            people = [link.person for link in case.people]
            names = {person.full_name for person in people}
            families = [person.family_name for person in people]
            for person in people:
                for alias in (person.aliases or "").splitlines():
                    aliases += 1
                    *given, family = alias.split()
                    assert alias not in names, (case.reference, alias)
                    # A short form of their first name, or a last name they had before: never
                    # someone else's first name, or another person's last name in the case.
                    assert " ".join(given) == person.given_names or given[0] not in GIVEN, alias
                    assert family == person.family_name or family not in families, alias
        assert aliases > 5


def test_meetings_follow_each_panels_cadence(demo: Demo) -> None:
    with demo.app.app_context():
        held: dict[int, list[date]] = defaultdict(list)
        for meeting in db.session.scalars(select(Meeting).order_by(Meeting.held_on)):
            held[meeting.panel_id].append(meeting.held_on)
        panels = db.session.scalars(select(Panel)).all()
        assert all(held[panel.id] for panel in panels if panel.spec.takes_referrals)
        for panel in panels:
            days = held[panel.id]
            assert all(day.weekday() == 3 for day in days), panel.name
            gaps = {(later - earlier).days for earlier, later in pairwise(days)}
            if panel.meeting_cadence is MeetingCadence.MONTHLY:
                months = [(day.year, day.month) for day in days]
                assert len(set(months)) == len(days), panel.name
                assert gaps <= {28, 35}, panel.name
            elif days:
                assert gaps == {STEP_DAYS[panel.meeting_cadence]}, panel.name


def test_people_are_the_age_and_role_the_panel_type_expects(demo: Demo) -> None:
    with demo.app.app_context():
        for case in db.session.scalars(select(Case)):
            panel_type = case.panel.panel_type
            began = min([case.opened_on, *(r.referred_on for r in case.referrals if r.referred_on)])
            ages: dict[CaseRole, list[int]] = defaultdict(list)
            for link in case.people:
                assert link.role in ROLES[panel_type], (case.reference, link.role)
                assert link.person.date_of_birth is not None
                age = age_on(link.person.date_of_birth, began)
                ages[link.role].append(age)
                if link.role is CaseRole.CHILD:
                    assert 0 <= age < 18, (case.reference, age)
                else:
                    assert age >= 18, (case.reference, link.role, age)
            for child in ages.get(CaseRole.CHILD, []) if panel_type is P.MARAC else []:
                assert ages[CaseRole.VICTIM][0] - child >= 16, case.reference


def test_referrals_name_only_the_people_the_panel_type_has(demo: Demo) -> None:
    with demo.app.app_context():
        for referral in db.session.scalars(select(Referral)):
            assert referral.referred_on is not None
            for person in people_of(referral):
                role = CaseRole(person["role"])
                assert role in ROLES[referral.panel.panel_type], referral.reference
                born = date.fromisoformat(person["date_of_birth"])
                adult = age_on(born, referral.referred_on) >= 18
                assert adult is (role is not CaseRole.CHILD), referral.reference
                assert born <= referral.referred_on - timedelta(days=1)


def test_the_demo_manager_reports_on_three_areas_assigned_by_the_administrator(demo: Demo) -> None:
    """Issue 20: a manager sees the figures of the areas an administrator assigned them, so the
    demo manager has some to see; the assignment is in the trail like any other."""
    with demo.app.app_context():
        manager = db.session.scalar(select(User).where(User.email == "manager@demo.example"))
        assert manager is not None
        assigned = db.session.scalars(
            select(Area.name).join(ManagerArea).where(ManagerArea.user_id == manager.id)
        ).all()
        assert sorted(assigned) == sorted(MANAGER_AREAS)
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.MANAGER_AREA_ADDED)
        ).all()
        assert len(events) == len(MANAGER_AREAS)
        assert {event.object_id for event in events} == {str(manager.id)}


def test_the_demo_marac_returns_have_meetings_cases_and_their_population(demo: Demo) -> None:
    """Issue 20: each demo MARAC's SafeLives return has its meetings, and for Newham and Havering
    (whose referral histories the demo tells) the cases heard at the latest meeting that heard
    any, with the victims' ages coded from the referrals' dates of birth; the population and
    capacity are set by the administrator (Tower Hamlets has not given its figures)."""
    with demo.app.test_request_context():
        today = uk_today()
        panels = db.session.scalars(
            select(Panel).where(Panel.panel_type == PanelType.MARAC).order_by(Panel.name)
        ).all()
        for panel in panels:
            area = panel.area.name
            held = db.session.scalar(
                select(func.max(Meeting.held_on))
                .join(Referral, Referral.meeting_id == Meeting.id)
                .where(Meeting.panel_id == panel.id, Meeting.held_on <= today)
            )
            quarter = Quarter.of(held) if held else last_complete_quarter(today)
            report = safelives_return(
                panel, quarter, suppress=False, settings=ReportSettings(), today=today
            )
            assert report is not None
            assert report.meetings, area
            if area in FULL_PANEL_AREAS:
                cases = report.total.cells["cases"].value
                assert cases, area
                assert report.total.cells["age_not_known"].value < cases, area
            population = RETURN_FIGURES.get(area, (None,))[0]
            assert report.volume.population == population, area
        changed = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.PANEL_SETTINGS_CHANGED)
        ).all()
        assert len(changed) == len(RETURN_FIGURES)
