"""A panel's [LOCAL] settings (domain reference): the thresholds, windows, risk matrix and
information sharing choices each panel may change from its type's defaults, and the rules that
refuse values no partnership may choose. Which settings a type uses is in its spec
(`PanelSpec.settings_used`)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import fields
from dataclasses import replace
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from app.accounts.models import AgencyType
from app.errors import DomainError
from panels.instruments.asb_matrix import DEFAULT_ASB_RISK_ITEMS
from panels.instruments.asb_matrix import RiskItem
from panels.instruments.dash import DASH_ITEMS
from panels.types.common import FieldCategory
from panels.types.common import Quorum
from panels.types.common import RepeatDefinition

# Coordinators see every field of their panels; representatives only the categories their
# agency type is listed for. A partnership changes these per panel in its settings. Agencies are
# listed in AgencyType order, as the settings form gives them back.
DEFAULT_FIELD_ACCESS: tuple[tuple[FieldCategory, tuple[AgencyType, ...]], ...] = (
    (
        FieldCategory.LOCATION,
        (AgencyType.POLICE, AgencyType.DOMESTIC_ABUSE_SERVICE, AgencyType.HOUSING),
    ),
    (FieldCategory.HEALTH, (AgencyType.HEALTH, AgencyType.ADULT_SOCIAL_CARE)),
    (
        FieldCategory.CHILDREN,
        (
            AgencyType.POLICE,
            AgencyType.HEALTH,
            AgencyType.CHILDRENS_SOCIAL_CARE,
            AgencyType.EDUCATION,
        ),
    ),
    (
        FieldCategory.POLICE_INTELLIGENCE,
        (AgencyType.POLICE, AgencyType.PROBATION, AgencyType.YOUTH_JUSTICE),
    ),
)


@dataclass(frozen=True)
class PanelSettings:
    """A panel's [LOCAL] settings. Every type has every field; each type shows the ones it uses."""

    # MARAC (domain §2.3, §2.5)
    dash_threshold: int = 14
    escalation_incidents: int = 3
    repeat_window_months: int = 12
    repeat_definition: RepeatDefinition = RepeatDefinition.ANY_ABUSE
    # Community MARAC (domain §3.3, §3.7): weighted matrix, bands and repeat count
    risk_items: tuple[RiskItem, ...] = DEFAULT_ASB_RISK_ITEMS
    medium_risk_from: int = 6
    high_risk_from: int = 12
    repeat_count: int = 2
    # ASB Case Review (domain §3.5, E25): at most three complaints, set locally
    case_review_threshold: int = 3
    case_review_window_months: int = 6
    definitions_version: str = "2026-1"
    # The agenda opens to members this many days before the meeting, unless the coordinator
    # publishes it sooner (domain §2.6: agenda circulated, then agencies research).
    agenda_days_before: int = 7
    # Quorum (domain §2.6, R2): None is the panel type's default (`PanelSpec.quorum`).
    quorum_chair: bool | None = None
    quorum_agencies: int | None = None
    quorum_agency_types: tuple[AgencyType, ...] | None = None
    # Information sharing (domain §8): emergency access time box and field-level access
    break_glass_hours: int = 4
    # How many emergency grants one person may hold at once, and start in 24 hours, before a
    # further one is refused (break-glass is for an emergency, not for browsing).
    break_glass_at_once: int = 2
    break_glass_per_day: int = 3
    field_access: tuple[tuple[FieldCategory, tuple[AgencyType, ...]], ...] = DEFAULT_FIELD_ACCESS
    # The SafeLives MARAC return (domain §2.10, E6): the adult (16+) female population of the
    # area the panel covers, with where the figure comes from, and the full-time equivalent
    # IDVAs and MARAC administrators serving it. None: not set, so the return says so.
    adult_female_population: int | None = None
    population_source: str = ""
    idva_fte: Decimal | None = None
    admin_fte: Decimal | None = None

    def agencies_seeing(self, category: FieldCategory) -> tuple[AgencyType, ...]:
        return dict(self.field_access).get(category, ())

    def quorum(self, default: Quorum) -> Quorum:
        """The panel's quorum: what it has set, its type's default (`default`) for the rest."""
        return Quorum(
            chair=default.chair if self.quorum_chair is None else self.quorum_chair,
            agencies=default.agencies if self.quorum_agencies is None else self.quorum_agencies,
            agency_types=default.agency_types
            if self.quorum_agency_types is None
            else self.quorum_agency_types,
        )

    @property
    def fingerprint(self) -> str:
        """A digest of every value: a form carries the one it was drawn from, so a save made
        from settings someone has changed since is noticed, not applied over theirs."""
        canonical = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:32]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types only, so that what is stored reads back equal."""
        data = asdict(self)
        data["repeat_definition"] = self.repeat_definition.value
        data["risk_items"] = [asdict(item) for item in self.risk_items]
        if self.quorum_agency_types is not None:
            data["quorum_agency_types"] = [agency.value for agency in self.quorum_agency_types]
        data["field_access"] = {
            category.value: [agency.value for agency in agencies]
            for category, agencies in self.field_access
        }
        for name in FTE_SETTINGS:
            value = getattr(self, name)
            data[name] = None if value is None else str(value)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> PanelSettings:
        """Stored settings over the defaults; unknown keys (from older versions) are ignored."""
        if not data:
            return cls()
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "risk_items" in values:
            values["risk_items"] = tuple(
                RiskItem(key=item["key"], label=item["label"], weight=item["weight"])
                for item in values["risk_items"]
            )
        if "repeat_definition" in values:
            values["repeat_definition"] = RepeatDefinition(values["repeat_definition"])
        if values.get("quorum_agency_types") is not None:
            values["quorum_agency_types"] = tuple(
                AgencyType(a) for a in values["quorum_agency_types"]
            )
        for name in FTE_SETTINGS:
            if values.get(name) is not None:
                values[name] = Decimal(values[name])
        if "field_access" in values:
            stored = values["field_access"]
            values["field_access"] = tuple(
                (category, tuple(AgencyType(a) for a in stored.get(category.value, ())))
                for category in FieldCategory
            )
        return cls(**values)

    def with_changes(self, **changes: Any) -> PanelSettings:
        updated = replace(self, **changes)
        updated.validate()
        return updated

    def validate(self) -> None:
        """Refuse settings no partnership may choose, naming every problem and its field."""
        problems = self.problems()
        if problems:
            raise InvalidSettings(problems)

    def problems(self) -> list[DomainError]:
        """Each rule the settings break, in the order the fields appear."""
        checks = [
            _between(
                self.dash_threshold, 1, len(DASH_ITEMS), "dash_threshold", "The DASH threshold"
            ),
            _between(
                self.escalation_incidents, 1, 50, "escalation_incidents", "Escalation incidents"
            ),
            _between(self.repeat_window_months, 1, 60, "repeat_window_months", "The repeat window"),
            _between(self.repeat_count, 2, 20, "repeat_count", "The repeat count"),
            _case_review_threshold(self.case_review_threshold),
            _between(
                self.case_review_window_months,
                1,
                6,
                "case_review_window_months",
                "The review window",
            ),
            *_risk_item_problems(self.risk_items),
            *_band_problems(self.medium_risk_from, self.high_risk_from, self.risk_items),
            _definitions_version(self.definitions_version),
            _between(
                self.agenda_days_before,
                0,
                28,
                "agenda_days_before",
                "Days before the meeting the agenda is published",
            ),
            *_quorum_problems(self.quorum_agencies, self.quorum_agency_types),
            _between(self.break_glass_hours, 1, 12, "break_glass_hours", "Emergency access hours"),
            *_break_glass_limit_problems(self.break_glass_at_once, self.break_glass_per_day),
            _population(self.adult_female_population),
            _population_source(self.population_source),
            *(_fte(getattr(self, name), name, label) for name, label in FTE_SETTINGS.items()),
        ]
        return [problem for problem in checks if problem is not None]


class InvalidSettings(DomainError):
    """Settings that break one or more rules; the message and field are the first problem's."""

    def __init__(self, problems: list[DomainError]) -> None:
        super().__init__(problems[0].message, field=problems[0].field)
        self.problems = problems


