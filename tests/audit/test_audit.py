"""The audit trail: every service audits, the chain detects tampering, and writers never fork it."""

from __future__ import annotations

import inspect
import json
import threading
from collections.abc import Callable
from datetime import date
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from flask import Flask
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

import audit
from app.accounts import services as account_services
from app.accounts.models import AgencyType
from app.accounts.models import GlobalRole
from app.accounts.models import Organisation
from app.accounts.models import TokenPurpose
from app.accounts.models import User
from app.accounts.tokens import issue_account_token
from app.auth import services as auth_services
from app.database import UTCDateTime
from app.database import db
from app.database import uk_today
from app.database import utcnow
from app.keys.models import KeyPurpose
from app.keys.store import key_store
from audit import verify as audit_verify
from audit.chain import LEAF_FIELDS
from audit.chain import entry_hash
from audit.models import AuditAction
from audit.models import AuditEvent
from audit.models import Outcome
from audit.verify import create_checkpoint
from audit.verify import verify_chain
from cases import policy
from cases import services as case_services
from cases.actions import services as action_services
from cases.actions.models import ActionStatus
from cases.actions.models import CaseAction
from cases.asb import services as review_services
from cases.asb.services import NewIncident
from cases.break_glass import services as break_glass
from cases.break_glass.models import AlertKind
from cases.break_glass.models import BreakGlassGrant
from cases.break_glass.models import BreakGlassReason
from cases.break_glass.models import BreakGlassReview
from cases.break_glass.models import CaseAlert
from cases.meetings import services as meeting_services
from cases.meetings.models import AgendaItem
from cases.meetings.models import AgendaReason
from cases.meetings.models import AttendanceStatus
from cases.meetings.models import InterestDeclaration
from cases.meetings.models import MeetingAttendance
from cases.meetings.models import MeetingMinutes
from cases.meetings.models import MinutesCaseSection
from cases.models import Case
from cases.models import CaseRole
from cases.models import CaseStatus
from cases.people.services import Identity
from cases.reach.queries import drift
from cases.referrals import services as referrals
from cases.referrals.models import Referral
from cases.reports import services as report_services
from cases.reports.models import Extract
from cases.reports.models import ExtractFormat
from cases.reports.models import ManagerArea
from cases.restrictions import services as restrictions
from cases.restrictions.models import CaseRestriction
from cases.retention import services as retention
from cases.retention.models import RecordType
from cases.retention.models import RetentionRule
from cases.retention.queries import DueCase
from cases.sharing import services as sharing
from cases.sharing.models import ConsentStatus
from cases.sharing.models import Disclosure
from cases.sharing.models import LawfulBasis
from cases.subject_access import services as subject_access_services
from notifications import Choice
from notifications import Event
from notifications import notify
from notifications import services as notification_services
from notifications.models import Notification
from panels import declarations
from panels import isp
from panels import services as panel_services
from panels.declarations import CONFIDENTIALITY_STATEMENT_VERSION
from panels.models import Area
from panels.models import ConfidentialityDeclaration
from panels.models import IspSignatory
from panels.models import Meeting
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.types.common import FormSection
from panels.types.common import MeetingCadence
from panels.types.common import PanelType
from tests.cases.asb.test_asb_case_review import ReviewScenarios
from tests.cases.subject_access.test_subject_access import SarScenarios
from tests.conftest import PASSWORD
from tests.conftest import Account
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.conftest import csrf_token
from tests.conftest import post_form
from tests.referral_fixtures import draft
from tests.referral_fixtures import marac_answers
from tests.referral_fixtures import member
from tests.referral_fixtures import panel as make_panel
from tests.referral_fixtures import sign_isp
from tests.referral_fixtures import submitted

SERVICE_MODULES = (
    auth_services,
    account_services,
    panel_services,
    isp,
    case_services,
    retention,
    referrals,
    sharing,
    review_services,
    subject_access_services,
    restrictions,
    declarations,
    break_glass,
    report_services,
    notification_services,
    meeting_services,
    action_services,
)
CANARY = "CANARY-NAME-7f3a"


def events(app: Flask) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.sequence)).all()
        db.session.expunge_all()
        return list(rows)


def actions(app: Flask) -> list[AuditAction]:
    return [event.action for event in events(app)]


# Every service audits ------------------------------------------------------------------------


class World:
    """The objects the service scenarios act on, loaded in the current app context."""

    def __init__(self, admin: Account, worker: Account, accounts: Accounts) -> None:
        self.admin = db.session.get(User, admin.id)
        self.worker = db.session.get(User, worker.id)
        self.accounts = accounts
        self.organisation = db.session.scalar(select(Organisation))
        self.area = Area(name="Newham")
        self.panel = Panel(
            area=self.area,
            name="Newham MARAC",
            panel_type=PanelType.MARAC,
            meeting_cadence=MeetingCadence.MONTHLY,
        )
        self.membership = PanelMembership(
            panel=self.panel, user=self.worker, role=PanelRole.REPRESENTATIVE
        )
        db.session.add_all([self.area, self.panel, self.membership])
        db.session.flush()
        # R1: the members' organisations have signed the panel's ISP; one organisation has not.
        self.agreement = sign_isp(
            self.panel, self.worker.organisation_id, self.admin.organisation_id
        )
        self.signatory = self.agreement.signatories[0]
        self.unsigned = Organisation(name="Eastmere Housing", agency_type=AgencyType.HOUSING)
        db.session.add(self.unsigned)
        db.session.flush()
        self.case = case_services.open_case(
            actor=None, panel=self.panel, opened_on=date(2019, 1, 7), summary="Summary"
        )
        self.closed_case = case_services.open_case(
            actor=None, panel=self.panel, opened_on=date(2019, 1, 7), summary=None
        )
        self.closed_case.status, self.closed_case.closed_on = CaseStatus.CLOSED, date(2019, 6, 3)
        self.held_case = case_services.open_case(
            actor=None, panel=self.panel, opened_on=date(2019, 1, 7), summary=None
        )
        self.held_case.legal_hold_reason = "Inquiry"
        self.rule = db.session.scalar(
            select(RetentionRule).where(RetentionRule.panel_type == PanelType.MARAC)
        )
        answers = marac_answers(referred_on=date(2026, 1, 5))
        self.draft = draft(self.worker, self.panel, answers)
        self.submitted = submitted(self.worker, self.panel, answers)
        self.accepted = submitted(self.worker, self.panel, answers)
        self.case_of_accepted = referrals.accept_referral(
            self.accepted, actor=self.worker, matches=[None, None], today=date(2026, 1, 6)
        ).case
        self.meeting = panel_services.schedule_meeting(
            actor=None, panel=self.panel, held_on=date(2026, 2, 4)
        )
        self.listed = submitted(
            self.worker, self.panel, marac_answers(referred_on=date(2026, 1, 7))
        )
        referrals.accept_referral(
            self.listed, actor=self.worker, matches=[None, None], today=date(2026, 1, 7)
        )
        referrals.list_for_meeting(self.listed, actor=self.worker, meeting=self.meeting)
        self.other_area_panel = make_panel("Eastmere")
        self.reviews = ReviewScenarios(self.worker, self.organisation, CANARY)
        self.requests = SarScenarios(self.admin, CANARY, self.case_of_accepted)

    def code(self) -> str:
        self.worker.totp_last_step = None
        return self.accounts.code(self.worker.email)


