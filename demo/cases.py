"""Synthetic demo cases: made-up people across every panel, some closed long enough ago to be
due for disposal, one on legal hold. Generated from a fixed seed, so every demo is the same."""

from __future__ import annotations

import random
from datetime import date
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from cases import services
from cases.models import Case
from cases.models import CaseRole
from cases.people.services import Identity
from cases.retention import services as retention
from panels.models import Panel
from panels.models import PanelMembership
from panels.types.common import PanelType

GIVEN = (
    "Alex",
    "Sam",
    "Jordan",
    "Priya",
    "Tomasz",
    "Amara",
    "Kelechi",
    "Zoë",
    "Niamh",
    "Farid",
    "Ruby",
    "Dylan",
    "Leila",
    "Ioana",
    "Kwame",
    "Hannah",
    "Mateo",
    "Aisha",
    "Callum",
    "Mei",
)
FAMILY = (
    "Ashdown",
    "Brightwater",
    "Caldicott",
    "Delacroix-Penn",
    "Eastbrook",
    "Fenwick",
    "Greywell",
    "O’Hallorann",
    "Ilmarsh",
    "Jessup",
    "Kestrel",
    "Lowmoor",
    "Marchetti",
    "Northcott",
    "Okonjo-Vale",
    "Pemberly",
    "Quintrell",
    "Rosslyn",
    "Stavanger",
    "Trevithin",
)
STREETS = ("Larkspur Road", "Millpond Close", "Quayside Walk", "Rowan Terrace", "Tanners Lane")
ROLES = {
    PanelType.MARAC: (CaseRole.VICTIM, CaseRole.PERPETRATOR),
    PanelType.COMMUNITY_MARAC: (CaseRole.VICTIM, CaseRole.PERPETRATOR),
    PanelType.CHANNEL: (CaseRole.SUBJECT,),
    PanelType.MACE: (CaseRole.CHILD, CaseRole.PERSON_OF_CONCERN),
    PanelType.IOM: (CaseRole.SUBJECT,),
}
NOTES = (
    "Agency checks completed; nothing further held beyond what was shared at referral.",
    "Safety plan reviewed with the victim by phone at an agreed safe time.",
    "Two further incidents reported this month; risk remains high.",
    "School attendance has dropped to 60% this term.",
    "Engaging with the mentor offered; next review in four weeks.",
)
CASES_PER_PANEL = 6
TODAY = date(2026, 11, 30)


def cases_are_empty() -> bool:
    return not db.session.scalar(select(func.count(Case.id)))


def seed() -> int:
    """Add the demo cases (the caller commits); returns how many."""
    rng = random.Random(20261201)  # noqa: S311 (synthetic data, not a secret)
    count = 0
    for panel in db.session.scalars(select(Panel).order_by(Panel.id)):
        authors = _members(panel)
        for number in range(CASES_PER_PANEL):
            _case(panel, rng, authors, closed_long_ago=number == 0)
            count += 1
    return count


def _case(panel: Panel, rng: random.Random, authors: list[User], *, closed_long_ago: bool) -> Case:
    opened = TODAY - timedelta(days=rng.randint(10, 700) + (3000 if closed_long_ago else 0))
    case = services.open_case(
        actor=None, panel=panel, opened_on=opened, summary=f"Referred to {panel.name}."
    )
    for role in ROLES[panel.panel_type]:
        services.add_person(case, actor=None, role=role, identity=_identity(rng, role))
    for author in rng.sample(authors, k=min(2, len(authors))):
        services.add_note(case, actor=author, text=rng.choice(NOTES))
    if closed_long_ago:
        services.close_case(case, actor=None, closed_on=opened + timedelta(days=200))
        if panel.panel_type is PanelType.MARAC and panel.area.name == "Newham":
            retention.place_legal_hold(case, actor=None, reason="Domestic homicide review DHR-07")
    return case


def _identity(rng: random.Random, role: CaseRole) -> Identity:
    age = rng.randint(11, 16) if role is CaseRole.CHILD else rng.randint(18, 60)
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    return Identity(
        given_names=given,
        family_name=family,
        date_of_birth=TODAY - timedelta(days=age * 365 + rng.randint(0, 364)),
        aliases=(f"{rng.choice(GIVEN)} {family}",) if rng.random() < 0.2 else (),
        address=f"{rng.randint(1, 99)} {rng.choice(STREETS)}, E{rng.randint(1, 20)} 9ZZ",
        phone=f"07700 900{rng.randint(100, 999)}",  # Ofcom's range for drama: never a real line
        contact_safety="Safe to call weekdays 10am to 2pm; do not leave messages."
        if role is CaseRole.VICTIM
        else None,
    )


def _members(panel: Panel) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(PanelMembership, PanelMembership.user_id == User.id)
            .where(PanelMembership.panel_id == panel.id)
            .order_by(User.id)
        )
    )
