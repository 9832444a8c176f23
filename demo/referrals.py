"""Synthetic referral histories for the MARAC and Community MARAC panels, made through the real
services: drafts, screening with repeat detection, monthly meetings, cases heard, and a queue
still to screen. About a third of MARAC cases have a repeat referral, as nationally (31 to 33%).
Generated from a fixed seed, so every demo is the same."""

from __future__ import annotations

import random
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from cases.actions import queries as action_queries
from cases.actions import services as case_actions
from cases.actions.models import ActionStatus
from cases.queries import months_after
from cases.referrals import services as referrals
from cases.referrals.models import Referral
from demo.cases import FAMILY
from demo.cases import GIVEN
from demo.cases import STREETS
from demo.cases import TODAY
from panels import services as panel_services
from panels.declarations import CONFIDENTIALITY_STATEMENT_VERSION
from panels.models import ConfidentialityDeclaration
from panels.models import Meeting
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.types.common import FormSection
from panels.types.common import PanelType

CASES_PER_PANEL = {PanelType.MARAC: 50, PanelType.COMMUNITY_MARAC: 25}
REPEAT_SHARE = {PanelType.MARAC: 0.35, PanelType.COMMUNITY_MARAC: 0.3}
WAITING_PER_PANEL = 3
ACTIONS = (
    "Home visit to review the safety plan with the victim.",
    "Fit a door alarm and extra locks under the sanctuary scheme.",
    "Share school attendance and any concerns about the children.",
    "Flag the address for an urgent police response.",
    "Offer the perpetrator programme and report on attendance.",
)
OUTCOMES = (
    (ActionStatus.COMPLETED, "Done as agreed."),
    (ActionStatus.NO_LONGER_POSSIBLE, "The family moved out of the area before the visit."),
    (ActionStatus.NOT_DONE, "Not done by the deadline; raised with our team manager."),
)
MONTHS_OF_HISTORY = 24


def seed(scale: float = 1.0) -> int:
    """Add referral histories (the caller commits); returns how many referrals were made.
    `scale` shrinks the number of histories per panel (the browser tests use a few)."""
    rng = random.Random(20261202)  # noqa: S311 (synthetic data, not a secret)
    made = 0
    for panel in db.session.scalars(select(Panel).order_by(Panel.id)):
        if not panel.spec.takes_referrals:
            continue
        referrer, coordinator = (
            _member(panel, PanelRole.REPRESENTATIVE),
            _member(panel, PanelRole.COORDINATOR),
        )
        meetings = _meetings(panel)
        if referrer is None or coordinator is None:
            continue
        for _ in range(max(1, round(CASES_PER_PANEL[panel.panel_type] * scale))):
            made += _history(panel, rng, referrer, coordinator, meetings)
        for _ in range(WAITING_PER_PANEL):
            _submitted(
                panel, rng, referrer, TODAY - timedelta(days=rng.randint(0, 6)), _people(rng, panel)
            )
            made += 1
        _declared_past_meetings(panel, meetings)
    return made


def _declared_past_meetings(panel: Panel, meetings: list[Meeting]) -> None:
    """Everyone on the panel attended its past meetings and accepted their confidentiality
    statements (R3); the meetings to come are left for the demo users to accept."""
    attendees = db.session.scalars(
        select(PanelMembership.user_id).where(
            PanelMembership.panel_id == panel.id, PanelMembership.role != PanelRole.COORDINATOR
        )
    ).all()
    db.session.add_all(
        ConfidentialityDeclaration(
            meeting_id=meeting.id,
            user_id=user_id,
            statement_version=CONFIDENTIALITY_STATEMENT_VERSION,
        )
        for meeting in meetings
        if meeting.held_on < TODAY
        for user_id in attendees
    )


def _meetings(panel: Panel) -> list[Meeting]:
    """A meeting on the second Thursday of each month, two years back and two months ahead."""
    start = months_after(TODAY.replace(day=1), -MONTHS_OF_HISTORY)
    meetings = []
    for month in range(MONTHS_OF_HISTORY + 3):
        first = months_after(start, month)
        thursday = first + timedelta(days=(3 - first.weekday()) % 7 + 7)
        meetings.append(panel_services.schedule_meeting(actor=None, panel=panel, held_on=thursday))
    return meetings