# Each public service function, how to call it, and the one event it must write. A service that
# is also another service's decision writes both events, in order: transfer_case records the
# sharing decision it is (R7, R8) through sharing.record_decision, then the transfer itself.
SCENARIOS: dict[str, tuple[Callable[[World], Any], AuditAction | tuple[AuditAction, ...]]] = {
    "authenticate": (
        lambda w: auth_services.authenticate(w.worker.email, PASSWORD),
        AuditAction.PASSWORD_ACCEPTED,
    ),
    "start_enrolment": (
        lambda w: auth_services.start_enrolment(w.worker),
        AuditAction.TWO_FACTOR_ENROLMENT_STARTED,
    ),
    "confirm_enrolment": (
        lambda w: auth_services.confirm_enrolment(w.worker, w.code()),
        AuditAction.TWO_FACTOR_ENROLLED,
    ),
    "verify_second_factor": (
        lambda w: auth_services.verify_second_factor(w.worker, w.code()),
        AuditAction.TWO_FACTOR_PASSED,
    ),
    "use_recovery_code": (
        lambda w: auth_services.use_recovery_code(w.worker, "AAAAA-BBBBB"),
        AuditAction.RECOVERY_CODE_USED,
    ),
    "complete_sign_in": (
        lambda w: auth_services.complete_sign_in(w.worker, device=None),
        AuditAction.SIGN_IN,
    ),
    "note_throttled": (
        lambda w: auth_services.note_throttled(w.worker),
        AuditAction.SIGN_IN_THROTTLED,
    ),
    "sign_out": (lambda w: auth_services.sign_out(w.worker), AuditAction.SIGN_OUT),
    "reissue_recovery_codes": (
        lambda w: auth_services.reissue_recovery_codes(w.worker, w.code()),
        AuditAction.RECOVERY_CODES_REISSUED,
    ),
    "change_password": (
        lambda w: auth_services.change_password(
            w.worker, current=PASSWORD, new="another long phrase 99", keep_session=None
        ),
        AuditAction.PASSWORD_CHANGED,
    ),
    "redeem_account_token": (
        lambda w: auth_services.redeem_account_token(
            issue_account_token(w.worker, TokenPurpose.RESET_PASSWORD), "another long phrase 99"
        ),
        AuditAction.PASSWORD_SET_BY_LINK,
    ),
    "create_organisation": (
        lambda w: account_services.create_organisation(
            actor=w.admin, name="Eastside Homes", agency_type=AgencyType.HOUSING
        ),
        AuditAction.ORGANISATION_CREATED,
    ),
    "update_organisation": (
        lambda w: account_services.update_organisation(
            w.organisation,
            actor=w.admin,
            name="Renamed",
            agency_type=AgencyType.POLICE,
            active=True,
        ),
        AuditAction.ORGANISATION_UPDATED,
    ),
    "create_user": (
        lambda w: account_services.create_user(
            actor=w.admin,
            email="new@test.example",
            display_name="New Person",
            organisation=w.organisation,
            global_role=None,
        ),
        AuditAction.USER_CREATED,
    ),
    "update_user": (
        lambda w: account_services.update_user(
            w.worker,
            actor=w.admin,
            display_name="Renamed Worker",
            organisation=w.organisation,
            global_role=GlobalRole.MANAGER,
        ),
        AuditAction.USER_UPDATED,
    ),
    "deactivate_user": (
        lambda w: account_services.deactivate_user(w.worker, actor=w.admin),
        AuditAction.USER_DEACTIVATED,
    ),
    "reactivate_user": (
        lambda w: account_services.reactivate_user(w.worker, actor=w.admin),
        AuditAction.USER_REACTIVATED,
    ),
    "reset_two_factor": (
        lambda w: account_services.reset_two_factor(w.worker, actor=w.admin),
        AuditAction.USER_TWO_FACTOR_RESET,
    ),
    "start_password_reset": (
        lambda w: account_services.start_password_reset(w.worker, actor=w.admin),
        AuditAction.USER_PASSWORD_RESET_ISSUED,
    ),
    "create_area": (
        lambda w: panel_services.create_area(actor=w.admin, name="Havering"),
        AuditAction.AREA_CREATED,
    ),
    "create_panel": (
        lambda w: panel_services.create_panel(
            actor=w.admin,
            area=w.area,
            panel_type=PanelType.CHANNEL,
            name="Newham Channel",
            cadence=MeetingCadence.MONTHLY,
        ),
        AuditAction.PANEL_CREATED,
    ),
    "update_panel": (
        lambda w: panel_services.update_panel(
            w.panel, actor=w.admin, name="Renamed MARAC", cadence=MeetingCadence.WEEKLY, active=True
        ),
        AuditAction.PANEL_UPDATED,
    ),
    "update_panel_settings": (
        lambda w: panel_services.update_panel_settings(w.panel, actor=w.admin, dash_threshold=12),
        AuditAction.PANEL_SETTINGS_CHANGED,
    ),
    "add_member": (
        lambda w: panel_services.add_member(
            actor=w.admin, panel=w.panel, user=w.admin, role=PanelRole.CHAIR
        ),
        AuditAction.MEMBERSHIP_ADDED,
    ),
    "remove_member": (
        lambda w: panel_services.remove_member(w.membership, actor=w.admin),
        AuditAction.MEMBERSHIP_REMOVED,
    ),
    "add_agreement": (
        lambda w: isp.add_agreement(
            actor=w.admin, panel=w.panel, version="2", in_force_from=date(2030, 1, 1)
        ),
        AuditAction.ISP_AGREEMENT_ADDED,
    ),
    "add_signatory": (
        lambda w: isp.add_signatory(
            actor=w.admin,
            agreement=w.agreement,
            organisation=w.unsigned,
            signed_on=date(2026, 1, 5),
            review_on=date(2027, 1, 5),
        ),
        AuditAction.ISP_SIGNATORY_ADDED,
    ),
    "renew_signatory": (
        lambda w: isp.renew_signatory(w.signatory, actor=w.admin, review_on=date(2100, 1, 1)),
        AuditAction.ISP_SIGNATORY_RENEWED,
    ),
    "withdraw_signatory": (
        lambda w: isp.withdraw_signatory(w.signatory, actor=w.admin, withdrawn_on=date(2026, 1, 5)),
        AuditAction.ISP_SIGNATORY_WITHDRAWN,
    ),
    "sign_again": (
        lambda w: isp.sign_again(
            _withdrawn(w.signatory), actor=w.admin, signed_on=date(2026, 2, 1), review_on=TWO_YEARS
        ),
        AuditAction.ISP_SIGNATORY_SIGNED_AGAIN,
    ),
    "open_case": (
        lambda w: case_services.open_case(
            actor=w.worker, panel=w.panel, opened_on=date(2026, 1, 5), summary="Summary"
        ),
        AuditAction.CASE_OPENED,
    ),
    "add_person": (
        lambda w: case_services.add_person(
            w.case,
            actor=w.worker,
            role=CaseRole.VICTIM,
            identity=Identity(CANARY, CANARY, date(1990, 1, 1), nhs_number="943 476 5919"),
        ),
        AuditAction.CASE_PERSON_ADDED,
    ),
    "add_note": (
        lambda w: case_services.add_note(w.case, actor=w.worker, text=CANARY),
        AuditAction.CASE_NOTE_ADDED,
    ),
    "close_case": (
        lambda w: case_services.close_case(w.case, actor=w.worker, closed_on=date(2026, 2, 2)),
        AuditAction.CASE_CLOSED,
    ),
    "set_retention_period": (
        lambda w: retention.set_retention_period(
            actor=w.admin,
            panel_type=PanelType.MARAC,
            record_type=RecordType.CLOSED_CASE,
            months=60,
        ),
        AuditAction.RETENTION_RULE_CHANGED,
    ),
    "place_legal_hold": (
        lambda w: retention.place_legal_hold(w.case, actor=w.admin, reason="Inquiry"),
        AuditAction.LEGAL_HOLD_PLACED,
    ),
    "lift_legal_hold": (
        lambda w: retention.lift_legal_hold(w.held_case, actor=w.admin),
        AuditAction.LEGAL_HOLD_LIFTED,
    ),
    "start_referral": (
        lambda w: referrals.start_referral(actor=w.worker, panel=w.panel),
        AuditAction.REFERRAL_STARTED,
    ),
    "save_section": (
        lambda w: referrals.save_section(
            w.draft, actor=w.worker, section=FormSection.SAFETY, data={"safe_to_call": False}
        ),
        AuditAction.REFERRAL_UPDATED,
    ),
    "submit_referral": (
        lambda w: referrals.submit_referral(w.draft, actor=w.worker),
        AuditAction.REFERRAL_SUBMITTED,
    ),
    "withdraw_referral": (
        lambda w: referrals.withdraw_referral(w.draft, actor=w.worker),
        AuditAction.REFERRAL_WITHDRAWN,
    ),
    "return_referral": (
        lambda w: referrals.return_referral(w.submitted, actor=w.worker, reason=CANARY),
        AuditAction.REFERRAL_RETURNED,
    ),
    "reject_referral": (
        lambda w: referrals.reject_referral(
            _below_threshold(w.submitted), actor=w.worker, reason=CANARY
        ),
        AuditAction.REFERRAL_REJECTED,
    ),
    "accept_referral": (
        lambda w: referrals.accept_referral(
            w.submitted, actor=w.worker, matches=[None, None], today=date(2026, 1, 6)
        ),
        AuditAction.REFERRAL_ACCEPTED,
    ),
    "list_for_meeting": (
        lambda w: referrals.list_for_meeting(w.accepted, actor=w.worker, meeting=w.meeting),
        AuditAction.REFERRAL_LISTED,
    ),
    "mark_heard": (
        lambda w: referrals.mark_heard(w.listed, actor=w.worker, today=date(2026, 2, 4)),
        AuditAction.REFERRAL_HEARD,
    ),
    "transfer_case": (
        lambda w: referrals.transfer_case(
            w.case_of_accepted,
            actor=w.worker,
            to_panel=w.other_area_panel,
            transferred_on=date(2026, 3, 1),
            reason=CANARY,
            lawful_basis=LawfulBasis.PUBLIC_TASK_SAFEGUARDING,
            consent=ConsentStatus.NOT_SOUGHT_UNSAFE,
            without_agreement_reason=CANARY,
        ),
        (AuditAction.SHARING_DECISION_RECORDED, AuditAction.CASE_TRANSFERRED),
    ),
    "record_decision": (
        lambda w: sharing.record_decision(
            actor=w.worker,
            case=w.case_of_accepted,
            disclosure=Disclosure.OUTSIDE_PANEL,
            shared=True,
            recipient="Eastmere Children's Services",
            lawful_basis=LawfulBasis.PUBLIC_TASK_SAFEGUARDING,
            consent=ConsentStatus.NOT_SOUGHT_UNSAFE,
            reason=CANARY,
            without_agreement_reason=CANARY,
        ),
        AuditAction.SHARING_DECISION_RECORDED,
    ),
    "add_manager_area": (
        lambda w: report_services.add_manager_area(_manager(w), actor=w.admin, area=w.area),
        AuditAction.MANAGER_AREA_ADDED,
    ),
    "remove_manager_area": (
        lambda w: report_services.remove_manager_area(
            _manager(w, reporting_on=w.area), actor=w.admin, area=w.area
        ),
        AuditAction.MANAGER_AREA_REMOVED,
    ),
    "mark_read": (
        lambda w: notification_services.mark_read(_notified(w), actor=w.worker),
        AuditAction.NOTIFICATIONS_READ,
    ),
    "mark_all_read": (
        lambda w: _notified(w) and notification_services.mark_all_read(actor=w.worker),
        AuditAction.NOTIFICATIONS_READ,
    ),
    "choose": (
        lambda w: notification_services.choose(
            actor=w.worker, choices={Event.ACTION_DUE_SOON: Choice.APP}
        ),
        AuditAction.NOTIFICATION_CHOICES_CHANGED,
    ),
    "request_extract": (
        lambda w: _extract(w),
        AuditAction.REPORT_EXTRACT_REQUESTED,
    ),
    "make_extract": (
        lambda w: report_services.make_extract({"extract_id": _extract(w).id}),
        (AuditAction.REPORT_EXTRACT_REQUESTED, AuditAction.REPORT_EXTRACT_MADE),
    ),
    "record_download": (
        lambda w: report_services.record_download(_made_extract(w), actor=w.admin),
        (
            AuditAction.REPORT_EXTRACT_REQUESTED,
            AuditAction.REPORT_EXTRACT_MADE,
            AuditAction.REPORT_EXTRACT_DOWNLOADED,
        ),
    ),
    "expire_extracts": (
        lambda w: (
            _made_extract(w) and report_services.expire_extracts(utcnow() + timedelta(days=8))
        ),
        (
            AuditAction.REPORT_EXTRACT_REQUESTED,
            AuditAction.REPORT_EXTRACT_MADE,
            AuditAction.REPORT_EXTRACT_EXPIRED,
        ),
    ),
    "destroy_extracts_with_case": (
        lambda w: report_services.destroy_extracts_with_case(_made_extract(w) and w.case),
        (
            AuditAction.REPORT_EXTRACT_REQUESTED,
            AuditAction.REPORT_EXTRACT_MADE,
            AuditAction.REPORT_EXTRACT_EXPIRED,
        ),
    ),
    "schedule_meeting": (
        lambda w: panel_services.schedule_meeting(
            actor=w.worker, panel=w.panel, held_on=date(2026, 3, 4)
        ),
        AuditAction.MEETING_SCHEDULED,
    ),
    "dispose": (
        lambda w: retention.dispose(
            DueCase(w.closed_case, w.rule, date(2025, 6, 3)), actor=w.admin
        ),
        AuditAction.CASE_CONTENT_DESTROYED,
    ),
    "receive_application": (
        lambda w: w.reviews.new(CANARY),
        AuditAction.CASE_REVIEW_APPLICATION_RECEIVED,
    ),
    "add_complaint": (
        lambda w: review_services.add_complaint(
            w.reviews.received,
            actor=w.worker,
            agency=w.organisation,
            complained_on=date(2026, 1, 6),
            new_incident=NewIncident(date(2026, 1, 5), CANARY),
        ),
        AuditAction.CASE_REVIEW_COMPLAINT_ADDED,
    ),
    "acknowledge": (
        lambda w: review_services.acknowledge(
            w.reviews.received, actor=w.worker, on=date(2026, 3, 3)
        ),
        AuditAction.CASE_REVIEW_ACKNOWLEDGED,
    ),
    "decide_threshold": (
        lambda w: review_services.decide_threshold(
            w.reviews.acknowledged, actor=w.worker, on=date(2026, 3, 3), met=False, reason=CANARY
        ),
        AuditAction.CASE_REVIEW_THRESHOLD_DECIDED,
    ),
    "record_review_meeting": (
        lambda w: review_services.record_review_meeting(
            w.reviews.met, actor=w.worker, on=date(2026, 3, 3)
        ),
        AuditAction.CASE_REVIEW_MEETING_HELD,
    ),
    "record_outcome": (
        lambda w: review_services.record_outcome(
            w.reviews.held,
            actor=w.worker,
            on=date(2026, 3, 3),
            recommendations_made=True,
            action_plan=CANARY,
        ),
        AuditAction.CASE_REVIEW_OUTCOME_RECORDED,
    ),
    "request_appeal": (
        lambda w: review_services.request_appeal(
            w.reviews.outcome, actor=w.worker, on=date(2026, 3, 3), grounds=CANARY
        ),
        AuditAction.CASE_REVIEW_APPEAL_REQUESTED,
    ),
    "decide_appeal": (
        lambda w: review_services.decide_appeal(
            w.reviews.appealed, actor=w.worker, on=date(2026, 3, 3), upheld=False, reason=CANARY
        ),
        AuditAction.CASE_REVIEW_APPEAL_DECIDED,
    ),
    "receive_request": (lambda w: w.requests.new(), AuditAction.SUBJECT_ACCESS_RECEIVED),
    "confirm_subjects": (
        lambda w: subject_access_services.confirm_subjects(
            w.requests.received,
            actor=w.admin,
            people=[link.person for link in w.case_of_accepted.people],
        ),
        AuditAction.SUBJECT_ACCESS_SUBJECTS_CONFIRMED,
    ),
    "approve_bundle": (
        lambda w: subject_access_services.approve_bundle(w.requests.confirmed, actor=w.worker),
        AuditAction.SUBJECT_ACCESS_BUNDLE_APPROVED,
    ),
    "pause_clock": (
        lambda w: subject_access_services.pause_clock(
            w.requests.received, actor=w.admin, on=date(2026, 1, 13), today=date(2026, 1, 13)
        ),
        AuditAction.SUBJECT_ACCESS_CLOCK_PAUSED,
    ),
    "resume_clock": (
        lambda w: subject_access_services.resume_clock(
            w.requests.paused, actor=w.admin, on=date(2026, 1, 20), today=date(2026, 1, 20)
        ),
        AuditAction.SUBJECT_ACCESS_CLOCK_RESUMED,
    ),
    "extend": (
        lambda w: subject_access_services.extend(
            w.requests.received,
            actor=w.admin,
            months=2,
            reason=CANARY,
            on=date(2026, 1, 20),
            today=date(2026, 1, 20),
        ),
        AuditAction.SUBJECT_ACCESS_EXTENDED,
    ),
    "complete": (
        lambda w: subject_access_services.complete(
            w.requests.confirmed,
            actor=w.admin,
            on=date(2026, 2, 2),
            today=date(2026, 2, 2),
        ),
        AuditAction.SUBJECT_ACCESS_COMPLETED,
    ),
    "refuse": (
        lambda w: subject_access_services.refuse(
            w.requests.received,
            actor=w.admin,
            on=date(2026, 1, 20),
            reason=CANARY,
            today=date(2026, 1, 20),
        ),
        AuditAction.SUBJECT_ACCESS_REFUSED,
    ),
    "record_disclosure": (
        lambda w: subject_access_services.record_disclosure(
            w.requests.perpetrator,
            actor=w.admin,
            referral=w.accepted,
            on=date(2026, 1, 20),
            reason=CANARY,
            today=date(2026, 1, 20),
        ),
        AuditAction.SUBJECT_ACCESS_DISCLOSURE_DECIDED,
    ),
    "restrict": (
        lambda w: restrictions.restrict(actor=w.worker, case=w.case, organisation=_housing()),
        AuditAction.CASE_RESTRICTED,
    ),
    "lift": (
        lambda w: restrictions.lift(_restriction(w), actor=w.worker),
        AuditAction.CASE_RESTRICTION_LIFTED,
    ),
    "record_attendance": (
        lambda w: meeting_services.record_attendance(
            w.meeting,
            actor=w.admin,
            seen=None,
            statuses={w.worker.id: AttendanceStatus.APOLOGIES},
            information_from=set(),
            observers=[meeting_services.Observer(CANARY, f"{CANARY} Inspectorate")],
            today=uk_today(),
        ),
        AuditAction.ATTENDANCE_RECORDED,
    ),
    "declare_interest": (
        lambda w: meeting_services.declare_interest(
            w.meeting, actor=w.admin, case=w.listed.case, attendee_id=_attendee(w)
        ),
        AuditAction.INTEREST_DECLARED,
    ),
    "withdraw_interest": (
        lambda w: meeting_services.withdraw_interest(
            w.meeting, actor=w.admin, declaration=_declaration(w)
        ),
        AuditAction.INTEREST_WITHDRAWN,
    ),
    "save_minutes": (
        lambda w: meeting_services.save_minutes(
            w.meeting, actor=w.admin, seen=0, general=CANARY, cases={}, today=uk_today()
        ),
        AuditAction.MINUTES_SAVED,
    ),
    "approve_minutes": (
        lambda w: meeting_services.approve_minutes(w.meeting, actor=_chair(w), seen=1),
        AuditAction.MINUTES_APPROVED,
    ),
    "list_referral": (
        lambda w: meeting_services.list_referral(w.accepted, actor=w.admin, meeting=w.meeting),
        AuditAction.REFERRAL_LISTED,
    ),
    "add_for_review": (
        lambda w: meeting_services.add_for_review(
            w.meeting,
            actor=w.admin,
            case=w.case,
            reason=AgendaReason.REVIEW,
            seen=w.meeting.agenda_revision,
            today=w.meeting.held_on,
        ),
        AuditAction.AGENDA_CHANGED,
    ),
    "remove_from_agenda": (
        lambda w: meeting_services.remove_from_agenda(
            w.meeting,
            actor=w.admin,
            case=_under_review(w),
            seen=w.meeting.agenda_revision,
            today=w.meeting.held_on,
        ),
        AuditAction.AGENDA_CHANGED,
    ),
    "move_on_agenda": (
        lambda w: meeting_services.move_on_agenda(
            w.meeting,
            actor=w.admin,
            case=_under_review(w),
            up=True,
            seen=w.meeting.agenda_revision,
            today=w.meeting.held_on,
        ),
        AuditAction.AGENDA_CHANGED,
    ),
    "carry_forward": (
        lambda w: meeting_services.carry_forward(
            _later_meeting(w),
            actor=w.admin,
            referral=w.listed,
            seen=1,
            today=w.meeting.held_on + timedelta(days=1),
        ),
        AuditAction.REFERRAL_CARRIED_FORWARD,
    ),
    # Moves the listing only: the agenda's service records it as the one change it makes.
    "carry_listing": (lambda w: referrals.carry_listing(w.listed, meeting=_later_meeting(w)), ()),
    "publish_agenda": (
        lambda w: meeting_services.publish_agenda(
            w.meeting,
            actor=w.admin,
            seen=w.meeting.agenda_revision,
            today=w.meeting.held_on - timedelta(days=10),
        ),
        AuditAction.AGENDA_PUBLISHED,
    ),
    "record_research": (
        lambda w: meeting_services.record_research(
            w.meeting,
            actor=w.worker,
            case=w.listed.case,
            seen=0,
            shared=CANARY,
            nothing_to_share=False,
            today=w.meeting.held_on,
        ),
        AuditAction.RESEARCH_RECORDED,
    ),
    "agree_action": (
        lambda w: action_services.agree_action(
            w.listed.case,
            actor=w.admin,
            action=action_services.NewAction(
                CANARY, w.worker.organisation, date(2026, 3, 4), w.meeting
            ),
            today=date(2026, 2, 5),
        ),
        AuditAction.ACTION_AGREED,
    ),
    "report_progress": (
        lambda w: action_services.report_progress(
            _action(w), actor=w.worker, status=ActionStatus.OPEN, text=CANARY, seen_version=1
        ),
        AuditAction.ACTION_PROGRESS_REPORTED,
    ),
    "change_due_date": (
        lambda w: action_services.change_due_date(
            _action(w),
            actor=w.admin,
            due_on=date(2026, 3, 18),
            reason=CANARY,
            seen_version=1,
            today=date(2026, 2, 5),
        ),
        AuditAction.ACTION_DUE_DATE_CHANGED,
    ),
    # Parts of transfer_case and of retention's dispose, which write the one event of each:
    # on their own they change nothing that is not theirs to record.
    "follow_transfer": (
        lambda w: action_services.follow_transfer(
            w.case, actor=w.admin, from_panel_name="Eastmere MARAC", transferred_on=uk_today()
        ),
        (),
    ),
    "destroy_with_case": (lambda w: action_services.destroy_with_case(w.case), ()),
    "accept_confidentiality": (
        lambda w: declarations.accept_confidentiality(
            actor=_in_force(w),
            meeting=_upcoming_meeting(w),
            statement_version=CONFIDENTIALITY_STATEMENT_VERSION,
        ),
        AuditAction.CONFIDENTIALITY_ACCEPTED,
    ),
    "start": (
        lambda w: break_glass.start(
            actor=w.worker,
            case=_with_coordinator(w),
            reason_code=BreakGlassReason.IMMEDIATE_RISK,
            reason=f"{CANARY} is at risk tonight",
            now=utcnow(),
        ),
        AuditAction.BREAK_GLASS_STARTED,
    ),
    "end": (
        lambda w: break_glass.end(_grant(w, hours=1), actor=w.worker, now=utcnow()),
        AuditAction.BREAK_GLASS_ENDED,
    ),
    "end_expired": (
        lambda w: break_glass.end_expired(actor=_grant(w, hours=-1).user, now=utcnow()),
        AuditAction.BREAK_GLASS_ENDED,
    ),
    "review": (
        lambda w: break_glass.review(
            _grant(w, hours=-1), actor=w.admin, outcome=BreakGlassReview.JUSTIFIED, note=CANARY
        ),
        AuditAction.BREAK_GLASS_REVIEWED,
    ),
    "acknowledge_alert": (
        lambda w: break_glass.acknowledge_alert(_alert(w), actor=w.admin),
        AuditAction.ALERT_ACKNOWLEDGED,
    ),
    "approve": (
        lambda w: break_glass.approve(_request(w), actor=w.admin, now=utcnow()),
        AuditAction.BREAK_GLASS_APPROVED,
    ),
    "decline": (
        lambda w: break_glass.decline(_request(w), actor=w.admin, note=CANARY, now=utcnow()),
        AuditAction.BREAK_GLASS_DECLINED,
    ),
    "withdraw": (
        lambda w: break_glass.withdraw(_request(w), actor=w.worker, now=utcnow()),
        AuditAction.BREAK_GLASS_WITHDRAWN,
    ),
}


