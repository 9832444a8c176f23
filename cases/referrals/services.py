"""Referrals from draft to meeting: saving sections, submitting, screening (with identity
matching and repeat detection), listing at a meeting, hearing, and Marac-to-Marac transfer.

Each service takes the actor, flushes but never commits, and writes exactly one audit event
naming the referral or case by id. What the referrer typed stays sealed in `Referral.answers`;
the clear columns are filled from it on submission and screening.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

import audit
from app.accounts.models import User
from app.database import db
from app.database import utcnow
from app.errors import DomainError
from app.keys.models import KeyPurpose
from app.keys.store import key_store
from audit import AuditAction
from cases import policy
from cases.actions import services as actions
from cases.models import Case
from cases.models import CasePerson
from cases.models import CaseRole
from cases.models import Person
from cases.people.queries import case_for
from cases.people.queries import on_live_case_of
from cases.people.services import new_person_record
from cases.referrals.models import CaseTransfer
from cases.referrals.models import Referral
from cases.referrals.models import RiskAssessment
from cases.referrals.rules import RepeatFinding
from cases.referrals.rules import answers_of
from cases.referrals.rules import assess_repeat
from cases.referrals.rules import effective_criteria
from cases.referrals.rules import identity_of
from cases.referrals.rules import latest_referral
from cases.referrals.rules import optional_date
from cases.referrals.rules import people_of
from cases.referrals.rules import problems_with
from cases.referrals.rules import victim_age_band
from cases.referrals.rules import young_perpetrators
from cases.sharing import services as sharing
from cases.sharing.models import ConsentStatus
from cases.sharing.models import Disclosure
from cases.sharing.models import LawfulBasis
from notifications import Event
from notifications import notify
from notifications import path_for
from panels.instruments.asb_matrix import matrix_level
from panels.instruments.asb_matrix import matrix_score
from panels.instruments.asb_matrix import matrix_version
from panels.instruments.dash import DASH_VERSION
from panels.instruments.dash import dash_level
from panels.instruments.dash import dash_yes_count
from panels.models import Meeting
from panels.models import Panel
from panels.models import PanelRole
from panels.policy import members_to_tell
from panels.types.common import WINDOW_OPENING_STATUSES
from panels.types.common import Criterion
from panels.types.common import FormSection
from panels.types.common import ReferralStatus
from panels.types.common import RiskLevel
from panels.types.common import RiskTool

REASON_MAX_LENGTH = 2_000
EDITABLE = frozenset({ReferralStatus.DRAFT, ReferralStatus.RETURNED})
ACCEPTED_STATUSES = WINDOW_OPENING_STATUSES | {ReferralStatus.TRANSFERRED_OUT}


class ReferralIncomplete(DomainError):
    """Submission refused: each problem names the section to fix."""

    def __init__(self, problems: Sequence[tuple[FormSection, str]]) -> None:
        super().__init__(problems[0][1])
        self.problems = list(problems)


# Drafting ------------------------------------------------------------------------------------


def start_referral(*, actor: User, panel: Panel) -> Referral:
    if not panel.active:
        raise DomainError("This panel is no longer active", field="panel_id")
    if not panel.spec.takes_referrals:
        raise DomainError(f"{panel.name} does not take referrals here yet", field="panel_id")
    referral = Referral(
        data_key=key_store().new_key(KeyPurpose.CASE),
        panel=panel,
        referrer=actor,
        referring_agency_id=actor.organisation_id,
        status=ReferralStatus.DRAFT,
        answers="{}",
    )
    db.session.add(referral)
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.REFERRAL_STARTED,
        object=referral,
        changes={"panel_id": [None, panel.id]},
    )
    return referral


def save_section(
    referral: Referral, *, actor: User, section: FormSection, data: dict[str, Any]
) -> Referral:
    """Keep one section as typed. Only the referrer's draft (or returned referral) changes."""
    _require_editable(referral)
    if section not in referral.panel.spec.sections:
        raise DomainError(f"A {referral.panel.spec.label} referral has no such section")
    answers = answers_of(referral)
    answers[section.value] = data
    referral.answers = json.dumps(answers, sort_keys=True)
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.REFERRAL_UPDATED,
        object=referral,
        changes={"section": [None, section.value]},
    )
    return referral


