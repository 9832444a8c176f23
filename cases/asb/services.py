"""State changes on ASB Case Review applications. Each takes the actor, flushes, and writes one
audit event naming the application by id with coded fields only: never a name, contact or text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import datetime

import audit
from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import db
from app.database import flush_unique
from app.errors import DomainError
from app.keys.models import KeyPurpose
from app.keys.store import key_store
from app.template_filters import UK
from audit import AuditAction
from cases.asb import rules
from cases.asb.models import Applicant
from cases.asb.models import CaseReviewApplication
from cases.asb.models import CaseReviewStep
from cases.asb.models import Complaint
from cases.asb.models import Incident
from cases.asb.models import ReviewStatus
from cases.asb.queries import assessment_of
from panels.models import Panel

TEXT_MAX_LENGTH = 5_000
NAME_MAX_LENGTH = 200


@dataclass(frozen=True)
class ApplicationDetails:
    """What the application form collects."""

    received_on: date
    applicant: Applicant
    applicant_name: str
    applicant_contact: str
    victim_name: str
    victim_consented: bool
    description: str


@dataclass(frozen=True)
class NewIncident:
    """An incident not yet on the application: when the behaviour happened, and what it was."""

    behaviour_on: date
    description: str


def receive_application(
    *, actor: User, panel: Panel, details: ApplicationDetails
) -> CaseReviewApplication:
    """Record an application; never anonymous, and a third party needs the victim's consent."""
    _require_review_panel(panel)
    _not_in_future(details.received_on, "received_on", "The date received")
    applicant_name = _required(details.applicant_name, "applicant_name", "the applicant’s name")
    contact = _required(
        details.applicant_contact, "applicant_contact", "a contact for the applicant"
    )
    victim_name = details.victim_name.strip()
    if details.applicant is Applicant.THIRD_PARTY:
        # E28: someone applying for the victim must have the victim's consent.
        _required(victim_name, "victim_name", "the victim’s name")
        if not details.victim_consented:
            raise DomainError(
                "Confirm the victim has agreed to this application being made for them",
                field="victim_consented",
            )
    application = CaseReviewApplication(
        panel=panel,
        data_key=key_store().new_key(KeyPurpose.CASE),
        received_on=details.received_on,
        applicant=details.applicant,
        victim_consented=details.applicant is Applicant.VICTIM or details.victim_consented,
        recorded_by_id=actor.id,
        applicant_name=applicant_name,
        applicant_contact=contact,
        victim_name=victim_name or applicant_name,
        description=_required(details.description, "description", "what the application is about"),
    )
    db.session.add(application)
    _add_step(application, actor, ReviewStatus.RECEIVED, details.received_on)
    db.session.flush()
    return _audited(
        application,
        actor,
        AuditAction.CASE_REVIEW_APPLICATION_RECEIVED,
        panel_id=[None, panel.id],
        received_on=[None, details.received_on.isoformat()],
        applicant=[None, details.applicant.value],
    )


def add_complaint(
    application: CaseReviewApplication,
    *,
    actor: User,
    agency: Organisation,
    complained_on: date,
    incident: Incident | None = None,
    new_incident: NewIncident | None = None,
) -> Complaint:
    """Record a complaint about an incident already on the application, or about a new one."""
    if application.status not in rules.TAKES_COMPLAINTS:
        raise DomainError(
            "The threshold has been decided: complaints can no longer be added", field="incident"
        )
    if incident is not None and incident.application_id != application.id:
        raise DomainError("Choose an incident from this application", field="incident")
    incident = incident or _new_incident(application, new_incident)
    _not_in_future(complained_on, "complained_on", "The date of the complaint")
    if complained_on < incident.behaviour_on:
        raise DomainError(
            "The date of the complaint must be the same as or after the behaviour",
            field="complained_on",
        )
    complaint = Complaint(
        incident=incident, agency=agency, complained_on=complained_on, recorded_by_id=actor.id
    )
    db.session.add(complaint)
    flush_unique("This agency’s complaint about this incident is already recorded", field="agency")
    audit.record(
        actor=actor,
        action=AuditAction.CASE_REVIEW_COMPLAINT_ADDED,
        object=application,
        changes={
            "complaint_id": [None, complaint.id],
            "incident_id": [None, incident.id],
            "agency_id": [None, agency.id],
            "complained_on": [None, complained_on.isoformat()],
        },
    )
    return complaint


def acknowledge(application: CaseReviewApplication, *, actor: User, on: date) -> None:
    _move(application, actor, ReviewStatus.ACKNOWLEDGED, on)
    application.acknowledged_on = on
    _audited(application, actor, AuditAction.CASE_REVIEW_ACKNOWLEDGED, on=on)