TWO_YEARS = date(2028, 2, 1)


def _withdrawn(signatory: IspSignatory) -> IspSignatory:
    """The signatory as if it had withdrawn (set directly: no event)."""
    signatory.withdrawn_on = date(2026, 1, 5)
    db.session.flush()
    return signatory


def _attendee(w: World) -> int:
    """The worker, declared for the meeting and recorded as attending it (set up directly)."""
    db.session.add(
        ConfidentialityDeclaration(
            meeting_id=w.meeting.id, user_id=w.worker.id, statement_version="1"
        )
    )
    db.session.add(
        MeetingAttendance(
            meeting_id=w.meeting.id,
            user_id=w.worker.id,
            organisation_id=w.worker.organisation_id,
            panel_role=PanelRole.REPRESENTATIVE,
            status=AttendanceStatus.PRESENT,
            recorded_by_id=w.admin.id,
        )
    )
    db.session.flush()
    return w.worker.id


def _declaration(w: World) -> InterestDeclaration:
    """The worker's declaration of interest in the listed case (set up directly: no event)."""
    declaration = InterestDeclaration(
        meeting_id=w.meeting.id,
        case_id=w.listed.case.id,
        user_id=_attendee(w),
        organisation_id=w.worker.organisation_id,
        recorded_by_id=w.admin.id,
    )
    db.session.add(declaration)
    db.session.flush()
    return declaration


