"""Fill an empty database with national-scale synthetic data, fast, in the app's own formats.

Areas with all five panels, their agencies and members, meeting calendars, people (with aliases
and uncertain dates of birth), cases, referrals over ten years with about a third of MARAC
referrals repeats, risk assessments, notes, the actions agreed at meetings with their progress
reports, and the audit trail of it all. Rows go in with
SQLAlchemy Core executemany, but every value is made as the app makes it: each case, person and
referral has its own random data key wrapped by the KEK, sealed fields go through
`FieldCipher` with the same associated data, blind indexes through `cases.people.services` (and so
`app.keys.blind.index_of`), and the audit events form one valid hash chain.

Referrals are made in date order, so ids and audit times rise together as in real use. Each
case's whole history (its later referrals and their outcomes) is drawn when it opens, so its
row is written once with the state the case list filters and sorts on.
"""

from __future__ import annotations

import heapq
import json
import random
import time
import uuid
from bisect import bisect_left
from collections import deque
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from functools import partial
from types import SimpleNamespace
from typing import Any
from typing import cast

import pyotp
from sqlalchemy import Table
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

from app.accounts.models import AgencyType
from app.accounts.models import Organisation
from app.accounts.models import User
from app.auth.passwords import hash_password
from app.auth.seeds import seal_totp_secret
from app.crypto import FieldCipher
from app.crypto import random_key
from app.database import db
from app.database import utcnow
from app.keys.blind import indexer
from app.keys.models import DataKey
from app.keys.models import KeyPurpose
from app.keys.store import key_store
from audit.chain import GENESIS_HASH
from audit.chain import entry_hash
from audit.models import AuditAction
from audit.models import AuditEvent
from audit.models import Outcome
from benchmarks.loading import Batch
from benchmarks.loading import Writer
from benchmarks.loading import indexes_built_afterwards
from benchmarks.loading import insert
from cases.actions.models import ActionStatus
from cases.actions.models import ActionUpdate
from cases.actions.models import CaseAction
from cases.models import Case
from cases.models import CaseNote
from cases.models import CasePerson
from cases.models import CaseRole
from cases.models import CaseStatus
from cases.models import Person
from cases.people.models import PersonSearchKey
from cases.people.services import Identity
from cases.people.services import search_keys_for
from cases.queries import months_after
from cases.queries import months_before
from cases.reach import services as reach
from cases.referrals.models import Referral
from cases.referrals.models import RiskAssessment
from cases.referrals.rules import victim_age_band
from cases.referrals.rules import young_perpetrators
from panels.declarations import CONFIDENTIALITY_STATEMENT_VERSION
from panels.instruments.asb_matrix import ASB_MATRIX_VERSION
from panels.instruments.dash import DASH_VERSION
from panels.models import Area
from panels.models import ConfidentialityDeclaration
from panels.models import IspAgreement
from panels.models import IspSignatory
from panels.models import Meeting
from panels.models import MeetingKind
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.settings import PanelSettings
from panels.types.common import MeetingCadence
from panels.types.common import PanelType
from panels.types.common import ReferralStatus
from panels.types.common import RepeatDefinition
from panels.types.common import RiskLevel
from panels.types.common import RiskTool

BENCH_PASSWORD = "BenchPassphrase-2026-synthetic"
EMAIL_DOMAIN = "bench.example"
FLUSH_ROWS = 20_000

# Share of new cases by panel type (national MARAC volume dwarfs the others), the chance that a
# referral is followed by a repeat within the window, and by a much later re-referral.
PANEL_SHARE = {
    PanelType.MARAC: 0.82,
    PanelType.COMMUNITY_MARAC: 0.08,
    PanelType.MACE: 0.045,
    PanelType.IOM: 0.045,
    PanelType.CHANNEL: 0.01,
}
REPEAT_CHANCE = {
    PanelType.MARAC: 0.33,
    PanelType.COMMUNITY_MARAC: 0.3,
    PanelType.MACE: 0.2,
    PanelType.IOM: 0.25,
    PanelType.CHANNEL: 0.05,
}
LATER_CHANCE = 0.04
REJECTED_SHARE = 0.02
CADENCE_DAYS = {PanelType.MARAC: 14}
MEETING_NAMES = {
    PanelType.MARAC: ("MARAC", MeetingCadence.FORTNIGHTLY),
    PanelType.COMMUNITY_MARAC: ("Community MARAC", MeetingCadence.MONTHLY),
    PanelType.CHANNEL: ("Channel Panel", MeetingCadence.MONTHLY),
    PanelType.MACE: ("MACE", MeetingCadence.MONTHLY),
    PanelType.IOM: ("IOM Panel", MeetingCadence.MONTHLY),
}
PRIMARY_ROLE = {
    PanelType.MARAC: CaseRole.VICTIM,
    PanelType.COMMUNITY_MARAC: CaseRole.VICTIM,
    PanelType.CHANNEL: CaseRole.SUBJECT,
    PanelType.MACE: CaseRole.SUBJECT,
    PanelType.IOM: CaseRole.SUBJECT,
}
AGENCIES = (
    ("Police", AgencyType.POLICE),
    ("Council Community Safety", AgencyType.COMMUNITY_SAFETY),
    ("Domestic Abuse Service", AgencyType.DOMESTIC_ABUSE_SERVICE),
    ("Health Partnership", AgencyType.HEALTH),
    ("Children’s Social Care", AgencyType.CHILDRENS_SOCIAL_CARE),
    ("Homes", AgencyType.HOUSING),
    ("Probation", AgencyType.PROBATION),
)
# Each area's members: (agency index, panels sat on, role).
MEMBERS = (
    ("coordinator", 1, tuple(PanelType), PanelRole.COORDINATOR),
    ("police", 0, tuple(PanelType), PanelRole.REPRESENTATIVE),
    ("idva", 2, (PanelType.MARAC,), PanelRole.REPRESENTATIVE),
    ("health", 3, (PanelType.MARAC, PanelType.MACE, PanelType.CHANNEL), PanelRole.REPRESENTATIVE),
    ("childrens", 4, (PanelType.MARAC, PanelType.MACE), PanelRole.REPRESENTATIVE),
    ("housing", 5, (PanelType.MARAC, PanelType.COMMUNITY_MARAC), PanelRole.REPRESENTATIVE),
    ("probation", 6, (PanelType.IOM, PanelType.MARAC), PanelRole.REPRESENTATIVE),
)

