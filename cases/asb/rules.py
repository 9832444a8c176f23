"""The ASB Case Review's date and threshold rules, as pure functions of plain data.

The law (Anti-social Behaviour, Crime and Policing Act 2014 s104; domain §3.5):
- a complaint qualifies only if it was made within one month of the behaviour (E26), and the
  application for a review within six months of the complaint; a partnership may choose a
  shorter window but never a longer one;
- the threshold is set locally and is never more than three complaints (E25);
- the same incident reported to several agencies counts once; separate incidents reported to
  different agencies each count (E27).

Months are calendar months with month-end clamping: a month after 31 January is 28 (or 29)
February. "Within" includes the last day.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from functools import cache

import holidays

from app.errors import DomainError
from cases.asb.models import ReviewStatus
from cases.queries import months_after

COMPLAINT_WITHIN_MONTHS = 1  # statutory, not a local choice
STATUTORY_WINDOW_MONTHS = 6
STATUTORY_MAX_THRESHOLD = 3

# Working days after receipt, [LOCAL] examples from Gosport (domain §3.5); shown as targets.
ACKNOWLEDGE_WITHIN_WORKING_DAYS = 10
DECIDE_WITHIN_WORKING_DAYS = 15

S = ReviewStatus
# domain §3.6: received -> acknowledged -> threshold decision (met | not met) -> review meeting
# -> outcome -> [appeal -> appeal decision]. A "not met" decision can be appealed too.
TRANSITIONS: Mapping[ReviewStatus, frozenset[ReviewStatus]] = {
    S.RECEIVED: frozenset({S.ACKNOWLEDGED}),
    S.ACKNOWLEDGED: frozenset({S.THRESHOLD_MET, S.THRESHOLD_NOT_MET}),
    S.THRESHOLD_MET: frozenset({S.REVIEW_HELD}),
    S.THRESHOLD_NOT_MET: frozenset({S.APPEAL_REQUESTED}),
    S.REVIEW_HELD: frozenset({S.OUTCOME_RECORDED}),
    S.OUTCOME_RECORDED: frozenset({S.APPEAL_REQUESTED}),
    S.APPEAL_REQUESTED: frozenset({S.APPEAL_DECIDED}),
    S.APPEAL_DECIDED: frozenset(),
}
# Complaints can be added until the threshold is decided: the decision rests on them.
TAKES_COMPLAINTS = frozenset({S.RECEIVED, S.ACKNOWLEDGED})


def next_statuses(status: ReviewStatus, *, review_owed: bool = False) -> frozenset[ReviewStatus]:
    """Where an application may go next. `review_owed`: an appeal against a "not met"
    decision was upheld, so the review must now be held."""
    if status is S.APPEAL_DECIDED and review_owed:
        return frozenset({S.REVIEW_HELD})
    return TRANSITIONS[status]


def require_move(current: ReviewStatus, to: ReviewStatus, *, review_owed: bool = False) -> None:
    """Refuse an illegal change of status with a message that says what can happen instead."""
    allowed = next_statuses(current, review_owed=review_owed)
    if to in allowed:
        return
    if not allowed:
        raise DomainError(
            f"This application is at “{current.label}”, its last step: nothing more can be "
            f"recorded as “{to.label}”"
        )
    options = " or ".join(f"“{status.label}”" for status in sorted(allowed))
    raise DomainError(
        f"This application is at “{current.label}”: it cannot move to “{to.label}”. "
        f"The next step is {options}"
    )


@dataclass(frozen=True)
class ComplaintFacts:
    complaint_id: int
    complained_on: date
    agency: str


@dataclass(frozen=True)
class IncidentFacts:
    incident_id: int
    behaviour_on: date
    complaints: tuple[ComplaintFacts, ...]


@dataclass(frozen=True)
class ComplaintResult:
    complaint: ComplaintFacts
    qualifies: bool
    reason: str


@dataclass(frozen=True)
class IncidentResult:
    incident: IncidentFacts
    complaints: tuple[ComplaintResult, ...]

    @property
    def counts(self) -> bool:
        """An incident counts once if any one of its complaints qualifies (E27)."""
        return any(result.qualifies for result in self.complaints)


@dataclass(frozen=True)
class Assessment:
    """The calculation a person decides on: which complaints qualify, which incidents count."""

    applied_on: date
    threshold: int
    window_months: int
    incidents: tuple[IncidentResult, ...]

    @property
    def counted(self) -> int:
        return sum(1 for incident in self.incidents if incident.counts)

    @property
    def met(self) -> bool:
        return self.counted >= self.threshold

    @property
    def explanation(self) -> str:
        complaints = sum(len(incident.complaints) for incident in self.incidents)
        verdict = "met" if self.met else "not met"
        return (
            f"{self.counted} of {len(self.incidents)} {_plural(len(self.incidents), 'incident')} "
            f"({complaints} {_plural(complaints, 'complaint')}) counted against a threshold of "
            f"{self.threshold}: the threshold is {verdict}"
        )


def check_settings(threshold: int, window_months: int) -> None:
    """Refuse a threshold above three (E25) or a window beyond the statutory six months."""
    if not 1 <= threshold <= STATUTORY_MAX_THRESHOLD:
        raise DomainError(
            "The ASB Case Review threshold must be between 1 and 3 complaints",
            field="case_review_threshold",
        )
    if not 1 <= window_months <= STATUTORY_WINDOW_MONTHS:
        raise DomainError(
            "The application window must be between 1 and 6 months",
            field="case_review_window_months",
        )


def complaint_qualifies(
    behaviour_on: date, complained_on: date, applied_on: date, window_months: int
) -> tuple[bool, str]:
    """Whether one complaint qualifies for this application, and why (E26)."""
    if complained_on < behaviour_on:
        return False, "The complaint is dated before the behaviour it reports"
    if complained_on > months_after(behaviour_on, COMPLAINT_WITHIN_MONTHS):
        return False, "Made more than one month after the behaviour"
    if applied_on < complained_on:
        return False, "Made after the application was received"
    if applied_on > months_after(complained_on, window_months):
        return False, f"The application came more than {window_months} months after it"
    return True, (
        f"Made within one month of the behaviour, and the application within {window_months} "
        "months of it"
    )


def assess(
    incidents: Iterable[IncidentFacts], *, applied_on: date, threshold: int, window_months: int
) -> Assessment:
    """Apply the qualifying rules to every complaint and count the incidents that qualify."""
    check_settings(threshold, window_months)
    results = tuple(
        IncidentResult(
            incident,
            tuple(
                ComplaintResult(
                    complaint,
                    *complaint_qualifies(
                        incident.behaviour_on, complaint.complained_on, applied_on, window_months
                    ),
                )
                for complaint in incident.complaints
            ),
        )
        for incident in incidents
    )
    return Assessment(applied_on, threshold, window_months, results)


def add_working_days(start: date, days: int, is_holiday: Callable[[date], bool]) -> date:
    """The date `days` working days after `start`: weekends and bank holidays skipped (E55)."""
    day = start
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and not is_holiday(day):
            remaining -= 1
    return day


def is_bank_holiday(day: date) -> bool:
    """Whether the day is a bank holiday in England and Wales (which share one calendar)."""
    return day in _bank_holidays(day.year)


@cache
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def working_days_after(start: date, days: int) -> date:
    return add_working_days(start, days, is_bank_holiday)


def financial_year(day: date) -> int:
    """The April to March year a date falls in, named by the year it starts."""
    return day.year if day.month >= 4 else day.year - 1


def financial_year_label(start_year: int) -> str:
    return f"April {start_year} to March {start_year + 1}"


def _plural(count: int, word: str) -> str:
    return word if count == 1 else f"{word}s"