def _chair(w: World) -> User:
    """The admin made the panel's chair, declared for the meeting, with draft minutes of it to
    approve, recording the panel's decision on the listed case (all set up directly: no
    event)."""
    db.session.add(PanelMembership(panel=w.panel, user=w.admin, role=PanelRole.CHAIR))
    db.session.add(
        ConfidentialityDeclaration(
            meeting_id=w.meeting.id, user_id=w.admin.id, statement_version="1"
        )
    )
    minutes = MeetingMinutes(
        data_key=key_store().new_key(KeyPurpose.PERSON),
        meeting_id=w.meeting.id,
        drafted_by_id=w.admin.id,
        updated_by_id=w.admin.id,
        general=CANARY,
    )
    case = w.listed.case
    assert case is not None
    minutes.sections.append(
        MinutesCaseSection(data_key=case.data_key, case_id=case.id, decision="safety_plan")
    )
    db.session.add(minutes)
    db.session.flush()
    policy.forget_cached_viewer()
    return w.admin


def _action(w: World) -> CaseAction:
    """An open action agreed at the meeting for the listed case (made directly: no event)."""
    case = w.listed.case
    assert case is not None
    action = CaseAction(
        case=case,
        panel_id=case.panel_id,
        data_key=case.data_key,
        meeting=w.meeting,
        owner_agency_id=w.worker.organisation_id,
        due_on=date(2026, 3, 4),
        agreed_by_id=w.admin.id,
        description=CANARY,
    )
    db.session.add(action)
    db.session.flush()
    return action