# The full-time equivalents a panel may give, and their words in messages.
FTE_SETTINGS = {"idva_fte": "IDVAs", "admin_fte": "MARAC administrators"}
FTE_MAX = Decimal(500)
POPULATION_MAX = 10_000_000  # far above any area's adult female population
POPULATION_SOURCE_MAX = 200
RISK_WEIGHT_MAX = 20
RISK_LABEL_MAX = 200
# Stored on each referral as `rules_version` (String(20)): a code, never free text.
DEFINITIONS_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]{0,19}", re.ASCII)


def _between(value: int, low: int, high: int, name: str, label: str) -> DomainError | None:
    if low <= value <= high:
        return None
    return DomainError(f"{label} must be between {low} and {high}", field=name)


def _break_glass_limit_problems(at_once: int, per_day: int) -> list[DomainError]:
    problems = [
        _between(at_once, 1, 10, "break_glass_at_once", "Emergency accesses at once"),
        _between(per_day, 1, 20, "break_glass_per_day", "Emergency accesses a day"),
    ]
    found = [problem for problem in problems if problem is not None]
    if not found and per_day < at_once:
        found.append(
            DomainError(
                "Emergency accesses a day cannot be fewer than emergency accesses at once",
                field="break_glass_per_day",
            )
        )
    return found


