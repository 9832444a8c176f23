"""The SafeLives MARAC quarterly return, apart from the database (domain §2.10, §2.10.1, R23,
E6, E7, E8, E11): meeting by meeting, the cases discussed and what the return asks about them;
the quarter's totals and each figure as a percentage of cases; cases per 10,000 adult (16+)
women over the 12 months to the quarter's end against the recommended volume; and the IDVA and
administrator capacity that volume needs, beside the capacity the panel has.

The unit is the listing heard, as for the repeat rate: a case heard at two meetings counts at
each (repeats included, E6), in the quarter of the meeting's date (E7). Percentages are of cases
(E8); an answer left "not known" (or a referral made before the question was asked) is counted
as not known, never as "no".

Small numbers (R23, E11), when the figures leave the panel:

- each meeting's count from 1 to the threshold less one is "fewer than 5";
- counts that add up to another (police and partner referrals to cases; each partner agency type
  to partner referrals; the genders to cases) never leave exactly one of them hidden: a lone
  hidden one would be the total less the others, so the smallest other count is hidden too;
- a quarter's total is shown only when none of its meetings' counts is hidden, and its own
  counts then follow the same rule;
- a percentage, cases per 10,000 and the capacity needed are hidden when a count they are
  worked out from is.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from decimal import ROUND_HALF_UP
from decimal import Decimal

from app.accounts.models import AgencyType
from app.exports import Cell
from app.exports import Sheet
from app.settings import ReportSettings
from app.template_filters import UK
from cases.reports.rules import Counts
from cases.reports.rules import Hidden
from cases.reports.rules import Quarter
from cases.reports.rules import Row
from cases.reports.rules import Shown
from cases.reports.rules import is_small
from cases.reports.rules import shown_text
from cases.reports.rules import so_far
from cases.reports.rules import suppressed
from cases.reports.rules import year_total
from panels.models import MeetingKind
from panels.models import Panel

PARTNER_AGENCIES = tuple(agency for agency in AgencyType if agency is not AgencyType.POLICE)
GENDERS_KNOWN = ("female", "male", "other")
WHOLE = Decimal(1)
ONE_DECIMAL = Decimal("0.1")
TWO_DECIMALS = Decimal("0.01")


def agency_measure(agency: AgencyType) -> str:
    return f"agency_{agency.value}"


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    percent: bool = False  # whether the return gives it as a percentage of cases too
    indent: bool = False  # a breakdown of the measure above it


MEASURES: tuple[Measure, ...] = (
    Measure("cases", "Cases discussed (repeats included)"),
    Measure("repeats", "Repeat cases", percent=True),
    Measure("police", "Referred by the police"),
    Measure("partner", "Referred by partner agencies", percent=True),
    *(
        Measure(agency_measure(agency), f"{agency.label}", indent=True)
        for agency in PARTNER_AGENCIES
    ),
    Measure("children", "Children in the households"),
    Measure("female", "Female victims"),
    Measure("male", "Male victims", percent=True),
    Measure("other_gender", "Victims of another gender"),
    Measure("gender_not_known", "Victim’s gender not known"),
    Measure("aged_16_17", "Victims aged 16 or 17", percent=True),
    Measure("age_not_known", "Victim’s age not known"),
    Measure("minoritised", "Black, Asian or racially minoritised victims", percent=True),
    Measure("minoritised_not_known", "Victim’s ethnicity not known"),
    Measure("disabled", "Disabled victims", percent=True),
    Measure("disabled_not_known", "Whether the victim is disabled not known"),
    Measure("lgbt", "LGBT+ victims", percent=True),
    Measure("lgbt_not_known", "Whether the victim is LGBT+ not known"),
    Measure("young_perpetrators", "Perpetrators aged 17 or under"),
)
MEASURE_KEYS = tuple(measure.key for measure in MEASURES)

# Counts that add up to another: (the whole, its parts).
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("cases", ("police", "partner")),
    ("partner", tuple(agency_measure(agency) for agency in PARTNER_AGENCIES)),
    ("cases", ("female", "male", "other_gender", "gender_not_known")),
)


@dataclass(frozen=True)
class MeetingCounts:
    """One meeting held in the quarter and the return's counts of the cases heard at it (the
    database's part: `queries.safelives_counts`)."""

    held_on: date
    kind: MeetingKind
    counts: Mapping[str, int]