def submit_referral(referral: Referral, *, actor: User) -> Referral:
    _require_editable(referral)
    problems = problems_with(referral)
    if problems:
        raise ReferralIncomplete(problems)
    answers = answers_of(referral)
    referral.referred_on = date.fromisoformat(answers["about"]["referred_on"])
    referral.criteria = [c.value for c in effective_criteria(referral)]
    _record_risk(referral, answers.get(FormSection.RISK.value))
    _record_consent_and_diversity(referral, answers)
    _record_ages(referral, referral.referred_on)
    referral.children_count = sum(
        1 for p in people_of(referral) if p.get("role") == CaseRole.CHILD.value
    )
    before = referral.status
    referral.status = ReferralStatus.SUBMITTED
    referral.submitted_at = utcnow()
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.REFERRAL_SUBMITTED,
        object=referral,
        changes={
            "status": [before.value, referral.status.value],
            "criteria": [None, referral.criteria],
            "risk_score": [None, referral.risk_score],
        },
    )
    notify(
        Event.REFERRAL_WAITING,
        to=members_to_tell(referral.panel_id, PanelRole.COORDINATOR),
        link=path_for("referrals.screen", referral_id=referral.id),
        panel=referral.panel.name,
        reference=referral.reference,
    )
    return referral


def _record_risk(referral: Referral, risk: dict[str, Any] | None) -> None:
    """Copy the score and level to clear columns and keep the answers as a versioned
    assessment. Police may send a DARA grade instead of a DASH count (E14)."""
    panel = referral.panel
    criteria = set(referral.criteria or [])
    for earlier in list(referral.assessments):  # a resubmission replaces what it had
        referral.assessments.remove(earlier)
        db.session.delete(earlier)
    if not risk:
        referral.risk_level = panel.spec.unassessed_risk_level
        return
    items = risk.get("items", [])
    if risk.get("tool") == RiskTool.DASH.value:
        score = dash_yes_count(items)
        judged = Criterion.PROFESSIONAL_JUDGEMENT.value in criteria
        level = dash_level(score, panel.settings.dash_threshold, judged=judged)
        tool, version = RiskTool.DASH, DASH_VERSION
    elif risk.get("tool") == RiskTool.ASB_RISK_MATRIX.value:
        score = matrix_score(panel, items)
        level = matrix_level(panel, score)
        tool, version = RiskTool.ASB_RISK_MATRIX, matrix_version(panel)
    else:  # a DARA grade: no numeric score
        referral.risk_tool, referral.risk_score = None, None
        referral.risk_level = RiskLevel(risk["grade"])
        return
    referral.risk_tool, referral.risk_score, referral.risk_level = tool, score, level
    db.session.add(
        RiskAssessment(
            referral=referral,
            data_key=referral.data_key,
            tool=tool,
            instrument_version=version,
            completed_on=optional_date(risk.get("completed_on")),
            with_victim=risk.get("with_victim"),
            score=score,
            level=level,
            items=json.dumps(items),
        )
    )


def _record_consent_and_diversity(referral: Referral, answers: dict[str, Any]) -> None:
    consent = answers.get(FormSection.CONSENT.value, {})
    referral.consent_given = consent.get("consent_given")
    referral.victim_aware = consent.get("victim_aware")
    diversity = answers.get(FormSection.DIVERSITY.value, {})
    referral.victim_gender = diversity.get("gender")
    referral.victim_minoritised = diversity.get("minoritised")
    referral.victim_disabled = diversity.get("disabled")
    referral.victim_lgbt = diversity.get("lgbt")


def _record_ages(referral: Referral, on: date) -> None:
    """Code the victim's age band and the young perpetrators on the referral date for the
    SafeLives return, which reads only clear columns (domain §2.10, E8, E50)."""
    people = people_of(referral)
    referral.victim_age_band = victim_age_band(people, on)
    referral.young_perpetrators = young_perpetrators(people, on)


def withdraw_referral(referral: Referral, *, actor: User) -> Referral:
    return _move(referral, ReferralStatus.WITHDRAWN, actor, AuditAction.REFERRAL_WITHDRAWN)


# Screening -----------------------------------------------------------------------------------


