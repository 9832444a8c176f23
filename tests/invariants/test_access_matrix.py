"""The access matrix (issue 5; domain §8 R1, R3-R5; security R14-R19).

One world holds panels of two types in two areas, agencies that have signed, withdrawn from or
let lapse their ISP signature, every role, and cases that are listed at a meeting, referred by
an agency, restricted against an agency, or on another panel. The expected answer for every
user x every route x every object comes from `Expect`, a plain restatement of the rules in
Python, independent of the SQL in cases/policy.py; the test fails if the two ever disagree.
Every route with an object id must be classified in ROUTES, so a new page cannot be added
without joining the matrix, and must declare in SUCCESS the exact answer (a page, or the redirect
and where it goes) it gives when allowed, so a route that wrongly refuses everyone fails too.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import closing
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from app import create_app
from app.accounts.models import AgencyType
from app.accounts.models import GlobalRole
from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import db
from app.database import uk_today
from app.database import utcnow
from app.errors import DomainError
from app.extensions import limiter
from app.keys.models import KeyPurpose
from app.keys.store import key_store
from app.security import ACCESS_MARKER
from app.security import ROLE_PERMISSIONS
from app.security import SIGNED_IN
from app.security import Permission
from cases import policy
from cases import services as case_services
from cases.actions.models import CaseAction
from cases.asb import services as asb_services
from cases.asb.models import Applicant
from cases.break_glass import services as break_glass
from cases.break_glass.models import AlertKind
from cases.break_glass.models import BreakGlassGrant
from cases.break_glass.models import BreakGlassReason
from cases.break_glass.models import CaseAlert
from cases.meetings import queries as meeting_queries
from cases.meetings import services as meeting_services
from cases.meetings.models import MinutesStatus
from cases.models import Case
from cases.models import CasePerson
from cases.models import CaseRole
from cases.models import Person
from cases.people.queries import suggest_people
from cases.referrals import services as referrals
from cases.referrals.models import Referral
from cases.reports.models import Extract
from cases.reports.models import ExtractFormat
from cases.reports.models import ExtractPart
from cases.reports.models import ExtractStatus
from cases.reports.models import ManagerArea
from cases.restrictions.models import CaseRestriction
from cases.sharing.models import ConsentStatus
from cases.sharing.models import LawfulBasis
from notifications.events import Choice
from notifications.events import Event
from notifications.models import Notification
from panels import declarations
from panels import services as panel_services
from panels.declarations import CONFIDENTIALITY_STATEMENT_VERSION
from panels.models import ConfidentialityDeclaration
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.types.common import FormSection
from panels.types.common import PanelType
from tests.conftest import PASSWORD
from tests.conftest import Accounts
from tests.conftest import csrf_token
from tests.conftest import make_settings
from tests.referral_fixtures import PERPETRATOR_BORN
from tests.referral_fixtures import marac_answers
from tests.referral_fixtures import panel as make_panel
from tests.referral_fixtures import perpetrator
from tests.referral_fixtures import person
from tests.referral_fixtures import sign_isp
from tests.referral_fixtures import submitted
from tests.referral_fixtures import victim

TODAY = uk_today()
VICTIM_NAME = ("Marisol", "Quennell")
VICTIM_BORN = date(1990, 3, 9)
CHILD_NAME = ("Pippin", "Quennell")
HEALTH_CANARY = "CANARY-HEALTH synthetic note on medication"

# How each route with an object id decides, by the kind of object it names.
CASE_VIEW, CASE_COORDINATE = "case:view", "case:coordinate"
REFERRAL_VIEW, REFERRAL_OWN_DRAFT = "referral:view", "referral:own_draft"
REFERRAL_REFERRER, REFERRAL_COORDINATE = "referral:referrer", "referral:coordinate"
MEETING_VIEW, APPLICATION_VIEW = "meeting:view", "application:view"
# Recording a meeting's attendance (coordinators and chairs), and its declarations of interest
# (those of them who may see the agenda: the cases are named).
MEETING_RUN, MEETING_AGENDA_RUN = "meeting:run", "meeting:agenda_run"
# Drafting a meeting's minutes (its coordinators; reading and approving them is
# MEETING_AGENDA_RUN while none are approved, and the actions extract MEETING_RUN).
MEETING_COORDINATE = "meeting:coordinate"
# A meeting's PDF packs (issue 21): the agenda for those who see it on the meeting's page
# (MEETING_AGENDA); the actions extract as its page (MEETING_RUN); the minutes only once
# approved (MEETING_APPROVED_MINUTES): nobody for m1's, not approved, and for the home panel's
# meeting held three days ago ("approved"), whose minutes are, its coordinators and chairs
# (no agency's attendance is recorded; who else receives them: tests/cases/meetings/test_packs).
MEETING_AGENDA, MEETING_APPROVED_MINUTES = "meeting:agenda", "meeting:approved_minutes"
GRANT_HOLDER, GRANT_REVIEW = "grant:holder", "grant:review"
ALERT_RECIPIENT = "alert:recipient"
CASE_PLAN, ACTION_REPORT = "case:plan", "action:report"
ACTION_COORDINATE = "action:coordinate"  # moving its due date: its panel's coordinators
CASE_RESTRICTION = "case:restriction"  # the restricted case's restriction, under each case's id
# A case's research for a meeting it is listed at: members of the panel who see its agenda
# and the case (issue 21); under the case's id with the meeting's.
CASE_RESEARCH = "case:research"
PANEL_MEMBER = "panel:member"
PANEL_REPORTS = "panel:reports"  # a panel's aggregate figures (issue 20)
EXTRACT_REQUESTER = "extract:requester"  # a referral-level extract: its requester alone
NOTIFICATION_RECIPIENT = "notification:recipient"  # a notification: the person told alone
ROUTES: dict[str, str] = {
    "cases.show": CASE_VIEW,
    "cases.access_log_page": CASE_COORDINATE,
    "referrals.transfer": CASE_COORDINATE,
    "referrals.show": REFERRAL_VIEW,
    "referrals.people": REFERRAL_OWN_DRAFT,
    "referrals.check": REFERRAL_OWN_DRAFT,
    "referrals.section": REFERRAL_OWN_DRAFT,
    "referrals.add_person": REFERRAL_OWN_DRAFT,
    "referrals.remove_person": REFERRAL_OWN_DRAFT,
    "referrals.withdraw": REFERRAL_REFERRER,
    "referrals.screen": REFERRAL_COORDINATE,
    "meetings.list_referral": REFERRAL_COORDINATE,
    "meetings.heard": REFERRAL_COORDINATE,
    "meetings.show": MEETING_VIEW,
    "meetings.declaration": MEETING_VIEW,
    "meetings.attendance": MEETING_RUN,
    "meetings.interests": MEETING_AGENDA_RUN,
    "meetings.withdraw_interest": MEETING_AGENDA_RUN,
    "meetings.minutes": MEETING_AGENDA_RUN,
    "meetings.approve_minutes": MEETING_AGENDA_RUN,
    "meetings.draft_minutes": MEETING_COORDINATE,
    "meetings.agenda": MEETING_COORDINATE,
    "meetings.minutes_actions": MEETING_RUN,
    "meetings.agenda_pdf": MEETING_AGENDA,
    "meetings.minutes_pdf": MEETING_APPROVED_MINUTES,
    "meetings.actions_pdf": MEETING_RUN,
    "meetings.research": CASE_RESEARCH,
    "restrictions.index": CASE_COORDINATE,
    "sharing.log": CASE_VIEW,
    "break_glass.end": GRANT_HOLDER,
    "break_glass.review": GRANT_REVIEW,
    "break_glass.decide": GRANT_REVIEW,
    "break_glass.acknowledge": ALERT_RECIPIENT,
    "notifications.mark_read": NOTIFICATION_RECIPIENT,
    "restrictions.lift": CASE_RESTRICTION,
    "asb.show": APPLICATION_VIEW,
    "asb.add_complaint": APPLICATION_VIEW,
    "asb.advance": APPLICATION_VIEW,
    "actions.new": CASE_PLAN,
    "actions.show": ACTION_REPORT,
    "actions.due_date": ACTION_COORDINATE,
    "panels.show": PANEL_MEMBER,
    "reports.repeat_rate": PANEL_REPORTS,
    "reports.export": PANEL_REPORTS,
    "reports.safelives": PANEL_REPORTS,
    "reports.safelives_export": PANEL_REPORTS,
    "reports.extract": EXTRACT_REQUESTER,
    "reports.extract_download": EXTRACT_REQUESTER,
}
# Routes whose id names no panel data (admin and auditor objects): the permission decides.
PERMISSION_ONLY = {
    Permission.ADMIN_USERS_MANAGE,
    Permission.ADMIN_ORGANISATIONS_MANAGE,
    Permission.ADMIN_PANELS_MANAGE,
    Permission.AUDIT_LOG_READ,
}


@dataclass(frozen=True)
class Success:
    """What an allowed request answers: a status, and for a redirect where it goes (a path
    filled in with the request's ids)."""

    status: int
    location: str | None = None

    def answer(self, ids: Mapping[str, int | str]) -> tuple[int, str | None]:
        return self.status, self.location.format(**ids) if self.location else None


PAGE = Success(200)


def redirect_to(location: str) -> Success:
    return Success(302, location)


# The answer to every allowed request of ROUTES, by endpoint and method. The matrix posts forms
# empty (a CSRF token only), so a form is shown again with its errors (PAGE); a button redirects.
SUCCESS: dict[tuple[str, str], Success] = {
    ("cases.show", "GET"): PAGE,
    ("cases.show", "POST"): PAGE,
    ("cases.access_log_page", "GET"): PAGE,
    ("referrals.transfer", "GET"): PAGE,
    ("referrals.transfer", "POST"): PAGE,
    ("referrals.show", "GET"): PAGE,
    ("referrals.people", "GET"): PAGE,
    ("referrals.check", "GET"): PAGE,
    ("referrals.check", "POST"): PAGE,  # the draft is not complete: what is missing is listed
    ("referrals.section", "GET"): PAGE,
    ("referrals.section", "POST"): PAGE,
    ("referrals.add_person", "GET"): PAGE,
    ("referrals.add_person", "POST"): PAGE,
    ("referrals.remove_person", "POST"): redirect_to("/referrals/{referral_id}/people"),
    ("referrals.withdraw", "POST"): redirect_to("/referrals"),
    # A referral already screened into a case is shown instead (see SUCCESS_FOR_OBJECT).
    ("referrals.screen", "GET"): redirect_to("/referrals/{referral_id}"),
    ("referrals.screen", "POST"): redirect_to("/referrals/{referral_id}"),
    ("meetings.list_referral", "GET"): PAGE,
    ("meetings.list_referral", "POST"): PAGE,
    ("meetings.heard", "POST"): redirect_to("/referrals/{referral_id}"),
    ("meetings.show", "GET"): PAGE,
    ("meetings.declaration", "POST"): PAGE,  # the statement is not accepted: asked again
    ("meetings.attendance", "GET"): PAGE,
    ("meetings.attendance", "POST"): PAGE,  # every member's choice is missing: asked again
    ("meetings.interests", "GET"): PAGE,
    ("meetings.interests", "POST"): PAGE,
    # No declaration named: told so on the meeting's page.
    ("meetings.withdraw_interest", "POST"): redirect_to("/meetings/{meeting_id}#agenda"),
    ("meetings.minutes", "GET"): PAGE,
    ("meetings.approve_minutes", "POST"): PAGE,  # none drafted: nothing to approve, asked again
    # Building the agenda (issue 21): a POST without a change is told so on the page.
    ("meetings.agenda", "GET"): PAGE,
    ("meetings.agenda", "POST"): redirect_to("/meetings/{meeting_id}/agenda"),
    ("meetings.draft_minutes", "GET"): PAGE,
    ("meetings.draft_minutes", "POST"): PAGE,  # the meeting is to come: refused, asked again
    ("meetings.minutes_actions", "GET"): PAGE,
    ("meetings.agenda_pdf", "GET"): PAGE,  # the file
    ("meetings.minutes_pdf", "GET"): PAGE,  # the file (never allowed in this world: above)
    ("meetings.actions_pdf", "GET"): PAGE,  # the file
    ("meetings.research", "GET"): PAGE,
    ("meetings.research", "POST"): PAGE,  # nothing entered: asked again
    ("restrictions.index", "GET"): PAGE,
    ("restrictions.index", "POST"): PAGE,
    ("restrictions.lift", "POST"): redirect_to("/cases/{case_id}/restrictions"),
    ("sharing.log", "GET"): PAGE,
    ("sharing.log", "POST"): PAGE,
    ("break_glass.end", "POST"): redirect_to("/cases"),
    ("break_glass.review", "GET"): PAGE,
    ("break_glass.review", "POST"): PAGE,
    # The world's grant was given at once: there is no request to decide, so its review.
    ("break_glass.decide", "GET"): redirect_to("/alerts/{grant_id}/review"),
    ("break_glass.decide", "POST"): redirect_to("/alerts/{grant_id}/review"),
    ("break_glass.acknowledge", "POST"): redirect_to("/alerts"),
    ("notifications.mark_read", "POST"): redirect_to("/notifications"),
    ("asb.show", "GET"): PAGE,
    ("asb.add_complaint", "GET"): PAGE,
    ("asb.add_complaint", "POST"): PAGE,
    ("asb.advance", "POST"): PAGE,
    ("actions.new", "GET"): PAGE,
    ("actions.new", "POST"): PAGE,
    ("actions.show", "GET"): PAGE,
    ("actions.show", "POST"): PAGE,
    ("actions.due_date", "GET"): PAGE,
    ("actions.due_date", "POST"): PAGE,  # no date or reason: asked again
    ("panels.show", "GET"): PAGE,
    ("reports.repeat_rate", "GET"): PAGE,
    ("reports.export", "GET"): PAGE,  # the file
    ("reports.safelives", "GET"): PAGE,
    ("reports.safelives_export", "GET"): PAGE,  # the file
    ("reports.extract", "GET"): PAGE,
    ("reports.extract_download", "GET"): PAGE,  # the file
}
# Where an object's state changes the answer: (endpoint, method, object) -> what it answers.
SUCCESS_FOR_OBJECT: dict[tuple[str, str, str], Success] = {
    # Only the referral not yet screened is shown the screening form.
    ("referrals.screen", "GET", "unscreened"): PAGE,
    ("referrals.screen", "POST", "unscreened"): PAGE,
    # Channel reports no repeat rate (its spec says): the export goes to the page saying so.
    ("reports.export", "GET", "channel"): redirect_to("/reports/panels/{panel_id}"),
    # Only MARAC panels make the SafeLives return: the export goes to the page saying so.
    ("reports.safelives_export", "GET", "channel"): redirect_to(
        "/reports/panels/{panel_id}/safelives"
    ),
    ("reports.safelives_export", "GET", "cmarac"): redirect_to(
        "/reports/panels/{panel_id}/safelives"
    ),
}
# The answer to a GET of each permission route, to those holding the permission.
PERMISSION_SUCCESS: dict[str, int] = {
    "accounts.index": 200,
    "accounts.organisations": 200,
    "accounts.new_organisation": 200,
    "accounts.edit_organisation": 200,
    "accounts.users": 200,
    "accounts.new_user": 200,
    "accounts.show_user": 200,
    "accounts.edit_user": 200,
    "audit.events": 200,
    "audit.export": 200,
    "panels.admin_list": 200,
    "panels.new_panel": 200,
    "panels.admin_show": 200,
    "panels.edit_panel": 200,
    "panels.panel_settings": 200,
    "panels.isp_register": 200,
    "panels.add_isp_version": 200,
    "panels.add_isp_signatory": 200,
    "panels.renew_isp_signatory": 200,
    "panels.sign_isp_again": 200,
    "panels.withdraw_isp_signatory": 200,
    "reports.manager_areas": 200,
    "notifications.deliveries": 200,
    "subject_access.index": 200,
    "subject_access.new": 200,
    # The world holds no subject access request, so request 1 names nothing: the auditor gets
    # the 404 of a missing request (their pages are tested in test_subject_access).
    "subject_access.show": 404,
    "subject_access.bundle": 404,
    "subject_access.disclosure": 404,
}


@dataclass
class Member:
    email: str
    organisation: str
    roles: dict[str, PanelRole] = field(default_factory=dict)  # panel key -> role
    global_role: GlobalRole | None = None
    declared: tuple[str, ...] = ()  # meeting keys
    areas: tuple[str, ...] = ()  # areas a manager reports on


ORGANISATIONS = {
    "Council": AgencyType.COMMUNITY_SAFETY,
    "Away Council": AgencyType.COMMUNITY_SAFETY,
    "Probation": AgencyType.PROBATION,
    "Police": AgencyType.POLICE,
    "Housing": AgencyType.HOUSING,
    "Health": AgencyType.HEALTH,  # withdrew from the home MARAC's ISP yesterday
    "Schools": AgencyType.EDUCATION,  # its signature's review date passed yesterday
    "Youth": AgencyType.YOUTH_JUSTICE,
}
MEMBERS = {
    "coordinator": Member(
        "coordinator@m.example",
        "Council",
        {"home": PanelRole.COORDINATOR, "cmarac": PanelRole.COORDINATOR},
    ),
    "police_coordinator": Member(
        "police-coord@m.example", "Police", {"home": PanelRole.COORDINATOR}
    ),
    "chair": Member("chair@m.example", "Probation", {"home": PanelRole.CHAIR}),
    "police_rep": Member(
        "police@m.example", "Police", {"home": PanelRole.REPRESENTATIVE}, declared=("m1",)
    ),
    "housing_rep": Member("housing@m.example", "Housing", {"home": PanelRole.REPRESENTATIVE}),
    "youth_rep": Member(
        "youth@m.example", "Youth", {"home": PanelRole.REPRESENTATIVE}, declared=("m2",)
    ),
    "withdrawn_rep": Member(
        "health@m.example",
        "Health",
        {"home": PanelRole.REPRESENTATIVE, "cmarac": PanelRole.REPRESENTATIVE},
        declared=("m1",),
    ),
    "lapsed_rep": Member(
        "schools@m.example", "Schools", {"home": PanelRole.REPRESENTATIVE}, declared=("m1",)
    ),
    "channel_coordinator": Member(
        "channel@m.example", "Council", {"channel": PanelRole.COORDINATOR}
    ),
    "away_coordinator": Member("away@m.example", "Away Council", {"away": PanelRole.COORDINATOR}),
    "council_away_rep": Member("rep-away@m.example", "Council", {"away": PanelRole.REPRESENTATIVE}),
    "manager": Member("manager@m.example", "Council", global_role=GlobalRole.MANAGER),
    "area_manager": Member(
        "area-manager@m.example", "Council", global_role=GlobalRole.MANAGER, areas=("Ashcombe",)
    ),
    "auditor": Member("auditor@m.example", "Council", global_role=GlobalRole.AUDITOR),
    "admin": Member("admin@m.example", "Council", global_role=GlobalRole.ADMIN),
}
# Which (panel, organisation) signatures are not in force, and so give no access at all.
NOT_IN_FORCE = {("home", "Health"), ("home", "Schools")}


@dataclass
class CaseFacts:
    panel: str
    referring_agency: str | None = None  # None: opened directly, not referred
    meeting: str | None = None
    restricted_against: str | None = None
    emergency_access: tuple[str, ...] = ()  # members holding a live break-glass grant


CASES = {
    "listed": CaseFacts("home", "Council", meeting="m1"),
    "referred_by_housing": CaseFacts("home", "Housing", meeting="m2"),
    "unlisted": CaseFacts("home", "Council", emergency_access=("youth_rep",)),
    "restricted": CaseFacts("home", "Council", meeting="m1", restricted_against="Police"),
    "channel": CaseFacts("channel"),
    "away": CaseFacts("away"),
}
MEETINGS = {"m1": "home", "m2": "home", "away_meeting": "away"}
PANELS = ("home", "cmarac", "channel", "away")
PANEL_AREAS = {"home": "Ashcombe", "cmarac": "Ashcombe", "channel": "Ashcombe", "away": "Brindle"}
# Actions: (the case it belongs to, the agency that owns it). "mismatched" names the listed
# case's action under another case's id, which must find nothing.
ACTIONS = {
    "housing_action": ("listed", "Housing"),
    "police_action": ("restricted", "Police"),  # owned by the agency the case is closed to
    "away_action": ("away", "Away Council"),
}
ACTION_NAMES = [*ACTIONS, "mismatched"]


class Expect:
    """The rules of cases/policy.py restated over the facts above."""

    @staticmethod
    def role(member: Member, panel: str) -> PanelRole | None:
        """The member's role on the panel if their organisation's signature is in force."""
        if (panel, member.organisation) in NOT_IN_FORCE:
            return None
        return member.roles.get(panel)

    @classmethod
    def sees_case(cls, member: Member, name: str) -> bool:
        facts = CASES[name]
        if facts.restricted_against == member.organisation:
            return False  # staff as subject: nobody of that organisation, whatever their role
        role = cls.role(member, facts.panel)
        if role in (PanelRole.COORDINATOR, PanelRole.CHAIR):
            return True
        if role is PanelRole.REPRESENTATIVE:
            listed = facts.meeting is not None and facts.meeting in member.declared
            emergency = any(MEMBERS[key] is member for key in facts.emergency_access)
            return listed or emergency or facts.referring_agency == member.organisation
        return False

    @classmethod
    def coordinates_case(cls, member: Member, name: str) -> bool:
        return cls.sees_case(member, name) and (
            cls.role(member, CASES[name].panel) is PanelRole.COORDINATOR
        )

    @classmethod
    def lifts_restriction(cls, member: Member, name: str) -> bool:
        """Only the case's own restriction: under another case's id it names nothing."""
        return cls.coordinates_case(member, name) and CASES[name].restricted_against is not None

    @classmethod
    def plans_case(cls, member: Member, name: str) -> bool:
        return cls.sees_case(member, name) and (
            cls.role(member, CASES[name].panel) in (PanelRole.COORDINATOR, PanelRole.CHAIR)
        )

    @classmethod
    def reports_on_action(cls, member: Member, name: str) -> bool:
        """The owning agency's staff on the panel, and its coordinators and chairs; never
        anyone from an organisation the case is restricted against (R5, R13, R19)."""
        if name not in ACTIONS:
            return False
        case, owner = ACTIONS[name]
        facts = CASES[case]
        if facts.restricted_against == member.organisation:
            return False
        role = cls.role(member, facts.panel)
        if role is None:
            return False
        return member.organisation == owner or role in (PanelRole.COORDINATOR, PanelRole.CHAIR)

    @classmethod
    def reads_panel(cls, member: Member, panel: str) -> bool:
        """The panel's own page: every member in force, whatever their role."""
        return cls.role(member, panel) is not None

    @classmethod
    def reports_on_panel(cls, member: Member, panel: str) -> bool:
        """Figures: its coordinators and chairs in force, and managers of its area."""
        role = cls.role(member, panel)
        managed = member.global_role is GlobalRole.MANAGER and PANEL_AREAS[panel] in member.areas
        return role in (PanelRole.COORDINATOR, PanelRole.CHAIR) or managed

    @classmethod
    def sees_meeting(cls, member: Member, meeting: str) -> bool:
        return cls.role(member, MEETINGS[meeting]) is not None

    @classmethod
    def sees_agenda(cls, member: Member, meeting: str) -> bool:
        role = cls.role(member, MEETINGS[meeting])
        return role is PanelRole.COORDINATOR or (role is not None and meeting in member.declared)


@dataclass
class World:
    app: Flask
    users: dict[str, int]
    cases: dict[str, int]
    referrals: dict[str, int]  # case name -> its referral; also "draft" and "unscreened"
    meetings: dict[str, int]
    application: int
    panels: dict[str, int]
    restriction: int
    grant: int
    alert: int  # the coordinator's alert on the grant's case that asks only to be seen
    notification: int  # the coordinator's notification of a referral waiting for screening
    references: dict[str, str] = field(default_factory=dict)
    actions: dict[str, int] = field(default_factory=dict)
    approved_meeting: int = 0  # a meeting of the home panel with approved minutes (issue 21)
    extract: int = 0  # the coordinator's extract of the home panel, made (issue 20)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path) -> Iterator[World]:
    directory = tmp_path_factory.mktemp("matrix")
    shutil.copy(migrated_sqlite, directory / "test.db")
    app = create_app(make_settings(directory))
    accounts = Accounts(app)
    for name, agency in ORGANISATIONS.items():
        accounts.organisation_id(name, agency)
    users = {
        key: accounts.user(m.email, organisation=m.organisation, role=m.global_role, name=key).id
        for key, m in MEMBERS.items()
    }
    with app.test_request_context():
        built = _build(users)
        db.session.commit()
    built.app = app
    built.accounts = accounts  # type: ignore[attr-defined]
    yield built
    with app.app_context():
        db.engine.dispose()


def _build(users: dict[str, int]) -> World:
    organisation = {o.name: o for o in db.session.scalars(select(Organisation))}
    panels = {
        "home": make_panel("Ashcombe"),
    }
    home = panels["home"]
    panels["channel"] = make_panel("Ashcombe", PanelType.CHANNEL, area_obj=home.area)
    panels["away"] = make_panel("Brindle")
    panels["cmarac"] = make_panel("Ashcombe", PanelType.COMMUNITY_MARAC, area_obj=home.area)
    for key, member in MEMBERS.items():
        user = db.session.get_one(User, users[key])
        for panel_key, role in member.roles.items():
            sign_isp(panels[panel_key], user.organisation_id)
            db.session.add(PanelMembership(panel=panels[panel_key], user=user, role=role))
        for area in member.areas:
            by_area = {p.area.name: p.area for p in panels.values()}
            db.session.add(ManagerArea(user_id=user.id, area=by_area[area]))
    db.session.flush()
    # R1: Health withdrew yesterday; Schools' review date passed yesterday.
    for agreement_signatory in sign_isp(home).signatories:
        name = agreement_signatory.organisation.name
        if name == "Health":
            agreement_signatory.withdrawn_on = TODAY - timedelta(days=1)
        if name == "Schools":
            agreement_signatory.review_on = TODAY - timedelta(days=1)
    meetings = {
        key: panel_services.schedule_meeting(
            actor=None, panel=panels[panel_key], held_on=TODAY + timedelta(days=7 + i)
        )
        for i, (key, panel_key) in enumerate(MEETINGS.items())
    }
    for key, member in MEMBERS.items():
        for meeting_key in member.declared:
            db.session.add(
                ConfidentialityDeclaration(
                    meeting_id=meetings[meeting_key].id, user_id=users[key], statement_version="1"
                )
            )
    db.session.flush()

    by_key = {key: db.session.get_one(User, users[key]) for key in users}
    referrer_for = {"Council": by_key["coordinator"], "Housing": by_key["housing_rep"]}
    victim_person: Person | None = None
    restriction: CaseRestriction | None = None
    grant: BreakGlassGrant | None = None
    cases: dict[str, int] = {}
    referral_ids: dict[str, int] = {}
    for number, (name, facts) in enumerate(CASES.items()):
        if facts.referring_agency is None:
            case = case_services.open_case(
                actor=None, panel=panels[facts.panel], opened_on=TODAY, summary="Synthetic"
            )
            assert victim_person is not None
            db.session.add(CasePerson(case=case, person=victim_person, role=CaseRole.VICTIM))
        else:
            people = [victim(*VICTIM_NAME, VICTIM_BORN), perpetrator("Tobin", f"Sharrock{number}")]
            if name == "referred_by_housing":
                people.append(person("child", *CHILD_NAME, date(2019, 4, 2)))
            answers = marac_answers(referred_on=TODAY, people=people)
            answers[FormSection.RISK]["items"][4]["comment"] = HEALTH_CANARY  # DASH 5
            referral = submitted(referrer_for[facts.referring_agency], panels[facts.panel], answers)
            matches = [victim_person.id if victim_person else None] + [None] * (len(people) - 1)
            accepted = referrals.accept_referral(
                referral, actor=by_key["coordinator"], matches=matches, today=TODAY
            )
            victim_person = victim_person or accepted.people[0]
            case = accepted.case
            if facts.meeting:
                referrals.list_for_meeting(
                    referral, actor=by_key["coordinator"], meeting=meetings[facts.meeting]
                )
            referral_ids[name] = referral.id
        for holder in facts.emergency_access:
            grant = BreakGlassGrant(
                case_id=case.id,
                user_id=users[holder],
                reason_code=BreakGlassReason.IMMEDIATE_RISK,
                started_at=utcnow(),
                expires_at=utcnow() + timedelta(days=2),  # outlasts the module's tests
                data_key=case.data_key,
                reason="Synthetic emergency",
            )
            db.session.add(grant)
        if facts.restricted_against:
            restriction = CaseRestriction(
                case_id=case.id,
                organisation_id=organisation[facts.restricted_against].id,
                placed_by_id=users["coordinator"],
            )
            db.session.add(restriction)
        db.session.flush()
        cases[name] = case.id
    draft = referrals.start_referral(actor=by_key["housing_rep"], panel=home)
    referrals.save_section(
        draft,
        actor=by_key["housing_rep"],
        section=FormSection.PEOPLE,
        data={"people": [victim("Ilse", "Varnham")]},
    )
    unscreened = submitted(
        by_key["youth_rep"],
        home,
        marac_answers(referred_on=TODAY, people=[victim("Ilse", "Varnham"), perpetrator()]),
    )
    referral_ids |= {"draft": draft.id, "unscreened": unscreened.id}
    application = asb_services.receive_application(
        actor=by_key["coordinator"],
        panel=panels["cmarac"],
        details=asb_services.ApplicationDetails(
            received_on=TODAY,
            applicant=Applicant.VICTIM,
            applicant_name="Synthetic Applicant",
            applicant_contact="01632 960000",
            victim_name="",
            victim_consented=False,
            description="Synthetic noise complaint",
        ),
    )
    db.session.flush()

    assert restriction is not None
    assert grant is not None
    alert = CaseAlert(
        recipient_id=users["coordinator"], case_id=grant.case_id, kind=AlertKind.SUBJECT_ACCESS
    )
    db.session.add(alert)
    notification = Notification(
        recipient_id=users["coordinator"],
        event=Event.REFERRAL_WAITING,
        panel_name=home.name,
        reference="R-1",
        link="/referrals",
        choice=Choice.APP,
    )
    db.session.add(notification)
    db.session.flush()
    actions = {}
    for action_name, (case_name, owner) in ACTIONS.items():
        owned = db.session.get_one(Case, cases[case_name])
        action = CaseAction(
            case=owned,
            panel_id=owned.panel_id,
            data_key=owned.data_key,
            owner_agency_id=organisation[owner].id,
            due_on=TODAY + timedelta(days=14),
            agreed_by_id=users["coordinator"],
            description=f"Synthetic action for {owner}",
        )
        db.session.add(action)
        db.session.flush()
        actions[action_name] = action.id
    references = {
        name: db.session.get_one(Case, case_id).reference for name, case_id in cases.items()
    }
    approved = panel_services.schedule_meeting(
        actor=None, panel=home, held_on=TODAY - timedelta(days=3)
    )
    minutes = meeting_services.save_minutes(
        approved,
        actor=by_key["coordinator"],
        seen=0,
        general="Synthetic minutes",
        cases={},
        today=TODAY,
    )
    # Approved as the chair would (the approval itself: tests/cases/meetings/test_minutes).
    minutes.status = MinutesStatus.APPROVED
    minutes.approved_by_id, minutes.approved_at = users["coordinator"], utcnow()
    # The coordinator's extract of the home panel, as the job leaves it (made: test_extracts).
    extract = Extract(
        data_key=key_store().new_key(KeyPurpose.EXTRACT),
        requested_by_id=users["coordinator"],
        panel_ids=[home.id],
        file_format=ExtractFormat.CSV,
        status=ExtractStatus.READY,
        expires_at=utcnow() + timedelta(days=2),
        file_name="referrals-extract.csv",
        size_bytes=len(b"Referral\r\n"),
    )
    db.session.add(extract)
    db.session.flush()
    db.session.add(
        ExtractPart(
            data_key=extract.data_key, extract_id=extract.id, sequence=1, content=b"Referral\r\n"
        )
    )
    return World(
        app=None,  # type: ignore[arg-type]
        users=users,
        cases=cases,
        referrals=referral_ids,
        meetings={key: m.id for key, m in meetings.items()},
        application=application.id,
        panels={key: p.id for key, p in panels.items()},
        restriction=restriction.id,
        grant=grant.id,
        alert=alert.id,
        notification=notification.id,
        references=references,
        actions=actions,
        approved_meeting=approved.id,
        extract=extract.id,
    )


@pytest.fixture(scope="module")
def clients(world: World) -> dict[str, FlaskClient]:
    """A signed-in client for every member of the world."""
    accounts: Accounts = world.accounts  # type: ignore[attr-defined]
    signed: dict[str, FlaskClient] = {}
    for key, member in MEMBERS.items():
        with world.app.app_context():
            limiter.reset()
        client = world.app.test_client()
        page = client.get("/sign-in")
        client.post(
            "/sign-in",
            data={"csrf_token": csrf_token(page.text), "email": member.email, "password": PASSWORD},
        )
        page = client.get("/sign-in/security-code")
        response = client.post(
            "/sign-in/security-code",
            data={"csrf_token": csrf_token(page.text), "code": accounts.code(member.email)},
        )
        assert response.status_code == 302, (key, response.text[:300])
        signed[key] = client
    return signed


def _rules() -> list[Rule]:
    from tests.routes import RULES

    return RULES


def _marker(app: Flask, rule: Rule) -> object:
    return getattr(app.view_functions[rule.endpoint], ACCESS_MARKER, None)


def test_every_route_naming_an_object_is_in_the_matrix(world: World) -> None:
    """R14: a signed-in route with an id is either classified here or decided by a global
    permission; a new page cannot slip past the matrix."""
    unclassified = [
        rule.endpoint
        for rule in _rules()
        if any(a.endswith("_id") for a in rule.arguments)
        and _marker(world.app, rule) in (SIGNED_IN,)
        and rule.endpoint not in ROUTES
    ]
    assert unclassified == []


def _url(rule: Rule, **ids: int | str) -> str:
    from tests.routes import url_for_rule

    values = {name: str(value) for name, value in ids.items() if name in rule.arguments}
    if "section" in rule.arguments:
        values["section"] = "about"
    if "role" in rule.arguments:
        values["role"] = "victim"
    return url_for_rule(rule, **values)


def _answer(client: FlaskClient, method: str, url: str) -> int:
    return _respond(client, method, url).status_code


def _respond(client: FlaskClient, method: str, url: str) -> TestResponse:
    if method == "GET":
        return client.get(url)
    token = csrf_token(client.get("/account").text)
    return client.post(url, data={"csrf_token": token})


def _success(endpoint: str, method: str, name: str) -> Success:
    return SUCCESS_FOR_OBJECT.get((endpoint, method, name)) or SUCCESS[(endpoint, method)]


@contextmanager
def _put_back_afterwards(world: World) -> Iterator[None]:
    """Let a request change the shared world, then restore the database as it was before."""
    with world.app.app_context():
        database = Path(str(db.engine.url.database))
        db.engine.dispose()
    saved = database.with_name("before-change.db")
    _copy_database(database, saved)
    try:
        yield
    finally:
        with world.app.app_context():
            db.engine.dispose()
        _copy_database(saved, database)


def _copy_database(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(source)) as origin, closing(sqlite3.connect(target)) as copy:
        origin.backup(copy)


def _object_cases() -> Iterator[tuple[str, str, str, str, bool]]:
    """(endpoint, method, member, object, expected allowed) for every classified route."""
    for endpoint, kind in ROUTES.items():
        for member_key, member in MEMBERS.items():
            for name, allowed in _objects(kind, member):
                for method in _methods(endpoint):
                    yield endpoint, method, member_key, name, allowed


def _methods(endpoint: str) -> list[str]:
    rule = next(r for r in _rules() if r.endpoint == endpoint)
    return [method for method in ("GET", "POST") if method in (rule.methods or ())]


def _objects(kind: str, member: Member) -> Iterator[tuple[str, bool]]:
    if kind == CASE_VIEW:
        yield from ((name, Expect.sees_case(member, name)) for name in CASES)
    elif kind == CASE_COORDINATE:
        yield from ((name, Expect.coordinates_case(member, name)) for name in CASES)
    elif kind == CASE_RESTRICTION:
        yield from ((name, Expect.lifts_restriction(member, name)) for name in CASES)
    elif kind == CASE_PLAN:
        yield from ((name, Expect.plans_case(member, name)) for name in CASES)
    elif kind == CASE_RESEARCH:
        for name, facts in CASES.items():
            listed = facts.meeting is not None and Expect.sees_agenda(member, facts.meeting)
            yield name, listed and Expect.sees_case(member, name)
    elif kind == ACTION_REPORT:
        yield from ((name, Expect.reports_on_action(member, name)) for name in ACTION_NAMES)
    elif kind == ACTION_COORDINATE:
        for name in ACTION_NAMES:
            panel = CASES[ACTIONS[name][0]].panel if name in ACTIONS else "home"
            coordinates = Expect.role(member, panel) is PanelRole.COORDINATOR
            yield name, coordinates and Expect.reports_on_action(member, name)
    elif kind.startswith("referral:"):
        yield from ((name, _referral_allowed(kind, member, name)) for name in _referral_names())
    elif kind == MEETING_VIEW:
        yield from ((name, Expect.sees_meeting(member, name)) for name in MEETINGS)
    elif kind == MEETING_AGENDA:
        yield from ((name, Expect.sees_agenda(member, name)) for name in MEETINGS)
    elif kind == MEETING_APPROVED_MINUTES:
        yield "m1", False
        runs = Expect.role(member, "home") in (PanelRole.COORDINATOR, PanelRole.CHAIR)
        yield "approved", runs
    elif kind == MEETING_COORDINATE:
        for name in MEETINGS:
            yield name, Expect.role(member, MEETINGS[name]) is PanelRole.COORDINATOR
    elif kind in (MEETING_RUN, MEETING_AGENDA_RUN):
        for name in MEETINGS:
            runs = Expect.role(member, MEETINGS[name]) in (PanelRole.COORDINATOR, PanelRole.CHAIR)
            yield name, runs and (kind == MEETING_RUN or Expect.sees_agenda(member, name))
    elif kind == APPLICATION_VIEW:
        yield "application", Expect.role(member, "cmarac") is not None
    elif kind == GRANT_HOLDER:
        yield "grant", member is MEMBERS["youth_rep"]
    elif kind == GRANT_REVIEW:
        yield "grant", Expect.coordinates_case(member, "unlisted")
    elif kind == ALERT_RECIPIENT:
        allowed = member is MEMBERS["coordinator"] and Expect.coordinates_case(member, "unlisted")
        yield "alert", allowed
    elif kind == PANEL_MEMBER:
        yield from ((name, Expect.reads_panel(member, name)) for name in PANELS)
    elif kind == PANEL_REPORTS:
        yield from ((name, Expect.reports_on_panel(member, name)) for name in PANELS)
    elif kind == EXTRACT_REQUESTER:
        yield "extract", member is MEMBERS["coordinator"]
    elif kind == NOTIFICATION_RECIPIENT:
        yield "notification", member is MEMBERS["coordinator"]


def _referral_names() -> list[str]:
    return [name for name, facts in CASES.items() if facts.referring_agency] + [
        "draft",
        "unscreened",
    ]


REFERRERS = {"draft": "housing_rep", "unscreened": "youth_rep"}
# Allowed requests that succeed and so change the world the other combinations rely on
# (withdrawing a referral, accepting a statement, lifting the restriction, ending a grant): the
# matrix checks their answer and then puts the world back; what they change is tested in
# test_referral_pages, test_declarations, test_restrictions and test_break_glass.
CHANGES_THE_WORLD = {
    ("referrals.withdraw", "draft"),
    ("referrals.withdraw", "unscreened"),
    "meetings.declaration",
    "restrictions.lift",
    "break_glass.end",
}


def _referral_allowed(kind: str, member: Member, name: str) -> bool:
    """Before screening: the referrer on the panel, and coordinators once sent. In a case:
    whoever sees the case as coordinator or chair, or its referrer while on the panel."""
    referrer_key = REFERRERS.get(name) or (
        "coordinator" if CASES[name].referring_agency == "Council" else "housing_rep"
    )
    is_referrer = MEMBERS[referrer_key] is member
    role = Expect.role(member, "home")
    if name in REFERRERS:
        visible = (is_referrer and role is not None) or (
            name == "unscreened" and role is PanelRole.COORDINATOR
        )
    else:
        visible = Expect.sees_case(member, name) and (
            role in (PanelRole.COORDINATOR, PanelRole.CHAIR) or (is_referrer and role is not None)
        )
    if kind == REFERRAL_VIEW:
        return visible
    if kind == REFERRAL_OWN_DRAFT:
        return visible and is_referrer and name == "draft"
    if kind == REFERRAL_REFERRER:
        return visible and is_referrer
    return visible and role is PanelRole.COORDINATOR  # screening, listing, hearing


def _ids(world: World, kind: str, name: str) -> dict[str, int | str]:
    if kind in (ACTION_REPORT, ACTION_COORDINATE):
        if name == "mismatched":
            case = world.cases["referred_by_housing"]
            return {"case_id": case, "action_id": world.actions["housing_action"]}
        return {"case_id": world.cases[ACTIONS[name][0]], "action_id": world.actions[name]}
    if kind == CASE_RESEARCH:
        # A case on no agenda is asked for under the first meeting's id.
        meeting = CASES[name].meeting or "m1"
        return {"case_id": world.cases[name], "meeting_id": world.meetings[meeting]}
    if kind.startswith("case:"):
        return {"case_id": world.cases[name], "restriction_id": world.restriction}
    if kind.startswith("referral:"):
        return {"referral_id": world.referrals[name], "number": 1}
    if kind.startswith("meeting:"):
        meeting = world.approved_meeting if name == "approved" else world.meetings[name]
        return {"meeting_id": meeting}
    if kind.startswith("grant:"):
        return {"grant_id": world.grant}
    if kind == ALERT_RECIPIENT:
        return {"alert_id": world.alert}
    if kind.startswith("panel:"):
        return {"panel_id": world.panels[name]}
    if kind == EXTRACT_REQUESTER:
        return {"extract_id": world.extract}
    if kind == NOTIFICATION_RECIPIENT:
        return {"notification_id": world.notification}
    return {"application_id": world.application}


MATRIX = list(_object_cases())


@pytest.mark.parametrize(("endpoint", "method", "member", "name", "allowed"), MATRIX)
def test_access_matrix(
    world: World,
    clients: dict[str, FlaskClient],
    endpoint: str,
    method: str,
    member: str,
    name: str,
    allowed: bool,
) -> None:
    """R5, R15, R17: allowed, with the route's own answer, or the same 404 as for something
    that does not exist."""
    rule = next(r for r in _rules() if r.endpoint == endpoint)
    changes_the_world = (endpoint, name) in CHANGES_THE_WORLD or endpoint in CHANGES_THE_WORLD
    ids = _ids(world, ROUTES[endpoint], name)
    url = _url(rule, **ids)
    if allowed and changes_the_world:
        with _put_back_afterwards(world):
            response = _respond(clients[member], method, url)
    else:
        response = _respond(clients[member], method, url)
    status = response.status_code
    if allowed:
        assert status != 404, (url, status)
        assert status < 500
        answer = (status, response.headers.get("Location"))
        assert answer == _success(endpoint, method, name).answer(ids), (url, answer)
    else:
        assert status == 404, (url, status)


def test_every_route_in_the_matrix_declares_its_success(world: World) -> None:
    """No catch-all: each route and method of ROUTES, and each permission route, states the
    exact answer it gives when allowed, and nothing is declared for a route that is gone."""
    requested = {(endpoint, method) for endpoint in ROUTES for method in _methods(endpoint)}
    assert requested - set(SUCCESS) == set(), "declare these routes' success in SUCCESS"
    assert set(SUCCESS) - requested == set(), "these routes are no longer in ROUTES"
    assert {key[:2] for key in SUCCESS_FOR_OBJECT} <= requested
    permission_routes = {
        rule.endpoint
        for rule in _rules()
        if isinstance(_marker(world.app, rule), Permission) and "GET" in (rule.methods or ())
    }
    assert permission_routes == set(PERMISSION_SUCCESS)


def test_a_missing_object_gets_the_same_answer_as_a_forbidden_one(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    """R15: no existence oracle: an id that names nothing answers as one that is not yours."""
    for endpoint, kind in ROUTES.items():
        rule = next(r for r in _rules() if r.endpoint == endpoint)
        missing = {
            f"{kind.split(':')[0]}_id": 987654,
            "case_id": 987654,
            "referral_id": 987654,
            "meeting_id": 987654,
            "application_id": 987654,
            "restriction_id": 987654,
            "grant_id": 987654,
            "number": 1,
        }
        url = _url(rule, **missing)
        method = "GET" if "GET" in (rule.methods or ()) else "POST"
        assert _answer(clients["coordinator"], method, url) == 404, url


@pytest.mark.parametrize("member", list(MEMBERS))
def test_permission_routes_follow_the_global_role(
    world: World, clients: dict[str, FlaskClient], member: str
) -> None:
    """R14: admin, audit and subject access pages answer 403 to anyone without the role's
    permission, with or without an id, and are never decided by panel membership."""
    role = MEMBERS[member].global_role
    granted = ROLE_PERMISSIONS[role] if role else frozenset()
    for rule in _rules():
        marker = _marker(world.app, rule)
        if not isinstance(marker, Permission) or "GET" not in (rule.methods or ()):
            continue
        url = _url(
            rule,
            panel_id=world.panels["home"],
            user_id=world.users[member],
            organisation_id=1,
            request_id=1,
            membership_id=1,
        )
        status = clients[member].get(url).status_code
        if marker in granted:
            assert status != 403, url
            assert status == PERMISSION_SUCCESS[rule.endpoint], (url, status)
        else:
            assert status == 403, url


@pytest.mark.parametrize("member", list(MEMBERS))
def test_the_case_list_shows_exactly_the_cases_the_member_may_see(
    world: World, clients: dict[str, FlaskClient], member: str
) -> None:
    """R4, R5: the list is the policy's scope, no more (no other panel, no restricted case)."""
    page = clients[member].get("/cases?sort=reference").text
    shown = {name for name, reference in world.references.items() if reference in page}
    assert shown == {name for name in CASES if Expect.sees_case(MEMBERS[member], name)}


@pytest.mark.parametrize("member", list(MEMBERS))
def test_people_search_finds_the_person_only_in_cases_the_member_may_see(
    world: World, clients: dict[str, FlaskClient], member: str
) -> None:
    """R4, R18: one person is in every case; a search finds only the member's cases (a Channel
    subject never appears in a MARAC search, a restricted case never appears at all)."""
    given, family = VICTIM_NAME
    client = clients[member]
    born = [str(part) for part in (VICTIM_BORN.day, VICTIM_BORN.month, VICTIM_BORN.year)]
    response = client.post(
        "/cases",
        data=MultiDict(
            [
                ("csrf_token", csrf_token(client.get("/cases").text)),
                ("given_names", given),
                ("family_name", family),
                *[("date_of_birth", part) for part in born],
            ]
        ),
    )
    assert response.status_code == 200
    page = response.text
    assert "with this person on your panels" in page
    shown = {name for name, reference in world.references.items() if reference in page}
    assert shown == {name for name in CASES if Expect.sees_case(MEMBERS[member], name)}


@pytest.mark.parametrize("member", list(MEMBERS))
def test_reference_search_opens_only_cases_the_member_may_see(
    world: World, clients: dict[str, FlaskClient], member: str
) -> None:
    for name, reference in world.references.items():
        response = clients[member].get(f"/cases?reference={reference}")
        if Expect.sees_case(MEMBERS[member], name):
            assert response.status_code == 302, (name, reference)
        else:
            assert response.status_code == 200
            assert f"No case you can open has the reference {reference}" in response.text


@pytest.mark.parametrize("member", list(MEMBERS))
def test_agendas_show_only_to_coordinators_and_those_who_declared(
    world: World, clients: dict[str, FlaskClient], member: str
) -> None:
    """R3: the agenda's cases appear only after the confidentiality statement is accepted."""
    for meeting, meeting_id in world.meetings.items():
        response = clients[member].get(f"/meetings/{meeting_id}")
        listed = [n for n, f in CASES.items() if f.meeting == meeting]
        if not Expect.sees_meeting(MEMBERS[member], meeting):
            assert response.status_code == 404
            continue
        shown = {n for n in listed if world.references[n] in response.text}
        if Expect.sees_agenda(MEMBERS[member], meeting):
            assert shown == {n for n in listed if Expect.sees_case(MEMBERS[member], n)}
        else:
            assert shown == set()


@pytest.mark.parametrize("member", list(MEMBERS))
def test_the_actions_list_shows_exactly_the_actions_the_member_may_see(
    world: World, clients: dict[str, FlaskClient], member: str
) -> None:
    """R5: an agency lists its own actions; coordinators and chairs may list every agency's
    on their panels; a restricted case's actions never show to that organisation."""
    facts = MEMBERS[member]

    def shown(query: str) -> set[str]:
        page = clients[member].get(f"/actions?showing=all{query}")
        assert page.status_code == 200
        return {name for name, (_, owner) in ACTIONS.items() if f"action for {owner}" in page.text}

    assert shown("") == {
        name
        for name, (_, owner) in ACTIONS.items()
        if owner == facts.organisation and Expect.reports_on_action(facts, name)
    }
    panel_wide = {
        name
        for name, (case, _) in ACTIONS.items()
        if Expect.role(facts, CASES[case].panel) in (PanelRole.COORDINATOR, PanelRole.CHAIR)
        and Expect.reports_on_action(facts, name)
    }
    assert shown("&whose=panels") == panel_wide


def test_the_matrix_is_large_and_covers_both_answers() -> None:
    """Hundreds of combinations, and each kind of route has both allowed and refused ones."""
    assert len(MATRIX) > 500
    for kind in set(ROUTES.values()):
        answers = {allowed for endpoint, _, _, _, allowed in MATRIX if ROUTES[endpoint] == kind}
        assert answers == {True, False}, kind


@pytest.mark.parametrize(
    ("member", "panel", "found"),
    [
        ("coordinator", "home", True),
        ("police_coordinator", "home", False),  # the case is restricted against Police
        ("channel_coordinator", "channel", False),  # another panel's person is never offered
        ("away_coordinator", "away", False),
    ],
)
def test_repeat_matching_never_suggests_a_person_from_a_forbidden_case(
    world: World, member: str, panel: str, found: bool
) -> None:
    """R4, R18: screening suggestions come only from cases the coordinator may see on the
    panel. The restricted case's perpetrator is in no other case (other "Tobin"s born the same
    day may still be offered as possible matches)."""
    number = list(CASES).index("restricted")
    with world.app.test_request_context():
        user = db.session.get_one(User, world.users[member])
        suggestions = suggest_people(
            db.session.get_one(Panel, world.panels[panel]),
            "Tobin",
            f"Sharrock{number}",
            [PERPETRATOR_BORN],
            viewer=policy.viewer_of(user),
        )
        perpetrator_id = db.session.scalar(
            select(CasePerson.person_id).where(
                CasePerson.case_id == world.cases["restricted"],
                CasePerson.role == CaseRole.PERPETRATOR,
            )
        )
        assert (perpetrator_id in {s.person.id for s in suggestions}) is found


# Regressions found by review -------------------------------------------------------------------


def test_r6_dash_answers_of_a_restricted_category_are_withheld_from_the_page(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    """R6: housing (not shown health information) sees the case its agency referred, but not the
    answer or comment of DASH question 5 (depression, suicidal thoughts); the coordinator does."""
    url = f"/cases/{world.cases['referred_by_housing']}"
    housing = clients["housing_rep"].get(url).text
    assert HEALTH_CANARY not in housing
    assert "Restricted: shown only to the agencies" in housing
    assert HEALTH_CANARY in clients["coordinator"].get(url).text


def test_r6_children_are_not_named_in_the_case_list_to_those_not_shown_childrens_details(
    world: World, clients: dict[str, FlaskClient]
) -> None:
    child = " ".join(CHILD_NAME)
    housing = clients["housing_rep"].get("/cases").text
    assert world.references["referred_by_housing"] in housing
    assert child not in housing
    assert "a child" in housing
    assert child in clients["coordinator"].get("/cases").text


def test_a_past_meeting_cannot_be_declared_for_afterwards(world: World) -> None:
    """R3: a declaration opens a meeting's cases, so one made after the meeting would open a
    past agenda to someone who never attended it."""
    with world.app.test_request_context():
        rep = db.session.get_one(User, world.users["housing_rep"])
        past = panel_services.schedule_meeting(
            actor=None,
            panel=db.session.get_one(Panel, world.panels["home"]),
            held_on=TODAY - timedelta(days=30),
        )
        with pytest.raises(DomainError, match="already been held"):
            declarations.accept_confidentiality(
                actor=rep, meeting=past, statement_version=CONFIDENTIALITY_STATEMENT_VERSION
            )
        db.session.rollback()


def test_a_coordinator_cannot_screen_a_referral_into_a_case_closed_to_their_agency(
    world: World,
) -> None:
    """Staff as subject: a new referral about the restricted case's victim and perpetrator is
    refused to the Police coordinator (without naming the case), so it cannot reach the case."""
    number = list(CASES).index("restricted")
    with world.app.test_request_context():
        coordinator = db.session.get_one(User, world.users["police_coordinator"])
        referral = submitted(
            db.session.get_one(User, world.users["coordinator"]),
            db.session.get_one(Panel, world.panels["home"]),
            marac_answers(
                referred_on=TODAY,
                people=[
                    victim(*VICTIM_NAME, VICTIM_BORN),
                    perpetrator("Tobin", f"Sharrock{number}"),
                ],
            ),
        )
        restricted = db.session.get_one(Case, world.cases["restricted"])
        matches = [
            p.person_id for p in sorted(restricted.people, key=lambda p: p.role != CaseRole.VICTIM)
        ]
        with pytest.raises(DomainError, match="ask a coordinator from another agency") as refused:
            referrals.accept_referral(referral, actor=coordinator, matches=matches, today=TODAY)
        assert restricted.reference not in str(refused.value)
        db.session.rollback()


def test_meeting_counts_leave_out_cases_closed_to_the_coordinators_agency(world: World) -> None:
    with world.app.test_request_context():
        counts = {
            member: {
                meeting.id: n
                for meeting, n in meeting_queries.meetings_for(
                    db.session.get_one(User, world.users[member]), since=TODAY
                )
            }
            for member in ("coordinator", "police_coordinator")
        }
    m1 = world.meetings["m1"]
    assert (counts["coordinator"][m1], counts["police_coordinator"][m1]) == (2, 1)


def test_r19_emergency_access_is_not_renewed_before_the_last_grant_is_reviewed(
    world: World,
) -> None:
    """Otherwise a grant renewed hour after hour would become lasting access."""
    with world.app.test_request_context():
        holder = db.session.get_one(User, world.users["youth_rep"])
        case = db.session.get_one(Case, world.cases["unlisted"])
        with pytest.raises(DomainError, match="not been reviewed yet"):
            break_glass.start(
                actor=holder,
                case=case,
                reason_code=BreakGlassReason.IMMEDIATE_RISK,
                reason="Synthetic urgent safeguarding need",
                now=utcnow(),
            )
        db.session.rollback()


def test_a_transfer_gives_the_sending_agency_no_standing_on_the_receiving_panel(
    world: World,
) -> None:
    """R5, R19: after a transfer, a representative of the sending coordinator's agency (Council)
    on the receiving panel sees the case only as any other representative would: not at all,
    since Housing, not Council, referred it."""
    with world.app.test_request_context():
        coordinator = db.session.get_one(User, world.users["coordinator"])
        away = db.session.get_one(Panel, world.panels["away"])
        council_rep = db.session.scalar(select(User).where(User.email == "rep-away@m.example"))
        assert council_rep is not None
        case = db.session.get_one(Case, world.cases["referred_by_housing"])
        referrals.transfer_case(
            case,
            actor=coordinator,
            to_panel=away,
            transferred_on=TODAY,
            reason="Synthetic move to another area",
            lawful_basis=LawfulBasis.PUBLIC_TASK_SAFEGUARDING,
            consent=ConsentStatus.NOT_SOUGHT_UNSAFE,
            agreements={case.referrals[0].referring_agency_id: True},
        )
        db.session.flush()
        policy.forget_cached_viewer()
        visible = db.session.scalar(
            select(Case.id).where(
                Case.id == case.id, policy.case_scope(policy.viewer_of(council_rep))
            )
        )
        assert visible is None
        db.session.rollback()


@pytest.mark.parametrize("member", sorted(MEMBERS))
def test_the_joined_referral_scope_gives_everyone_the_same_referrals(
    world: World, member: str
) -> None:
    """`referral_scope_with_case` (read from each referral's outer-joined case, as a national
    extract reads them) and `referral_scope` (a subquery of the viewer's cases) are one rule:
    the same referrals for every member of the world, drafts, unscreened, restricted, granted
    and transferred ones included."""
    with world.app.test_request_context():
        viewer = policy.viewer_of(db.session.get_one(User, world.users[member]))
        by_subquery = set(
            db.session.scalars(select(Referral.id).where(policy.referral_scope(viewer)))
        )
        joined = set(
            db.session.scalars(
                select(Referral.id)
                .outerjoin(Case, Case.id == Referral.case_id)
                .where(policy.referral_scope_with_case(viewer))
            )
        )
        assert joined == by_subquery
        every = set(db.session.scalars(select(Referral.id)))
        assert by_subquery <= every
