"""Person records: what is known of someone when they are added, sealed under their own key,
and the blind indexes that find them again."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from app.errors import DomainError
from app.keys.blind import Indexer
from app.keys.blind import IndexKind
from app.keys.blind import family_and_birth_date
from app.keys.blind import given_and_birth_date
from app.keys.blind import indexer
from app.keys.blind import name_and_birth_date
from app.keys.blind import normalise_identifier
from app.keys.models import KeyPurpose
from app.keys.store import key_store
from cases.models import Person
from cases.models import split_alias
from cases.people.models import PersonSearchKey


@dataclass(frozen=True)
class Identity:
    """What is known of a person when they are added to a case."""

    given_names: str
    family_name: str
    date_of_birth: date | None = None
    aliases: tuple[str, ...] = ()
    other_birth_dates: tuple[date, ...] = ()
    address: str | None = None
    phone: str | None = None
    contact_safety: str | None = None
    nhs_number: str | None = None
    pnc_id: str | None = None


def new_person_record(identity: Identity) -> Person:
    """A Person sealed under their own new key, with their blind indexes; not yet in a case.
    (For services that add the person and write their own single audit event.)"""
    if not identity.given_names.strip() and not identity.family_name.strip():
        raise DomainError("Enter the person’s name", field="family_name")
    person = Person(
        data_key=key_store().new_key(KeyPurpose.PERSON),
        given_names=identity.given_names.strip(),
        family_name=identity.family_name.strip(),
        aliases="\n".join(alias.strip() for alias in identity.aliases if alias.strip()) or None,
        date_of_birth=identity.date_of_birth,
        other_birth_dates="\n".join(d.isoformat() for d in identity.other_birth_dates) or None,
        address=identity.address,
        phone=identity.phone,
        contact_safety=identity.contact_safety,
        nhs_number=identity.nhs_number,
        pnc_id=identity.pnc_id,
    )
    person.search_keys = [
        PersonSearchKey(kind=k, value=v) for k, v in search_keys_for(identity, indexer())
    ]
    return person


def search_keys_for(identity: Identity, index: Indexer) -> Iterable[tuple[IndexKind, int]]:
    """Blind indexes for the name (and each alias) with each date of birth, the looser
    family-name and first-name keys used for matching, and identifiers."""
    births = [d for d in (identity.date_of_birth, *identity.other_birth_dates) if d is not None]
    names = [(identity.given_names, identity.family_name)]
    names += [split_alias(alias) for alias in identity.aliases if alias.strip()]
    values: set[tuple[IndexKind, str]] = set()
    for born in births:
        for given, family in names:
            values.add((IndexKind.NAME_AND_BIRTH_DATE, name_and_birth_date(given, family, born)))
            values.add((IndexKind.FAMILY_AND_BIRTH_DATE, family_and_birth_date(family, born)))
            values.add((IndexKind.GIVEN_AND_BIRTH_DATE, given_and_birth_date(given, born)))
    for kind, value in sorted(values):
        yield kind, index(kind, value)
    if identity.nhs_number:
        yield (
            IndexKind.NHS_NUMBER,
            index(IndexKind.NHS_NUMBER, normalise_identifier(identity.nhs_number)),
        )
    if identity.pnc_id:
        yield IndexKind.PNC_ID, index(IndexKind.PNC_ID, normalise_identifier(identity.pnc_id))
