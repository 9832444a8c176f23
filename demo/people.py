"""The made-up people in the demo's cases, as each panel type would have them: a MARAC victim
and the partner or relative abusing them, with any children young enough to be theirs; a
Community MARAC's ASB victim and the neighbour involved; an adult Channel or IOM subject; a
MACE child and the adult exploiting them. Ages are worked out on the day the case began. An
alias is a name the person goes by (a short form of their first name, or a former last name),
never a name anyone else in the case has."""

from __future__ import annotations

import random
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta
from typing import Any

from cases.models import CaseRole
from cases.people.services import Identity
from panels.types.common import PanelType

FEMALE = ("Priya", "Amara", "Zoë", "Niamh", "Ruby", "Leila", "Ioana", "Hannah", "Aisha", "Mei")
MALE = ("Tomasz", "Kelechi", "Farid", "Dylan", "Kwame", "Mateo", "Callum", "Rhys", "Idris")
GIVEN = (*FEMALE, *MALE, "Alex", "Sam", "Jordan")
# The short form someone may go by: never a first name of anyone else in the demo.
SHORT = {
    "Priya": "Pri",
    "Amara": "Mara",
    "Zoë": "Zo",
    "Niamh": "Neevie",
    "Ruby": "Rubes",
    "Leila": "Lei",
    "Ioana": "Oana",
    "Hannah": "Hanni",
    "Aisha": "Aish",
    "Mei": "Meimei",
    "Tomasz": "Tomek",
    "Kelechi": "Kel",
    "Farid": "Freddie",
    "Dylan": "Dyl",
    "Kwame": "Kwams",
    "Mateo": "Teo",
    "Callum": "Cal",
    "Rhys": "Rhysie",
    "Idris": "Dris",
    "Alex": "Lex",
    "Sam": "Sammy",
    "Jordan": "Jord",
}
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
PRIMARY_SCHOOLS = ("Larkspur Primary School", "Quayside Primary School")
SECONDARY_SCHOOLS = ("Millpond Academy", "Rowan Park School")
COLLEGES = ("Eastside Sixth Form College",)

PARTNERS = {"female": ("Partner", "Ex-partner", "Husband", "Ex-husband"), "male": ("Wife",)}
NEIGHBOURS = ("Neighbour", "Neighbour", "Lives on the same estate", "Known to the victim")


@dataclass
class Someone:
    role: CaseRole
    given_names: str
    family_name: str
    born: date
    address: str
    gender: str = "female"
    aliases: list[str] = field(default_factory=list)
    relationship: str | None = None
    school: str | None = None

    @property
    def name(self) -> str:
        return f"{self.given_names} {self.family_name}"

    def identity(self) -> Identity:
        return Identity(
            given_names=self.given_names,
            family_name=self.family_name,
            date_of_birth=self.born,
            aliases=tuple(self.aliases),
            address=self.address,
            phone=None if self.role is CaseRole.CHILD else _phone(self),
            contact_safety="Safe to call weekdays 10am to 2pm; do not leave messages."
            if self.role is CaseRole.VICTIM
            else None,
        )

    def referral_entry(self) -> dict[str, Any]:
        """As the referral form's people section keeps a person."""
        return {
            "role": self.role.value,
            "given_names": self.given_names,
            "family_name": self.family_name,
            "age": None,
            "date_of_birth": self.born.isoformat(),
            "aliases": list(self.aliases),
            "other_birth_dates": [],
            "address": self.address,
            "relationship": self.relationship,
            "school": self.school,
        }


def cast(
    rng: random.Random, panel_type: PanelType, on: date, *, full: bool = False
) -> list[Someone]:
    """The people of a new case of the panel type that begins `on`. A Community MARAC case
    names the person behind the ASB about half the time, or always when `full`."""
    people = _CASTS[panel_type](_Casting(rng, on), full)
    for person in people:
        _maybe_alias(rng, person, people)
    return people


class _Casting:
    """Draws names no one else in the case has, and birth dates for an age on the day."""

    def __init__(self, rng: random.Random, on: date) -> None:
        self.rng, self.on = rng, on
        self.taken: set[str] = set()

    def person(
        self, role: CaseRole, age: int, *, gender: str | None = None, family: str | None = None
    ) -> Someone:
        rng = self.rng
        gender = gender or rng.choice(("female", "male"))
        pool = [
            name
            for name in (FEMALE if gender == "female" else MALE) + ("Alex", "Sam", "Jordan")
            if name not in self.taken
        ]
        given = rng.choice(pool)
        self.taken.add(given)
        return Someone(
            role=role,
            given_names=given,
            family_name=family or rng.choice(FAMILY),
            born=born_for(rng, age, self.on),
            address=address(rng),
            gender=gender,
        )


