"""Synthetic referral histories for the MARAC and Community MARAC panels, made through the real
services and dated as they would have happened: each referral drafted and submitted on its
referral date, screened within three working days, listed for the panel's next meeting (the
panel meets at its cadence), heard there with the actions agencies volunteered, and reported on
around each action's due date. A few are still waiting to be screened. About a third of MARAC
cases have a repeat referral, as nationally (31 to 33%). Generated from a fixed seed, so every
demo is the same."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta
from functools import partial
from typing import Any

from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from cases.actions import queries as action_queries
from cases.actions import services as case_actions
from cases.actions.models import ActionStatus
from cases.actions.models import CaseAction
from cases.queries import months_after
from cases.referrals import services as referrals
from cases.referrals.models import Referral
from demo import notifications
from demo.cases import TODAY
from demo.clock import Timeline
from demo.clock import uk_time
from demo.clock import working_day_on_or_before
from demo.clock import working_days_after
from demo.people import Someone
from demo.people import cast
from demo.words import ACTIONS
from panels import services as panel_services
from panels.declarations import CONFIDENTIALITY_STATEMENT_VERSION
from panels.models import ConfidentialityDeclaration
from panels.models import Meeting
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.types.common import FormSection
from panels.types.common import MeetingCadence
from panels.types.common import PanelType

CASES_PER_PANEL = {PanelType.MARAC: 50, PanelType.COMMUNITY_MARAC: 25}
REPEAT_SHARE = {PanelType.MARAC: 0.35, PanelType.COMMUNITY_MARAC: 0.3}
WAITING_PER_PANEL = 3
OUTCOMES = (
    (ActionStatus.COMPLETED, "Done as agreed."),
    (ActionStatus.NO_LONGER_POSSIBLE, "The victim moved out of the area before it could be done."),
    (ActionStatus.NOT_DONE, "Not done by the deadline; raised with our team manager."),
)
MONTHS_OF_HISTORY = 24
MONTHS_AHEAD = 2
SCHEDULED_AHEAD = timedelta(days=42)  # meetings go in the diary about six weeks before
AGENDA_NOTICE = timedelta(days=2)  # a referral screened later waits for the next meeting
MEETING_DAY = 3  # Thursday
CADENCE_DAYS = {
    MeetingCadence.WEEKLY: 7,
    MeetingCadence.FORTNIGHTLY: 14,
    MeetingCadence.FOUR_WEEKLY: 28,
}


def seed(scale: float = 1.0) -> int:
    """Add referral histories (the caller commits); returns how many referrals were made.
    `scale` shrinks the number of histories per panel (the browser tests use a few)."""
    rng = random.Random(20261202)  # noqa: S311 (synthetic data, not a secret)
    timeline = Timeline()
    calendars = []
    made = 0
    for panel in db.session.scalars(select(Panel).order_by(Panel.id)):
        if not panel.spec.takes_referrals:
            continue
        calendar = _Calendar(panel, timeline)
        calendars.append(calendar)
        referrers = _members(panel, PanelRole.REPRESENTATIVE)
        coordinators = _members(panel, PanelRole.COORDINATOR)
        if not referrers or not coordinators:
            continue
        desk = _Desk(panel, rng, timeline, calendar, referrers, coordinators[0])
        for _ in range(max(1, round(CASES_PER_PANEL[panel.panel_type] * scale))):
            made += desk.history()
        for _ in range(WAITING_PER_PANEL):
            day = _working_day(TODAY - timedelta(days=rng.randint(0, 6)))
            desk.referral(_Case(cast(rng, panel.panel_type, day)), day, screened=False)
            made += 1
    timeline.run()
    for calendar in calendars:
        calendar.declare_past_meetings()
    notifications.settle()
    return made


def meeting_days(cadence: MeetingCadence, start: date, end: date) -> list[date]:
    """The days a panel of this cadence meets from `start` to before `end`: the second
    Thursday of each month, or every one, two or four weeks from the first Thursday."""
    if cadence is MeetingCadence.AS_NEEDED:
        return []
    if cadence is MeetingCadence.MONTHLY:
        firsts = (months_after(start, n) for n in range(12 * (end.year - start.year + 1)))
        seconds = (_thursday_on_or_after(first) + timedelta(days=7) for first in firsts)
        return [day for day in seconds if start <= day < end]
    day, step = _thursday_on_or_after(start), timedelta(days=CADENCE_DAYS[cadence])
    days: list[date] = []
    while day < end:
        days.append(day)
        day += step
    return days


def _thursday_on_or_after(day: date) -> date:
    return day + timedelta(days=(MEETING_DAY - day.weekday()) % 7)


class _Calendar:
    """A panel's meetings, two years back and two months ahead, each put in the diary six
    weeks before it is held (or by the demo's today)."""

    def __init__(self, panel: Panel, timeline: Timeline) -> None:
        self.panel = panel
        month = TODAY.replace(day=1)
        start, end = months_after(month, -MONTHS_OF_HISTORY), months_after(month, MONTHS_AHEAD + 1)
        self.days = meeting_days(panel.meeting_cadence, start, end)
        self.meetings: dict[date, Meeting] = {}
        for day in self.days:
            scheduled = min(day - SCHEDULED_AHEAD, TODAY)
            timeline.at(uk_time(scheduled, 10), partial(self._schedule, day))

    def _schedule(self, day: date) -> None:
        self.meetings[day] = panel_services.schedule_meeting(
            actor=None, panel=self.panel, held_on=day
        )

    def next_after(self, screened: date) -> Meeting | None:
        """The meeting a referral screened that day is listed for."""
        day = next((day for day in self.days if day >= screened + AGENDA_NOTICE), None)
        return self.meetings[day] if day is not None else None

    def declare_past_meetings(self) -> None:
        """Everyone on the panel attended its past meetings and accepted their confidentiality
        statements (R3) as each began; the meetings to come are left for the demo users."""
        attendees = db.session.scalars(
            select(PanelMembership.user_id).where(
                PanelMembership.panel_id == self.panel.id,
                PanelMembership.role != PanelRole.COORDINATOR,
            )
        ).all()
        db.session.add_all(
            ConfidentialityDeclaration(
                meeting_id=meeting.id,
                user_id=user_id,
                statement_version=CONFIDENTIALITY_STATEMENT_VERSION,
                accepted_at=uk_time(meeting.held_on, 9, 45),
            )
            for meeting in self.meetings.values()
            if meeting.held_on < TODAY
            for user_id in attendees
        )


@dataclass
class _Case:
    """The people a history of referrals is about and, once the first is accepted, their
    records, which each repeat referral is matched to."""

    people: list[Someone]
    matches: list[int | None] = field(default_factory=list)


@dataclass
class _Desk:
    """Plans a panel's referrals on the timeline: who refers, who screens, when it meets."""

    panel: Panel
    rng: random.Random
    timeline: Timeline
    calendar: _Calendar
    referrers: list[User]
    coordinator: User

    def history(self) -> int:
        """One case: a first referral, sometimes repeats within the window, rarely one much
        later. Returns how many referrals it planned."""
        rng = self.rng
        day = _working_day(TODAY - timedelta(days=rng.randint(20, 30 * MONTHS_OF_HISTORY - 30)))
        case = _Case(cast(rng, self.panel.panel_type, day))
        later: list[date] = []
        if rng.random() < REPEAT_SHARE[self.panel.panel_type]:
            later.append(_working_day(day + timedelta(days=rng.randint(30, 330))))
            if rng.random() < 0.3:
                later.append(_working_day(later[-1] + timedelta(days=rng.randint(30, 300))))
        elif rng.random() < 0.08:
            later.append(_working_day(day + timedelta(days=rng.randint(400, 600))))
        days = [day, *(when for when in later if when <= TODAY)]
        for number, when in enumerate(days):
            self.referral(case, when, repeat=number > 0)
        return len(days)

    def referral(
        self, case: _Case, day: date, *, repeat: bool = False, screened: bool = True
    ) -> None:
        """Drafted and sent on its referral date; screened within three working days unless
        that is still to come (or it is one of those left `screened=False` for the demo)."""
        rng = self.rng
        referrer = rng.choice(self.referrers)
        answers = _answers(self.panel, rng, day, case.people, repeat=repeat)
        drafted = uk_time(day, rng.randint(9, 15), rng.randint(0, 59))
        story = _Referral(self, case)
        self.timeline.at(drafted, partial(story.draft, referrer, answers))
        self.timeline.at(drafted + timedelta(minutes=rng.randint(20, 110)), story.submit)
        screening = working_days_after(day, rng.randint(1, 3))
        if screened and screening <= TODAY:
            moment = uk_time(screening, rng.randint(10, 15), rng.randint(0, 59))
            self.timeline.at(moment, partial(story.screen, screening))


class _Referral:
    """One referral's steps, each run at its moment on the timeline."""

    def __init__(self, desk: _Desk, case: _Case) -> None:
        self.desk, self.case = desk, case
        self.referral: Referral | None = None

    def draft(self, referrer: User, answers: dict[FormSection, dict[str, Any]]) -> None:
        referral = referrals.start_referral(actor=referrer, panel=self.desk.panel)
        for section, data in answers.items():
            if section in self.desk.panel.spec.sections:
                referrals.save_section(referral, actor=referrer, section=section, data=data)
        self.referral = referral

    def submit(self) -> None:
        referrals.submit_referral(self._referral, actor=self._referral.referrer)

    def screen(self, day: date) -> None:
        """Accepted (a repeat matched to the people already on the case) and listed for the
        next meeting; heard there if it has been held."""
        desk, referral = self.desk, self._referral
        matches = self.case.matches or [None] * len(self.case.people)
        accepted = referrals.accept_referral(
            referral, actor=desk.coordinator, matches=matches, today=day
        )
        self.case.matches = [person.id for person in accepted.people]
        meeting = desk.calendar.next_after(day)
        if meeting is None:
            return
        referrals.list_for_meeting(referral, actor=desk.coordinator, meeting=meeting)
        if meeting.held_on <= TODAY:
            heard = uk_time(meeting.held_on, 10) + timedelta(minutes=desk.rng.randint(0, 180))
            desk.timeline.at(heard, partial(self.hear, meeting))

    def hear(self, meeting: Meeting) -> None:
        """Heard at the meeting, where agencies volunteer actions; most of those due by now
        were reported on around their due date (domain §2.6), some are overdue."""
        desk, referral = self.desk, self._referral
        referrals.mark_heard(referral, actor=desk.coordinator, today=meeting.held_on)
        for action in self._agree_actions(meeting):
            if action.due_on < TODAY and desk.rng.random() < 0.88:  # the rest are overdue
                day = _working_day(action.due_on - timedelta(days=desk.rng.randint(0, 7)))
                moment = uk_time(day, desk.rng.randint(9, 16), desk.rng.randint(0, 59))
                desk.timeline.at(moment, partial(self.report, action))

    def _agree_actions(self, meeting: Meeting) -> Iterator[CaseAction]:
        desk, case = self.desk, self._referral.case
        assert case is not None
        offered = ACTIONS[desk.panel.panel_type]
        choices = [
            (owner, text)
            for owner in action_queries.owner_agencies(case, meeting.held_on)
            for text in offered.get(owner.agency_type, ())
        ]
        for owner, text in desk.rng.sample(choices, k=min(len(choices), desk.rng.randint(1, 3))):
            due_on = meeting.held_on + timedelta(days=desk.rng.randint(14, 42))
            yield case_actions.agree_action(
                case,
                actor=desk.coordinator,
                action=case_actions.NewAction(text, owner, due_on, meeting),
                today=meeting.held_on,
            )

    def report(self, action: CaseAction) -> None:
        desk = self.desk
        status, words = desk.rng.choices(OUTCOMES, weights=(85, 8, 7))[0]
        case_actions.report_progress(
            action,
            actor=_staff_of(desk.panel, action.owner_agency_id) or desk.coordinator,
            status=status,
            text=words,
            seen_version=action.version,
        )

    @property
    def _referral(self) -> Referral:
        assert self.referral is not None
        return self.referral


def _working_day(day: date) -> date:
    """Agencies refer, screen and report on working days."""
    return working_day_on_or_before(day)


def _answers(
    panel: Panel, rng: random.Random, day: date, people: list[Someone], *, repeat: bool
) -> dict[FormSection, dict[str, Any]]:
    victim = people[0]
    answers: dict[FormSection, dict[str, Any]] = {
        FormSection.ABOUT: {"referred_on": day.isoformat()},
        FormSection.PEOPLE: {"people": [person.referral_entry() for person in people]},
        FormSection.SAFETY: {
            "safe_to_call": rng.random() < 0.7,
            "safe_times": "Weekdays 10am to 2pm",
            "phone": victim.identity().phone,
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
            "gender": victim.gender,
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


def _members(panel: Panel, role: PanelRole) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(PanelMembership, PanelMembership.user_id == User.id)
            .where(PanelMembership.panel_id == panel.id, PanelMembership.role == role)
            .order_by(User.id)
        )
    )


def _staff_of(panel: Panel, organisation_id: int) -> User | None:
    return db.session.scalar(
        select(User)
        .join(PanelMembership, PanelMembership.user_id == User.id)
        .where(PanelMembership.panel_id == panel.id, User.organisation_id == organisation_id)
        .order_by(User.id)
        .limit(1)
    )