def return_referral(referral: Referral, *, actor: User, reason: str) -> Referral:
    """Back to the referrer for more information, with the reason (they can edit and resubmit)."""
    _require_move(referral, ReferralStatus.RETURNED)
    referral.decision_reason = _reason(reason)
    _move(referral, ReferralStatus.RETURNED, actor, AuditAction.REFERRAL_RETURNED)
    return _tell_referrer(referral, Event.REFERRAL_RETURNED)


def reject_referral(referral: Referral, *, actor: User, reason: str) -> Referral:
    """Criteria not met. A checklist at or above the threshold is never rejected for not
    meeting the criteria (E13)."""
    if (
        referral.risk_tool is RiskTool.DASH
        and referral.risk_score is not None
        and referral.risk_score >= referral.panel.settings.dash_threshold
    ):
        raise DomainError(
            "This referral is at or above the risk threshold, so it meets the criteria: it "
            "cannot be rejected as not meeting them",
            field="decision",
        )
    _require_move(referral, ReferralStatus.REJECTED)
    referral.decision_reason = _reason(reason)
    _move(referral, ReferralStatus.REJECTED, actor, AuditAction.REFERRAL_REJECTED)
    return _tell_referrer(referral, Event.REFERRAL_REJECTED)


@dataclass(frozen=True)
class Acceptance:
    case: Case
    new_case: bool
    people: list[Person]  # in the referral's order, as matched or created


def accept_referral(
    referral: Referral, *, actor: User, matches: Sequence[int | None], today: date
) -> Acceptance:
    """Accept a submitted referral, with a coordinator's decision for each referred person:
    an existing person (by id, from this panel's cases) or None for someone new.

    The referral joins the case it belongs to (same victim and perpetrator for MARAC) or opens
    a new one, and is judged a repeat or not; a repeat is accepted whatever its risk (E3).
    """
    _require_status(referral, {ReferralStatus.SUBMITTED}, "accepted")
    entries = people_of(referral)
    people = _matched_people(referral, entries, matches)
    case = _case_of(referral, people, entries, actor)
    new_case = case is None
    if case is None:
        case = _open_case(referral, today)
    _link_people(case, people, entries)
    finding = _judge_repeat(referral, case)
    referral.status = ReferralStatus.ACCEPTED
    _screened(referral, actor)
    db.session.flush()
    _refresh_case(case)
    db.session.flush()
    audit.record(
        actor=actor,
        action=AuditAction.REFERRAL_ACCEPTED,
        object=referral,
        changes={
            "status": ["submitted", "accepted"],
            "case_id": [None, case.id],
            "new_case": [None, new_case],
            "is_repeat": [None, finding.is_repeat],
            "repeat_of_id": [None, finding.repeat_of.id if finding.repeat_of else None],
            "person_ids": [None, [p.id for p in people]],
        },
    )
    _tell_referrer(referral, Event.REFERRAL_ACCEPTED)
    return Acceptance(case, new_case, people)


def _tell_referrer(referral: Referral, event: Event) -> Referral:
    """The person who sent the referral hears the coordinator's decision (issue 22)."""
    notify(
        event,
        to=[referral.referrer],
        link=path_for("referrals.show", referral_id=referral.id),
        panel=referral.panel.name,
        reference=referral.reference,
    )
    return referral


def _matched_people(
    referral: Referral, entries: Sequence[dict[str, Any]], matches: Sequence[int | None]
) -> list[Person]:
    """Each referred person as the coordinator matched them, or a new person record."""
    if len(matches) != len(entries):
        raise DomainError("Decide for every person in the referral", field="matches")
    safety = answers_of(referral).get(FormSection.SAFETY.value)
    return [
        _resolve_person(
            referral.panel, entry, match, safety if entry["role"] == CaseRole.VICTIM.value else None
        )
        for entry, match in zip(entries, matches, strict=True)
    ]


def _case_of(
    referral: Referral, people: Sequence[Person], entries: Sequence[dict[str, Any]], actor: User
) -> Case | None:
    """The live case the referral belongs to, if any, unless it is closed to the actor."""
    victim = next(p for p, e in zip(people, entries, strict=True) if e["role"] == "victim")
    perpetrators = [p for p, e in zip(people, entries, strict=True) if e["role"] == "perpetrator"]
    case = case_for(referral.panel, victim.id, [p.id for p in perpetrators]) if victim.id else None
    if case is not None and case.id in policy.viewer_of(actor).restricted:
        # Staff as subject: the referral belongs to a case closed to the actor's organisation.
        # Saying so would reveal the case; another agency's coordinator screens it instead.
        raise DomainError(
            "You cannot accept this referral: ask a coordinator from another agency to screen it",
            field="decision",
        )
    return case