@dataclass(frozen=True)
class Column:
    """One column of the return: a meeting, or the quarter's total."""

    label: str
    held_on: date | None
    cells: Mapping[str, Shown]


@dataclass(frozen=True)
class Volume:
    """The 12 months to the quarter's end against the area's population and the panel's
    capacity (domain §2.10, E6)."""

    year: Row  # cases heard in the 12 months, suppressed as the repeat rate's totals are
    population: int | None
    population_source: str
    per_10000: Shown  # cases a year per 10,000 adult women
    recommended_cases: int | None  # the recommended volume for the population, a year
    idvas_needed: Shown  # full-time IDVAs for the cases heard
    idvas_recommended: Decimal | None  # for the recommended volume
    idvas: Decimal | None  # the panel's, as set
    administrators_needed: Shown
    administrators_recommended: Decimal | None
    administrators: Decimal | None


@dataclass(frozen=True)
class SafeLivesReturn:
    panel: Panel
    quarter: Quarter
    partial: bool  # the quarter is not over: counted to `counted_to`
    counted_to: date
    meetings: list[Column]
    total: Column
    percentages: Mapping[str, Shown]
    volume: Volume
    suppressed: bool
    settings: ReportSettings

    @property
    def threshold(self) -> int:
        return self.settings.suppress_below

    def text(self, figure: Shown, *, percent: bool = False) -> str:
        if percent and figure.value is None and figure.hidden is None:
            return "no cases"
        return shown_text(figure, self.threshold, percent=percent)

    @property
    def summary(self) -> str:
        """The quarter in one sentence, for everyone."""
        meetings = len(self.meetings)
        if not meetings:
            return f"No meeting was held in {self.quarter.label}{self._so_far}."
        cases = self.text(self.total.cells["cases"])
        share = self.percentages["repeats"]
        held = f"{meetings} meeting{'s' if meetings != 1 else ''}"
        if share.hidden:
            repeats = "the share of repeat cases is not shown, to protect small numbers"
        elif share.value is None:
            repeats = "so there were no repeat cases"
        else:
            repeats = f"repeat cases were {self.text(share, percent=True)} of them"
        return f"In {self.quarter.label}{self._so_far}, {held} discussed {cases} cases; {repeats}."

    @property
    def _so_far(self) -> str:
        return f" {so_far(self.counted_to)}" if self.partial else ""


# Assembling the return ----------------------------------------------------------------------


def assemble_return(
    panel: Panel,
    quarter: Quarter,
    meetings: Sequence[MeetingCounts],
    year: Mapping[Quarter, Counts],
    *,
    suppress: bool,
    settings: ReportSettings,
    today: date,
) -> SafeLivesReturn:
    """The return from its counts: each meeting's, and the cases heard in each quarter of the
    12 months to the quarter's end (`year`, from the repeat rate's query)."""
    threshold = settings.suppress_below
    columns = [
        Column(
            label=_meeting_label(meeting),
            held_on=meeting.held_on,
            cells=_protected(
                {key: _primary(meeting.counts[key], threshold, suppress) for key in MEASURE_KEYS},
                {key: meeting.counts[key] for key in MEASURE_KEYS},
            ),
        )
        for meeting in meetings
    ]
    totals = {key: sum(meeting.counts[key] for meeting in meetings) for key in MEASURE_KEYS}
    total = Column(
        label="Quarter",
        held_on=None,
        cells=_protected(
            {
                key: Shown(None, Hidden.PROTECTS)
                if any(column.cells[key].hidden for column in columns)
                else Shown(totals[key])
                for key in MEASURE_KEYS
            },
            totals,
        ),
    )
    cases = total.cells["cases"]
    percentages = {
        measure.key: _percentage(total.cells[measure.key], cases)
        for measure in MEASURES
        if measure.percent
    }
    partial = today < quarter.end
    return SafeLivesReturn(
        panel=panel,
        quarter=quarter,
        partial=partial,
        counted_to=min(today, quarter.end),
        meetings=columns,
        total=total,
        percentages=percentages,
        volume=_volume(panel, quarter, year, suppress=suppress, settings=settings, today=today),
        suppressed=suppress,
        settings=settings,
    )