QUORUM_AGENCIES_MAX = 30


def _quorum_problems(
    agencies: int | None, agency_types: tuple[AgencyType, ...] | None
) -> list[DomainError]:
    if agencies is None:
        return []
    problem = _between(
        agencies, 1, QUORUM_AGENCIES_MAX, "quorum_agencies", "Agencies needed for a quorum"
    )
    if problem is not None:
        return [problem]
    if agency_types is not None and len(agency_types) > agencies:
        return [
            DomainError(
                "Agencies needed for a quorum cannot be fewer than the agency types that must "
                f"attend ({len(agency_types)})",
                field="quorum_agencies",
            )
        ]
    return []


def _case_review_threshold(value: int) -> DomainError | None:
    # E25, domain §3.5: ASB, Crime and Policing Act 2014 s104 allows a local threshold of at
    # most three complaints.
    if 1 <= value <= 3:
        return None
    return DomainError(
        "The ASB Case Review threshold must be between 1 and 3 complaints: the law does "
        "not allow a threshold higher than three",
        field="case_review_threshold",
    )


def _risk_item_problems(items: tuple[RiskItem, ...]) -> list[DomainError]:
    """Per question of the matrix; fields are named risk_items-<index>-<attribute>."""
    problems = []
    for index, item in enumerate(items):
        number = index + 1
        if not item.label.strip():
            problems.append(
                DomainError(
                    f"Enter the text of question {number}", field=f"risk_items-{index}-label"
                )
            )
        elif len(item.label) > RISK_LABEL_MAX:
            problems.append(
                DomainError(
                    f"Question {number} must be {RISK_LABEL_MAX} characters or fewer",
                    field=f"risk_items-{index}-label",
                )
            )
        if item.weight < 0:
            problems.append(
                DomainError(
                    f"The weight of question {number} cannot be negative",
                    field=f"risk_items-{index}-weight",
                )
            )
        elif item.weight > RISK_WEIGHT_MAX:
            problems.append(
                DomainError(
                    f"The weight of question {number} must be {RISK_WEIGHT_MAX} or less",
                    field=f"risk_items-{index}-weight",
                )
            )
    return problems


def _band_problems(medium: int, high: int, items: tuple[RiskItem, ...]) -> list[DomainError]:
    """Bands must be ordered and the high band reachable by the matrix's highest score."""
    top = sum(max(item.weight, 0) for item in items)
    if medium < 1:
        return [
            DomainError("The medium risk band must start at 1 or more", field="medium_risk_from")
        ]
    if medium >= top:
        # The high band starts above the medium one and at or below the top score.
        return [
            DomainError(
                f"The medium risk band must start below the highest possible score ({top})",
                field="medium_risk_from",
            )
        ]
    if high <= medium:
        return [
            DomainError(
                "The high risk band must start above the medium risk band",
                field="high_risk_from",
            )
        ]
    if high > top:
        return [
            DomainError(
                f"The high risk band must start at or below the highest possible score ({top})",
                field="high_risk_from",
            )
        ]
    return []


def _definitions_version(value: str) -> DomainError | None:
    if DEFINITIONS_VERSION.fullmatch(value):
        return None
    return DomainError(
        "The definitions version must be 1 to 20 letters, numbers, full stops or hyphens, "
        "starting with a letter or number, like 2026-1",
        field="definitions_version",
    )


def _population(value: int | None) -> DomainError | None:
    if value is None or 1 <= value <= POPULATION_MAX:
        return None
    return DomainError(
        f"The adult female population must be between 1 and {POPULATION_MAX:,}",
        field="adult_female_population",
    )


def _population_source(value: str) -> DomainError | None:
    if len(value) <= POPULATION_SOURCE_MAX:
        return None
    return DomainError(
        f"Where the population figure comes from must be {POPULATION_SOURCE_MAX} characters "
        "or fewer",
        field="population_source",
    )


def _fte(value: Decimal | None, name: str, label: str) -> DomainError | None:
    """A full-time equivalent: from 0 to 500, in hundredths at most (0.5, 2.25)."""
    if value is None:
        return None
    try:
        whole_hundredths = value == value.quantize(Decimal("0.01"))
    except InvalidOperation:
        whole_hundredths = False
    if not whole_hundredths:
        return DomainError(
            f"Full-time equivalent {label} can have at most 2 decimal places, like 2.5",
            field=name,
        )
    if 0 <= value <= FTE_MAX:
        return None
    return DomainError(f"Full-time equivalent {label} must be between 0 and {FTE_MAX}", field=name)