def _under_review(w: World) -> Case:
    """The world's case brought back for review at its meeting (made directly: no event)."""
    db.session.add(
        AgendaItem(
            meeting_id=w.meeting.id,
            case_id=w.case.id,
            reason=AgendaReason.REVIEW,
            added_by_id=w.admin.id,
        )
    )
    db.session.flush()
    return w.case


def _later_meeting(w: World) -> Meeting:
    """The panel's next meeting after the world's (made directly: no event)."""
    meeting = Meeting(panel=w.panel, held_on=w.meeting.held_on + timedelta(days=28))
    db.session.add(meeting)
    db.session.flush()
    return meeting


def _upcoming_meeting(w: World) -> Meeting:
    """A meeting still to come (made directly: no event); declarations are made before one."""
    meeting = Meeting(panel=w.panel, held_on=uk_today() + timedelta(days=7))
    db.session.add(meeting)
    db.session.flush()
    return meeting


def _housing() -> Organisation:
    """An organisation other than the actor's, to restrict a case against."""
    organisation = Organisation(name="Ashcombe Homes", agency_type=AgencyType.HOUSING)
    db.session.add(organisation)
    db.session.flush()
    return organisation


def _restriction(w: World) -> CaseRestriction:
    restriction = CaseRestriction(
        case_id=w.case.id, organisation_id=_housing().id, placed_by_id=w.admin.id
    )
    db.session.add(restriction)
    db.session.flush()
    return restriction


def _manager(w: World, reporting_on: Area | None = None) -> User:
    """The worker made a manager, reporting on the area if given (made directly)."""
    w.worker.global_role = GlobalRole.MANAGER
    if reporting_on is not None:
        db.session.add(ManagerArea(user_id=w.worker.id, area=reporting_on))
    db.session.flush()
    return w.worker


def _in_force(w: World) -> User:
    """The worker, with their organisation signed up to the panel's ISP (R1)."""
    sign_isp(w.panel, w.worker.organisation_id)
    g.pop("panel_access", None)  # worked out before the signature
    return w.worker