def decide_threshold(
    application: CaseReviewApplication, *, actor: User, on: date, met: bool, reason: str
) -> None:
    """Record the partnership's decision. When the qualifying complaints meet the threshold the
    review must go ahead; below it, the partnership may still decide it is met (persistence,
    harm or the adequacy of the response may be taken into account, domain §3.5)."""
    calculated = assessment_of(application).met
    if calculated and not met:
        raise DomainError(
            "The qualifying complaints meet the threshold, so the review must go ahead",
            field="met",
        )
    status = ReviewStatus.THRESHOLD_MET if met else ReviewStatus.THRESHOLD_NOT_MET
    reason = _required(reason, "reason", "the reason for the decision")
    _move(application, actor, status, on)
    application.decided_on, application.threshold_met = on, met
    application.decision_reason = reason
    _audited(
        application,
        actor,
        AuditAction.CASE_REVIEW_THRESHOLD_DECIDED,
        on=on,
        threshold_met=[None, met],
        calculated_met=[None, calculated],
    )


def record_review_meeting(application: CaseReviewApplication, *, actor: User, on: date) -> None:
    _move(application, actor, ReviewStatus.REVIEW_HELD, on)
    application.review_held_on = on
    _audited(application, actor, AuditAction.CASE_REVIEW_MEETING_HELD, on=on)


def record_outcome(
    application: CaseReviewApplication,
    *,
    actor: User,
    on: date,
    recommendations_made: bool,
    action_plan: str,
) -> None:
    """The outcome sent to the applicant: recommendations made or not, and the action plan."""
    plan = action_plan.strip()
    if recommendations_made:
        plan = _required(plan, "action_plan", "the action plan")
    _move(application, actor, ReviewStatus.OUTCOME_RECORDED, on)
    application.outcome_on, application.recommendations_made = on, recommendations_made
    application.action_plan = plan or None
    _audited(
        application,
        actor,
        AuditAction.CASE_REVIEW_OUTCOME_RECORDED,
        on=on,
        recommendations_made=[None, recommendations_made],
    )


def request_appeal(
    application: CaseReviewApplication, *, actor: User, on: date, grounds: str
) -> None:
    grounds = _required(grounds, "grounds", "the grounds for the appeal")
    _move(application, actor, ReviewStatus.APPEAL_REQUESTED, on)
    application.appeal_requested_on, application.appeal_grounds = on, grounds
    _audited(application, actor, AuditAction.CASE_REVIEW_APPEAL_REQUESTED, on=on)


def decide_appeal(
    application: CaseReviewApplication, *, actor: User, on: date, upheld: bool, reason: str
) -> None:
    """An appeal upheld against a "not met" decision means the review must now be held."""
    reason = _required(reason, "reason", "the reason for the appeal decision")
    _move(application, actor, ReviewStatus.APPEAL_DECIDED, on)
    application.appeal_decided_on, application.appeal_upheld = on, upheld
    application.appeal_reason = reason
    _audited(
        application, actor, AuditAction.CASE_REVIEW_APPEAL_DECIDED, on=on, upheld=[None, upheld]
    )


# Helpers ------------------------------------------------------------------------------------


def _move(application: CaseReviewApplication, actor: User, to: ReviewStatus, on: date) -> None:
    rules.require_move(application.status, to, review_owed=application.review_owed)
    _not_in_future(on, "on", "The date")
    last = application.steps[-1].on if application.steps else application.received_on
    if on < last:
        raise DomainError(
            f"The date must be the same as or after the last step ({last:%d/%m/%Y})", field="on"
        )
    application.status = to
    _add_step(application, actor, to, on)


def _add_step(
    application: CaseReviewApplication, actor: User, status: ReviewStatus, on: date
) -> None:
    db.session.add(CaseReviewStep(application=application, status=status, on=on, by=actor))


def _audited(
    application: CaseReviewApplication, actor: User, action: AuditAction, **changes: object
) -> CaseReviewApplication:
    db.session.flush()
    if isinstance(on := changes.pop("on", None), date):
        changes["status"] = [None, application.status.value]
        changes["on"] = [None, on.isoformat()]
    audit.record(actor=actor, action=action, object=application, changes=changes)
    return application


def _new_incident(application: CaseReviewApplication, new: NewIncident | None) -> Incident:
    if new is None:
        raise DomainError("Choose the incident, or add a new one", field="incident")
    _not_in_future(new.behaviour_on, "behaviour_on", "The date of the behaviour")
    incident = Incident(
        application=application,
        data_key=application.data_key,
        behaviour_on=new.behaviour_on,
        description=_required(new.description, "incident_description", "what happened"),
    )
    db.session.add(incident)
    return incident


def _require_review_panel(panel: Panel) -> None:
    if not panel.spec.holds_case_reviews:
        raise DomainError("ASB Case Reviews are held by a Community MARAC panel", field="panel")
    if not panel.active:
        raise DomainError("This panel is no longer active", field="panel")


def _required(value: str, field: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(f"Enter {what}", field=field)
    limit = NAME_MAX_LENGTH if field.endswith(("name", "contact")) else TEXT_MAX_LENGTH
    if len(value) > limit:
        label = what.removeprefix("the ").removeprefix("a ")
        raise DomainError(
            f"{label[0].upper()}{label[1:]} must be {limit:,} characters or fewer", field=field
        )
    return value


def _not_in_future(day: date, field: str, label: str) -> None:
    if day > datetime.now(UK).date():
        raise DomainError(f"{label} must be today or in the past", field=field)
