"""Every page that shows case or person data writes exactly one read event (domain R9, DPA 2018
s62; issue 26).

The pages come from the route map: every signed-in page (a GET) is either in READS, with the
event it must write and who of the access matrix's world opens it, or in EXEMPT, with why it
shows no case or person data. A new page fails `test_every_signed_in_page_is_classified` until
it is put in one or the other, so no one has to remember to add it here.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select

from app.accounts.models import GlobalRole
from app.accounts.models import User
from app.database import Base
from app.database import db
from app.database import uk_today
from app.security import ACCESS_MARKER
from app.security import PUBLIC
from audit.models import AuditAction
from audit.models import AuditEvent
from cases.asb.models import CaseReviewApplication
from cases.break_glass.models import BreakGlassGrant
from cases.break_glass.models import BreakGlassReason
from cases.models import Case
from cases.models import CaseRole
from cases.referrals.models import Referral
from cases.reports.models import Extract
from cases.subject_access import services as subject_access
from cases.subject_access.models import Regime
from cases.subject_access.models import SubjectAccessRequest
from cases.subject_access.services import RequestDetails
from panels.models import Meeting
from panels.models import Panel
from tests.conftest import Accounts
from tests.invariants.test_access_matrix import CASES
from tests.invariants.test_access_matrix import World
from tests.invariants.test_access_matrix import clients  # noqa: F401  (fixture)
from tests.invariants.test_access_matrix import world  # noqa: F401  (fixture)
from tests.referral_fixtures import PERPETRATOR_BORN
from tests.routes import RULES
from tests.routes import url_for_rule

# The matrix's coordinator sees the first case; its referral is the one withheld from the
# subject access request about the case's alleged perpetrator.
CASE = "listed"


@dataclass(frozen=True)
class Read:
    """The event a page writes: its action, and the object it names (a model, and which of
    the URL's arguments is its id), or none for a list or a search."""

    action: AuditAction
    reader: str  # a member of the matrix's world who may open the page
    url: dict[str, str] = field(default_factory=dict)  # URL argument -> name in `objects`
    names: tuple[type[Base], str] | None = None


def _case(action: AuditAction, reader: str = "coordinator") -> Read:
    return Read(action, reader, {"case_id": "case"}, (Case, "case_id"))


def _referral(reader: str, referral: str) -> Read:
    return Read(
        AuditAction.REFERRAL_VIEWED, reader, {"referral_id": referral}, (Referral, "referral_id")
    )


def _sar(action: AuditAction, **url: str) -> Read:
    return Read(
        action, "auditor", {"request_id": "request", **url}, (SubjectAccessRequest, "request_id")
    )


def _review(action: AuditAction) -> Read:
    url = {"application_id": "application"}
    return Read(action, "coordinator", url, (CaseReviewApplication, "application_id"))


READS: dict[str, Read] = {
    "cases.index": Read(AuditAction.CASE_LIST_VIEWED, "coordinator"),
    "cases.show": _case(AuditAction.CASE_VIEWED),
    "cases.access_log_page": _case(AuditAction.CASE_ACCESS_LOG_VIEWED),
    "restrictions.index": _case(AuditAction.CASE_RESTRICTIONS_VIEWED),
    "sharing.log": _case(AuditAction.SHARING_LOG_VIEWED),
    # Lists the case's open actions that the transfer would close, as they are worded.
    "referrals.transfer": _case(AuditAction.CASE_VIEWED),
    "actions.index": Read(AuditAction.ACTIONS_LIST_VIEWED, "coordinator"),
    # The read names the case the action belongs to (and the action among its changes).
    "actions.show": Read(
        AuditAction.ACTION_VIEWED,
        "coordinator",
        {"case_id": "case", "action_id": "action"},
        (Case, "case_id"),
    ),
    "referrals.index": Read(AuditAction.REFERRAL_LIST_VIEWED, "coordinator"),
    "referrals.show": _referral("coordinator", "referral"),
    "referrals.screen": _referral("coordinator", "unscreened"),
    "referrals.people": _referral("housing_rep", "draft"),
    "referrals.section": _referral("housing_rep", "draft"),
    "referrals.check": _referral("housing_rep", "draft"),
    "meetings.show": Read(
        AuditAction.MEETING_VIEWED,
        "coordinator",
        {"meeting_id": "meeting"},
        (Meeting, "meeting_id"),
    ),
    # The agenda as the coordinator builds it, with the cases due for review (issue 21).
    "meetings.agenda": Read(
        AuditAction.MEETING_VIEWED,
        "coordinator",
        {"meeting_id": "meeting"},
        (Meeting, "meeting_id"),
    ),
    # The minutes (in draft for the coordinator), their drafting page and the actions extract.
    "meetings.minutes": Read(
        AuditAction.MINUTES_VIEWED,
        "coordinator",
        {"meeting_id": "meeting"},
        (Meeting, "meeting_id"),
    ),
    "meetings.draft_minutes": Read(
        AuditAction.MINUTES_VIEWED,
        "coordinator",
        {"meeting_id": "meeting"},
        (Meeting, "meeting_id"),
    ),
    "meetings.minutes_actions": Read(
        AuditAction.MINUTES_EXTRACT_VIEWED,
        "coordinator",
        {"meeting_id": "meeting"},
        (Meeting, "meeting_id"),
    ),
    # The meeting's PDF packs: each download is one event naming the meeting (R9). Minutes have
    # a pack once approved: the world's meeting held three days ago has (tests/cases/meetings/
    # test_packs).
    "meetings.agenda_pdf": Read(
        AuditAction.MEETING_PACK_PRINTED,
        "coordinator",
        {"meeting_id": "meeting"},
        (Meeting, "meeting_id"),
    ),
    "meetings.minutes_pdf": Read(
        AuditAction.MEETING_PACK_PRINTED,
        "coordinator",
        {"meeting_id": "approved_minutes"},
        (Meeting, "meeting_id"),
    ),
    "meetings.actions_pdf": Read(
        AuditAction.MEETING_PACK_PRINTED,
        "coordinator",
        {"meeting_id": "meeting"},
        (Meeting, "meeting_id"),
    ),
    # Every agency's research on a listed case, for the coordinator (issue 21, R7).
    "meetings.research": Read(
        AuditAction.RESEARCH_VIEWED,
        "coordinator",
        {"meeting_id": "meeting", "case_id": "case"},
        (Meeting, "meeting_id"),
    ),
    # The action as it is worded, beside the form that moves its due date.
    "actions.due_date": Read(
        AuditAction.ACTION_VIEWED,
        "coordinator",
        {"case_id": "case", "action_id": "action"},
        (Case, "case_id"),
    ),
    "asb.index": Read(AuditAction.CASE_REVIEW_LIST_VIEWED, "coordinator"),
    "asb.show": _review(AuditAction.CASE_REVIEW_VIEWED),
    # Offers the application's incidents, as they are described, to add a complaint to.
    "asb.add_complaint": _review(AuditAction.CASE_REVIEW_VIEWED),
    # Counts only, but recorded as any page of the case reviews is.
    "asb.figures": Read(AuditAction.CASE_REVIEW_FIGURES_VIEWED, "coordinator"),
    "break_glass.alerts": Read(AuditAction.ALERTS_VIEWED, "coordinator"),
    "break_glass.review": Read(
        AuditAction.ALERTS_VIEWED,
        "coordinator",
        {"grant_id": "grant"},
        (BreakGlassGrant, "grant_id"),
    ),
    # A request for emergency access beyond the limits, with its sealed reason.
    "break_glass.decide": Read(
        AuditAction.ALERTS_VIEWED,
        "coordinator",
        {"grant_id": "request_for_access"},
        (BreakGlassGrant, "grant_id"),
    ),
    "subject_access.index": Read(AuditAction.SUBJECT_ACCESS_LIST_VIEWED, "auditor"),
    "subject_access.show": _sar(AuditAction.SUBJECT_ACCESS_VIEWED),
    "subject_access.bundle": _sar(AuditAction.SUBJECT_ACCESS_BUNDLE_VIEWED),
    # Says in which case the requester is the alleged perpetrator.
    "subject_access.disclosure": _sar(AuditAction.SUBJECT_ACCESS_VIEWED, referral_id="referral"),
    # Who read and changed which case: the trail is itself about people.
    "audit.events": Read(AuditAction.AUDIT_LOG_VIEWED, "auditor"),
    "audit.export": Read(AuditAction.AUDIT_LOG_EXPORTED, "auditor"),
    # Counts only, but each view and export of a panel's figures is recorded with its filters.
    "reports.repeat_rate": Read(
        AuditAction.REPORT_VIEWED, "coordinator", {"panel_id": "panel"}, (Panel, "panel_id")
    ),
    "reports.export": Read(
        AuditAction.REPORT_EXPORTED, "coordinator", {"panel_id": "panel"}, (Panel, "panel_id")
    ),
    "reports.repeat_rates": Read(AuditAction.REPORT_VIEWED, "coordinator"),
    "reports.repeat_rates_export": Read(AuditAction.REPORT_EXPORTED, "coordinator"),
    "reports.safelives": Read(
        AuditAction.REPORT_VIEWED, "coordinator", {"panel_id": "panel"}, (Panel, "panel_id")
    ),
    "reports.safelives_export": Read(
        AuditAction.REPORT_EXPORTED, "coordinator", {"panel_id": "panel"}, (Panel, "panel_id")
    ),
    # A referral-level extract holds referrals and, if asked for, names: each download is
    # recorded with what it holds (issue 20, R9).
    "reports.extract_download": Read(
        AuditAction.REPORT_EXTRACT_DOWNLOADED,
        "coordinator",
        {"extract_id": "extract"},
        (Extract, "extract_id"),
    ),
}

# Signed-in pages that show no case or person data, each with what it shows instead.
EXEMPT: dict[str, str] = {
    "panels.home": "the user's own panels and memberships",
    "panels.show": "a panel's settings, protocol and members (staff, not case records)",
    "auth.account": "the user's own account and sign-in activity",
    "auth.change_password": "a form about the user's own account",
    "auth.new_recovery_codes": "a form about the user's own account",
    "referrals.start": "a form choosing one of the user's panels",
    "referrals.add_person": "an empty form; the draft only by its reference",
    "actions.new": "an empty form; the case only by its reference",
    "meetings.index": "the calendar: dates, panels and how many cases each meeting lists",
    "meetings.list_referral": "a choice of meeting dates; the referral only by its reference",
    "meetings.attendance": "the panel's members and who attended: staff, no case or person",
    "meetings.interests": "the agenda's cases by reference only; the agenda read is recorded",
    "asb.new": "an empty form",
    "break_glass.start": "an empty form, and the user's own requests by case reference",
    "subject_access.new": "an empty form",
    # Administration: staff accounts, organisations and the set-up of panels, each change of
    # which is audited; no case or person record.
    "accounts.index": "administration",
    "accounts.organisations": "administration",
    "accounts.new_organisation": "administration",
    "accounts.edit_organisation": "administration",
    "accounts.users": "administration",
    "accounts.new_user": "administration",
    "accounts.show_user": "administration",
    "accounts.edit_user": "administration",
    "panels.admin_list": "administration",
    "panels.new_panel": "administration",
    "panels.admin_show": "administration",
    "panels.edit_panel": "administration",
    "panels.panel_settings": "administration",
    "panels.isp_register": "administration",
    "panels.add_isp_version": "administration",
    "panels.add_isp_signatory": "administration",
    "panels.renew_isp_signatory": "administration",
    "panels.sign_isp_again": "administration",
    "panels.withdraw_isp_signatory": "administration",
    "reports.index": "the names of the panels whose figures the user may see",
    "reports.board_pack": "a choice of area and quarter for a board pack",
    # Counts only, as the reports; each print is recorded with its area, quarter and panels
    # (tests/cases/reports/test_board_pack.py), but it needs a chosen area to answer at all.
    "reports.board_pack_pdf": "an area's figures, counts only, suppressed",
    "reports.manager_areas": "administration",
    # The extract's own request is recorded with its filters when asked for (test_extracts).
    "reports.extracts": "the user's own extracts: what each holds and its progress, no rows",
    "reports.extract_new": "the choice of panels, dates and format for an extract",
    "notifications.index": "the user's own notifications: an event, a panel, a reference",
    "notifications.settings": "the user's own choice of how each kind of event reaches them",
    "notifications.deliveries": "the email delivery log: staff addresses, kinds and statuses",
    "reports.extract": "an extract's progress and what it holds, no rows",
}
# Arguments that name no object: the value every page is opened with.
FIXED_ARGUMENTS = {"section": "about", "role": "victim"}


@pytest.fixture(scope="module")
def objects(world: World) -> dict[str, int]:  # noqa: F811
    """The ids of the objects the pages are opened on: the matrix's world, a subject access
    request about the first case's alleged perpetrator, its bundle approved by a second auditor,
    and a request for emergency access beyond the limits awaiting the coordinator's decision."""
    accounts: Accounts = world.accounts  # type: ignore[attr-defined]
    approver = accounts.user("second-auditor@m.example", role=GlobalRole.AUDITOR).id
    with world.app.test_request_context():
        auditor = db.session.get_one(User, world.users["auditor"])
        request = subject_access.receive_request(
            actor=auditor,
            details=RequestDetails(
                received_on=uk_today(),
                regime=Regime.UK_GDPR,
                requester_name="Synthetic Requester",
                requester_contact="1 Synthetic Row",
                identity_evidence="",
                subject_given_names="Tobin",
                subject_family_name="Sharrock0",
                subject_date_of_birth=PERPETRATOR_BORN,
            ),
            today=uk_today(),
        )
        case = db.session.get_one(Case, world.cases[CASE])
        perpetrators = [p.person for p in case.people if p.role is CaseRole.PERPETRATOR]
        subject_access.confirm_subjects(request, actor=auditor, people=perpetrators)
        subject_access.approve_bundle(request, actor=db.session.get_one(User, approver))
        unlisted = db.session.get_one(Case, world.cases["unlisted"])
        request_for_access = BreakGlassGrant(
            case=unlisted,
            data_key=unlisted.data_key,
            user=db.session.get_one(User, world.users["housing_rep"]),
            reason_code=BreakGlassReason.IMMEDIATE_RISK,
            approval_needed=True,
            reason="Synthetic emergency beyond the limits",
        )
        db.session.add(request_for_access)
        db.session.commit()
        request_id, request_for_access_id = request.id, request_for_access.id
    return {
        "case": world.cases[CASE],
        "action": world.actions["housing_action"],
        "referral": world.referrals[CASE],
        "draft": world.referrals["draft"],
        "unscreened": world.referrals["unscreened"],
        "meeting": world.meetings[CASES[CASE].meeting or ""],
        "application": world.application,
        "grant": world.grant,
        "request": request_id,
        "request_for_access": request_for_access_id,
        "panel": world.panels["home"],
        "approved_minutes": world.approved_meeting,
        "extract": world.extract,
    }


def test_every_signed_in_page_is_classified(world: World) -> None:  # noqa: F811
    """A page that shows case or person data is in READS; any other is in EXEMPT, with why."""
    pages = {
        rule.endpoint
        for rule in RULES
        if "GET" in (rule.methods or ())
        and getattr(world.app.view_functions[rule.endpoint], ACCESS_MARKER, None) != PUBLIC
    }
    assert set(READS) & set(EXEMPT) == set()
    assert sorted(pages - set(READS) - set(EXEMPT)) == [], "classify these pages"
    assert sorted((set(READS) | set(EXEMPT)) - pages) == [], "these pages are gone"


def _head(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.max(AuditEvent.sequence))) or 0