def _open_case(referral: Referral, today: date) -> Case:
    """A new case on the referral's panel, opened today with its own data key."""
    case = Case(
        panel=referral.panel,
        data_key=key_store().new_key(KeyPurpose.CASE),
        opened_on=today,
    )
    db.session.add(case)
    return case


def _judge_repeat(referral: Referral, case: Case) -> RepeatFinding:
    """Join the referral to its case and record whether it repeats an earlier one."""
    assert referral.referred_on is not None
    settings = referral.panel.settings
    finding = assess_repeat(
        [r for r in case.referrals if r.id != referral.id],
        referral.referred_on,
        referral.panel.panel_type,
        settings,
    )
    referral.case = case
    referral.is_repeat = finding.is_repeat
    referral.repeat_of = finding.repeat_of
    referral.flag_expires_on = finding.flag_expires_on
    referral.repeat_definition = referral.panel.spec.repeat_rule.definition(
        settings.repeat_definition
    )
    referral.rules_version = settings.definitions_version
    if finding.is_repeat and Criterion.REPEAT.value not in (referral.criteria or []):
        referral.criteria = [*(referral.criteria or []), Criterion.REPEAT.value]
    return finding


def _resolve_person(
    panel: Panel, entry: dict[str, Any], match: int | None, safety: dict[str, Any] | None
) -> Person:
    if match is None:
        person = new_person_record(identity_of(entry, safety))
        db.session.add(person)
        db.session.flush()
        return person
    # Only someone already in this panel's live cases can be chosen: an id from elsewhere is
    # refused exactly like one that does not exist.
    chosen = db.session.scalar(
        select(Person).where(Person.id == match, on_live_case_of(panel, Person.id))
    )
    if chosen is None:
        raise DomainError("Choose one of the people suggested, or a new person", field="matches")
    return chosen


def _link_people(case: Case, people: Sequence[Person], entries: Sequence[dict[str, Any]]) -> None:
    existing = {(link.person_id, link.role) for link in case.people}
    for person, entry in zip(people, entries, strict=True):
        role = CaseRole(entry["role"])
        if (person.id, role) not in existing:
            db.session.add(CasePerson(case=case, person=person, role=role))
            existing.add((person.id, role))


# Meetings and transfer -----------------------------------------------------------------------


def list_for_meeting(referral: Referral, *, actor: User, meeting: Meeting) -> Referral:
    _require_move(referral, ReferralStatus.LISTED)
    if meeting.panel_id != referral.panel_id:
        raise DomainError("Choose a meeting of this referral’s panel", field="meeting_id")
    assert referral.referred_on is not None
    if meeting.held_on < referral.referred_on:
        raise DomainError("Choose a meeting on or after the referral date", field="meeting_id")
    referral.meeting = meeting
    return _move(referral, ReferralStatus.LISTED, actor, AuditAction.REFERRAL_LISTED)


def carry_listing(referral: Referral, *, meeting: Meeting) -> Meeting:
    """Move a referral listed at a meeting that did not hear it to a later meeting of its
    panel, returning the meeting it leaves. The caller (the agenda's service) records the
    event: the move is one change of the agenda."""
    if referral.status is not ReferralStatus.LISTED or referral.meeting is None:
        raise DomainError("Only a referral listed and not yet heard can be carried forward")
    if meeting.panel_id != referral.panel_id:
        raise DomainError("Choose a meeting of this referral’s panel")
    earlier = referral.meeting
    if meeting.held_on <= earlier.held_on:
        raise DomainError("A referral is carried forward only to a later meeting")
    referral.meeting = meeting
    db.session.flush()
    if referral.case is not None:
        _refresh_case(referral.case)
        db.session.flush()
    return earlier


def mark_heard(referral: Referral, *, actor: User, today: date) -> Referral:
    if referral.meeting is None or referral.meeting.held_on > today:
        raise DomainError("A case can only be marked as heard on or after its meeting date")
    return _move(referral, ReferralStatus.HEARD, actor, AuditAction.REFERRAL_HEARD)