def _alert(w: World) -> CaseAlert:
    """An alert on the world's case that asks nothing more than to be seen (made directly)."""
    alert = CaseAlert(recipient_id=w.admin.id, case=w.case, kind=AlertKind.SUBJECT_ACCESS)
    db.session.add(alert)
    db.session.flush()
    return alert


def _notified(w: World) -> Notification:
    """The worker told that a referral waits (as a service tells people: no event of its own)."""
    [notification] = notify(Event.REFERRAL_WAITING, to=[w.worker], link="/referrals")
    return notification


def _extract(w: World) -> Extract:
    """The admin, made the panel's coordinator, asks for an extract of its referrals."""
    member(w.panel, w.admin, PanelRole.COORDINATOR)
    return report_services.request_extract(
        actor=w.admin,
        panels=[w.panel],
        referred_from=None,
        referred_to=None,
        personal=True,
        file_format=ExtractFormat.CSV,
    )


def _made_extract(w: World) -> Extract:
    """The extract, made as the job makes it."""
    extract = _extract(w)
    report_services.make_extract({"extract_id": extract.id})
    db.session.refresh(extract)
    return extract


def _with_coordinator(w: World) -> Case:
    """The case, on a panel with a coordinator in force: emergency access nobody could review
    is refused."""
    db.session.add(PanelMembership(panel=w.panel, user=w.admin, role=PanelRole.COORDINATOR))
    db.session.flush()
    return w.case


def _grant(w: World, *, hours: int) -> BreakGlassGrant:
    """The worker's emergency access to a case, ending in `hours` (made directly: no event)."""
    now = utcnow()
    grant = BreakGlassGrant(
        case=w.case,
        data_key=w.case.data_key,
        user=w.worker,
        reason_code=BreakGlassReason.URGENT_SAFEGUARDING,
        started_at=now - timedelta(hours=2),
        expires_at=now + timedelta(hours=hours),
        reason=CANARY,
    )
    db.session.add(grant)
    db.session.flush()
    return grant


def _request(w: World) -> BreakGlassGrant:
    """The worker's request for emergency access beyond their limits, awaiting a coordinator's
    decision (made directly: no event)."""
    grant = BreakGlassGrant(
        case=w.case,
        data_key=w.case.data_key,
        user=w.worker,
        reason_code=BreakGlassReason.URGENT_SAFEGUARDING,
        requested_at=utcnow(),
        approval_needed=True,
        reason=CANARY,
    )
    db.session.add(grant)
    db.session.flush()
    return grant


def _below_threshold(referral: Referral) -> Referral:
    """A referral that may be rejected: its checklist is below the threshold (E13)."""
    referral.risk_score = 3
    return referral


def public_functions(module: ModuleType) -> set[str]:
    return {
        name
        for name, member in inspect.getmembers(module, inspect.isfunction)
        if member.__module__ == module.__name__ and not name.startswith("_")
    }


def test_every_service_has_an_audit_scenario() -> None:
    """A new service without a scenario here fails: nothing may change state unaudited."""
    defined = set().union(*(public_functions(module) for module in SERVICE_MODULES))
    assert defined == set(SCENARIOS)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_each_service_writes_exactly_one_event_of_its_action(
    app: Flask, accounts: Accounts, admin: Account, name: str
) -> None:
    worker = accounts.user()
    call, expected = SCENARIOS[name]
    with app.test_request_context():
        world = World(admin, worker, accounts)
        db.session.commit()
        before = db.session.scalar(select(func.count(AuditEvent.sequence)))
        call(world)
        db.session.commit()
        written = db.session.scalars(select(AuditEvent).where(AuditEvent.sequence > before)).all()
        assert [event.action for event in written] == (
            list(expected) if isinstance(expected, tuple) else [expected]
        )
        assert "canary" not in repr([(e.changes, e.purpose, e.object_id) for e in written]).lower()
        assert verify_chain().intact
        # Who may see which case is kept as rows (cases/reach): no service leaves them stale.
        assert not drift(db.session.connection())


def test_a_failed_change_rolls_back_with_its_event(
    app: Flask, accounts: Accounts, admin: Account
) -> None:
    with app.test_request_context():
        actor = db.session.get(User, admin.id)
        before = db.session.scalar(select(func.count(AuditEvent.sequence)))
        account_services.create_organisation(
            actor=actor, name="Will Roll Back", agency_type=AgencyType.FIRE
        )
        db.session.rollback()
        assert db.session.scalar(select(func.count(AuditEvent.sequence))) == before
        assert (
            db.session.scalar(select(Organisation).where(Organisation.name == "Will Roll Back"))
            is None
        )


# What the web flows record -------------------------------------------------------------------


def test_sign_in_flow_is_on_the_record(
    app: Flask, client: FlaskClient, accounts: Accounts, sign_in: SignIn
) -> None:
    accounts.user()
    post_form(
        client, "/sign-in", {"email": "worker@test.example", "password": "wrong guess entirely"}
    )
    post_form(
        client, "/sign-in", {"email": "nobody@test.example", "password": "wrong guess entirely"}
    )
    sign_in(client, "worker@test.example")
    home = client.get("/")
    client.post("/sign-out", data={"csrf_token": csrf_token(home.text)})
    recorded = [(e.action, e.outcome) for e in events(app) if e.action.value.startswith("auth:")]
    assert recorded == [
        (AuditAction.TWO_FACTOR_ENROLMENT_STARTED, Outcome.SUCCESS),  # the fixture's enrolment
        (AuditAction.SIGN_IN_FAILED, Outcome.FAILURE),
        (AuditAction.SIGN_IN_FAILED, Outcome.FAILURE),
        (AuditAction.PASSWORD_ACCEPTED, Outcome.SUCCESS),
        (AuditAction.TWO_FACTOR_PASSED, Outcome.SUCCESS),
        (AuditAction.SIGN_IN, Outcome.SUCCESS),
        (AuditAction.SIGN_OUT, Outcome.SUCCESS),
    ]
    failed_known, failed_unknown = [
        e for e in events(app) if e.action is AuditAction.SIGN_IN_FAILED
    ]
    assert failed_known.object_type == "users"
    assert failed_known.actor_id is None
    assert failed_unknown.object_id is None  # the typed email is never kept
    signed_in = next(e for e in events(app) if e.action is AuditAction.SIGN_IN)
    assert signed_in.ip_address == "127.0.0.1"
    assert signed_in.session_ref
    assert len(signed_in.session_ref) == 16
    assert signed_in.request_id


def test_throttled_attempts_are_recorded(
    app: Flask, client: FlaskClient, accounts: Accounts
) -> None:
    accounts.user()
    for _ in range(6):
        post_form(
            client, "/sign-in", {"email": "worker@test.example", "password": "wrong guess entirely"}
        )
    throttled = [e for e in events(app) if e.action is AuditAction.SIGN_IN_THROTTLED]
    assert len(throttled) == 1
    assert throttled[0].outcome is Outcome.DENIED


@pytest.mark.parametrize("role", [None, GlobalRole.MANAGER, GlobalRole.AUDITOR])
def test_refused_pages_are_recorded(
    app: Flask, client: FlaskClient, accounts: Accounts, sign_in: SignIn, role: GlobalRole | None
) -> None:
    user = accounts.user(role=role)
    sign_in(client, "worker@test.example")
    assert client.get("/admin/users").status_code == 403
    denied = [e for e in events(app) if e.action is AuditAction.ACCESS_DENIED]
    assert [(e.actor_id, e.object_type, e.object_id, e.outcome) for e in denied] == [
        (user.id, "endpoint", "accounts.users", Outcome.DENIED)
    ]