def _events_since(app: Flask, sequence: int) -> list[tuple[str, str | None, str | None]]:
    with app.app_context():
        rows = db.session.execute(
            select(AuditEvent.action, AuditEvent.object_type, AuditEvent.object_id)
            .where(AuditEvent.sequence > sequence)
            .order_by(AuditEvent.sequence)
        ).all()
    return [(str(action), object_type, object_id) for action, object_type, object_id in rows]


@pytest.mark.parametrize("endpoint", list(READS))
def test_each_page_of_case_or_person_data_writes_exactly_one_read_event(
    world: World,  # noqa: F811
    clients: dict[str, FlaskClient],  # noqa: F811
    objects: dict[str, int],
    endpoint: str,
) -> None:
    """Opened by someone who may see it, the page answers and writes one event, of its action
    and naming its object; nothing else."""
    read = READS[endpoint]
    rule = next(rule for rule in RULES if rule.endpoint == endpoint)
    values = {argument: str(objects[name]) for argument, name in read.url.items()}
    values |= {a: v for a, v in FIXED_ARGUMENTS.items() if a in rule.arguments}
    url = url_for_rule(rule, **values)
    before = _head(world.app)
    response = clients[read.reader].get(url)
    assert response.status_code == 200, (url, response.status_code, response.location)
    named: tuple[str | None, str | None] = (None, None)
    if read.names:
        model, argument = read.names
        named = (str(model.__tablename__), values[argument])
    assert _events_since(world.app, before) == [(str(read.action), *named)], url