PLACE_STARTS = (
    "North", "South", "East", "West", "Ash", "Bram", "Cold", "Elm", "Fair", "Green", "High",
    "Kings", "Long", "Mill", "Oak", "Red", "Stone", "Thorn", "Wood", "Brook",
)  # fmt: skip
PLACE_ENDS = ("mere", "field", "ford", "bury", "ham", "ley", "wick", "stead", "combe", "dale")
GIVEN = (
    "Amara", "Bethany", "Chloe", "Dana", "Ellie", "Farah", "Grace", "Hollie", "Imani", "Jade",
    "Kayla", "Leah", "Maya", "Nadia", "Olivia", "Priya", "Rosa", "Sana", "Tia", "Una", "Vera",
    "Willa", "Yasmin", "Zoë", "Aaron", "Ben", "Callum", "Dev", "Ethan", "Femi", "Gareth",
    "Harvey", "Isaac", "Jamal", "Kieran", "Liam", "Marek", "Nathan", "Owen", "Piotr", "Reece",
    "Samir", "Tomasz", "Usman", "Vikram", "Wes", "Yusuf", "Zak", "Aoife", "Siobhán", "Mary Ann",
    "Jo", "Sam", "Alex", "Charlie", "Robin", "Kai", "Remi", "Noor", "Ines",
)  # fmt: skip
FAMILY = (
    "Adebayo", "Ahmed", "Baker", "Begum", "Brennan", "Campbell", "Chowdhury", "Clarke", "Cole",
    "Davies", "Dubois", "Edwards", "Evans", "Fraser", "Green", "Gupta", "Hall", "Hughes",
    "Hussain", "Iqbal", "Jackson", "James", "Jones", "Kaur", "Kelly", "Khan", "Kowalski",
    "Lewis", "Malik", "Martin", "Mensah", "Miah", "Morgan", "Murphy", "Nowak", "O'Brien",
    "Okafor", "Owusu", "Patel", "Phillips", "Price", "Quinn", "Rahman", "Reid", "Roberts",
    "Robinson", "Santos", "Scott", "Shah", "Singh", "Smith", "Smith-Jones", "Taylor", "Thomas",
    "Turner", "Walker", "Ward", "Watson", "White", "Williams", "Wilson", "Wood", "Wright",
    "Yilmaz", "Young", "Zielinski", "MacDonald", "McCarthy", "Nguyen", "Osei",
)  # fmt: skip
STREETS = ("Acacia Avenue", "Canal Row", "Chapel Lane", "Station Road", "The Crescent",
           "Victoria Street", "Orchard Close", "Mill Lane", "Park View", "Church Walk")  # fmt: skip
NOTES = (
    "Housing officer visited; locks changed and a sanctuary scheme referral made.",
    "IDVA in contact; victim engaging and a safety plan agreed.",
    "Police flagged the address for an urgent response.",
    "School informed of the safeguarding concerns for the children.",
    "Health visitor to share the outcome of the next home visit.",
    "Perpetrator programme place offered; attendance to be reported.",
)
ACTIONS = (
    "Complete a home visit and update the safety plan.",
    "Fit additional locks and a door alarm under the sanctuary scheme.",
    "Check school attendance and share any concerns with the panel.",
    "Flag the address for an urgent police response.",
    "Offer a place on the perpetrator programme and report attendance.",
    "Review the housing application and consider a management transfer.",
    "Health visitor to discuss the plan at the next appointment.",
)
# How many actions a hearing agrees, and how those due before today ended.
ACTIONS_AGREED = (1, 2, 2, 3, 4)
ENDINGS = (
    (ActionStatus.COMPLETED, 0.85, "Done as agreed; nothing further needed from us."),
    (ActionStatus.NO_LONGER_POSSIBLE, 0.08, "Could not go ahead: the family moved out of area."),
    (ActionStatus.NOT_DONE, 0.07, "Not done before the deadline; raised with our manager."),
)
RELATIONSHIPS = ("Ex-partner", "Partner", "Husband", "Wife", "Son", "Brother", "Father")


@dataclass(frozen=True)
class Plan:
    referrals: int
    seed: int = 20261202
    areas: int = 40
    years: int = 10
    today: date = field(default_factory=lambda: datetime.now(UTC).date())


@dataclass(frozen=True)
class Summary:
    referrals: int
    cases: int
    people: int
    actions: int
    audit_events: int
    seconds: float
    marac_repeat_share: float


class NotEmpty(RuntimeError):
    """The database already holds accounts or case data: the generator only fills empty ones."""


def database_is_empty() -> bool:
    return not any(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Case, Person, Referral)
    )


Progress = Callable[[int, int], None]


def generate(plan: Plan, progress: Progress | None = None) -> Summary:
    """Generate `plan.referrals` referrals and all that goes with them, then commit."""
    if not database_is_empty():
        raise NotEmpty("The database is not empty: generate into a new, migrated database.")
    started = time.perf_counter()
    generator = _Generator(plan, progress or (lambda done, total: None))
    with _bulk_loading():
        with indexes_built_afterwards():
            generator.run()
        _derive_reach()
        _refresh_statistics()
    return Summary(
        referrals=generator.referral_id,
        cases=generator.case_id,
        people=generator.person_id,
        actions=generator.action_id,
        audit_events=generator.chain.sequence,
        seconds=time.perf_counter() - started,
        marac_repeat_share=generator.marac_repeats / max(1, generator.marac_referrals),
    )


@contextmanager
def _bulk_loading() -> Iterator[None]:
    """Connections are dropped afterwards, so what is measured next starts afresh."""
    try:
        yield
    finally:
        db.session.close()
        db.engine.dispose()


def _derive_reach() -> None:
    """Who may see each case through listing and referral (cases/reach): the app keeps these
    rows as it flushes, and the generator writes without the ORM, so it derives them at the
    end, once the indexes they are read through exist."""
    reach.rebuild(db.session.connection())
    db.session.commit()


def _refresh_statistics() -> None:
    """The planner's statistics, once the indexes exist (SQLite keeps them per index)."""
    if db.engine.dialect.name == "postgresql":
        # As autovacuum would in time: statistics, and the visibility map index-only scans need.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


# The structure: areas, agencies, panels, members, meetings --------------------------------------