def _meeting_label(meeting: MeetingCounts) -> str:
    label = f"{meeting.held_on.day} {meeting.held_on:%b %Y}"
    return label + (" (emergency)" if meeting.kind is MeetingKind.EMERGENCY else "")


def _primary(value: int, threshold: int, apply: bool) -> Shown:
    if apply and is_small(value, threshold):
        return Shown(None, Hidden.SMALL)
    return Shown(value)


def _protected(cells: dict[str, Shown], values: Mapping[str, int]) -> dict[str, Shown]:
    """The cells with no group left with exactly one hidden count: while one is, the smallest
    other count of the group that is above zero is hidden too (a zero tells nothing; if every
    other is zero, the lone hidden count equals the whole, which is then hidden)."""
    changed = True
    while changed:
        changed = False
        for whole, parts in GROUPS:
            members = (whole, *parts)
            hidden = [key for key in members if cells[key].hidden]
            if len(hidden) != 1:
                continue
            others = [key for key in members if not cells[key].hidden and values[key] > 0]
            # The lone hidden count is below the threshold, so above zero: the others cannot all
            # be zero (they add up to it or it to them). Hide the smallest, parts before the whole.
            smallest = min(others, key=lambda key: (values[key], key == whole))
            cells[smallest] = Shown(None, Hidden.PROTECTS)
            changed = True
    return cells


def _percentage(part: Shown, whole: Shown) -> Shown:
    if part.hidden or whole.hidden:
        return Shown(None, Hidden.PROTECTS)
    if not whole.value:
        return Shown(None)
    return Shown(_rounded(Decimal(part.value or 0) * 100 / Decimal(whole.value), ONE_DECIMAL))


def _rounded(value: Decimal, places: Decimal) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)


def _volume(
    panel: Panel,
    quarter: Quarter,
    year: Mapping[Quarter, Counts],
    *,
    suppress: bool,
    settings: ReportSettings,
    today: date,
) -> Volume:
    local = panel.settings
    _, shown_year = suppressed(
        [],
        year_total(quarter, year, today=today),
        threshold=settings.suppress_below,
        low=settings.band_low,
        high=settings.band_high,
        apply=suppress,
    )
    assert shown_year is not None  # a total was given
    heard = shown_year.heard
    population = local.adult_female_population

    def worked_out(value: Decimal | None, places: Decimal) -> Shown:
        if heard.hidden:
            return Shown(None, Hidden.PROTECTS)
        return Shown(None if value is None else _rounded(value, places))

    cases = Decimal(heard.value or 0)
    recommended = (
        None
        if population is None
        else int(_rounded(Decimal(settings.recommended_per_10000 * population) / 10_000, WHOLE))
    )
    return Volume(
        year=shown_year,
        population=population,
        population_source=local.population_source,
        per_10000=worked_out(
            None if population is None else cases * 10_000 / population, ONE_DECIMAL
        ),
        recommended_cases=recommended,
        idvas_needed=worked_out(cases / settings.referrals_per_idva, TWO_DECIMALS),
        idvas_recommended=None
        if recommended is None
        else _rounded(Decimal(recommended) / settings.referrals_per_idva, TWO_DECIMALS),
        idvas=local.idva_fte,
        administrators_needed=worked_out(cases / settings.cases_per_administrator, TWO_DECIMALS),
        administrators_recommended=None
        if recommended is None
        else _rounded(Decimal(recommended) / settings.cases_per_administrator, TWO_DECIMALS),
        administrators=local.admin_fte,
    )


# The file ------------------------------------------------------------------------------------


