"""A referral-level extract's layout (issue 20): its columns, and one referral as one row. Pure:
the rows' values are read by `queries.extract_batches`, the file is made by
`services.make_extract`.

One row per referral submitted to the panels chosen (drafts are nobody's but their author's),
in the order they were made. Answers are written as the referral form words them; a question not
asked of that panel's referrals is left blank, and "not known" is written as such (E8).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from app.accounts.models import AgencyType
from app.exports import Cell
from cases.referrals.models import AgeBand
from panels.types.common import ReferralStatus
from panels.types.common import RiskLevel
from panels.types.common import RiskTool

HEADER = (
    "Referral",
    "Case",
    "Panel",
    "Referred on",
    "Status",
    "Referring agency",
    "Agency type",
    "Risk tool",
    "Risk level",
    "Risk score",
    "Repeat",
    "Repeat of",
    "Meeting",
    "Children in the household",
    "Victim's gender",
    "Victim's age on the referral date",
    "Black, Asian or racially minoritised",
    "Disabled",
    "LGBT+",
    "Perpetrators aged 17 or under",
)
# Only when the extract was asked for with them, by someone the policy shows them to.
PERSONAL_HEADER = (
    "Victim or subject",
    "Their date of birth",
    "Perpetrators or persons of concern",
)
WIDTHS = (12, 12, 28, 12, 24, 28, 20, 16, 10, 10, 8, 12, 12, 10, 14, 16, 12, 10, 10, 12)
PERSONAL_WIDTHS = (28, 14, 40)

ANSWERS = {
    "yes": "Yes",
    "no": "No",
    "not_known": "Not known",
    "female": "Female",
    "male": "Male",
    "other": "Another gender",
}


class ExtractLine(NamedTuple):
    """One referral's values, as read for the extract (no personal data). A named tuple: a
    million of them are made for a national extract."""

    referral_id: int
    case_reference: str | None
    panel: str
    referred_on: date | None
    status: ReferralStatus
    agency: str
    agency_type: AgencyType
    risk_tool: RiskTool | None
    risk_level: RiskLevel | None
    risk_score: int | None
    is_repeat: bool
    repeat_of_id: int | None
    meeting_on: date | None
    children: int
    gender: str | None
    age_band: str | None
    minoritised: str | None
    disabled: str | None
    lgbt: str | None
    young_perpetrators: int | None


@dataclass(frozen=True)
class People:
    """The people named in a referral's case, as the extract writes them."""

    subject: str = ""
    born: date | None = None
    others: str = ""


def referral_reference(referral_id: int) -> str:
    return f"REF-{referral_id:06d}"


def header(*, personal: bool) -> tuple[str, ...]:
    return HEADER + PERSONAL_HEADER if personal else HEADER


def widths(*, personal: bool) -> tuple[int, ...]:
    return WIDTHS + PERSONAL_WIDTHS if personal else WIDTHS


# Each enum's labels looked up once, not worked out again for every row.
STATUSES = {status: status.label for status in ReferralStatus}
AGENCY_TYPES = {agency: agency.label for agency in AgencyType}
TOOLS: dict[RiskTool | None, str | None] = {tool: tool.label for tool in RiskTool} | {None: None}
LEVELS: dict[RiskLevel | None, str | None] = {level: level.label for level in RiskLevel} | {
    None: None
}
AGE_BANDS: dict[str | None, str | None] = {band.value: band.label for band in AgeBand} | {
    None: None
}


def row(line: ExtractLine, people: People | None = None) -> list[Cell]:
    """The line as the file's cells; `people` is given exactly when the extract is personal."""
    cells: list[Cell] = [
        referral_reference(line.referral_id),
        line.case_reference,
        line.panel,
        line.referred_on,
        STATUSES[line.status],
        line.agency,
        AGENCY_TYPES[line.agency_type],
        TOOLS[line.risk_tool],
        LEVELS[line.risk_level],
        line.risk_score,
        "Yes" if line.is_repeat else "No",
        referral_reference(line.repeat_of_id) if line.repeat_of_id else None,
        line.meeting_on,
        line.children,
        _answer(line.gender),
        AGE_BANDS.get(line.age_band, line.age_band),
        _answer(line.minoritised),
        _answer(line.disabled),
        _answer(line.lgbt),
        line.young_perpetrators,
    ]
    if people is not None:
        cells += [people.subject, people.born, people.others]
    return cells


def _answer(value: str | None) -> str | None:
    return ANSWERS.get(value, value) if value else None


def about(
    panel_names: Sequence[str], referred_from: date | None, referred_to: date | None
) -> list[list[Cell]]:
    """The lines above the table: what the extract holds."""
    period = "any date"
    if referred_from and referred_to:
        period = f"{referred_from:%d/%m/%Y} to {referred_to:%d/%m/%Y}"
    elif referred_from:
        period = f"on or after {referred_from:%d/%m/%Y}"
    elif referred_to:
        period = f"on or before {referred_to:%d/%m/%Y}"
    return [
        ["Referral-level extract"],
        ["Panels", ", ".join(panel_names)],
        ["Referred", period],
    ]