def _history(
    panel: Panel, rng: random.Random, referrer: User, coordinator: User, meetings: list[Meeting]
) -> int:
    """One case: a first referral, sometimes repeats within the window, rarely one much later."""
    people = _people(rng, panel)
    day = TODAY - timedelta(days=rng.randint(20, 30 * MONTHS_OF_HISTORY - 30))
    first = _submitted(panel, rng, referrer, day, people)
    accepted = referrals.accept_referral(
        first, actor=coordinator, matches=[None] * len(people), today=day
    )
    _list_and_hear(first, coordinator, meetings, rng)
    made = 1
    later: list[date] = []
    if rng.random() < REPEAT_SHARE[panel.panel_type]:
        later.append(day + timedelta(days=rng.randint(30, 330)))
        if rng.random() < 0.3:
            later.append(later[-1] + timedelta(days=rng.randint(30, 300)))
    elif rng.random() < 0.08:
        later.append(day + timedelta(days=rng.randint(400, 600)))
    matches: list[int | None] = [person.id for person in accepted.people]
    for when in (d for d in later if d <= TODAY):
        again = _submitted(panel, rng, referrer, when, people, repeat=True)
        referrals.accept_referral(again, actor=coordinator, matches=matches, today=when)
        _list_and_hear(again, coordinator, meetings, rng)
        made += 1
    return made


def _list_and_hear(
    referral: Referral, coordinator: User, meetings: list[Meeting], rng: random.Random
) -> None:
    assert referral.referred_on is not None
    upcoming = [m for m in meetings if m.held_on >= referral.referred_on + timedelta(days=3)]
    if not upcoming:
        return
    referrals.list_for_meeting(referral, actor=coordinator, meeting=upcoming[0])
    if upcoming[0].held_on <= TODAY:
        referrals.mark_heard(referral, actor=coordinator, today=TODAY)
        _agree_actions(referral, coordinator, upcoming[0], rng)


def _agree_actions(
    referral: Referral, coordinator: User, meeting: Meeting, rng: random.Random
) -> None:
    """The actions agencies volunteered at the hearing, and their reports since: most of
    those due by now are done, a few could not be or were not (domain §2.6), and some are
    overdue with no report."""
    assert referral.case is not None
    case = referral.case
    owners = action_queries.owner_agencies(case, TODAY)
    for _ in range(rng.randint(1, 3)):
        owner = rng.choice(owners)
        due_on = meeting.held_on + timedelta(days=rng.randint(14, 42))
        action = case_actions.agree_action(
            case,
            actor=coordinator,
            action=case_actions.NewAction(rng.choice(ACTIONS), owner, due_on, meeting),
            today=TODAY,
        )
        if action.due_on < TODAY and rng.random() < 0.88:  # the rest are overdue
            status, words = rng.choices(OUTCOMES, weights=(85, 8, 7))[0]
            report = case_actions.report_progress(
                action,
                actor=_staff_of(case.panel, owner.id) or coordinator,
                status=status,
                text=words,
                seen_version=action.version,
            )
            # Reported around the due date, not on the day the demo was loaded.
            report.reported_at = datetime.combine(due_on, time(11), tzinfo=UTC)


def _staff_of(panel: Panel, organisation_id: int) -> User | None:
    return db.session.scalar(
        select(User)
        .join(PanelMembership, PanelMembership.user_id == User.id)
        .where(PanelMembership.panel_id == panel.id, User.organisation_id == organisation_id)
        .order_by(User.id)
        .limit(1)
    )


def _submitted(
    panel: Panel,
    rng: random.Random,
    referrer: User,
    day: date,
    people: list[dict[str, Any]],
    *,
    repeat: bool = False,
) -> Referral:
    referral = referrals.start_referral(actor=referrer, panel=panel)
    for section, data in _answers(panel, rng, day, people, repeat=repeat).items():
        if section in panel.spec.sections:
            referrals.save_section(referral, actor=referrer, section=section, data=data)
    return referrals.submit_referral(referral, actor=referrer)