def born_for(rng: random.Random, age: int, on: date) -> date:
    """A birth date that makes someone exactly `age` on `on`."""
    birthday = on.replace(year=on.year - age, day=28 if (on.month, on.day) == (2, 29) else on.day)
    return birthday - timedelta(days=rng.randint(1, 364))


def address(rng: random.Random) -> str:
    return f"{rng.randint(1, 99)} {rng.choice(STREETS)}, E{rng.randint(1, 20)} 9ZZ"


def _marac(cast: _Casting, full: bool) -> list[Someone]:
    rng = cast.rng
    victim_age = rng.randint(18, 64)
    victim = cast.person(
        CaseRole.VICTIM, victim_age, gender="female" if rng.random() < 0.94 else "male"
    )
    relationship = rng.choice(PARTNERS[victim.gender]) if rng.random() < 0.88 else "Son"
    if relationship == "Son" and victim_age < 38:
        relationship = "Brother"
    if relationship == "Son":
        age, family = rng.randint(18, victim_age - 20), victim.family_name
    elif relationship == "Brother":
        age, family = max(18, victim_age + rng.randint(-6, 6)), victim.family_name
    else:
        age, family = max(18, victim_age + rng.randint(-4, 9)), None
    married = relationship in ("Husband", "Wife")
    perpetrator = cast.person(
        CaseRole.PERPETRATOR,
        age,
        gender="female" if relationship == "Wife" else "male",
        family=victim.family_name if married else family,
    )
    perpetrator.relationship = relationship
    if relationship in ("Partner", "Husband", "Wife"):
        perpetrator.address = victim.address
    people = [victim, perpetrator]
    parents = relationship in PARTNERS["female"] + PARTNERS["male"]
    # Children the victim had between 17 and 42, born at least two years apart.
    ages = range(max(0, victim_age - 42), min(15, victim_age - 17) + 1, 2)
    for age in rng.sample(ages, min(len(ages), rng.choice((0, 0, 1, 2)))):
        child = cast.person(
            CaseRole.CHILD,
            age,
            family=perpetrator.family_name if parents else victim.family_name,
        )
        child.relationship, child.address = "Child", victim.address
        if age >= 4:
            child.school = rng.choice(SECONDARY_SCHOOLS if age >= 11 else PRIMARY_SCHOOLS)
        people.append(child)
    return people


def _community_marac(cast: _Casting, full: bool) -> list[Someone]:
    rng = cast.rng
    victim = cast.person(CaseRole.VICTIM, rng.randint(18, 86))
    people = [victim]
    if full or rng.random() < 0.5:
        neighbour = cast.person(CaseRole.PERPETRATOR, rng.randint(18, 45))
        neighbour.relationship = rng.choice(NEIGHBOURS)
        street = victim.address.split(" ", 1)[1]
        neighbour.address = f"{rng.randint(1, 99)} {street}"
        people.append(neighbour)
    return people


def _channel(cast: _Casting, full: bool) -> list[Someone]:
    return [cast.person(CaseRole.SUBJECT, cast.rng.randint(18, 39))]


def _mace(cast: _Casting, full: bool) -> list[Someone]:
    rng = cast.rng
    age = rng.randint(12, 17)
    child = cast.person(CaseRole.CHILD, age)
    child.school = rng.choice(SECONDARY_SCHOOLS if age < 16 else COLLEGES)
    return [child, cast.person(CaseRole.PERSON_OF_CONCERN, rng.randint(19, 34))]


def _iom(cast: _Casting, full: bool) -> list[Someone]:
    gender = "male" if cast.rng.random() < 0.85 else "female"
    return [cast.person(CaseRole.SUBJECT, cast.rng.randint(18, 54), gender=gender)]


_CASTS = {
    PanelType.MARAC: _marac,
    PanelType.COMMUNITY_MARAC: _community_marac,
    PanelType.CHANNEL: _channel,
    PanelType.MACE: _mace,
    PanelType.IOM: _iom,
}


def _maybe_alias(rng: random.Random, person: Someone, people: list[Someone]) -> None:
    """Some adults go by a short form of their first name; some women were known by another
    last name before."""
    if person.role is CaseRole.CHILD:
        return
    chance = 0.15 if person.role is CaseRole.VICTIM else 0.3
    if rng.random() >= chance:
        return
    families = {other.family_name for other in people}
    if person.gender == "male" or rng.random() < 0.5:
        alias = f"{SHORT[person.given_names]} {person.family_name}"
    else:
        former = rng.choice([name for name in FAMILY if name not in families])
        alias = f"{person.given_names} {former}"
    person.aliases.append(alias)


def _phone(person: Someone) -> str:
    # Ofcom's range for drama: never a real line. Derived from the name, so it is stable.
    return f"07700 900{100 + sum(map(ord, person.name)) % 900:03d}"