@dataclass
class PanelInfo:
    id: int
    panel_type: PanelType
    area_index: int
    coordinator: tuple[int, int]  # (user id, organisation id)
    referrers: list[tuple[int, int]]
    meeting_days: list[date] = field(default_factory=list)
    meeting_ids: list[int] = field(default_factory=list)
    recent_perpetrators: deque[PersonDraft] = field(default_factory=lambda: deque(maxlen=200))

    def meeting_after(self, day: date) -> tuple[int, date] | None:
        index = bisect_left(self.meeting_days, day)
        if index == len(self.meeting_days):
            return None
        return self.meeting_ids[index], self.meeting_days[index]


def area_names(count: int) -> list[str]:
    names = [f"{start}{end}" for end in PLACE_ENDS for start in PLACE_STARTS]
    return names[:count] if count <= len(names) else [f"Bench Area {n + 1}" for n in range(count)]


def _structure(plan: Plan, start: date) -> list[PanelInfo]:
    password_hash = hash_password(BENCH_PASSWORD)
    infos: list[PanelInfo] = []
    for area_index, name in enumerate(area_names(plan.areas)):
        area = Area(name=name)
        organisations = [
            Organisation(name=f"{name} {suffix}", agency_type=agency) for suffix, agency in AGENCIES
        ]
        panels = {
            panel_type: Panel(
                area=area,
                panel_type=panel_type,
                name=f"{name} {MEETING_NAMES[panel_type][0]}",
                meeting_cadence=MEETING_NAMES[panel_type][1],
            )
            for panel_type in PanelType
        }
        db.session.add_all([area, *organisations, *panels.values()])
        members: dict[PanelType, list[tuple[User, PanelRole]]] = {t: [] for t in PanelType}
        for local_part, agency, sits_on, role in MEMBERS:
            user = User(
                email=f"{local_part}.{area_index + 1}@{EMAIL_DOMAIN}",
                display_name=f"{local_part.capitalize()} {name}",
                organisation=organisations[agency],
                password_hash=password_hash,
                password_changed_at=utcnow(),
                mfa_enrolled_at=utcnow(),
            )
            db.session.add(user)
            db.session.flush()
            user.totp_secret_encrypted = seal_totp_secret(user, pyotp.random_base32())
            for panel_type in sits_on:
                db.session.add(PanelMembership(panel=panels[panel_type], user=user, role=role))
                members[panel_type].append((user, role))
        db.session.flush()
        for panel_type, panel in panels.items():
            people = members[panel_type]
            coordinator = next(u for u, role in people if role is PanelRole.COORDINATOR)
            referrers = [(u.id, u.organisation_id) for u, role in people if u is not coordinator]
            infos.append(
                PanelInfo(
                    panel.id,
                    panel_type,
                    area_index,
                    (coordinator.id, coordinator.organisation_id),
                    referrers,
                )
            )
    _meetings(infos, start, plan.today)
    _isp_register(start, plan.today)
    return infos


def _isp_register(start: date, today: date) -> None:
    """Each panel's ISP version 1, in force from the start, signed by every organisation with
    members on the panel (domain §8 R1), so the members keep their access."""
    now = utcnow()
    panel_ids = db.session.scalars(select(Panel.id).order_by(Panel.id)).all()
    next_id = (db.session.scalar(select(func.max(IspAgreement.id))) or 0) + 1
    agreement_of = {panel_id: next_id + index for index, panel_id in enumerate(panel_ids)}
    insert(
        db.session.connection(),
        _table(IspAgreement),
        [
            {
                "id": agreement_id,
                "panel_id": panel_id,
                "version": "1",
                "in_force_from": start,
                "created_at": now,
            }
            for panel_id, agreement_id in agreement_of.items()
        ],
    )
    pairs = db.session.execute(
        select(PanelMembership.panel_id, User.organisation_id)
        .join(User, User.id == PanelMembership.user_id)
        .distinct()
        .order_by(PanelMembership.panel_id, User.organisation_id)
    ).all()
    insert(
        db.session.connection(),
        _table(IspSignatory),
        [
            {
                "agreement_id": agreement_of[panel_id],
                "organisation_id": organisation_id,
                "signed_on": start,
                "review_on": today + timedelta(days=3 * 365),
                "withdrawn_on": None,
                "created_at": now,
            }
            for panel_id, organisation_id in pairs
        ],
    )


def _meetings(infos: list[PanelInfo], start: date, today: date) -> None:
    """Fortnightly MARACs, the others monthly (second Thursday), up to two months ahead."""
    rows = []
    next_id = (db.session.scalar(select(func.max(Meeting.id))) or 0) + 1
    until = today + timedelta(days=60)
    now = utcnow()
    for info in infos:
        days: list[date] = []
        if info.panel_type is PanelType.MARAC:
            day = start + timedelta(days=(3 - start.weekday()) % 7 + 7 * (info.area_index % 2))
            while day <= until:
                days.append(day)
                day += timedelta(days=14)
        else:
            month = start.replace(day=1)
            while month <= until:
                days.append(month + timedelta(days=(3 - month.weekday()) % 7 + 7))
                month = months_after(month, 1)
        for day in days:
            rows.append(
                {
                    "id": next_id,
                    "panel_id": info.id,
                    "held_on": day,
                    "kind": MeetingKind.SCHEDULED,
                    "created_at": now,
                    # Written straight to the driver: the column's default is the ORM's.
                    "agenda_revision": 1,
                }
            )
            info.meeting_days.append(day)
            info.meeting_ids.append(next_id)
            next_id += 1
    insert(db.session.connection(), _table(Meeting), rows)
    _declarations(infos, today)


def _declarations(infos: list[PanelInfo], today: date) -> None:
    """The representatives at each meeting held so far accept its confidentiality statement
    (R3), as they must to see its agenda; about one in ten misses a meeting."""
    rows = [
        {
            "meeting_id": meeting_id,
            "user_id": user_id,
            "statement_version": CONFIDENTIALITY_STATEMENT_VERSION,
            "accepted_at": _at(day, 9.5),
        }
        for info in infos
        for meeting_id, day in zip(info.meeting_ids, info.meeting_days, strict=True)
        if day <= today
        for user_id, _ in info.referrers
        if (meeting_id * 7 + user_id) % 10
    ]
    for start in range(0, len(rows), 50_000):
        insert(
            db.session.connection(),
            _table(ConfidentialityDeclaration),
            rows[start : start + 50_000],
        )


