"""A year and more of each demo panel's meetings as they were recorded (issue 21): who attended
for which agency (named representatives, now and then a deputy in their place), apologies from
one or two agencies, an agency that sent what it knows without attending, the odd observer, an
occasional declaration of interest, one meeting that was not quorate, and the minutes of every
meeting that heard cases: drafted by the coordinator the working day after, with the panel's
decision on each case in its type's terms, approved by the chair a few working days later (the
most recent may still await the chair). A few open actions on each panel had their due date
moved by agreement, with the reason, some days before it fell due.

The panels' other members sit on them beside the demo logins: the people a real panel has
(a MARAC's police, IDVA, children's social care, housing and health representatives; a
Community MARAC's ASB officers, housing, adult social care and mental health; and so on).
They have no password, so nobody signs in as them; they are there to attend.

Each attendee accepts the meeting's confidentiality statement before it starts (R3), and the
coordinator records the attendance and any declaration of interest through the real services
as the meeting goes. The statement's own service refuses a meeting already held, so, like
`demo.referrals`, the declarations are written as rows dated on the morning of the meeting.
Channel, MACE and IOM panels take no referrals yet, so this module also puts their meetings in
the diary (at their cadence, as `demo.referrals` does for the others). Generated from a fixed
seed, so every demo is the same."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta
from functools import partial

from sqlalchemy import select

from app.accounts.models import AgencyType
from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import db
from app.database import uk_today
from cases.actions import services as case_actions
from cases.actions.models import ActionStatus
from cases.actions.models import CaseAction
from cases.meetings import queries
from cases.meetings import services
from cases.meetings.models import AttendanceStatus
from cases.meetings.rules import Attendee
from cases.meetings.rules import check_quorum
from cases.models import Case
from cases.queries import months_after
from cases.referrals.models import Referral
from demo import notifications
from demo.cases import TODAY
from demo.clock import Timeline
from demo.clock import happened_at
from demo.clock import uk_time
from demo.clock import working_day_on_or_before
from demo.clock import working_days_after
from demo.data import EMAIL_DOMAIN
from demo.data import ISP_SIGNED
from demo.data import SET_UP
from demo.referrals import SCHEDULED_AHEAD
from demo.referrals import meeting_days
from panels import services as panel_services
from panels.declarations import CONFIDENTIALITY_STATEMENT_VERSION
from panels.models import ConfidentialityDeclaration
from panels.models import IspAgreement
from panels.models import IspSignatory
from panels.models import Meeting
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.types.common import PanelType
from panels.types.common import Quorum

A = AgencyType
# Agencies the demo adds to those in demo/data.py: each borough's own council services, and
# the health and voluntary services a MACE, IOM or Community MARAC panel draws on.
ORGANISATIONS = {
    "Havering Children’s Social Care": A.CHILDRENS_SOCIAL_CARE,
    "Redbridge Children’s Social Care": A.CHILDRENS_SOCIAL_CARE,
    "Tower Hamlets Children’s Social Care": A.CHILDRENS_SOCIAL_CARE,
    "Barking and Dagenham Children’s Social Care": A.CHILDRENS_SOCIAL_CARE,
    "Newham Adult Social Care": A.ADULT_SOCIAL_CARE,
    "Tower Hamlets Council Community Safety": A.COMMUNITY_SAFETY,
    "Barking and Dagenham Council Community Safety": A.COMMUNITY_SAFETY,
    "Newham Youth Justice Service": A.YOUTH_JUSTICE,
    "East London Mental Health Service": A.HEALTH,
    "Eastside Recovery Service": A.HEALTH,  # drug and alcohol treatment
    "Missing Matters East": A.VOLUNTARY_SECTOR,  # return home interviews
}

P = PanelType
C, CH, R = PanelRole.COORDINATOR, PanelRole.CHAIR, PanelRole.REPRESENTATIVE
NH, HV, RB, TH, BD = "Newham", "Havering", "Redbridge", "Tower Hamlets", "Barking and Dagenham"
POLICE = "Metropolitan Police – East Area"
IDVA = "East London Domestic Abuse Service"
HEALTH = "East London Health Partnership"
HOUSING = "Eastside Homes"
PROBATION = "Probation Service – East London"


@dataclass(frozen=True)
class PanelMember:
    """Someone who sits on demo panels without a demo login. A second member of an agency
    on a panel deputises for the first (the agency's named representative, R2)."""

    name: str
    organisation: str
    panels: tuple[tuple[str, PanelType, PanelRole], ...]

    @property
    def email(self) -> str:
        return f"{self.name.lower().replace(' ', '.')}@{EMAIL_DOMAIN}"


MEMBERS = (
    # Police: a DI chairs the smaller boroughs' MARACs; Prevent officers sit on Channel.
    PanelMember(
        "Desmond Oyelaran", POLICE, ((RB, P.MARAC, CH), (TH, P.MARAC, CH), (BD, P.MARAC, CH))
    ),
    PanelMember("Nkechi Adebayo", POLICE, ((NH, P.IOM, CH),)),
    PanelMember(
        "Bernadette Quayle",
        POLICE,
        ((HV, P.MARAC, R), (HV, P.COMMUNITY_MARAC, R), (HV, P.MACE, R), (HV, P.IOM, R)),
    ),
    PanelMember("Gwen Ashcombe", POLICE, ((RB, P.MARAC, R), (TH, P.MARAC, R), (BD, P.MARAC, R))),
    PanelMember("Imran Chaudry", POLICE, ((NH, P.CHANNEL, R), (HV, P.CHANNEL, R))),
    PanelMember("Lorcan Beattie", POLICE, ((NH, P.MARAC, R), (NH, P.MACE, R), (NH, P.IOM, R))),
    # IDVAs
    PanelMember(
        "Saoirse Blackwood",
        IDVA,
        ((NH, P.MARAC, R), (HV, P.MARAC, R), (RB, P.MARAC, R), (TH, P.MARAC, R)),
    ),
    PanelMember("Tamsin Okello", IDVA, ((RB, P.MARAC, R), (TH, P.MARAC, R), (BD, P.MARAC, R))),
    # Health: safeguarding nurses, mental health, drug and alcohol treatment
    PanelMember(
        "Marguerite Fennimore",
        HEALTH,
        (
            (NH, P.MARAC, R),
            (RB, P.MARAC, R),
            (TH, P.MARAC, R),
            (BD, P.MARAC, R),
            (NH, P.MACE, R),
            (NH, P.CHANNEL, R),
        ),
    ),
    PanelMember("Dev Raman", HEALTH, ((HV, P.MARAC, R), (HV, P.MACE, R))),
    PanelMember(
        "Olamide Hartigan",
        "East London Mental Health Service",
        ((NH, P.COMMUNITY_MARAC, R), (HV, P.COMMUNITY_MARAC, R)),
    ),
    PanelMember("Fraser McAllum", "Eastside Recovery Service", ((NH, P.IOM, R), (HV, P.IOM, R))),
    # Housing
    PanelMember(
        "Yvette Marchmont",
        HOUSING,
        (
            (NH, P.MARAC, R),
            (NH, P.COMMUNITY_MARAC, R),
            (NH, P.IOM, R),
            (RB, P.MARAC, R),
            (TH, P.MARAC, R),
            (BD, P.MARAC, R),
        ),
    ),
    PanelMember(
        "Conrad Pellow", HOUSING, ((HV, P.MARAC, R), (HV, P.COMMUNITY_MARAC, R), (HV, P.IOM, R))
    ),
    # Probation
    PanelMember(
        "Hollie Drummond",
        PROBATION,
        (
            (HV, P.MARAC, R),
            (RB, P.MARAC, R),
            (HV, P.IOM, R),
            (NH, P.IOM, R),
            (NH, P.CHANNEL, R),
            (HV, P.CHANNEL, R),
        ),
    ),
    # Children's social care
    PanelMember(
        "Ellis Thornbury",
        "Havering Children’s Social Care",
        ((HV, P.MACE, CH), (HV, P.MARAC, R), (HV, P.CHANNEL, R)),
    ),
    PanelMember("Keziah Mbatha", "Havering Children’s Social Care", ((HV, P.MACE, R),)),
    PanelMember(
        "Rosalind Carrow", "Newham Children’s Social Care", ((NH, P.MACE, R), (NH, P.MARAC, R))
    ),
    PanelMember("Jonah Blessington", "Redbridge Children’s Social Care", ((RB, P.MARAC, R),)),
    PanelMember("Anwen Treloar", "Tower Hamlets Children’s Social Care", ((TH, P.MARAC, R),)),
    PanelMember(
        "Kofi Lindqvist", "Barking and Dagenham Children’s Social Care", ((BD, P.MARAC, R),)
    ),
    # Adult social care
    PanelMember(
        "Gideon Akhtar",
        "Havering Adult Social Care",
        ((HV, P.MARAC, R), (HV, P.COMMUNITY_MARAC, R), (HV, P.CHANNEL, R)),
    ),
    PanelMember(
        "Philippa Horne",
        "Newham Adult Social Care",
        ((NH, P.MARAC, R), (NH, P.COMMUNITY_MARAC, R), (NH, P.CHANNEL, R)),
    ),
    # Community safety: ASB officers, Prevent coordinators, the chairs of the council's panels
    PanelMember(
        "Victoria Lamb",
        "Newham Council Community Safety",
        ((NH, P.COMMUNITY_MARAC, CH), (NH, P.CHANNEL, CH)),
    ),
    PanelMember(
        "Ravi Sandhu",
        "Newham Council Community Safety",
        ((NH, P.COMMUNITY_MARAC, R), (NH, P.IOM, R)),
    ),
    PanelMember("Zainab Rahimi", "Newham Council Community Safety", ((NH, P.CHANNEL, R),)),
    PanelMember(
        "Ophelia Grange",
        "Havering Council Community Safety",
        ((HV, P.COMMUNITY_MARAC, CH), (HV, P.CHANNEL, CH)),
    ),
    PanelMember(
        "Marcus Tilbury",
        "Havering Council Community Safety",
        ((HV, P.COMMUNITY_MARAC, R), (HV, P.IOM, R), (HV, P.CHANNEL, R)),
    ),
    PanelMember("Beatrix Olowe", "Tower Hamlets Council Community Safety", ((TH, P.MARAC, C),)),
    PanelMember(
        "Eleanor Vashti", "Barking and Dagenham Council Community Safety", ((BD, P.MARAC, C),)
    ),
    # Education, youth justice, the voluntary sector, fire and rescue
    PanelMember(
        "Lydia Ferncombe",
        "Newham Schools Safeguarding Team",
        ((NH, P.MARAC, R), (NH, P.MACE, R), (NH, P.CHANNEL, R)),
    ),
    PanelMember("Callan Moriarty", "Newham Youth Justice Service", ((NH, P.MACE, R),)),
    PanelMember("Sienna Wakefield", "Havering Youth Justice Service", ((HV, P.MACE, R),)),
    PanelMember("Theo Brannigan", "Missing Matters East", ((NH, P.MACE, R), (HV, P.MACE, R))),
    PanelMember(
        "Winifred Osei",
        "Redbridge Community Support Network",
        ((NH, P.COMMUNITY_MARAC, R), (HV, P.COMMUNITY_MARAC, R)),
    ),
    PanelMember(
        "Alistair Penhaligon",
        "East London Fire and Rescue",
        ((NH, P.COMMUNITY_MARAC, R), (HV, P.COMMUNITY_MARAC, R)),
    ),
)

# People who observe a meeting now and then, as each type's panels have them.
OBSERVERS = {
    P.MARAC: (
        ("Jade Whitlock", "Student social worker, Barking Council"),
        ("Owain Prothero", "Trainee IDVA, East London Domestic Abuse Service"),
        ("Harriet Quarshie", "Domestic abuse lead, Integrated Care Board"),
    ),
    P.COMMUNITY_MARAC: (
        ("Felix Armitage", "Student social worker, Barking Council"),
        ("Imogen Rusk", "New ASB officer, Redbridge Council"),
    ),
    P.CHANNEL: (("Bronwen Tate", "Regional Prevent adviser, Home Office"),),
    P.MACE: (("Corinne Abara", "Student social worker, Barking Council"),),
    P.IOM: (("Stellan Hughes", "Trainee probation officer, Probation Service"),),
}

MONTHS_OF_HISTORY = 12  # for the panels whose meetings this module puts in the diary
MONTHS_AHEAD = 2
PRESENT_SHARE = 0.82  # how often an agency's named representative attends
DEPUTY_SHARE = 0.6  # when they cannot, how often a deputy goes in their place
INFORMATION_SHARE = 0.6  # an agency that cannot attend sends what it knows
MOST_APOLOGIES = 2
OBSERVER_SHARE = 0.08
INTEREST_SHARE = 0.1
# The Redbridge MARAC about three months ago: no IDVA could attend (the service sent its
# information instead), so the meeting was not quorate.
NOT_QUORATE = (RB, P.MARAC, 90)
INTEREST_SHOWN = (NH, P.MARAC)
# The minutes: what a coordinator writes about the meeting as a whole, about each case, and
# what each kind of agency brought to the discussion.
GENERAL_MINUTES = (
    "Introductions and the confidentiality statement read. Minutes of the last meeting agreed "
    "as a true record. Outstanding actions reviewed: the chair asked agencies to report before "
    "the next meeting on any still open.",
    "Confidentiality statement read and accepted. The last meeting's minutes agreed with one "
    "correction to an action's owner. Open actions reviewed; none escalated.",
    "Apologies noted. Previous minutes agreed. Two actions from the last meeting were not "
    "possible because circumstances changed; the panel noted why.",
)
CASE_DISCUSSION = (
    "Agencies shared what they hold. Risk remains high; the chair summarised the risks and "
    "the panel agreed a plan, with actions volunteered below.",
    "Information shared. Risk has reduced since the last referral but remains significant; the "
    "panel agreed to keep the case open to agencies and review any new incident.",
    "The panel heard a summary of recent incidents and agreed the safety plan. Agencies to "
    "share any change in circumstances with the coordinator before the next meeting.",
)
CONTRIBUTIONS = {
    A.POLICE: "Police shared recent call-outs and the history held; markers are in place.",
    A.DOMESTIC_ABUSE_SERVICE: "The IDVA service has contact and shared the victim’s views.",
    A.HOUSING: "Housing confirmed the tenancy position and options for moving.",
    A.HEALTH: "Health shared relevant contacts with services, proportionately.",
    A.PROBATION: "Probation shared the licence conditions and current supervision.",
    A.CHILDRENS_SOCIAL_CARE: "Children’s social care confirmed the children’s plan.",
    A.ADULT_SOCIAL_CARE: "Adult social care confirmed there is no open safeguarding enquiry.",
    A.COMMUNITY_SAFETY: "The ASB team shared recent reports and what has been done.",
    A.EDUCATION: "The school confirmed attendance and any concerns raised.",
    A.YOUTH_JUSTICE: "Youth justice shared the current order and engagement.",
    A.VOLUNTARY_SECTOR: "The service shared what it knows from its recent contact.",
    A.FIRE: "Fire and rescue offered a home fire safety visit.",
}
# What the panel decided about each case it heard, in its type's terms, and how often (codes of
# `PanelSpec.decisions`). Not "not heard": every demo case listed at a meeting was heard there.
DECISIONS = {
    P.MARAC: (("safety_plan", 60), ("safety_plan_review", 28), ("no_further_action", 12)),
    P.COMMUNITY_MARAC: (
        ("action_plan", 45),
        ("action_plan_review", 35),
        ("closed", 15),
        ("escalated", 5),
    ),
    P.CHANNEL: (("adopted", 30), ("remains_open", 40), ("not_adopted_other_support", 20)),
    P.MACE: (("risk_medium", 35), ("risk_low", 30), ("risk_high", 20), ("stepped_down", 15)),
    P.IOM: (("remains", 60), ("adopted", 25), ("deselected", 15)),
}
# Due dates moved by agreement: how many open actions on each panel, and why.
AMENDED_PER_PANEL = 3
AMENDED_REASONS = (
    "Agreed with the coordinator: the victim asked for the visit after her hospital appointment.",
    "The tenancy panel meets later this month; agreed to report after it.",
    "Agreed at the chair's request: waiting for the court date to be set.",
    "Staff absence in the team; agreed a new date with the coordinator.",
)


def seed() -> int:
    """Add the panels' other members, Channel, MACE and IOM meetings, and the record of every
    meeting held (the caller commits; after `demo.referrals.seed`). Returns how many
    meetings' attendance was recorded."""
    rng = random.Random(20261203)  # noqa: S311 (synthetic data, not a secret)
    # Its own sequence, so that what was added later leaves the rest of the demo as it was.
    decisions = random.Random(20261204)  # noqa: S311 (synthetic data, not a secret)
    panels = {
        (panel.area.name, panel.panel_type): panel
        for panel in db.session.scalars(select(Panel).order_by(Panel.id))
    }
    with happened_at(uk_time(SET_UP, 9)):
        _members(panels)
    with happened_at(uk_time(ISP_SIGNED, 10)):
        _sign_isps(panels)
    timeline = Timeline()
    for panel in panels.values():
        if not _has_meetings(panel):
            _Diary(panel, timeline)
    timeline.run()
    timeline = Timeline()
    recorded = 0
    agendas = _agendas()
    rooms = []
    for (area, panel_type), panel in panels.items():
        held = db.session.scalars(
            select(Meeting)
            .where(Meeting.panel_id == panel.id, Meeting.held_on < TODAY)
            .order_by(Meeting.held_on)
        ).all()
        room = _Room(panel, rng, timeline, decisions)
        rooms.append(room)
        unquorate = (
            _nearest(held, TODAY - timedelta(days=NOT_QUORATE[2]))
            if (area, panel_type) == NOT_QUORATE[:2]
            else None
        )
        # The latest Newham MARAC meeting with cases on it had a declaration of interest, so a
        # coordinator signing in sees one without looking far.
        with_cases = [meeting for meeting in held if agendas.get(meeting.id)]
        shown = with_cases[-1] if (area, panel_type) == INTEREST_SHOWN and with_cases else None
        for meeting in held:
            cases = agendas.get(meeting.id, [])
            interest = bool(cases) and (meeting is shown or rng.random() < INTEREST_SHARE)
            room.plan(
                meeting, quorate=meeting is not unquorate, interest_in=cases if interest else []
            )
            if cases:
                room.minute(meeting)
            recorded += 1
    timeline.run()
    # Then, on a timeline of their own, the due dates moved since (after every report made).
    timeline = Timeline()
    for room in rooms:
        room.amend_due_dates(timeline)
    timeline.run()
    notifications.settle()
    return recorded


def _agendas() -> dict[int, list[int]]:
    """The cases listed or heard at each meeting, by meeting id (one query)."""
    found: dict[int, list[int]] = defaultdict(list)
    for meeting_id, case_id in db.session.execute(
        select(Referral.meeting_id, Referral.case_id)
        .where(Referral.status.in_(queries.ON_AN_AGENDA), Referral.meeting_id.is_not(None))
        .order_by(Referral.id)
    ):
        if meeting_id is not None and case_id is not None and case_id not in found[meeting_id]:
            found[meeting_id].append(case_id)
    return dict(found)


def _nearest(meetings: Sequence[Meeting], day: date) -> Meeting | None:
    return min(meetings, key=lambda m: abs((m.held_on - day).days), default=None)


def _has_meetings(panel: Panel) -> bool:
    found = db.session.scalar(select(Meeting.id).where(Meeting.panel_id == panel.id).limit(1))
    return found is not None


def _members(panels: dict[tuple[str, PanelType], Panel]) -> None:
    """The panels' members without demo logins, and the agencies new to the demo."""
    organisations = {o.name: o for o in db.session.scalars(select(Organisation))}
    for name, agency in ORGANISATIONS.items():
        organisations[name] = Organisation(name=name, agency_type=agency)
        db.session.add(organisations[name])
    for member in MEMBERS:
        user = User(
            email=member.email,
            display_name=member.name,
            organisation=organisations[member.organisation],
        )
        db.session.add(user)
        for area, panel_type, role in member.panels:
            db.session.add(PanelMembership(panel=panels[area, panel_type], user=user, role=role))
    db.session.flush()


def _sign_isps(panels: dict[tuple[str, PanelType], Panel]) -> None:
    """Every agency with a member on a panel signed its protocol with the others (domain §8 R1)."""
    review_on = uk_today() + timedelta(days=2 * 365)
    for panel in panels.values():
        agreement = db.session.scalar(
            select(IspAgreement).where(
                IspAgreement.panel_id == panel.id, IspAgreement.version == "1"
            )
        )
        assert agreement is not None, panel.name
        signed = {signatory.organisation_id for signatory in agreement.signatories}
        members = {
            organisation_id
            for organisation_id in db.session.scalars(
                select(User.organisation_id)
                .join(PanelMembership, PanelMembership.user_id == User.id)
                .where(PanelMembership.panel_id == panel.id)
            )
        }
        for organisation_id in sorted(members - signed):
            agreement.signatories.append(
                IspSignatory(
                    organisation_id=organisation_id, signed_on=ISP_SIGNED, review_on=review_on
                )
            )
    db.session.flush()


class _Diary:
    """A panel that takes no referrals yet: its meetings for the past year and the next two
    months, each put in the diary six weeks before (or by the demo's today)."""

    def __init__(self, panel: Panel, timeline: Timeline) -> None:
        self.panel = panel
        month = TODAY.replace(day=1)
        start, end = months_after(month, -MONTHS_OF_HISTORY), months_after(month, MONTHS_AHEAD + 1)
        for day in meeting_days(panel.meeting_cadence, start, end):
            scheduled = min(day - SCHEDULED_AHEAD, TODAY)
            timeline.at(uk_time(scheduled, 10), partial(self._schedule, day))

    def _schedule(self, day: date) -> None:
        panel_services.schedule_meeting(actor=None, panel=self.panel, held_on=day)


@dataclass
class _Seat:
    """An agency on the panel: its named representative and any deputies."""

    organisation: Organisation
    named: User
    deputies: list[User]


@dataclass
class _Room:
    """Plans what happened at each of a panel's meetings on the timeline."""

    panel: Panel
    rng: random.Random
    timeline: Timeline
    decisions: random.Random  # the panel's decisions and the due dates it moved
    coordinator: User = field(init=False)
    chairs: list[User] = field(init=False)
    seats: list[_Seat] = field(init=False)
    rule: Quorum = field(init=False)
    roles: dict[int, PanelRole] = field(init=False)
    users: dict[int, User] = field(init=False)

    def __post_init__(self) -> None:
        rows = db.session.execute(
            select(PanelMembership.role, User)
            .join(User, User.id == PanelMembership.user_id)
            .where(PanelMembership.panel_id == self.panel.id)
            .order_by(User.id)
        ).all()
        coordinators = [user for role, user in rows if role is PanelRole.COORDINATOR]
        assert coordinators, self.panel.name
        self.coordinator = coordinators[0]
        self.chairs = [user for role, user in rows if role is PanelRole.CHAIR]
        by_agency: dict[int, list[User]] = defaultdict(list)
        for role, user in rows:
            if role is PanelRole.REPRESENTATIVE:
                by_agency[user.organisation_id].append(user)
        self.seats = [
            _Seat(users[0].organisation, users[0], users[1:]) for users in by_agency.values()
        ]
        self.rule = self.panel.settings.quorum(self.panel.spec.quorum)
        self.roles = {user.id: role for role, user in rows}
        self.users = {user.id: user for _, user in rows}

    def plan(self, meeting: Meeting, *, quorate: bool, interest_in: list[int]) -> None:
        """Who comes, who sends apologies, and who sends information instead; the register
        taken as the meeting opens at ten, and any interest declared as a case comes up."""
        rng = self.rng
        statuses: dict[int, AttendanceStatus] = {self.coordinator.id: AttendanceStatus.PRESENT}
        statuses |= {chair.id: AttendanceStatus.PRESENT for chair in self.chairs}
        information: set[int] = set()
        required = set(self.rule.agency_types)
        apologies = 0
        for seat in rng.sample(self.seats, len(self.seats)):
            agency = seat.organisation.agency_type
            absent = not quorate and agency is AgencyType.DOMESTIC_ABUSE_SERVICE
            if not absent and (apologies >= MOST_APOLOGIES or rng.random() < PRESENT_SHARE):
                statuses[seat.named.id] = AttendanceStatus.PRESENT
                continue
            statuses[seat.named.id] = AttendanceStatus.APOLOGIES
            apologies += 1
            if seat.deputies and not absent and rng.random() < DEPUTY_SHARE:
                statuses[rng.choice(seat.deputies).id] = AttendanceStatus.DEPUTY
            elif agency in required and not absent:
                statuses[seat.named.id] = AttendanceStatus.PRESENT  # the quorum needs them
                apologies -= 1
            elif absent or rng.random() < INFORMATION_SHARE:
                information.add(seat.organisation.id)
        # An agency someone else attended for (its coordinator, or the chair) sent nothing apart.
        information -= {self.users[u].organisation_id for u, s in statuses.items() if s.attended}
        if quorate and not self._quorate(statuses):
            statuses = {user_id: AttendanceStatus.PRESENT for user_id in statuses}
            information.clear()
        observers = []
        if rng.random() < OBSERVER_SHARE:
            name, role = rng.choice(OBSERVERS[self.panel.panel_type])
            observers.append(services.Observer(name, role))
        held = meeting.held_on
        attending = [user_id for user_id, status in statuses.items() if status.attended]
        self.timeline.at(
            uk_time(held, 9, rng.randint(30, 55)), partial(self._declare, meeting, attending)
        )
        self.timeline.at(
            uk_time(held, 10),
            partial(self._register, meeting, statuses, information, observers),
        )
        others = [
            user_id
            for user_id in attending
            if user_id != self.coordinator.id and self.roles[user_id] is PanelRole.REPRESENTATIVE
        ]
        if interest_in and others:
            moment = uk_time(held, 10, 15) + timedelta(minutes=rng.randint(0, 150))
            case_id, attendee_id = rng.choice(interest_in), rng.choice(others)
            self.timeline.at(moment, partial(self._interest, meeting, case_id, attendee_id))

    def minute(self, meeting: Meeting) -> None:
        """The coordinator drafts the minutes the working day after the meeting; the chair,
        who attended, approves them a few working days later, unless that is still to come."""
        rng = self.rng
        drafted = working_days_after(meeting.held_on, 1)
        if drafted > TODAY:
            return
        general = rng.choice(GENERAL_MINUTES)
        self.timeline.at(
            uk_time(drafted, 14, rng.randint(0, 59)), partial(self._draft, meeting, general)
        )
        approved = working_days_after(drafted, rng.randint(2, 6))
        if self.chairs and approved <= TODAY:
            chair = self.chairs[0]
            moment = uk_time(approved, rng.randint(9, 16), rng.randint(0, 59))
            self.timeline.at(moment, partial(self._approve, meeting, chair))

    def _draft(self, meeting: Meeting, general: str) -> None:
        rng = self.rng
        agencies = queries.agencies_taking_part(meeting)
        cases = {}
        codes, weights = zip(*DECISIONS[self.panel.panel_type], strict=True)
        for view in queries.minuted_cases(meeting, self.coordinator, None):
            speaking = rng.sample(agencies, k=min(len(agencies), rng.randint(2, 4)))
            cases[view.case.id] = services.CaseMinutes(
                rng.choice(CASE_DISCUSSION),
                {
                    agency.id: CONTRIBUTIONS[agency.agency_type]
                    for agency in speaking
                    if agency.agency_type in CONTRIBUTIONS
                },
                self.decisions.choices(codes, weights)[0],
            )
        services.save_minutes(
            meeting,
            actor=self.coordinator,
            seen=0,
            general=general,
            cases=cases,
            today=TODAY,
        )

    def _approve(self, meeting: Meeting, chair: User) -> None:
        minutes = queries.minutes_of(meeting)
        assert minutes is not None
        services.approve_minutes(meeting, actor=chair, seen=minutes.revision)

    def amend_due_dates(self, timeline: Timeline) -> None:
        """A few of the panel's open actions agreed at its meetings had their due date moved
        by agreement, a working day or a few before it fell due (or by the demo's today)."""
        rng = self.decisions
        open_actions = db.session.scalars(
            select(CaseAction)
            .where(
                CaseAction.panel_id == self.panel.id,
                CaseAction.status == ActionStatus.OPEN,
                CaseAction.meeting_id.is_not(None),
            )
            .order_by(CaseAction.due_on.desc(), CaseAction.id)
        ).all()
        for action in rng.sample(open_actions, k=min(AMENDED_PER_PANEL, len(open_actions))):
            assert action.meeting is not None
            before = action.due_on - timedelta(days=rng.randint(1, 6))
            day = working_day_on_or_before(min(before, TODAY))
            if day <= action.meeting.held_on:
                continue
            moment = uk_time(day, rng.randint(9, 16), rng.randint(0, 59))
            later = action.due_on + timedelta(days=rng.choice((14, 21, 28)))
            step = partial(self._amend, action, later, rng.choice(AMENDED_REASONS), day)
            timeline.at(moment, step)

    def _amend(self, action: CaseAction, due_on: date, reason: str, today: date) -> None:
        """Moved by someone of the agency that owns it, on the panel, or else the coordinator."""
        owners = [
            user
            for user_id, user in self.users.items()
            if user.organisation_id == action.owner_agency_id
            and self.roles[user_id] is PanelRole.REPRESENTATIVE
        ]
        case_actions.change_due_date(
            action,
            actor=owners[0] if owners else self.coordinator,
            due_on=due_on,
            reason=reason,
            seen_version=action.version,
            today=today,
        )

    def _quorate(self, statuses: dict[int, AttendanceStatus]) -> bool:
        users = self.users
        attendees = [
            Attendee(
                users[user_id].organisation_id,
                users[user_id].organisation.agency_type,
                self.roles[user_id],
            )
            for user_id, status in statuses.items()
            if status.attended
        ]
        return check_quorum(self.rule, attendees).met

    def _declare(self, meeting: Meeting, attending: list[int]) -> None:
        """Each attendee accepts the statement before the meeting opens (R3); some already
        had, to research the agenda."""
        declared = queries.declared_user_ids(meeting)
        db.session.add_all(
            ConfidentialityDeclaration(
                meeting_id=meeting.id,
                user_id=user_id,
                statement_version=CONFIDENTIALITY_STATEMENT_VERSION,
            )
            for user_id in attending
            if user_id not in declared
        )

    def _register(
        self,
        meeting: Meeting,
        statuses: dict[int, AttendanceStatus],
        information: set[int],
        observers: list[services.Observer],
    ) -> None:
        services.record_attendance(
            meeting,
            actor=self.coordinator,
            seen=None,
            statuses=statuses,
            information_from=information,
            observers=observers,
            today=TODAY,
        )

    def _interest(self, meeting: Meeting, case_id: int, attendee_id: int) -> None:
        """Someone who knows a person on the agenda declares it and leaves for that item."""
        services.declare_interest(
            meeting,
            actor=self.coordinator,
            case=db.session.get_one(Case, case_id),
            attendee_id=attendee_id,
        )
