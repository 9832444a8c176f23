"""The people of the meeting tests: one Thornbury MARAC cast (and an outsider who coordinates
Eastmere's), shared so that every meeting test reads alike. All synthetic."""

from __future__ import annotations

from app.accounts.models import AgencyType
from tests.conftest import Accounts

COORDINATOR = "coordinator@test.example"  # Thornbury Community Safety
SECOND_COORDINATOR = "deputy.coordinator@test.example"  # Thornbury Community Safety
CHAIR = "chair@test.example"  # Thornbury Police
IDVA = "idva@test.example"  # Holloway Lane IDVA Service
IDVA_COLLEAGUE = "idva2@test.example"  # the same agency
HOUSING = "housing@test.example"  # Ashcombe Homes
HEALTH = "health@test.example"  # Northgate Health
OUTSIDER = "outsider@test.example"  # Eastmere Police: coordinates another area's MARAC

CAST: dict[str, tuple[str, AgencyType, str]] = {
    COORDINATOR: ("Thornbury Community Safety", AgencyType.COMMUNITY_SAFETY, "Cora Vance"),
    SECOND_COORDINATOR: ("Thornbury Community Safety", AgencyType.COMMUNITY_SAFETY, "Dev Ash"),
    CHAIR: ("Thornbury Police", AgencyType.POLICE, "Priya Holt"),
    IDVA: ("Holloway Lane IDVA Service", AgencyType.DOMESTIC_ABUSE_SERVICE, "Ines Marr"),
    IDVA_COLLEAGUE: ("Holloway Lane IDVA Service", AgencyType.DOMESTIC_ABUSE_SERVICE, "Ivo"),
    HOUSING: ("Ashcombe Homes", AgencyType.HOUSING, "Hal Brook"),
    HEALTH: ("Northgate Health", AgencyType.HEALTH, "Hana Quell"),
    OUTSIDER: ("Eastmere Police", AgencyType.POLICE, "Otto East"),
}


def enrol(accounts: Accounts, *emails: str) -> None:
    """Make the accounts of these members of the cast, with their organisations."""
    for email in emails:
        organisation, agency, name = CAST[email]
        accounts.organisation_id(organisation, agency)
        accounts.user(email, organisation=organisation, name=name)