# The audit chain -----------------------------------------------------------------------------


class Chain:
    """Appends events in order, hashing each exactly as `audit.record` does."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.sequence = 0
        self.previous = GENESIS_HASH
        self.clock = datetime(2000, 1, 1, tzinfo=UTC)
        self.rows: list[dict[str, Any]] = []

    def record(
        self,
        when: datetime,
        actor: tuple[int, int] | None,
        action: AuditAction,
        object: tuple[str, int] | None = None,
        changes: dict[str, Any] | None = None,
    ) -> None:
        # Times rise with sequence numbers, as the chain lock makes them in the app.
        self.clock = max(when, self.clock + timedelta(microseconds=1))
        self.sequence += 1
        request_id = f"{self.rng.getrandbits(128):032x}"
        event: dict[str, Any] = {
            "sequence": self.sequence,
            "occurred_at": self.clock,
            "actor_id": actor[0] if actor else None,
            "actor_agency_id": actor[1] if actor else None,
            "actor_role": "member" if actor else None,
            "action": action,
            "outcome": Outcome.SUCCESS,
            "object_type": object[0] if object else None,
            "object_id": str(object[1]) if object else None,
            "purpose": None,
            "changes": json.dumps(changes, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
            if changes
            else None,
            "ip_address": f"10.{self.rng.randrange(256)}.{self.rng.randrange(256)}.1",
            "session_ref": f"{self.rng.getrandbits(64):016x}",
            "request_id": request_id,
            "previous_hash": self.previous,
        }
        event["event_hash"] = entry_hash(cast(AuditEvent, SimpleNamespace(**event)))
        self.previous = event["event_hash"]
        self.rows.append(event)


# Keys and sealing ------------------------------------------------------------------------------


class Sealer:
    """New wrapped data keys, and sealing under them exactly as `Sealed` fields do."""

    def __init__(self) -> None:
        self.keyring = key_store().keyring
        self.rows: list[dict[str, Any]] = []

    def new_key(self, purpose: KeyPurpose, created_at: datetime) -> tuple[str, FieldCipher]:
        key_id = uuid.uuid4().hex
        plain = random_key()
        kek_id, wrapped = self.keyring.wrap(plain)
        self.rows.append(
            {
                "id": key_id,
                "purpose": purpose,
                "kek_id": kek_id,
                "wrapped_key": wrapped,
                "created_at": created_at,
                "destroyed_at": None,
            }
        )
        return key_id, FieldCipher(plain, bytes.fromhex(key_id))


def seal(
    cipher: FieldCipher, table: str, uid: str, values: dict[str, str | None]
) -> dict[str, Any]:
    return {
        column: None
        if value is None
        else cipher.seal(value.encode(), table=table, column=column, row_id=uid)
        for column, value in values.items()
    }


# Histories -------------------------------------------------------------------------------------


@dataclass
class PersonDraft:
    entry: dict[str, Any]  # as the referral form records the person
    id: int | None = None  # set once the person's row is written


@dataclass
class Step:
    """One referral of a case's history, drawn when the case opens."""

    day: date
    status: ReferralStatus
    is_repeat: bool = False
    meeting: tuple[int, date] | None = None
    flag_expires_on: date | None = None
    risk_level: RiskLevel | None = None
    score: int | None = None
    id: int | None = None


@dataclass(frozen=True)
class Report:
    """A progress report on an action, written when the day it was made comes round."""

    action_id: int
    owner: tuple[int, int]  # (user id, organisation id)
    when: datetime
    before: ActionStatus
    status: ActionStatus
    text: str


@dataclass
class History:
    panel: PanelInfo
    people: list[tuple[PersonDraft, CaseRole]]
    steps: list[Step]
    case_id: int | None = None
    case_key: tuple[str, FieldCipher] | None = None
    next_step: int = 0