def _people(rng: random.Random, panel: Panel) -> list[dict[str, Any]]:
    people = [_person(rng, "victim", 18, 60)]
    if panel.panel_type is PanelType.MARAC or rng.random() < 0.5:
        people.append(_person(rng, "perpetrator", 18, 60, relationship=rng.choice(RELATIONSHIPS)))
    if panel.panel_type is PanelType.MARAC:
        people += [
            _person(rng, "child", 1, 15, relationship="Child")
            for _ in range(rng.choice((0, 0, 1, 2)))
        ]
    return people


RELATIONSHIPS = ("Ex-partner", "Partner", "Husband", "Wife", "Son", "Brother", "Neighbour")


def _person(
    rng: random.Random, role: str, youngest: int, oldest: int, **extra: Any
) -> dict[str, Any]:
    family = rng.choice(FAMILY)
    born = TODAY - timedelta(days=rng.randint(youngest, oldest) * 365 + rng.randint(0, 364))
    return {
        "role": role,
        "given_names": rng.choice(GIVEN),
        "family_name": family,
        "date_of_birth": born.isoformat(),
        "aliases": [f"{rng.choice(GIVEN)} {family}"] if rng.random() < 0.15 else [],
        "other_birth_dates": [],
        "address": f"{rng.randint(1, 99)} {rng.choice(STREETS)}, E{rng.randint(1, 20)} 9ZZ",
        **extra,
    }


def _answers(
    panel: Panel, rng: random.Random, day: date, people: list[dict[str, Any]], *, repeat: bool
) -> dict[FormSection, dict[str, Any]]:
    answers: dict[FormSection, dict[str, Any]] = {
        FormSection.ABOUT: {"referred_on": day.isoformat()},
        FormSection.PEOPLE: {"people": people},
        FormSection.SAFETY: {
            "safe_to_call": rng.random() < 0.7,
            "safe_times": "Weekdays 10am to 2pm",
            "phone": f"07700 900{rng.randint(100, 999)}",  # Ofcom's drama range: never a real line
        },
        FormSection.CONSENT: {"consent_given": True, "victim_aware": True}
        if rng.random() < 0.8
        else {
            "consent_given": False,
            "justification": "Risk of serious harm outweighs the lack of consent",
            "victim_aware": True,
        },
    }
    if panel.panel_type is PanelType.MARAC:
        yes = (
            rng.randint(3, 12) if repeat else rng.choice((rng.randint(14, 20), rng.randint(8, 13)))
        )
        criteria = (
            ["repeat"]
            if repeat
            else (["visible_high_risk"] if yes >= 14 else ["professional_judgement"])
        )
        answers[FormSection.DIVERSITY] = {
            "gender": "female" if rng.random() < 0.94 else "male",
            "minoritised": rng.choice(("yes", "no", "no", "no", "not_known")),
            "disabled": rng.choice(("yes", "no", "no", "no", "not_known")),
            "lgbt": rng.choice(("no", "no", "no", "not_known")),
        }
        answers[FormSection.REASONS] = {
            "criteria": criteria,
            "judgement_reasons": "Escalating threats and stalking",
        }
        answers[FormSection.RISK] = {
            "tool": "dash",
            "with_victim": True,
            "items": [
                {
                    "answer": "yes" if i < yes else rng.choice(("no", "not_known")),
                    "source": "victim",
                    "comment": "",
                }
                for i in range(24)
            ],
        }
    else:
        chosen = rng.randint(1, len(panel.settings.risk_items))
        answers[FormSection.REASONS] = {"criteria": ["repeat" if repeat else "vulnerable_victim"]}
        answers[FormSection.RISK] = {
            "tool": "asb_risk_matrix",
            "items": [
                {"answer": "yes" if i < chosen else "no"}
                for i in range(len(panel.settings.risk_items))
            ],
        }
    return answers


def _member(panel: Panel, role: PanelRole) -> User | None:
    return db.session.scalar(
        select(User)
        .join(PanelMembership, PanelMembership.user_id == User.id)
        .where(PanelMembership.panel_id == panel.id, PanelMembership.role == role)
        .order_by(User.id)
        .limit(1)
    )
