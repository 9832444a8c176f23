"""Subject access deadlines (domain §7.8, E44), as plain functions of dates.

- One calendar month from the day the request is received: the same date next month, or that
  month's last day when it has no such date (received 31 January, due 28 or 29 February).
- While identity or scope is being clarified the clock stops: the days it stood still are added
  back to the deadline.
- UK GDPR: extendable by up to two further months in all (complex or numerous requests), decided
  within the first month. DPA 2018 Part 3: never extendable.
"""

from __future__ import annotations

from datetime import date
from datetime import timedelta

from app.errors import DomainError
from cases.queries import months_after
from cases.subject_access.models import Regime

BASE_MONTHS = 1
MAX_EXTENSION_MONTHS = 2


def due_on(received_on: date, *, paused_days: int = 0, extension_months: int = 0) -> date:
    """The deadline: a calendar month (plus any extension) from receipt, plus the days paused."""
    if paused_days < 0:
        raise ValueError("paused_days cannot be negative")
    if not 0 <= extension_months <= MAX_EXTENSION_MONTHS:
        raise ValueError("an extension is between 0 and 2 months")
    return months_after(received_on, BASE_MONTHS + extension_months) + timedelta(paused_days)


def first_month_ends_on(received_on: date, *, paused_days: int = 0) -> date:
    """The unextended deadline: an extension must be decided by then."""
    return due_on(received_on, paused_days=paused_days)


def check_extension(regime: Regime, already: int, more: int) -> None:
    """Refuse an extension the regime does not allow, or beyond two months in all."""
    if not regime.extendable:
        raise DomainError(
            "Requests under DPA 2018 Part 3 cannot be extended: they must be answered within "
            "one month",
            field="months",
        )
    if more < 1:
        raise DomainError("Select how many months to extend by", field="months")
    if already + more > MAX_EXTENSION_MONTHS:
        left = MAX_EXTENSION_MONTHS - already
        raise DomainError(
            "A request can be extended by two months at most"
            + (f": {left} more month is left" if left == 1 else ": no more is left"),
            field="months",
        )


def days_paused(paused_since: date, resumed_on: date) -> int:
    """Whole days the clock stood still: resumed the day after pausing is one day."""
    return (resumed_on - paused_since).days