class _Generator:
    def __init__(self, plan: Plan, progress: Progress) -> None:
        self.plan = plan
        self.progress = progress
        self.rng = random.Random(plan.seed)  # noqa: S311 (synthetic data, not a secret)
        self.start = plan.today - timedelta(days=365 * plan.years)
        self.chain = Chain(self.rng)
        self.sealer = Sealer()
        self.settings = PanelSettings.from_json(None)
        self.rows: dict[Table, list[dict[str, Any]]] = {
            _table(model): []
            for model in (
                Person,
                PersonSearchKey,
                Case,
                CasePerson,
                Referral,
                RiskAssessment,
                CaseNote,
                CaseAction,
                ActionUpdate,
            )
        }
        self.referral_id = self.case_id = self.person_id = 0
        self.search_key_id = self.case_person_id = self.assessment_id = self.note_id = 0
        self.action_id = self.action_update_id = 0
        self.marac_referrals = self.marac_repeats = 0
        # (day, order, history) of referrals still to come, and (time, order, event) later events
        self.pending: list[tuple[date, int, History]] = []
        self.later: list[tuple[datetime, int, Callable[[], None]]] = []
        self.order = 0

    def run(self) -> None:
        self.panels = _structure(self.plan, self.start)
        self.index = indexer()
        db.session.commit()  # from here on the writer process stores everything
        self.by_type = {t: [p for p in self.panels if p.panel_type is t] for t in PanelType}
        self.coordinators = {p.area_index: p.coordinator for p in self.panels}
        with Writer() as self.writer:
            self._referrals()
        self._finish()
        self.progress(self.referral_id, self.plan.referrals)

    def _referrals(self) -> None:
        """Day by day over the years: the referrals due, new cases, and the events between."""
        days = (self.plan.today - self.start).days + 1
        total = self.plan.referrals
        for number in range(days):
            day = self.start + timedelta(days=number)
            self._events_before(_at(day, 0))
            while self.pending and self.pending[0][0] <= day and self.referral_id < total:
                _, _, history = heapq.heappop(self.pending)
                self._referral(history)
            target = total if number == days - 1 else total * (number + 1) // days
            while self.referral_id < target:
                self._referral(self._new_history(day))
            if number % 7 == 0:
                for area, coordinator in self.coordinators.items():
                    self.chain.record(
                        _at(day, 8.5 + area / 100),
                        coordinator,
                        AuditAction.CASE_LIST_VIEWED,
                        changes={"filters": {"sort": "last_referred"}, "page": [None, 1]},
                    )
            if self._buffered() > FLUSH_ROWS:
                self._flush()
                self.progress(self.referral_id, total)
        self._events_before(datetime.max.replace(tzinfo=UTC))
        self._flush()

    # A case's whole story, drawn up front --------------------------------------------------------

    def _new_history(self, day: date) -> History:
        rng = self.rng
        panel_type = rng.choices(list(PANEL_SHARE), weights=list(PANEL_SHARE.values()))[0]
        panel = rng.choice(self.by_type[panel_type])
        people = self._people(panel, day)
        steps = [Step(day, ReferralStatus.ACCEPTED)]
        when = day
        while True:
            roll = rng.random()
            if roll < REPEAT_CHANCE[panel_type]:
                when = when + timedelta(days=rng.randint(14, 340))
            elif roll < REPEAT_CHANCE[panel_type] + LATER_CHANCE:
                when = when + timedelta(days=rng.randint(400, 1200))
            else:
                break
            if when > self.plan.today:
                break
            steps.append(Step(when, ReferralStatus.ACCEPTED))
        if rng.random() < REJECTED_SHARE and len(steps) == 1:
            steps[0].status = ReferralStatus.REJECTED
        self._outcomes(panel, steps)
        return History(panel, people, steps)

    def _outcomes(self, panel: PanelInfo, steps: list[Step]) -> None:
        """Screening, listing and hearing of each referral; repeats judged as the app does."""
        today, settings = self.plan.today, self.settings
        window = settings.repeat_window_months
        opened: list[date] = []
        for step in steps:
            if step.status is ReferralStatus.REJECTED:
                continue
            if (today - step.day).days < 5 and self.rng.random() < 0.5:
                step.status = ReferralStatus.SUBMITTED  # still waiting to be screened
                continue
            if panel.panel_type is PanelType.COMMUNITY_MARAC:
                start = months_before(step.day, window)
                step.is_repeat = sum(1 for d in opened if d >= start) >= settings.repeat_count - 1
            else:
                step.is_repeat = bool(opened) and step.day <= months_after(opened[-1], window)
            step.flag_expires_on = months_after(step.day, window)
            opened.append(step.day)
            step.meeting = panel.meeting_after(step.day + timedelta(days=3))
            if step.meeting is None:
                step.status = ReferralStatus.ACCEPTED
            else:
                held = step.meeting[1] <= today
                step.status = ReferralStatus.HEARD if held else ReferralStatus.LISTED
        for step in steps:
            step.risk_level, step.score = self._risk(panel.panel_type, step)

    def _risk(self, panel_type: PanelType, step: Step) -> tuple[RiskLevel | None, int | None]:
        rng = self.rng
        if panel_type is PanelType.MARAC:
            yes = rng.randint(3, 12) if step.is_repeat else rng.choice((rng.randint(14, 20), 11))
            return (RiskLevel.HIGH if yes >= 14 or not step.is_repeat else RiskLevel.MEDIUM), yes
        if panel_type is PanelType.COMMUNITY_MARAC:
            score = rng.randint(1, 12)
            level = RiskLevel.HIGH if score >= 8 else RiskLevel.MEDIUM
            return level if score >= 4 else RiskLevel.STANDARD, score
        return rng.choice((RiskLevel.STANDARD, RiskLevel.MEDIUM, RiskLevel.HIGH)), None

    def _people(self, panel: PanelInfo, day: date) -> list[tuple[PersonDraft, CaseRole]]:
        """The case's people, their ages drawn as on its first referral `day`."""
        rng = self.rng
        entry = partial(self._person_entry, on=day)
        people = [(PersonDraft(entry(16, 70)), PRIMARY_ROLE[panel.panel_type])]
        if panel.panel_type is PanelType.MARAC:
            # Now and then a perpetrator already known to the panel harms someone new.
            if panel.recent_perpetrators and rng.random() < 0.05:
                people.append((rng.choice(panel.recent_perpetrators), CaseRole.PERPETRATOR))
            else:
                perpetrator = entry(18, 65)
                perpetrator["relationship"] = rng.choice(RELATIONSHIPS)
                people.append((PersonDraft(perpetrator), CaseRole.PERPETRATOR))
            for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
                child = entry(0, 15)
                child["relationship"] = "Child"
                people.append((PersonDraft(child), CaseRole.CHILD))
        elif panel.panel_type is PanelType.COMMUNITY_MARAC and rng.random() < 0.5:
            people.append((PersonDraft(entry(14, 70)), CaseRole.PERPETRATOR))
        return people

    def _person_entry(self, youngest: int, oldest: int, *, on: date) -> dict[str, Any]:
        """A person aged `youngest` to `oldest` on the day `on`."""
        rng = self.rng
        family = rng.choice(FAMILY)
        age_days = rng.randint(youngest * 365, oldest * 365 + 364)
        born = on - timedelta(days=age_days)
        aliases = []
        if rng.random() < 0.12:  # a former family name, or a first name written another way
            aliases.append(
                f"{rng.choice(GIVEN)} {family}"
                if rng.random() < 0.5
                else f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"
            )
        others = [(born + timedelta(days=rng.randint(-400, 400))).isoformat()]
        return {
            "given_names": rng.choice(GIVEN),
            "family_name": family,
            "date_of_birth": born.isoformat(),
            "aliases": aliases,
            "other_birth_dates": others if rng.random() < 0.03 else [],
            "address": f"{rng.randint(1, 199)} {rng.choice(STREETS)}, ZZ{rng.randint(1, 99)} 9ZZ",
            "nhs_number": f"999 {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
            if rng.random() < 0.3
            else None,
            "pnc_id": f"26/{rng.randint(100000, 999999)}Z" if rng.random() < 0.2 else None,
        }

    # Writing a referral (and, for a case's first, the case and its people) ----------------------

    def _referral(self, history: History) -> None:
        step = history.steps[history.next_step]
        history.next_step += 1
        panel = history.panel
        self.referral_id += 1
        step.id = self.referral_id
        rng = self.rng
        referrer = rng.choice(panel.referrers)
        coordinator = panel.coordinator
        when = _at(step.day, 9 + rng.random() * 7)
        screened = step.status not in (ReferralStatus.SUBMITTED,)
        attached = step.status not in (ReferralStatus.SUBMITTED, ReferralStatus.REJECTED)
        if attached and history.case_id is None:
            self._open_case(history, step, when)
        key_id, cipher = self.sealer.new_key(KeyPurpose.CASE, when)
        uid = uuid.uuid4().hex
        entries = self._entries(history)
        answers = self._answers(panel.panel_type, step, entries)
        risk = answers.get("risk")
        earlier = [s for s in history.steps[: history.next_step - 1] if s.flag_expires_on]
        criteria = (
            ["repeat"]
            if step.is_repeat
            else (
                ["visible_high_risk"]
                if (step.score or 0) >= 14
                else [answers["reasons"]["criteria"][0]]
            )
        )
        diversity = answers.get("diversity", {})
        consent = answers.get("consent", {})
        is_marac = panel.panel_type is PanelType.MARAC
        self.rows[_table(Referral)].append(
            {
                "id": step.id,
                "uid": uid,
                "data_key_id": key_id,
                "panel_id": panel.id,
                "case_id": history.case_id if attached else None,
                "status": step.status,
                "referrer_id": referrer[0],
                "referring_agency_id": referrer[1],
                "referred_on": step.day,
                "created_at": when,
                "submitted_at": when + timedelta(minutes=20),
                "screened_at": when + timedelta(hours=1) if screened else None,
                "screened_by_id": coordinator[0] if screened else None,
                "criteria": criteria,
                "risk_tool": _tool(panel.panel_type),
                "risk_score": step.score,
                "risk_level": step.risk_level,
                "consent_given": consent.get("consent_given"),
                "victim_aware": consent.get("victim_aware"),
                "children_count": sum(1 for _, role in history.people if role is CaseRole.CHILD),
                "victim_gender": diversity.get("gender"),
                "victim_minoritised": diversity.get("minoritised"),
                "victim_disabled": diversity.get("disabled"),
                "victim_lgbt": diversity.get("lgbt"),
                # As submission codes them (`cases.referrals.services._record_ages`, §2.10).
                "victim_age_band": victim_age_band(entries, step.day),
                "young_perpetrators": young_perpetrators(entries, step.day),
                "is_repeat": step.is_repeat,
                "repeat_of_id": earlier[-1].id if step.is_repeat and earlier else None,
                "repeat_definition": (
                    self.settings.repeat_definition if is_marac else RepeatDefinition.LOCAL
                )
                if attached
                else None,
                "rules_version": self.settings.definitions_version if attached else None,
                "flag_expires_on": step.flag_expires_on,
                "meeting_id": step.meeting[0] if step.meeting and attached else None,
                "version": 6,
                **seal(
                    cipher,
                    "referrals",
                    uid,
                    {
                        "answers": json.dumps(answers, sort_keys=True),
                        "decision_reason": "Below the threshold and no professional judgement given"
                        if step.status is ReferralStatus.REJECTED
                        else None,
                    },
                ),
            }
        )
        if is_marac and attached:
            self.marac_referrals += 1
            self.marac_repeats += step.is_repeat
        if risk and step.score is not None:
            self._assessment(step, key_id, cipher, when, risk)
        self._audit_referral(history, step, referrer, when, attached)
        if history.next_step < len(history.steps):
            self.order += 1
            heapq.heappush(
                self.pending, (history.steps[history.next_step].day, self.order, history)
            )

    def _open_case(self, history: History, step: Step, when: datetime) -> None:
        self.case_id += 1
        history.case_id = self.case_id
        history.case_key = self.sealer.new_key(KeyPurpose.CASE, when)
        # As the app's case refresh sees it: referrals waiting or rejected are in no case.
        opening = [s for s in history.steps if s.flag_expires_on]
        latest = opening[-1]
        listed = [
            s.meeting[1] for s in history.steps if s.status is ReferralStatus.LISTED and s.meeting
        ]
        uid = uuid.uuid4().hex
        self.rows[_table(Case)].append(
            {
                "id": self.case_id,
                "uid": uid,
                "data_key_id": history.case_key[0],
                "panel_id": history.panel.id,
                "status": CaseStatus.OPEN,
                "opened_on": step.day,
                "closed_on": None,
                "created_at": when,
                "legal_hold_reason": None,
                "legal_hold_since": None,
                "disposed_at": None,
                "disposal_rule": None,
                "stage": latest.status,
                "risk_level": latest.risk_level,
                "is_repeat": latest.is_repeat,
                "referral_count": len(opening),
                "last_referred_on": latest.day,
                "flag_expires_on": opening[-1].flag_expires_on if opening else None,
                "next_meeting_on": min(listed, default=None),
                **seal(history.case_key[1], "cases", uid, {"summary": None}),
            }
        )
        for draft, role in history.people:
            if draft.id is None:
                self._person(draft, when)
            if role is CaseRole.PERPETRATOR:
                history.panel.recent_perpetrators.append(draft)
            self.case_person_id += 1
            self.rows[_table(CasePerson)].append(
                {
                    "id": self.case_person_id,
                    "case_id": self.case_id,
                    "person_id": draft.id,
                    "role": role,
                }
            )

    def _person(self, draft: PersonDraft, when: datetime) -> None:
        self.person_id += 1
        draft.id = self.person_id
        entry = draft.entry
        key_id, cipher = self.sealer.new_key(KeyPurpose.PERSON, when)
        uid = uuid.uuid4().hex
        identity = Identity(
            given_names=entry["given_names"],
            family_name=entry["family_name"],
            date_of_birth=date.fromisoformat(entry["date_of_birth"]),
            aliases=tuple(entry["aliases"]),
            other_birth_dates=tuple(date.fromisoformat(d) for d in entry["other_birth_dates"]),
            address=entry["address"],
            nhs_number=entry["nhs_number"],
            pnc_id=entry["pnc_id"],
        )
        self.rows[_table(Person)].append(
            {
                "id": draft.id,
                "uid": uid,
                "data_key_id": key_id,
                "created_at": when,
                **seal(
                    cipher,
                    "people",
                    uid,
                    {
                        "given_names": identity.given_names,
                        "family_name": identity.family_name,
                        "aliases": "\n".join(identity.aliases) or None,
                        "date_of_birth": entry["date_of_birth"],
                        "other_birth_dates": "\n".join(entry["other_birth_dates"]) or None,
                        "address": identity.address,
                        "phone": None,
                        "contact_safety": None,
                        "nhs_number": identity.nhs_number,
                        "pnc_id": identity.pnc_id,
                    },
                ),
            }
        )
        for kind, value in search_keys_for(identity, self.index):
            self.search_key_id += 1
            self.rows[_table(PersonSearchKey)].append(
                {"id": self.search_key_id, "person_id": draft.id, "kind": kind, "value": value}
            )

    def _entries(self, history: History) -> list[dict[str, Any]]:
        entries = []
        for draft, role in history.people:
            entries.append({**draft.entry, "role": role.value})
        return entries

    def _answers(
        self, panel_type: PanelType, step: Step, people: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """What the referrer typed, by section, as the referral form keeps it."""
        rng = self.rng
        answers: dict[str, Any] = {
            "about": {"referred_on": step.day.isoformat()},
            "people": {"people": people},
        }
        if panel_type in (PanelType.MARAC, PanelType.COMMUNITY_MARAC):
            answers["safety"] = {
                "safe_to_call": rng.random() < 0.7,
                "safe_times": "Weekdays 10am to 2pm",
                "phone": f"07700 900{rng.randint(100, 999)}",  # Ofcom's drama range
            }
            answers["consent"] = (
                {"consent_given": True, "victim_aware": True}
                if rng.random() < 0.8
                else {
                    "consent_given": False,
                    "justification": "Risk of serious harm outweighs the lack of consent",
                    "victim_aware": True,
                }
            )
        if panel_type is PanelType.MARAC:
            yes = step.score or 0
            answers["diversity"] = {
                "gender": "female" if rng.random() < 0.94 else "male",
                "minoritised": rng.choice(("yes", "no", "no", "no", "not_known")),
                "disabled": rng.choice(("yes", "no", "no", "no", "not_known")),
                "lgbt": rng.choice(("no", "no", "no", "not_known")),
            }
            answers["reasons"] = {
                "criteria": ["repeat" if step.is_repeat else "professional_judgement"],
                "judgement_reasons": "Escalating threats and stalking",
            }
            answers["risk"] = {
                "tool": "dash",
                "with_victim": True,
                "completed_on": step.day.isoformat(),
                "items": [
                    {"answer": "yes" if i < yes else "no", "source": "victim", "comment": ""}
                    for i in range(24)
                ],
            }
        elif panel_type is PanelType.COMMUNITY_MARAC:
            score = step.score or 0
            answers["reasons"] = {"criteria": ["repeat" if step.is_repeat else "vulnerable_victim"]}
            items = len(self.settings.risk_items)
            answers["risk"] = {
                "tool": "asb_risk_matrix",
                "items": [{"answer": "yes" if i < score % items else "no"} for i in range(items)],
            }
        else:
            criterion = {
                PanelType.CHANNEL: "susceptible_to_radicalisation",
                PanelType.MACE: "at_risk_of_exploitation",
                PanelType.IOM: "persistent_offending",
            }[panel_type]
            answers["reasons"] = {"criteria": [criterion]}
        return answers

    def _assessment(
        self, step: Step, key_id: str, cipher: FieldCipher, when: datetime, risk: dict[str, Any]
    ) -> None:
        self.assessment_id += 1
        uid = uuid.uuid4().hex
        dash = risk["tool"] == "dash"
        self.rows[_table(RiskAssessment)].append(
            {
                "id": self.assessment_id,
                "uid": uid,
                "data_key_id": key_id,
                "referral_id": step.id,
                "tool": RiskTool.DASH if dash else RiskTool.ASB_RISK_MATRIX,
                "instrument_version": DASH_VERSION
                if dash
                else f"{ASB_MATRIX_VERSION} {self.settings.definitions_version}",
                "completed_on": step.day,
                "with_victim": risk.get("with_victim"),
                "score": step.score,
                "level": step.risk_level,
                "created_at": when,
                **seal(cipher, "risk_assessments", uid, {"items": json.dumps(risk["items"])}),
            }
        )

    def _audit_referral(
        self,
        history: History,
        step: Step,
        referrer: tuple[int, int],
        when: datetime,
        attached: bool,
    ) -> None:
        chain, coordinator = self.chain, history.panel.coordinator
        referral = ("referrals", cast(int, step.id))
        self._events_before(when)
        chain.record(
            when,
            referrer,
            AuditAction.REFERRAL_STARTED,
            referral,
            {"panel_id": [None, history.panel.id]},
        )
        for number, section in enumerate(("about", "people", "risk")):
            chain.record(
                when + timedelta(minutes=number + 1),
                referrer,
                AuditAction.REFERRAL_UPDATED,
                referral,
                {"section": [None, section]},
            )
        chain.record(
            when + timedelta(minutes=20),
            referrer,
            AuditAction.REFERRAL_SUBMITTED,
            referral,
            {"status": ["draft", "submitted"], "risk_score": [None, step.score]},
        )
        if step.status is ReferralStatus.SUBMITTED:
            return
        if step.status is ReferralStatus.REJECTED:
            chain.record(
                when + timedelta(hours=1),
                coordinator,
                AuditAction.REFERRAL_REJECTED,
                referral,
                {"status": ["submitted", "rejected"]},
            )
            return
        chain.record(
            when + timedelta(hours=1),
            coordinator,
            AuditAction.REFERRAL_ACCEPTED,
            referral,
            {
                "case_id": [None, history.case_id],
                "is_repeat": [None, step.is_repeat],
                "status": ["submitted", "accepted"],
            },
        )
        chain.record(
            when + timedelta(hours=1, minutes=5),
            coordinator,
            AuditAction.CASE_VIEWED,
            ("cases", cast(int, history.case_id)),
        )
        if step.meeting is None:
            return
        meeting_id, held_on = step.meeting
        chain.record(
            when + timedelta(hours=2),
            coordinator,
            AuditAction.REFERRAL_LISTED,
            referral,
            {"meeting_id": [None, meeting_id], "status": ["accepted", "listed"]},
        )
        if step.status is ReferralStatus.HEARD:
            self._later(_at(held_on, 15), lambda: self._heard(history, step))

    def _heard(self, history: History, step: Step) -> None:
        """At the meeting: the case is read, often a note is added, and it is marked heard."""
        assert step.meeting is not None
        assert history.case_key is not None
        held = _at(step.meeting[1], 10)
        case = ("cases", cast(int, history.case_id))
        rng = self.rng
        reader = rng.choice(history.panel.referrers)
        self.chain.record(held, reader, AuditAction.CASE_VIEWED, case)
        if rng.random() < 0.6:
            author = rng.choice(history.panel.referrers)
            self.note_id += 1
            uid = uuid.uuid4().hex
            self.rows[_table(CaseNote)].append(
                {
                    "id": self.note_id,
                    "uid": uid,
                    "data_key_id": history.case_key[0],
                    "case_id": history.case_id,
                    "author_id": author[0],
                    "agency_id": author[1],
                    "created_at": held + timedelta(minutes=30),
                    **seal(history.case_key[1], "case_notes", uid, {"text": rng.choice(NOTES)}),
                }
            )
            self.chain.record(
                held + timedelta(minutes=30), author, AuditAction.CASE_NOTE_ADDED, case
            )
        for number in range(rng.choice(ACTIONS_AGREED)):
            self._action(history, step, held + timedelta(hours=1, minutes=number))
        self.chain.record(
            held + timedelta(hours=5),
            history.panel.coordinator,
            AuditAction.REFERRAL_HEARD,
            ("referrals", cast(int, step.id)),
            {"status": ["listed", "heard"]},
        )

    def _action(self, history: History, step: Step, when: datetime) -> None:
        """An action an agency volunteers at the hearing. Its whole course is drawn now: those
        due before today were reported on (sometimes midway too) and closed; the rest are open."""
        assert step.meeting is not None
        assert history.case_key is not None
        rng = self.rng
        owner = rng.choice(history.panel.referrers)
        due_on = step.meeting[1] + timedelta(days=rng.randint(14, 56))
        reports: list[tuple[datetime, ActionStatus, str]] = []
        midway = when + timedelta(days=rng.randint(3, 12))
        if rng.random() < 0.25 and midway.date() < self.plan.today:
            reports.append((midway, ActionStatus.OPEN, "Started; an appointment is booked."))
        closed = _at(due_on, 11) + timedelta(days=rng.randint(-10, 5))
        if closed.date() < self.plan.today:
            status, _, text = rng.choices(ENDINGS, weights=[e[1] for e in ENDINGS])[0]
            reports.append((max(closed, midway + timedelta(hours=1)), status, text))
        self.action_id += 1
        action_id, uid = self.action_id, uuid.uuid4().hex
        self.rows[_table(CaseAction)].append(
            {
                "id": action_id,
                "uid": uid,
                "data_key_id": history.case_key[0],
                "case_id": history.case_id,
                "panel_id": history.panel.id,
                "meeting_id": step.meeting[0],
                "owner_agency_id": owner[1],
                "due_on": due_on,
                "status": reports[-1][1] if reports else ActionStatus.OPEN,
                "agreed_by_id": history.panel.coordinator[0],
                "created_at": when,
                "updated_at": reports[-1][0] if reports else when,
                "version": 1 + len(reports),
                **seal(
                    history.case_key[1], "case_actions", uid, {"description": rng.choice(ACTIONS)}
                ),
            }
        )
        self.chain.record(
            when,
            history.panel.coordinator,
            AuditAction.ACTION_AGREED,
            ("cases", cast(int, history.case_id)),
            {"action_id": [None, action_id], "owner_agency_id": [None, owner[1]]},
        )
        previous = ActionStatus.OPEN
        for reported_at, status, text in reports:
            report = Report(action_id, owner, reported_at, previous, status, text)
            self._later(reported_at, partial(self._report, history, report))
            previous = status

    def _report(self, history: History, report: Report) -> None:
        assert history.case_key is not None
        action_id, owner, when = report.action_id, report.owner, report.when
        self.action_update_id += 1
        uid = uuid.uuid4().hex
        self.rows[_table(ActionUpdate)].append(
            {
                "id": self.action_update_id,
                "uid": uid,
                "data_key_id": history.case_key[0],
                "action_id": action_id,
                "author_id": owner[0],
                "agency_id": owner[1],
                "status": report.status,
                "reported_at": when,
                **seal(history.case_key[1], "case_action_updates", uid, {"text": report.text}),
            }
        )
        self.chain.record(
            when,
            owner,
            AuditAction.ACTION_PROGRESS_REPORTED,
            ("cases", cast(int, history.case_id)),
            {"action_id": [None, action_id], "status": [report.before.value, report.status.value]},
        )

    def _later(self, when: datetime, event: Callable[[], None]) -> None:
        self.order += 1
        heapq.heappush(self.later, (when, self.order, event))

    def _events_before(self, when: datetime) -> None:
        while self.later and self.later[0][0] <= when:
            heapq.heappop(self.later)[2]()

    # Writing -------------------------------------------------------------------------------------

    def _buffered(self) -> int:
        return len(self.chain.rows) + sum(len(rows) for rows in self.rows.values())

    def _flush(self) -> None:
        """Hand the buffered rows to the writer, parents before children. A transaction per
        batch keeps SQLite's write-ahead log (and PostgreSQL's) small: one transaction of a
        million referrals made a WAL as big as the database."""
        batch: Batch = [(DataKey.__tablename__, self.sealer.rows)]
        batch += [(table.name, rows) for table, rows in self.rows.items()]
        batch.append((AuditEvent.__tablename__, self.chain.rows))
        self.writer.store(batch)
        self.sealer.rows, self.chain.rows = [], []
        self.rows = {table: [] for table in self.rows}

    def _finish(self) -> None:
        """Move PostgreSQL's id sequences past the ids written here."""
        connection = db.session.connection()
        if connection.dialect.name == "postgresql":
            for model in (Meeting, Person, PersonSearchKey, Case, CasePerson, Referral,
                          RiskAssessment, CaseNote, CaseAction, ActionUpdate):  # fmt: skip
                name = model.__tablename__
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                        f"(SELECT coalesce(max(id), 1) FROM {name}))"
                    )
                )
        db.session.commit()


def _tool(panel_type: PanelType) -> RiskTool | None:
    return {
        PanelType.MARAC: RiskTool.DASH,
        PanelType.COMMUNITY_MARAC: RiskTool.ASB_RISK_MATRIX,
    }.get(panel_type)


def _at(day: date, hours: float) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hours)


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)
