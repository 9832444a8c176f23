"""The agendas of the meetings to come, as a coordinator would have them today (issue 21): the
next meeting of each panel with cases on it was published by its coordinator a few days ago
(so its members can accept the statement and research its cases), and the next Newham MARAC
brings back for review a case whose repeat flag expires before the meeting after it, moved to
the top of its agenda. Meetings further ahead open to members by themselves, the panel's
number of days before. Agencies researched the cases of each panel's last three meetings and
of its next one, if its agenda is open (after `demo.meetings.seed`)."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from cases.meetings import queries
from cases.meetings import services
from cases.meetings.models import AgendaReason
from demo import notifications
from demo.cases import TODAY
from demo.clock import happened_at
from demo.clock import uk_time
from demo.meetings import CONTRIBUTIONS
from panels.models import Meeting
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.types.common import PanelType

# Where the agenda builder has a case brought back for review to show.
REVIEW_SHOWN = ("Newham", PanelType.MARAC)
# How many of each panel's latest meetings show research, and how often an agency did it.
RESEARCHED_MEETINGS = 3
RESEARCH_SHARE = 0.8
NOTHING_TO_SHARE_SHARE = 0.3


def seed() -> int:
    """Publish the next agenda of each panel; returns how many were published."""
    published = 0
    for panel in db.session.scalars(select(Panel).order_by(Panel.id)):
        coordinator = _coordinator(panel)
        upcoming = db.session.scalar(
            select(Meeting)
            .where(Meeting.panel_id == panel.id, Meeting.held_on > TODAY)
            .order_by(Meeting.held_on)
            .limit(1)
        )
        if coordinator is None or upcoming is None:
            continue
        if (panel.area.name, panel.panel_type) == REVIEW_SHOWN:
            _review(upcoming, coordinator)
        if upcoming.agenda_published(TODAY) or not queries.agenda_case_ids(upcoming):
            continue
        # A few days ago, or yesterday for a meeting added at short notice.
        day = max(TODAY - timedelta(days=3), upcoming.created_at.date())
        with happened_at(uk_time(min(day, TODAY), 16)):
            services.publish_agenda(
                upcoming, actor=coordinator, seen=upcoming.agenda_revision, today=day
            )
        published += 1
    rng = random.Random(20261207)  # noqa: S311 (synthetic data, not a secret)
    for panel in db.session.scalars(select(Panel).order_by(Panel.id)):
        _research(panel, rng)
    notifications.settle()
    return published


def _research(panel: Panel, rng: random.Random) -> None:
    """Each agency on the panel marks its research on the cases of the panel's latest
    meetings, the day before each (the next one's only if its agenda is open): what it is
    sharing, in its own words, or that it has nothing to share."""
    held = db.session.scalars(
        select(Meeting)
        .where(Meeting.panel_id == panel.id, Meeting.held_on <= TODAY)
        .order_by(Meeting.held_on.desc())
        .limit(RESEARCHED_MEETINGS)
    ).all()
    upcoming = db.session.scalar(
        select(Meeting)
        .where(Meeting.panel_id == panel.id, Meeting.held_on > TODAY)
        .order_by(Meeting.held_on)
        .limit(1)
    )
    meetings = [*held, *([upcoming] if upcoming and upcoming.agenda_published(TODAY) else [])]
    researchers = _one_per_agency(panel)
    for meeting in meetings:
        day = min(meeting.held_on - timedelta(days=1), TODAY)
        for minute, entry in enumerate(queries.agenda(meeting, None)):
            if entry.case.disposed_at is not None or entry.heard_elsewhere:
                continue
            for user in researchers:
                if rng.random() >= RESEARCH_SHARE:
                    continue
                nothing = rng.random() < NOTHING_TO_SHARE_SHARE
                text = "" if nothing else CONTRIBUTIONS.get(user.organisation.agency_type, "")
                with happened_at(uk_time(day, 15, minute % 60)):
                    services.record_research(
                        meeting,
                        actor=user,
                        case=entry.case,
                        seen=0,
                        shared=text,
                        nothing_to_share=nothing or not text,
                        today=day,
                    )


def _one_per_agency(panel: Panel) -> list[User]:
    """The named representative of each agency on the panel (the first of its members)."""
    found: dict[int, User] = {}
    for user in db.session.scalars(
        select(User)
        .join(PanelMembership, PanelMembership.user_id == User.id)
        .where(
            PanelMembership.panel_id == panel.id,
            PanelMembership.role == PanelRole.REPRESENTATIVE,
        )
        .order_by(User.id)
    ):
        found.setdefault(user.organisation_id, user)
    return list(found.values())


def _coordinator(panel: Panel) -> User | None:
    return db.session.scalar(
        select(User)
        .join(PanelMembership, PanelMembership.user_id == User.id)
        .where(PanelMembership.panel_id == panel.id, PanelMembership.role == PanelRole.COORDINATOR)
        .order_by(User.id)
        .limit(1)
    )


def _review(meeting: Meeting, coordinator: User) -> None:
    """Bring back the first case due for review and put it first on the agenda."""
    due = queries.reviews_due(meeting, coordinator)
    if not due:
        return
    with happened_at(uk_time(TODAY - timedelta(days=4), 11)):
        services.add_for_review(
            meeting,
            actor=coordinator,
            case=due[0].case,
            reason=AgendaReason.FLAG_EXPIRY,
            seen=meeting.agenda_revision,
            today=TODAY - timedelta(days=4),
        )
    for step in range(len(queries.agenda(meeting, None)) - 1):
        with happened_at(uk_time(TODAY - timedelta(days=4), 11, 1 + step)):
            services.move_on_agenda(
                meeting,
                actor=coordinator,
                case=due[0].case,
                up=True,
                seen=meeting.agenda_revision,
                today=TODAY - timedelta(days=4),
            )