def test_admin_changes_record_structural_fields_and_mask_personal_ones(
    app: Flask, admin_client: FlaskClient, accounts: Accounts
) -> None:
    worker = accounts.user(name=CANARY)
    post_form(
        admin_client,
        f"/admin/users/{worker.id}/edit",
        {"display_name": f"{CANARY} renamed", "organisation_id": "1", "global_role": "manager"},
    )
    updated = next(e for e in events(app) if e.action is AuditAction.USER_UPDATED)
    assert json.loads(updated.changes) == {
        "display_name": "changed",
        "global_role": [None, "manager"],
    }


def test_no_personal_data_in_clear_anywhere_in_the_trail(
    app: Flask, admin_client: FlaskClient, accounts: Accounts, sign_in: SignIn
) -> None:
    canary_email = "canary-7f3a@test.example"
    accounts.user(canary_email, name=CANARY)
    sign_in(app.test_client(), canary_email)
    post_form(
        admin_client,
        "/admin/users/new",
        {
            "display_name": CANARY,
            "email": "canary-new-7f3a@test.example",
            "organisation_id": "1",
            "global_role": "none",
        },
    )
    post_form(
        app.test_client(), "/sign-in", {"email": canary_email, "password": "canary-7f3a password"}
    )
    with app.app_context():
        rows = db.session.execute(text("SELECT * FROM audit_events")).all()
    dump = repr(rows)
    assert len(rows) > 5
    # "canary" has letters no hex digest has, so a hash can never match by chance ("7f3a" did).
    assert "canary" not in dump.lower()
    assert PASSWORD not in dump


# Tamper evidence -----------------------------------------------------------------------------


@pytest.fixture
def chain(app: Flask) -> Flask:
    """Twelve events on the chain and the append-only triggers dropped, as a DBA could."""
    with app.test_request_context():
        for number in range(12):
            audit.record(actor=None, action=AuditAction.AUDIT_LOG_VIEWED, object=("test", number))
        db.session.commit()
        db.session.execute(text("DROP TRIGGER audit_events_no_update"))
        db.session.execute(text("DROP TRIGGER audit_events_no_delete"))
        db.session.commit()
    return app


def first_bad(app: Flask, *, checkpoints: list[Any] | None = None, workers: int = 1) -> int | None:
    with app.app_context():
        result = verify_chain(checkpoints or [], workers=workers)
        return result.first_bad_sequence


@pytest.fixture
def short_shares(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let even a twelve-event chain be split between workers."""
    monkeypatch.setattr(audit_verify, "WORKER_SHARE", 1)


def tamper(app: Flask, *statements: str, **values: object) -> None:
    with app.app_context():
        for statement in statements:
            db.session.execute(text(statement), values)
        db.session.commit()


def test_an_intact_chain_verifies(chain: Flask) -> None:
    with chain.app_context():
        result = verify_chain()
    assert result.intact
    assert result.events_checked == 12


@pytest.mark.parametrize(
    ("statements", "bad"),
    [
        (["UPDATE audit_events SET object_id = '99' WHERE sequence = 5"], 5),
        (["UPDATE audit_events SET outcome = 'failure' WHERE sequence = 1"], 1),
        (
            [
                "UPDATE audit_events SET occurred_at = '2020-01-01 00:00:00.000000'"
                " WHERE sequence = 12"
            ],
            12,
        ),
        (["UPDATE audit_events SET occurred_at = 'not a time' WHERE sequence = 4"], 4),
        (["DELETE FROM audit_events WHERE sequence = 7"], 7),
        (["DELETE FROM audit_events WHERE sequence = 1"], 1),
        # swap the contents of two rows, keeping their positions
        (
            [
                "UPDATE audit_events SET object_id = 'x' WHERE sequence = 3",
                "UPDATE audit_events SET object_id = '2' WHERE sequence = 4",
                "UPDATE audit_events SET object_id = '3' WHERE sequence = 3",
            ],
            3,
        ),
        # reorder: move an event to the end
        (["UPDATE audit_events SET sequence = 13 WHERE sequence = 6"], 6),
        # insert a forged event in the middle, shifting the ones after it
        (
            [
                "UPDATE audit_events SET sequence = sequence + 100 WHERE sequence >= 9",
                "UPDATE audit_events SET sequence = sequence - 99 WHERE sequence >= 109",
                "INSERT INTO audit_events"
                " (sequence, occurred_at, action, outcome, previous_hash, event_hash)"
                " SELECT 9, occurred_at, action, outcome, event_hash, event_hash"
                " FROM audit_events WHERE sequence = 8",
            ],
            9,
        ),
    ],
    ids=[
        "edit-field",
        "edit-outcome",
        "edit-time",
        "garble-time",
        "delete-middle",
        "delete-first",
        "swap",
        "reorder",
        "insert",
    ],
)
@pytest.mark.parametrize("workers", [1, 3], ids=["one-walk", "three-workers"])
def test_any_single_tampering_is_detected_at_its_sequence(
    chain: Flask, statements: list[str], bad: int, workers: int, short_shares: None
) -> None:
    tamper(chain, *statements)
    assert first_bad(chain, workers=workers) == bad


# Every column but the event's own hash: what the leaf holds, and what it must hold. A field
# added to the leaf is altered here without anyone listing it, and so is a new column, which
# fails until the leaf covers it.
HASHED_FIELDS = sorted(
    set(LEAF_FIELDS) | {c.name for c in AuditEvent.__table__.columns} - {"event_hash"}
)


def _altered(field: str) -> str:
    """SQL giving the field a value of its own type that differs from the one stored."""
    column_type = AuditEvent.__table__.columns[field].type
    if isinstance(column_type, UTCDateTime):
        return "'2020-01-01 00:00:00.000000'"
    kind = column_type.python_type
    if kind is int:
        return f"COALESCE({field}, 0) + 1000"
    assert issubclass(kind, str), (field, kind)
    return f"COALESCE({field}, '') || 'x'"


@pytest.mark.parametrize("field", HASHED_FIELDS)
def test_altering_any_hashed_field_of_an_event_is_detected(chain: Flask, field: str) -> None:
    """Each field of the leaf, one at a time: a field left out of the hash could be rewritten
    and the chain would still verify."""
    tamper(chain, f"UPDATE audit_events SET {field} = {_altered(field)} WHERE sequence = 5")  # noqa: S608
    assert first_bad(chain) == 5, field


@pytest.mark.parametrize("workers", [1, 3], ids=["one-walk", "three-workers"])
@pytest.mark.parametrize("sequence", [4, 6], ids=["end-of-a-range", "inside-a-range"])
def test_an_edited_event_with_its_own_hash_recomputed_breaks_the_next_link(
    chain: Flask, sequence: int, workers: int, short_shares: None
) -> None:
    """The edited event verifies on its own; only the next event's previous hash, which still
    names the original, gives it away."""
    with chain.app_context():
        event = db.session.get_one(AuditEvent, sequence)
        event.object_id = "rewritten"
        event.event_hash = entry_hash(event)
        db.session.commit()
        result = verify_chain(workers=workers)
    assert (result.first_bad_sequence, result.problem) == (
        sequence + 1,
        "does not follow the event before it",
    )


# With three workers the ranges are 1-4, 5-8 and 9-12. The list of tamperings above already
# hits 1, 5, 7 and 9; these are the other ends of ranges (each start and end is then covered).
RANGE_EDGES = [4, 8, 12]


def test_workers_agree_with_one_walk_wherever_the_damage_is(
    chain: Flask, short_shares: None
) -> None:
    """Each range's last event edited, then deleted, one position at a time."""
    tamper(chain, "CREATE TABLE saved AS SELECT * FROM audit_events")
    for sequence in RANGE_EDGES:
        tamper(chain, "UPDATE audit_events SET purpose = 'x' WHERE sequence = :n", n=sequence)
        assert first_bad(chain, workers=3) == sequence
        tamper(chain, "UPDATE audit_events SET purpose = NULL WHERE sequence = :n", n=sequence)
    with chain.app_context():
        intact = verify_chain(workers=3)
    assert (intact.problem, intact.events_checked) == (None, 12)
    for sequence in RANGE_EDGES:
        tamper(chain, "DELETE FROM audit_events WHERE sequence = :n", n=sequence)
        with chain.app_context():
            result = verify_chain(workers=3)
        if sequence < 12:
            assert (result.first_bad_sequence, result.events_checked) == (sequence, sequence - 1)
        else:  # the head itself: only a checkpoint can tell
            assert (result.intact, result.events_checked) == (True, 11)
        tamper(
            chain, "INSERT INTO audit_events SELECT * FROM saved WHERE sequence = :n", n=sequence
        )


def test_a_recomputed_chain_is_caught_by_a_signed_checkpoint(chain: Flask) -> None:
    with chain.app_context():
        checkpoint = create_checkpoint()
        db.session.commit()
        # An attacker with database access edits event 4 and re-hashes everything after it.
        rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.sequence)).all()
        rows[3].object_id = "rewritten"
        previous = rows[2].event_hash
        for row in rows[3:]:
            row.previous_hash = previous
            row.event_hash = entry_hash(row)
            previous = row.event_hash
        db.session.commit()
        assert verify_chain().intact  # the chain alone cannot tell
        result = verify_chain([checkpoint])
    assert result.first_bad_sequence == 12
    assert result.problem == "differs from a signed checkpoint"