def transfer_case(
    case: Case,
    *,
    actor: User,
    to_panel: Panel,
    transferred_on: date,
    reason: str,
    lawful_basis: LawfulBasis,
    consent: ConsentStatus,
    agreements: Mapping[int, bool] | None = None,
    without_agreement_reason: str | None = None,
) -> CaseTransfer:
    """Marac-to-Marac transfer (domain §2.6, R19, E9): the case, with every referral, note and
    person, moves to the receiving panel, where a new accepted referral starts its part of the
    history; the originating referral is marked transferred out.

    A transfer is an onward disclosure (R7, R8): it records a sharing decision, with its lawful
    basis, consent and the transfer's reason, and each originating agency's agreement or the
    reason for going ahead without it. So it writes two events: the decision's, then the
    transfer's."""
    from_panel = case.panel
    latest = _transferable_referral(case, to_panel, transferred_on)
    # Checked before anything changes, so a refusal leaves the case exactly as it was.
    sharing.check_decision(
        case=case,
        organisation_id=actor.organisation_id,
        disclosure=Disclosure.TRANSFER,
        shared=True,
        recipient=to_panel.name,
        lawful_basis=lawful_basis,
        consent=consent,
        reason=reason,
        agreements=agreements or {},
        without_agreement_reason=without_agreement_reason,
    )
    latest.status = ReferralStatus.TRANSFERRED_OUT
    incoming = _incoming_referral(case, latest, to_panel, transferred_on, actor)
    transfer = _transfer_record(case, from_panel, to_panel, transferred_on, actor, reason)
    db.session.add_all([incoming, transfer])
    db.session.flush()
    sharing.record_decision(
        actor=actor,
        case=case,
        disclosure=Disclosure.TRANSFER,
        shared=True,
        recipient=to_panel.name,
        lawful_basis=lawful_basis,
        consent=consent,
        reason=reason,
        agreements=agreements,
        without_agreement_reason=without_agreement_reason,
        transfer=transfer,
    )
    _move_case(case, to_panel, actor=actor, from_panel=from_panel, transferred_on=transferred_on)
    audit.record(
        actor=actor,
        action=AuditAction.CASE_TRANSFERRED,
        object=case,
        changes={
            "panel_id": [from_panel.id, to_panel.id],
            "referral_id": [latest.id, incoming.id],
        },
    )
    return transfer


def _transferable_referral(case: Case, to_panel: Panel, transferred_on: date) -> Referral:
    """The case's latest referral, if the case may go to `to_panel` on `transferred_on`."""
    from_panel = case.panel
    if to_panel.panel_type is not from_panel.panel_type or to_panel.id == from_panel.id:
        raise DomainError("Choose another area’s panel of the same kind", field="to_panel_id")
    if to_panel.area_id == from_panel.area_id:
        raise DomainError("Choose a panel in another area", field="to_panel_id")
    if not to_panel.active:
        raise DomainError("That panel is no longer active", field="to_panel_id")
    latest = latest_referral(case)
    if latest is None or latest.status not in WINDOW_OPENING_STATUSES:
        raise DomainError("Only a case with an accepted referral can be transferred")
    assert latest.referred_on is not None
    if transferred_on < latest.referred_on:
        raise DomainError(
            "The transfer date must be on or after the date of the case’s last referral",
            field="transferred_on",
        )
    return latest


def _incoming_referral(
    case: Case, latest: Referral, to_panel: Panel, transferred_on: date, actor: User
) -> Referral:
    """The receiving panel's accepted referral: a copy of the case's latest one, referred on
    the day of the transfer. Its repeat window stays the one the latest referral opened
    (`Referral.window_opened_on`, E1, E9)."""
    incoming = Referral(
        data_key=key_store().new_key(KeyPurpose.CASE),
        panel=to_panel,
        case=case,
        referrer=actor,
        # The information still comes from the agency that referred it, not from the sending
        # coordinator's agency, which gains no standing on the receiving panel (R7).
        referring_agency_id=latest.referring_agency_id,
        status=ReferralStatus.ACCEPTED,
        referred_on=transferred_on,
        transferred_from=latest,
        submitted_at=utcnow(),
        criteria=latest.criteria,
        risk_tool=latest.risk_tool,
        risk_score=latest.risk_score,
        risk_level=latest.risk_level,
        consent_given=latest.consent_given,
        victim_aware=latest.victim_aware,
        children_count=latest.children_count,
        # The coded figures travel too, so the receiving panel's return counts them (§2.10).
        victim_gender=latest.victim_gender,
        victim_minoritised=latest.victim_minoritised,
        victim_disabled=latest.victim_disabled,
        victim_lgbt=latest.victim_lgbt,
        victim_age_band=latest.victim_age_band,
        young_perpetrators=latest.young_perpetrators,
        flag_expires_on=latest.flag_expires_on,
        answers=latest.answers,
    )
    _screened(incoming, actor)
    return incoming


