"""Reads for subject access work: open requests by due date, the person records that may be the
requester (across every panel: the auditor's search is not limited to a panel), and the bundle of
every record that mentions the confirmed people.

Only auditors reach these (the views require Permission.AUDIT_LOG_READ); each read is recorded by
the view that shows it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm import selectinload

from app.database import db
from cases import access_log
from cases.access_log import AccessEntry
from cases.actions.models import CaseAction
from cases.models import Case
from cases.models import CaseNote
from cases.models import CasePerson
from cases.models import CaseRole
from cases.people.queries import Suggestion
from cases.people.queries import suggest_among
from cases.referrals.models import Referral
from cases.subject_access.models import CLOSED_STATUSES
from cases.subject_access.models import DisclosureDecision
from cases.subject_access.models import SubjectAccessRequest
from panels.models import Panel
from panels.types import panel_types_where

OPEN_LIST_LIMIT = 500
BUNDLE_ACCESS_LIMIT = 2_000


def current_due_on(request: SubjectAccessRequest, today: date) -> date:
    """The deadline as of today: while the clock is paused, each day paused moves it on."""
    if request.paused_since is None:
        return request.due_on
    return request.due_on + timedelta(max(0, (today - request.paused_since).days))


def overdue(request: SubjectAccessRequest, today: date) -> bool:
    return request.status.open and current_due_on(request, today) < today


def open_requests() -> Sequence[SubjectAccessRequest]:
    """Requests not yet completed or refused, soonest due first (bounded: they are few)."""
    return db.session.scalars(
        select(SubjectAccessRequest)
        .where(SubjectAccessRequest.status.not_in(CLOSED_STATUSES))
        .order_by(SubjectAccessRequest.due_on, SubjectAccessRequest.id)
        .limit(OPEN_LIST_LIMIT)
    ).all()


def request_by_id(request_id: int) -> SubjectAccessRequest | None:
    return db.session.scalar(
        select(SubjectAccessRequest)
        .where(SubjectAccessRequest.id == request_id)
        .options(selectinload(SubjectAccessRequest.subjects))
    )


@dataclass(frozen=True)
class Candidate:
    """A person record that may be the requester, and the cases it appears in."""

    suggestion: Suggestion
    appearances: Sequence[CasePerson]


def candidates(request: SubjectAccessRequest, *, closed: frozenset[int]) -> list[Candidate]:
    """People across all panels whose family name (or an alias's) and date of birth match what
    the requester gave, with their first name or not; the ones already confirmed are always
    included. A first name and date of birth alone find nobody: the search spans every panel,
    Channel's included, so a guessed first name must not confirm that someone is known."""
    born = request.subject_date_of_birth
    found = (
        suggest_among(
            None,
            request.subject_given_names or "",
            request.subject_family_name or "",
            [born],
            family_name_needed=True,
        )
        if born
        else []
    )
    confirmed = [s.person for s in request.subjects]
    seen = {s.person.id for s in found}
    found += [Suggestion(p, "confirmed") for p in confirmed if p.id not in seen]
    appearances = _appearances([s.person.id for s in found], closed)
    return [Candidate(s, appearances.get(s.person.id, [])) for s in found]


def _appearances(person_ids: Sequence[int], closed: frozenset[int]) -> dict[int, list[CasePerson]]:
    if not person_ids:
        return {}
    links = db.session.scalars(
        select(CasePerson)
        .where(CasePerson.person_id.in_(person_ids), CasePerson.case_id.not_in(closed))
        .options(joinedload(CasePerson.case))
        .order_by(CasePerson.case_id)
    ).all()
    grouped: dict[int, list[CasePerson]] = defaultdict(list)
    for link in links:
        grouped[link.person_id].append(link)
    return grouped


def alerting_cases(person_ids: Sequence[int]) -> Sequence[Case]:
    """The live cases these people are in whose panel's type alerts its coordinators when a
    subject access request is matched to someone in them (Channel)."""
    if not person_ids:
        return []
    return db.session.scalars(
        select(Case)
        .join(CasePerson, CasePerson.case_id == Case.id)
        .join(Panel, Panel.id == Case.panel_id)
        .where(
            CasePerson.person_id.in_(person_ids),
            Case.disposed_at.is_(None),
            Panel.panel_type.in_(panel_types_where(lambda spec: spec.alerts_on_subject_access)),
        )
        .distinct()
        .order_by(Case.id)
    ).all()


def withheld_case_ids(request: SubjectAccessRequest) -> set[int]:
    """Cases in which a confirmed record of the requester is the alleged perpetrator."""
    subject_ids = [s.person_id for s in request.subjects]
    if not subject_ids:
        return set()
    return set(
        db.session.scalars(
            select(CasePerson.case_id).where(
                CasePerson.person_id.in_(subject_ids), CasePerson.role == CaseRole.PERPETRATOR
            )
        )
    )


def withheld_referral(request: SubjectAccessRequest, referral_id: int) -> Referral | None:
    """The referral if it is withheld from this requester (R15), else None (a 404)."""
    referral = db.session.get(Referral, referral_id)
    if referral is None or referral.case_id not in withheld_case_ids(request):
        return None
    return referral


# The bundle ---------------------------------------------------------------------------------


@dataclass
class BundleCase:
    """One case a subject appears in, with what it holds about them and about others."""

    case: Case
    subject_roles: list[CaseRole] = field(default_factory=list)
    others: list[CasePerson] = field(default_factory=list)  # third parties
    access: list[AccessEntry] = field(default_factory=list)
    # Decisions to disclose a withheld referral, by referral id (R15).
    decisions: dict[int, DisclosureDecision] = field(default_factory=dict)

    @property
    def referrals(self) -> list[Referral]:
        return list(self.case.referrals)

    @property
    def notes(self) -> list[CaseNote]:
        return list(self.case.notes)

    @property
    def actions(self) -> list[CaseAction]:
        return list(self.case.actions)

    @property
    def withhold_referrals(self) -> bool:
        """R15: to an alleged perpetrator, the existence of the victim's referral is not
        disclosed unless a decision to disclose it is recorded (default deny)."""
        return CaseRole.PERPETRATOR in self.subject_roles


@dataclass(frozen=True)
class Bundle:
    cases: Sequence[BundleCase]
    access_capped: bool

    @property
    def case_ids(self) -> list[int]:
        return [item.case.id for item in self.cases]


def bundle(request: SubjectAccessRequest, *, closed: frozenset[int]) -> Bundle:
    """Every live case the confirmed people appear in, in any panel, with its referrals, notes,
    actions, other people (third parties) and who has read or changed it. A fixed number of queries.

    `closed` are cases restricted against the reader's organisation (staff as subject): they
    are left out, for another organisation's information governance to handle."""
    subject_ids = {s.person_id for s in request.subjects}
    if not subject_ids:
        return Bundle([], access_capped=False)
    case_ids = select(CasePerson.case_id).where(CasePerson.person_id.in_(subject_ids))
    cases = db.session.scalars(
        select(Case)
        .where(Case.id.in_(case_ids), Case.id.not_in(closed), Case.disposed_at.is_(None))
        .order_by(Case.id)
        .options(
            selectinload(Case.people),
            selectinload(Case.notes),
            selectinload(Case.actions).selectinload(CaseAction.updates),
            selectinload(Case.referrals).options(
                joinedload(Referral.referring_agency), joinedload(Referral.referrer)
            ),
        )
    ).all()
    decisions = {
        d.referral_id: d
        for d in db.session.scalars(
            select(DisclosureDecision).where(DisclosureDecision.request_id == request.id)
        )
    }
    items = {case.id: _bundle_case(case, subject_ids, decisions) for case in cases}
    referral_case = {r.id: case.id for case in cases for r in case.referrals}
    page = access_log.entries_for(list(items), list(referral_case), limit=BUNDLE_ACCESS_LIMIT)
    for entry in page.entries:
        object_id = int(entry.object_id)
        case_id = referral_case[object_id] if entry.object_type == "referrals" else object_id
        items[case_id].access.append(entry)
    return Bundle(list(items.values()), access_capped=page.has_more)


def _bundle_case(
    case: Case, subject_ids: set[int], decisions: dict[int, DisclosureDecision]
) -> BundleCase:
    item = BundleCase(case)
    item.decisions = {r.id: decisions[r.id] for r in case.referrals if r.id in decisions}
    for link in case.people:
        if link.person_id in subject_ids:
            item.subject_roles.append(link.role)
        else:
            item.others.append(link)
    return item