def test_a_truncated_tail_is_caught_by_a_checkpoint(chain: Flask) -> None:
    with chain.app_context():
        checkpoint = create_checkpoint()
        db.session.commit()
    tamper(chain, "DELETE FROM audit_events WHERE sequence >= 10")
    assert first_bad(chain) is None  # what is left still links up
    assert first_bad(chain, checkpoints=[checkpoint]) == 10


def test_a_forged_checkpoint_is_refused(chain: Flask) -> None:
    from dataclasses import replace

    with chain.app_context():
        checkpoint = create_checkpoint()
        db.session.commit()
        result = verify_chain([replace(checkpoint, head_hash="0" * 64)])
    assert not result.intact
    assert result.problem == "checkpoint signature is not valid"


def test_the_database_refuses_updates_and_deletes(app: Flask) -> None:
    with app.test_request_context():
        audit.record(actor=None, action=AuditAction.AUDIT_LOG_VIEWED)
        db.session.commit()
        for statement in ("UPDATE audit_events SET purpose = 'x'", "DELETE FROM audit_events"):
            with pytest.raises(DatabaseError, match="append-only"):
                db.session.execute(text(statement))
            db.session.rollback()


# The command line ----------------------------------------------------------------------------


def test_verify_command_exit_codes_and_messages(chain: Flask, tmp_path: Path) -> None:
    runner = chain.test_cli_runner()
    intact = runner.invoke(args=["audit", "verify"])
    assert intact.exit_code == 0
    assert "Audit trail intact: 12 events" in intact.output
    tamper(chain, "UPDATE audit_events SET object_id = 'changed' WHERE sequence = 6")
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1
    assert "BROKEN at sequence 6: event altered" in broken.output
    runs = [e for e in events(chain) if e.action is AuditAction.AUDIT_VERIFIED]
    assert [e.outcome for e in runs] == [Outcome.SUCCESS, Outcome.FAILURE]


def test_verify_command_shares_the_chain_between_workers(chain: Flask, short_shares: None) -> None:
    runner = chain.test_cli_runner()
    tamper(chain, "UPDATE audit_events SET object_id = 'changed' WHERE sequence = 10")
    broken = runner.invoke(args=["audit", "verify", "--workers", "2"])
    assert (broken.exit_code, broken.output.strip()) == (
        1,
        "Audit trail BROKEN at sequence 10: event altered.",
    )
    assert runner.invoke(args=["audit", "verify", "--workers", "0"]).exit_code == 2


def test_exported_checkpoints_are_checked_on_a_later_verify(chain: Flask, tmp_path: Path) -> None:
    runner = chain.test_cli_runner()
    made = runner.invoke(args=["audit", "checkpoint"])
    assert made.exit_code == 0
    assert json.loads(made.output)["sequence"] == 12
    exported = tmp_path / "checkpoints.jsonl"
    assert runner.invoke(args=["audit", "export-checkpoints", str(exported)]).exit_code == 0
    # Someone with database access removes the stored checkpoint and truncates the tail, and
    # what is left links up; but the copy kept outside the system still catches it.
    tamper(chain, "DELETE FROM audit_checkpoints", "DELETE FROM audit_events WHERE sequence >= 11")
    with chain.app_context():
        assert verify_chain().intact
    result = runner.invoke(args=["audit", "verify", "--checkpoints", str(exported)])
    assert result.exit_code == 1
    assert "BROKEN at sequence 11" in result.output


# Concurrent writers --------------------------------------------------------------------------


def write_concurrently(app: Flask, *, threads: int, each: int) -> list[BaseException]:
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for _ in range(each):
                with app.test_request_context():
                    audit.record(actor=None, action=AuditAction.AUDIT_LOG_VIEWED)
                    db.session.commit()
        except BaseException as error:
            errors.append(error)

    workers = [threading.Thread(target=writer) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    return errors


def assert_contiguous_and_intact(app: Flask, expected: int) -> None:
    with app.app_context():
        sequences = db.session.scalars(
            select(AuditEvent.sequence).order_by(AuditEvent.sequence)
        ).all()
        result = verify_chain()
    assert sequences == list(range(1, expected + 1))
    assert result.intact, result


def test_concurrent_writers_never_fork_the_chain_on_sqlite(app: Flask) -> None:
    assert write_concurrently(app, threads=8, each=25) == []
    assert_contiguous_and_intact(app, 200)


@pytest.mark.postgres
def test_concurrent_writers_never_fork_the_chain_on_postgresql(pg_app: Flask) -> None:
    assert write_concurrently(pg_app, threads=16, each=40) == []
    assert_contiguous_and_intact(pg_app, 640)


@pytest.mark.postgres
def test_postgresql_refuses_updates_deletes_and_truncation(pg_app: Flask) -> None:
    with pg_app.test_request_context():
        audit.record(actor=None, action=AuditAction.AUDIT_LOG_VIEWED)
        db.session.commit()
        for statement in (
            "UPDATE audit_events SET purpose = 'x'",
            "DELETE FROM audit_events",
            "TRUNCATE audit_events",
        ):
            with pytest.raises(DatabaseError, match="append-only"):
                db.session.execute(text(statement))
            db.session.rollback()


@pytest.mark.postgres
def test_tampering_is_detected_on_postgresql(pg_app: Flask, short_shares: None) -> None:
    with pg_app.test_request_context():
        for number in range(5):
            audit.record(actor=None, action=AuditAction.AUDIT_LOG_VIEWED, object=("test", number))
        db.session.commit()
        assert verify_chain().intact
        assert verify_chain(workers=2).events_checked == 5  # ranges 1-2 and 3-5, intact
        # A superuser can switch the triggers off; the chain still tells.
        db.session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        db.session.execute(text("UPDATE audit_events SET object_id = '9' WHERE sequence = 3"))
        db.session.commit()
        assert verify_chain().first_bad_sequence == 3
        assert verify_chain(workers=2).first_bad_sequence == 3
        db.session.execute(text("DELETE FROM audit_events WHERE sequence = 3"))
        db.session.commit()
        assert verify_chain().first_bad_sequence == 3