def return_sheet(report: SafeLivesReturn, *, generated: datetime) -> Sheet:
    """The return as a file laid out as the return is typed in: one row per figure, one
    column per meeting, then the quarter and the percentage of cases; the volume and capacity
    after it. Exact for the panel's coordinators (for the return only), otherwise suppressed."""
    settings = report.settings
    period = f"{report.quarter.label}" + (f" {so_far(report.counted_to)}" if report.partial else "")
    about: list[list[Cell]] = [
        ["Report", "SafeLives MARAC quarterly return"],
        ["Panel", report.panel.name],
        ["Area", report.panel.area.name],
        ["Quarter", period],
        [
            "Counted",
            "Each case discussed at a meeting held in the quarter, by the date of the meeting "
            "(a case discussed at two meetings counts at each; repeats included). Percentages "
            "are of cases discussed. “Not known” is counted apart, never as “no”.",
        ],
        ["Small numbers", _small_numbers(report)],
        ["Generated", f"{generated.astimezone(UK):%d/%m/%Y %H:%M}"],
    ]
    header = ["Figure", *(column.label for column in report.meetings), "Quarter", "% of cases"]
    rows: list[list[Cell]] = []
    for measure in MEASURES:
        cells: list[Cell] = [("  " if measure.indent else "") + measure.label]
        for column in [*report.meetings, report.total]:
            cells.append(_cell(report, column.cells[measure.key]))
        if measure.percent:
            cells.append(_cell(report, report.percentages[measure.key], percent=True))
        else:
            cells.append("")
        rows.append(cells)
    volume = report.volume
    notes: list[list[Cell]] = [
        ["Volume and capacity", volume.year.label],
        ["Cases discussed in the 12 months", _cell(report, volume.year.heard)],
        [
            "Adult (16+) female population",
            volume.population if volume.population is not None else "not set",
            volume.population_source,
        ],
        [
            "Cases per 10,000 adult women",
            _cell(report, volume.per_10000, missing="population not set"),
            f"recommended: {settings.recommended_per_10000}",
        ],
        [
            "Recommended cases a year",
            volume.recommended_cases if volume.recommended_cases is not None else "not set",
        ],
        [
            "Full-time IDVAs needed",
            _cell(report, volume.idvas_needed),
            f"for the recommended volume: {_decimal(volume.idvas_recommended)}",
            f"in post: {_decimal(volume.idvas)}",
        ],
        [
            "Full-time MARAC administrators needed",
            _cell(report, volume.administrators_needed),
            f"for the recommended volume: {_decimal(volume.administrators_recommended)}",
            f"in post: {_decimal(volume.administrators)}",
        ],
        [
            "Benchmarks",
            f"{settings.recommended_per_10000} cases a year per 10,000 adult women; about "
            f"{settings.referrals_per_idva} referrals a year per full-time IDVA; one full-time "
            f"administrator per {settings.cases_per_administrator} cases (SafeLives)",
        ],
    ]
    return Sheet(
        name="SafeLives return",
        header=header,
        batches=[rows],
        about=about,
        notes=notes,
        widths=(46, *(14 for _ in report.meetings), 12, 12),
    )


def _small_numbers(report: SafeLivesReturn) -> str:
    if not report.suppressed:
        return (
            "Exact figures, for typing into the SafeLives return only: not for publication. "
            "Anything published must hide small numbers."
        )
    return (
        f"Counts from 1 to {report.threshold - 1} are shown as “fewer than {report.threshold}”; "
        "a count that would let a hidden one be worked out is “not shown”, as is a quarter’s "
        "total if any of its meetings’ counts is hidden, and any figure worked out from a "
        "hidden count."
    )


def _cell(
    report: SafeLivesReturn, figure: Shown, *, percent: bool = False, missing: str = ""
) -> Cell:
    if figure.hidden:
        return report.text(figure, percent=percent)
    if figure.value is None:
        return missing or ("no cases" if percent else 0)
    return figure.value


def _decimal(value: Decimal | None) -> str:
    return "not set" if value is None else f"{value.normalize():f}"


def file_name(report: SafeLivesReturn, extension: str) -> str:
    """An ASCII name without the panel's own words."""
    kind = "suppressed" if report.suppressed else "exact"
    return f"safelives-return-panel-{report.panel.id}-{report.quarter.key}-{kind}.{extension}"
