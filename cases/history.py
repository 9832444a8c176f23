"""What a case page shows of a case's history: one timeline of what happened, in date order,
and the per-question answers of each risk assessment.

Both are built from a case already loaded with its referrals, assessments, notes, transfers
and actions (`policy.case_or_404`), so showing them issues no further queries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any

from app.keys.store import ContentDestroyed
from app.template_filters import UK
from cases.models import Case
from cases.referrals.models import Referral
from cases.referrals.models import RiskAssessment
from panels.instruments.dash import DASH_ITEM_CATEGORIES
from panels.instruments.dash import DASH_ITEMS
from panels.types.common import Criterion
from panels.types.common import FieldCategory
from panels.types.common import ReferralStatus
from panels.types.common import RiskLevel
from panels.types.common import RiskTool

# "not known" is an answer of its own, never a "no" (E8, E12): only "yes" counts towards a score.
ANSWER_LABELS = {"yes": "Yes", "no": "No", "not_known": "Not known"}


@dataclass(frozen=True)
class Event:
    """One line of the timeline. `at` is set for what has a time as well as a day."""

    day: date
    at: datetime | None
    text: str
    anchor: str | None = None  # the section of the page the event belongs to

    @property
    def order(self) -> tuple[date, int, float]:
        # On the same day, what has only a date (a referral) comes before what was timed.
        return (self.day, 0 if self.at is None else 1, self.at.timestamp() if self.at else 0.0)


def timeline(case: Case) -> list[Event]:
    """Everything that happened to the case, oldest first."""
    events = [Event(case.opened_on, None, "Case opened")]
    for referral in case.referrals:
        events += _referral_events(referral)
    events += [
        Event(
            _uk_day(note.created_at), note.created_at, f"Note added by {note.agency.name}", "notes"
        )
        for note in case.notes
    ]
    events += [
        Event(
            transfer.transferred_on,
            None,
            f"Transferred from {transfer.from_panel.name} to {transfer.to_panel.name}",
            "transfers",
        )
        for transfer in case.transfers
    ]
    for action in case.actions:
        events.append(
            Event(
                _uk_day(action.created_at),
                action.created_at,
                f"Action agreed for {action.owner_agency.name}",
                "actions",
            )
        )
        events += [
            Event(
                _uk_day(update.reported_at),
                update.reported_at,
                f"{update.agency.name} reported on an action: {update.status.label.lower()}",
                "actions",
            )
            for update in action.updates
        ]
    if case.closed_on is not None:
        events.append(Event(case.closed_on, None, "Case closed"))
    return sorted(events, key=lambda event: event.order)


def _referral_events(referral: Referral) -> list[Event]:
    anchor = f"referral-{referral.id}"
    events = []
    if referral.referred_on is not None:
        what = "Repeat referral" if referral.is_repeat else "Referral"
        events.append(
            Event(
                referral.referred_on,
                None,
                f"{what} {referral.reference} from {referral.referring_agency.name}",
                anchor,
            )
        )
    if referral.screened_at is not None:
        events.append(
            Event(
                _uk_day(referral.screened_at),
                referral.screened_at,
                f"{referral.reference} screened: {screening_outcome(referral)}",
                anchor,
            )
        )
    if referral.meeting is not None:
        heard = referral.status is ReferralStatus.HEARD
        kind = referral.meeting.kind.label.lower()
        text = f"{'Heard at' if heard else 'Listed for'} the {kind} meeting ({referral.reference})"
        events.append(Event(referral.meeting.held_on, None, text, anchor))
    return events


def screening_outcome(referral: Referral) -> str:
    """What screening decided, as far as the referral's state still shows it."""
    if referral.status in (ReferralStatus.RETURNED, ReferralStatus.REJECTED):
        return referral.status.label.lower()
    if referral.status is ReferralStatus.WITHDRAWN:
        return "withdrawn"
    return "accepted"


def _uk_day(moment: datetime) -> date:
    return moment.astimezone(UK).date()


def criteria_labels(referral: Referral) -> list[str]:
    """The referral's criteria in words; a code this version does not know is shown as is."""
    known = {criterion.value: criterion.label for criterion in Criterion}
    return [known.get(code, code) for code in referral.criteria or []]


# Risk assessments -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    number: int
    question: str
    answer: str
    source: str
    comment: str
    restricted: bool = False


def answers(
    assessment: RiskAssessment, fields: frozenset[FieldCategory] | None = None
) -> list[Answer] | None:
    """Each question with its answer, source and comment; None if the answers were destroyed.
    With `fields` (what the viewer may see), DASH answers of other categories are withheld."""
    try:
        stored = json.loads(assessment.items or "[]")
    except ContentDestroyed:
        return None
    questions = _questions(assessment)
    shown = [
        _answer(number, questions, item)
        for number, item in enumerate(stored, start=1)
        if isinstance(item, dict)
    ]
    if fields is None or assessment.tool is not RiskTool.DASH:
        return shown
    return [_withheld(a) if _hidden(a.number, fields) else a for a in shown]


def _hidden(number: int, fields: frozenset[FieldCategory]) -> bool:
    category = DASH_ITEM_CATEGORIES.get(number)
    return category is not None and category not in fields


def _withheld(answer: Answer) -> Answer:
    return Answer(answer.number, answer.question, "Restricted", "", "", restricted=True)


def _answer(number: int, questions: tuple[str, ...], item: dict[str, Any]) -> Answer:
    question = questions[number - 1] if number <= len(questions) else f"Question {number}"
    return Answer(
        number=number,
        question=question,
        answer=ANSWER_LABELS.get(str(item.get("answer") or ""), "Not answered"),
        source=str(item.get("source") or ""),
        comment=str(item.get("comment") or ""),
    )


def _questions(assessment: RiskAssessment) -> tuple[str, ...]:
    """The questions of the assessment's tool, in the order its answers are stored."""
    if assessment.tool is RiskTool.DASH:
        return DASH_ITEMS
    if assessment.tool is RiskTool.ASB_RISK_MATRIX:
        return tuple(item.label for item in assessment.referral.panel.settings.risk_items)
    return ()


TOOL_NAMES = {
    RiskTool.DASH: "DASH risk checklist",
    RiskTool.ASB_RISK_MATRIX: "ASB risk matrix",
    RiskTool.VULNERABILITY_ASSESSMENT_FRAMEWORK: "Vulnerability Assessment Framework",
    RiskTool.EXPLOITATION_SCREENING: "Exploitation screening",
    RiskTool.OFFENDER_SCORING: "Offender scoring",
}


def risk_summary(level: RiskLevel | None, tool: RiskTool | None, score: int | None) -> str:
    """For example "High (DASH risk checklist score 16)"; a level alone when there is no score
    (a DARA grade or professional judgement carries none, E14)."""
    words = level.label if level else "Not recorded"
    if score is not None:
        words += f" ({TOOL_NAMES[tool] + ' score' if tool else 'score'} {score})"
    return words
