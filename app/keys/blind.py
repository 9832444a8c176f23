"""Blind indexes: search sealed identities without decrypting the table.

Each index is HMAC-SHA256 under the app's blind-index key over a normalised value, truncated to
`BLIND_INDEX_BITS`. Truncation is deliberate: at national scale every index value is shared by a
few different people (CipherSweet's "coincidences", C = R / 2^L), so the index alone never proves
two records are the same person. Candidates are decrypted and compared by the caller, within
the caller's scope. The known leak, written down: equal inputs give equal indexes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import date
from enum import StrEnum

from app.crypto import blind_index
from app.keys.models import KeyPurpose
from app.keys.store import key_store

BLIND_INDEX_BITS = 20
# The number of indexed values a national deployment reaches (people, aliases and identifiers
# over ten years); BLIND_INDEX_BITS is chosen so that 2 <= R / 2^L < sqrt(R) there.
NATIONAL_INDEXED_VALUES = 2_500_000


class IndexKind(StrEnum):
    NAME_AND_BIRTH_DATE = "name_dob"
    # Looser keys for identity matching at screening: a changed family name, or a first name
    # written another way, still finds the person for a coordinator to confirm (E49).
    FAMILY_AND_BIRTH_DATE = "family_dob"
    GIVEN_AND_BIRTH_DATE = "given_dob"
    NHS_NUMBER = "nhs"
    PNC_ID = "pnc"


def normalise_name(value: str) -> str:
    """Case, accents, spaces and punctuation are ignored: "O'Brien", "o'brien " and "OBRIEN"
    are one name, as are "Zoë" and "Zoe", and "Smith-Jones" and "Smith Jones"."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", value))
    return "".join(ch for ch in decomposed.casefold() if ch.isalnum())


def normalise_identifier(value: str) -> str:
    """Official numbers compare without spaces, slashes or case: "943 476 5919" = "9434765919"."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", value).upper() if ch.isalnum())


def name_and_birth_date(given_name: str, family_name: str, born: date) -> str:
    """The composite value indexed for a person (first given name only: middle names vary)."""
    first = given_name.split()[0] if given_name.split() else ""
    return f"{normalise_name(family_name)}|{normalise_name(first)}|{born.isoformat()}"


def family_and_birth_date(family_name: str, born: date) -> str:
    return f"{normalise_name(family_name)}|{born.isoformat()}"


def given_and_birth_date(given_name: str, born: date) -> str:
    first = given_name.split()[0] if given_name.split() else ""
    return f"{normalise_name(first)}|{born.isoformat()}"


Indexer = Callable[[IndexKind, str], int]


def indexer() -> Indexer:
    """`index_of` with the key looked up once, for the many indexes of one person or search."""
    key = key_store().service_key(KeyPurpose.BLIND_INDEX)

    def index(kind: IndexKind, normalised: str) -> int:
        return blind_index(key, kind.value, normalised, bits=BLIND_INDEX_BITS)

    return index


def index_of(kind: IndexKind, normalised: str) -> int:
    return indexer()(kind, normalised)
