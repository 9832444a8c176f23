"""Synthetic demo cases: made-up people across every panel, some closed long enough ago to be
due for disposal, one on legal hold. Each is dated as it would have happened: opened on its
day, notes added by the panel's agencies in the weeks after, closed later. Generated from a
fixed seed, so every demo is the same."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from functools import partial

from sqlalchemy import func
from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from app.database import uk_today
from cases import services
from cases.models import Case
from cases.retention import services as retention
from demo.clock import Timeline
from demo.clock import uk_time
from demo.clock import working_day_on_or_before
from demo.people import Someone
from demo.people import cast
from demo.words import SUMMARIES
from demo.words import notes_for
from panels.models import Panel
from panels.models import PanelMembership
from panels.types.common import PanelType

CASES_PER_PANEL = 6
# The demo's history ends yesterday, whenever it is loaded: its meetings to come are always
# ahead, and nothing it writes is dated later than the moment it is written.
TODAY = uk_today() - timedelta(days=1)


def cases_are_empty() -> bool:
    return not db.session.scalar(select(func.count(Case.id)))


def seed() -> int:
    """Add the demo cases (the caller commits); returns how many."""
    rng = random.Random(20261201)  # noqa: S311 (synthetic data, not a secret)
    timeline = Timeline()
    count = 0
    for panel in db.session.scalars(select(Panel).order_by(Panel.id)):
        authors = _members(panel)
        for number in range(CASES_PER_PANEL):
            _plan_case(timeline, panel, rng, authors, closed_long_ago=number == 0)
            count += 1
    timeline.run()
    return count


def _plan_case(
    timeline: Timeline,
    panel: Panel,
    rng: random.Random,
    authors: list[User],
    *,
    closed_long_ago: bool,
) -> None:
    opened = _working_day(TODAY, rng.randint(10, 700) + (3000 if closed_long_ago else 0))
    story = _Story(panel, opened, cast(rng, panel.panel_type, opened, full=True))
    timeline.at(uk_time(opened, rng.randint(9, 15), rng.randint(0, 59)), story.open)
    closed = _working_day(opened, -200) if closed_long_ago else None
    until = closed or TODAY + timedelta(days=1)
    written: set[str] = set()
    for author in rng.sample(authors, k=min(2, len(authors))):
        notes = notes_for(panel.panel_type, author.organisation.agency_type)
        text = rng.choice([note for note in notes if note not in written])
        written.add(text)
        day = _working_day(until, rng.randint(1, (until - opened).days - 1))
        if day <= opened:
            continue
        timeline.at(
            uk_time(day, rng.randint(9, 16), rng.randint(0, 59)), partial(story.note, author, text)
        )
    if closed is None:
        return
    timeline.at(uk_time(closed, 17), partial(story.close, closed))
    if panel.panel_type is PanelType.MARAC and panel.area.name == "Newham":
        held = _working_day(closed, -rng.randint(30, 120))
        timeline.at(uk_time(held, 11), story.hold)


def _working_day(start: date, days_before: int) -> date:
    """The working day on or before the day `days_before` days before `start` (after it, when
    negative)."""
    return working_day_on_or_before(start - timedelta(days=days_before))


@dataclass
class _Story:
    """One demo case, told step by step."""

    panel: Panel
    opened: date
    people: list[Someone]
    case: Case | None = None

    def open(self) -> None:
        summary = SUMMARIES[self.panel.panel_type].format(panel=self.panel.name)
        case = services.open_case(
            actor=None, panel=self.panel, opened_on=self.opened, summary=summary
        )
        for person in self.people:
            services.add_person(case, actor=None, role=person.role, identity=person.identity())
        self.case = case

    def note(self, author: User, text: str) -> None:
        assert self.case is not None
        services.add_note(self.case, actor=author, text=text)

    def close(self, closed: date) -> None:
        assert self.case is not None
        services.close_case(self.case, actor=None, closed_on=closed)

    def hold(self) -> None:
        assert self.case is not None
        retention.place_legal_hold(self.case, actor=None, reason="Domestic homicide review DHR-07")


def _members(panel: Panel) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(PanelMembership, PanelMembership.user_id == User.id)
            .where(PanelMembership.panel_id == panel.id)
            .order_by(User.id)
        )
    )