def _transfer_record(
    case: Case, from_panel: Panel, to_panel: Panel, transferred_on: date, actor: User, reason: str
) -> CaseTransfer:
    """The transfer as the case's history shows it, with its reason sealed with the case."""
    return CaseTransfer(
        case=case,
        data_key=case.data_key,
        from_panel_id=from_panel.id,
        to_panel_id=to_panel.id,
        transferred_on=transferred_on,
        by_id=actor.id,
        reason=_reason(reason),
    )


def _move_case(
    case: Case, to_panel: Panel, *, actor: User, from_panel: Panel, transferred_on: date
) -> None:
    """The case moves to the receiving panel, and its actions and list columns follow."""
    case.panel = to_panel
    db.session.flush()
    actions.follow_transfer(
        case, actor=actor, from_panel_name=from_panel.name, transferred_on=transferred_on
    )
    _refresh_case(case)
    db.session.flush()


# The case's copy of its latest referral --------------------------------------------------------


def _refresh_case(case: Case) -> None:
    """Copy the latest referral's state to the case, for the case list's filters and sort."""
    latest = latest_referral(case)
    opening = [r for r in case.referrals if r.status in WINDOW_OPENING_STATUSES]
    last_opening = max(opening, key=lambda r: (r.referred_on, r.id), default=None)
    # Every referral a panel accepted, one since sent on by a transfer included (R19).
    accepted = [r for r in case.referrals if r.status in ACCEPTED_STATUSES]
    case.stage = latest.status if latest else None
    case.risk_level = latest.risk_level if latest else None
    case.is_repeat = bool(latest and latest.is_repeat)
    case.referral_count = len(accepted)
    case.last_referred_on = latest.referred_on if latest else None
    case.flag_expires_on = last_opening.flag_expires_on if last_opening else None
    listed = [
        r.meeting.held_on for r in case.referrals if r.status is ReferralStatus.LISTED and r.meeting
    ]
    case.next_meeting_on = min(listed, default=None)


# Helpers -------------------------------------------------------------------------------------


def _require_move(referral: Referral, to: ReferralStatus) -> None:
    if not referral.panel.spec.can_move(referral.status, to):
        raise DomainError(
            f"A referral that is ‘{referral.status.label.lower()}’ cannot be {to.label.lower()}"
        )


def _move(referral: Referral, to: ReferralStatus, actor: User, action: AuditAction) -> Referral:
    before = referral.status
    _require_move(referral, to)
    referral.status = to
    if to in (ReferralStatus.RETURNED, ReferralStatus.REJECTED):
        _screened(referral, actor)
    db.session.flush()
    if referral.case is not None:
        _refresh_case(referral.case)
        db.session.flush()
    audit.record(
        actor=actor,
        action=action,
        object=referral,
        changes={"status": [before.value, to.value]}
        | ({"meeting_id": [None, referral.meeting_id]} if to is ReferralStatus.LISTED else {}),
    )
    return referral


def _screened(referral: Referral, actor: User) -> None:
    referral.screened_at = utcnow()
    referral.screened_by_id = actor.id


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise DomainError("Enter the reason", field="reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise DomainError(
            f"The reason must be {REASON_MAX_LENGTH:,} characters or fewer", field="reason"
        )
    return reason


def _require_editable(referral: Referral) -> None:
    if referral.status not in EDITABLE:
        raise DomainError("This referral has been submitted and can no longer be changed")


def _require_status(referral: Referral, allowed: set[ReferralStatus], verb: str) -> None:
    if referral.status not in allowed:
        raise DomainError(f"A referral that is ‘{referral.status.label.lower()}’ cannot be {verb}")
