"""The repeat rate's arithmetic, apart from the database: quarters, periods, the rate and its
place against the benchmark band, small-number suppression, and the report they make, with
its chart, its summary in words and the rows of its files (domain §2.10, §2.10.1, R23, E7,
E11, E53).

A period's figures are counted by MEETING date (E7): a case referred in March and heard in
April counts in April's quarter. The unit is the listing heard (§2.10.1): a case heard at two
meetings counts at each, and repeats are counted among those listings. A period that is not
over yet is counted to today and says so in every label ("so far"), never passed off as whole.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import ROUND_HALF_UP
from decimal import Decimal
from enum import StrEnum

from app.charts import LineChart
from app.charts import line_chart
from app.exports import Cell
from app.exports import Sheet
from app.settings import ReportSettings
from app.template_filters import UK
from panels.models import Panel
from panels.types.common import RepeatRateFigure

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
QUARTER_KEY = re.compile(r"(\d{4})-Q([1-4])")
TREND_QUARTERS = 8  # the trend shows the last 8 quarters
YEAR_QUARTERS = 4
ONE_DECIMAL = Decimal("0.1")


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter, as the SafeLives return counts them: 1 is January to March."""

    year: int
    number: int

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, text: str) -> Quarter | None:
        """ "2024-Q3" as a quarter, or None for anything else."""
        match = QUARTER_KEY.fullmatch(text.strip())
        if not match or not 1900 <= int(match[1]) <= 9998:
            return None
        return cls(int(match[1]), int(match[2]))

    @property
    def key(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        return self.shifted(1).start - timedelta(days=1)

    def shifted(self, quarters: int) -> Quarter:
        index = self.year * 4 + self.number - 1 + quarters
        return Quarter(index // 4, index % 4 + 1)

    @property
    def label(self) -> str:
        """ "July to September 2024", as the return labels its quarters."""
        first, last = MONTHS[3 * self.number - 3], MONTHS[3 * self.number - 1]
        return f"{first} to {last} {self.year}"

    @property
    def short_label(self) -> str:
        """ "Jul-Sep 2024" (with an en dash), for the chart's axis."""
        first, last = MONTHS[3 * self.number - 3][:3], MONTHS[3 * self.number - 1][:3]
        return f"{first}–{last} {self.year}"


def last_complete_quarter(today: date) -> Quarter:
    return Quarter.of(today).shifted(-1)


def twelve_months_label(end: date) -> str:
    return f"12 months to {end.day} {MONTHS[end.month - 1]} {end.year}"


def so_far(day: date) -> str:
    """ "(to 7 December, so far)": what a period that is not over yet is counted to."""
    return f"(to {day.day} {MONTHS[day.month - 1]}, so far)"


# The chart's axis draws a label in two lines, split at its last space: the non-breaking
# spaces keep "2026 (so far)" together on the second.
SO_FAR_SHORT = "\u00a0(so\u00a0far)"


@dataclass(frozen=True)
class Counts:
    """Listings heard in a period, and how many of them were repeats."""

    heard: int = 0
    repeats: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.heard + other.heard, self.repeats + other.repeats)


@dataclass(frozen=True)
class Period:
    """A period the report shows: one quarter, or a run of quarters added up (a 12-month
    total), with each quarter's counts kept so that suppression can see what a total is made
    of. `end` is the last day counted: the period's own end, or today while it is not over
    (`partial`), and the labels then say "so far"."""

    label: str
    short_label: str
    end: date
    quarters: tuple[Quarter, ...]  # oldest first
    parts: tuple[Counts, ...]  # each quarter's counts, in the same order
    partial: bool = False

    @property
    def counts(self) -> Counts:
        return sum(self.parts, Counts())


class View(StrEnum):
    QUARTERS = "quarters"
    TWELVE_MONTHS = "12-months"

    @property
    def label(self) -> str:
        return {"quarters": "Each quarter", "12-months": "Rolling 12 months"}[self.value]


def quarters_needed(last: Quarter, view: View) -> tuple[Quarter, Quarter]:
    """The first and last quarter whose counts a view ending at `last` needs."""
    back = TREND_QUARTERS - 1 + (YEAR_QUARTERS - 1 if view is View.TWELVE_MONTHS else 0)
    return last.shifted(-back), last


def quarter_period(quarter: Quarter, counts: Mapping[Quarter, Counts], *, today: date) -> Period:
    """One quarter's figures, "so far" while it is not over (E7: by meeting date)."""
    partial = today <= quarter.end
    return Period(
        label=quarter.label + (f" {so_far(today)}" if partial else ""),
        short_label=quarter.short_label + (SO_FAR_SHORT if partial else ""),
        end=min(quarter.end, today),
        quarters=(quarter,),
        parts=(counts.get(quarter, Counts()),),
        partial=partial,
    )


def twelve_months(
    last: Quarter, counts: Mapping[Quarter, Counts], *, today: date, short_label: str | None = None
) -> Period:
    """The 12 months to the end of `last`: that quarter and the three before it, added up."""
    quarters = tuple(last.shifted(-back) for back in range(YEAR_QUARTERS - 1, -1, -1))
    partial = today <= last.end
    short = short_label or f"Yr to {last.short_label.split('–')[1]}"
    return Period(
        label=twelve_months_label(last.end) + (f" {so_far(today)}" if partial else ""),
        short_label=short + (SO_FAR_SHORT if partial else ""),
        end=min(last.end, today),
        quarters=quarters,
        parts=tuple(counts.get(q, Counts()) for q in quarters),
        partial=partial,
    )


def trend(
    last: Quarter, counts: Mapping[Quarter, Counts], view: View, *, today: date
) -> list[Period]:
    """The last 8 periods ending with `last`, oldest first: quarters, or each quarter's
    12 months to its end (the sum of that quarter and the three before it)."""
    quarters = [last.shifted(-back) for back in range(TREND_QUARTERS - 1, -1, -1)]
    if view is View.QUARTERS:
        return [quarter_period(q, counts, today=today) for q in quarters]
    return [twelve_months(q, counts, today=today) for q in quarters]


def year_total(last: Quarter, counts: Mapping[Quarter, Counts], *, today: date) -> Period:
    """The 12 months to the end of `last`: the quarterly view's total row, whose quarters are
    the last four rows of the trend."""
    return twelve_months(last, counts, today=today, short_label="12 months")


def repeat_rate(counts: Counts) -> Decimal | None:
    """Repeat listings ÷ listings heard, as a percentage to one decimal place (None when
    nothing was heard)."""
    if counts.heard == 0:
        return None
    exact = Decimal(counts.repeats * 100) / Decimal(counts.heard)
    return exact.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


class Position(StrEnum):
    BELOW = "below"
    WITHIN = "within"
    ABOVE = "above"

    @property
    def label(self) -> str:
        return {
            "below": "Below the band",
            "within": "Within the band",
            "above": "Above the band",
        }[self.value]


def position(counts: Counts, low: int, high: int) -> Position | None:
    """Where the exact rate falls against the benchmark band (E53: never "good" or "bad")."""
    if counts.heard == 0:
        return None
    if counts.repeats * 100 < low * counts.heard:
        return Position.BELOW
    if counts.repeats * 100 > high * counts.heard:
        return Position.ABOVE
    return Position.WITHIN


# Small-number suppression (R23, E11) --------------------------------------------------------


class Hidden(StrEnum):
    SMALL = "small"  # primary: a quarter's count from 1 to the threshold less one
    PROTECTS = "protects"  # secondary: hidden so that no hidden count can be worked out


@dataclass(frozen=True)
class Shown:
    """A figure as it may be shown: its value, or why it is hidden."""

    value: int | Decimal | None
    hidden: Hidden | None = None


@dataclass(frozen=True)
class Row:
    label: str
    short_label: str
    end: date
    quarters: tuple[Quarter, ...]  # the quarters the row adds up
    partial: bool
    heard: Shown
    repeats: Shown
    rate: Shown
    position: Position | None


def is_small(value: int, threshold: int) -> bool:
    """A count that identifies: from 1 to the threshold less one (zero identifies no one)."""
    return 0 < value < threshold


def shown_count(value: int, *, threshold: int, apply: bool = True) -> Shown:
    """A count that stands alone (no published total adds it up), as it may leave the panel:
    hidden as small when it is, when `apply`."""
    if apply and is_small(value, threshold):
        return Shown(None, Hidden.SMALL)
    return Shown(value)


def suppressed(
    rows: Sequence[Period],
    total: Period | None,
    *,
    threshold: int,
    low: int,
    high: int,
    apply: bool = True,
) -> tuple[list[Row], Row | None]:
    """The rows (and total) with small counts hidden, when `apply` (R23, E11).

    The rule, for each count (cases heard, repeat cases) separately:

    - A quarter's count from 1 to threshold - 1 is hidden as "fewer than 5" (primary).
    - A count that adds up several quarters (a 12-month total, each row of the rolling view)
      is shown only when none of its quarters is hidden; otherwise it is "not shown"
      (secondary), whatever its own value.
    - A rate, and its place against the band, is hidden whenever either of its counts is,
      since the rate times the cases heard gives the repeats back.

    Why this and not "hide one more quarter beside a lone hidden one": every choice of quarter
    and every rolling row publishes another overlapping 12-month total, so two of them
    differing by one quarter would give that quarter back by subtraction. Under this rule
    every number shown is a sum of quarters none of which is hidden, so any two shown totals
    differ only by quarters that are not hidden, and nothing shown (nor any sum or difference
    of it, in any view, for any quarter chosen, on screen or in a download) depends on a hidden
    count's value. Zero is shown: it says that nobody was heard, which identifies no one."""
    out = [
        _row(period, threshold=threshold, low=low, high=high, apply=apply)
        for period in [*rows, *([total] if total else [])]
    ]
    return (out[:-1], out[-1]) if total else (out, None)


def _hidden(period: Period, column: str, threshold: int) -> Hidden | None:
    if not any(is_small(getattr(part, column), threshold) for part in period.parts):
        return None
    return Hidden.SMALL if len(period.parts) == 1 else Hidden.PROTECTS


def _row(period: Period, *, threshold: int, low: int, high: int, apply: bool) -> Row:
    counts = period.counts
    heard = _hidden(period, "heard", threshold) if apply else None
    repeats = _hidden(period, "repeats", threshold) if apply else None
    rate_hidden = Hidden.PROTECTS if heard or repeats else None
    return Row(
        label=period.label,
        short_label=period.short_label,
        end=period.end,
        quarters=period.quarters,
        partial=period.partial,
        heard=Shown(None if heard else counts.heard, heard),
        repeats=Shown(None if repeats else counts.repeats, repeats),
        rate=Shown(None if rate_hidden else repeat_rate(counts), rate_hidden),
        position=None if rate_hidden else position(counts, low, high),
    )


def shown_text(figure: Shown, threshold: int, *, percent: bool = False) -> str:
    """A figure as text: the number, "fewer than 5", or "not shown"."""
    if figure.hidden is Hidden.SMALL:
        return f"fewer than {threshold}"
    if figure.hidden is Hidden.PROTECTS:
        return "not shown"
    if figure.value is None:
        return "no cases heard" if percent else "0"
    if percent:
        return f"{figure.value}%"
    return f"{figure.value:,}"


# Every panel's rate at once -------------------------------------------------------------------


@dataclass(frozen=True)
class PanelRate:
    """One panel's repeat rate in a quarter and over the 12 months to its end, as the user may
    see them (the overview of every panel in their reports). No total adds panels up."""

    panel: Panel
    quarter: Row
    year: Row
    compared: bool  # the benchmark band applies (MARAC)
    suppressed: bool
    threshold: int

    def text(self, row: Row, column: str) -> str:
        return shown_text(getattr(row, column), self.threshold, percent=column == "rate")


def panel_rate(
    panel: Panel,
    counts: Mapping[Quarter, Counts],
    last: Quarter,
    *,
    exact: bool,
    settings: ReportSettings,
    today: date,
) -> PanelRate:
    """The panel's quarter and 12 months to its end, suppressed unless `exact` by the same
    rule as its own report (a 12-month total only when none of its quarters is hidden)."""
    figure = panel.spec.repeat_rate
    assert figure is not None  # only types that report one are asked for
    (quarter,), year = suppressed(
        [quarter_period(last, counts, today=today)],
        year_total(last, counts, today=today),
        threshold=settings.suppress_below,
        low=settings.band_low,
        high=settings.band_high,
        apply=not exact,
    )
    assert year is not None  # a total was given
    return PanelRate(
        panel, quarter, year, figure.national_comparison, not exact, settings.suppress_below
    )


def rate_order(rate: PanelRate) -> tuple[int, Decimal, str, int]:
    """Highest 12-month rate first; panels with no rate to show (hidden, or nothing heard)
    after them, by name."""
    value = rate.year.rate.value
    shown = isinstance(value, Decimal)
    return (0 if shown else 1, -value if isinstance(value, Decimal) else Decimal(0),
            rate.panel.name, rate.panel.id)  # fmt: skip


def rates_sheet(rates: Sequence[PanelRate], last: Quarter, *, generated: datetime) -> Sheet:
    """The overview as a file, suppressed (R23): one row per panel, no total."""
    about: list[list[Cell]] = [
        ["Report", "Repeat rates of every panel"],
        ["Quarter", last.label],
        [
            "Counted",
            "Cases heard: each listing of a case at a meeting held in the period, by the date of "
            "the meeting. Repeat rate: repeat cases heard ÷ cases heard. Panels are not added up.",
        ],
        ["Generated", f"{generated.astimezone(UK):%d/%m/%Y %H:%M}"],
    ]
    header = [
        "Area", "Panel", "Panel type",
        "Quarter: cases heard", "Quarter: repeat cases", "Quarter: repeat rate (%)",
        "12 months: cases heard", "12 months: repeat cases", "12 months: repeat rate (%)",
        "Against the benchmark band",
    ]  # fmt: skip
    rows: list[list[Cell]] = []
    for rate in rates:
        cells: list[Cell] = [rate.panel.area.name, rate.panel.name, rate.panel.spec.label]
        for row in (rate.quarter, rate.year):
            for column in ("heard", "repeats", "rate"):
                shown: Shown = getattr(row, column)
                cells.append(
                    shown.value if shown.value is not None and not shown.hidden
                    else rate.text(row, column)
                )  # fmt: skip
        cells.append(rate.year.position.label if rate.compared and rate.year.position else "")
        rows.append(cells)
    return Sheet(
        name="Repeat rates",
        header=header,
        batches=[rows],
        about=about,
        widths=(22, 30, 30, 12, 12, 12, 12, 12, 12, 20),
    )


# The report, put together ---------------------------------------------------------------------


@dataclass(frozen=True)
class RepeatReport:
    """A panel's repeat rate over the periods chosen: its rows (suppressed where the figures
    leave the panel) and the settings they are read against."""

    panel: Panel
    figure: RepeatRateFigure
    view: View
    last: Quarter
    rows: list[Row]
    total: Row | None  # the quarterly view's 12 months to the last quarter's end
    suppressed: bool
    settings: ReportSettings

    @property
    def threshold(self) -> int:
        return self.settings.suppress_below

    @property
    def compared(self) -> bool:
        """Whether the benchmark band and national figure apply to this type (MARAC)."""
        return self.figure.national_comparison

    @property
    def latest(self) -> Row:
        """The figure the summary leads with: the latest 12 months."""
        return self.total or self.rows[-1]

    def text(self, row: Row, column: str) -> str:
        return shown_text(getattr(row, column), self.threshold, percent=column == "rate")

    def summary(self) -> str:
        """The chart's figures in words, for everyone (and the chart's description)."""
        latest = self.latest
        rate = self.text(latest, "rate")
        period = latest.label[0].lower() + latest.label[1:]
        sentence = f"In the {period}, the repeat rate was {rate}"
        if latest.rate.value is None:
            sentence = f"In the {period}, no repeat rate can be given ({rate})"
        if self.compared:
            band = self.settings.band_label
            where = f", {latest.position.label.lower()} of {band}" if latest.position else ""
            sentence += (
                f"{where}. The national figure was {self.settings.national_label} "
                f"({self.settings.national_period})"
            )
        sentence += self._range()
        return sentence + "."

    def _range(self) -> str:
        """The range of the rates shown, saying over how many periods a rate could be given
        (hidden, or nothing heard, gives none); nothing when fewer than two could."""
        shown = [row.rate.value for row in self.rows if row.rate.value is not None]
        if len(shown) < 2:
            return ""
        spread = f"{min(shown)}% to {max(shown)}%"
        if len(shown) == len(self.rows):
            return f". Over the {len(self.rows)} periods shown it ranged from {spread}"
        return (
            f". A rate can be given for {len(shown)} of the {len(self.rows)} periods shown: "
            f"over those it ranged from {spread}"
        )

    def chart(self) -> LineChart:
        """The rows' rates as a line (a gap where one is not shown), against the band and the
        national figure where they apply."""
        settings = self.settings
        return line_chart(
            [(row.short_label, row.rate.value) for row in self.rows],
            band=(settings.band_low, settings.band_high) if self.compared else None,
            reference=settings.national_rate if self.compared else None,
            unit="%",
            most=100,
        )


def assemble(
    panel: Panel,
    counts: Mapping[Quarter, Counts],
    *,
    last: Quarter,
    view: View,
    suppress: bool,
    settings: ReportSettings,
    today: date,
) -> RepeatReport | None:
    """The panel's repeat-rate report from its counts per quarter (the database's part is
    `queries.repeat_counts`): the periods, their rates, suppressed when `suppress`; or None if
    the panel's type reports no repeat rate (its spec says)."""
    figure = panel.spec.repeat_rate
    if figure is None:
        return None
    periods = trend(last, counts, view, today=today)
    total = year_total(last, counts, today=today) if view is View.QUARTERS else None
    rows, total_row = suppressed(
        periods,
        total,
        threshold=settings.suppress_below,
        low=settings.band_low,
        high=settings.band_high,
        apply=suppress,
    )
    return RepeatReport(panel, figure, view, last, rows, total_row, suppress, settings)


def report_sheet(report: RepeatReport, *, generated: datetime) -> Sheet:
    """The report's file, always as suppressed (R23, E11): what the figures are, the table,
    and the benchmark and national figure they are read against."""
    settings = report.settings
    about: list[list[Cell]] = [
        ["Report", "Repeat rate"],
        ["Panel", report.panel.name],
        ["Area", report.panel.area.name],
        ["Panel type", report.panel.spec.label],
        ["Periods", f"{report.view.label}, to {report.last.label}{_so_far(report)}"],
        ["Definition", report.figure.definition],
        [
            "Counted",
            "Cases heard: each listing of a case at a meeting held in the period, by the date "
            "of the meeting (a case heard at two meetings counts twice). Repeat rate: repeat "
            "cases heard ÷ cases heard.",
        ],
        [
            "Small numbers",
            f"Counts from 1 to {report.threshold - 1} are shown as “fewer than "
            f"{report.threshold}”; a total of several quarters is “not shown” if any of its "
            "quarters is hidden, and a rate is “not shown” if either of its counts is.",
        ],
        ["Generated", f"{generated.astimezone(UK):%d/%m/%Y %H:%M}"],
    ]
    if report.rows[-1].partial:
        counted_to = f"{report.rows[-1].end:%d/%m/%Y}"
        about.insert(-1, ["Not over yet", f"The last period is not over: counted to {counted_to}."])
    header = ["Period", "Counted up to", "Cases heard", "Repeat cases", "Repeat rate (%)"]
    notes: list[list[Cell]] = []
    if report.compared:
        header.append(f"Against the benchmark band ({settings.band_label})")
        notes = [
            ["Benchmark band", settings.band_label],
            [
                "National repeat rate",
                settings.national_label,
                settings.national_period,
                settings.national_source,
            ],
            [
                "Reading the rate",
                "A low repeat rate usually means that repeats are not being identified, not "
                "that fewer victims are harmed again.",
            ],
        ]
    rows = [
        _table_row(report, row) for row in [*report.rows, *([report.total] if report.total else [])]
    ]
    return Sheet(
        name="Repeat rate",
        header=header,
        batches=[rows],
        about=about,
        notes=notes,
        widths=(56, 16, 16, 16, 16, 16),
    )


def _table_row(report: RepeatReport, row: Row) -> list[Cell]:
    def figure(column: str) -> Cell:
        shown: Shown = getattr(row, column)
        if shown.value is None or shown.hidden:
            return report.text(row, column)
        return shown.value

    cells: list[Cell] = [row.label, row.end, figure("heard"), figure("repeats"), figure("rate")]
    if report.compared:
        cells.append(row.position.label if row.position else "")
    return cells


def _so_far(report: RepeatReport) -> str:
    last = report.rows[-1]
    return f" {so_far(last.end)}" if last.partial else ""


def file_name(report: RepeatReport, extension: str) -> str:
    """An ASCII name without the panel's own words (they could be anything)."""
    view = "quarters" if report.view is View.QUARTERS else "12-months"
    return f"repeat-rate-panel-{report.panel.id}-{report.last.key}-{view}.{extension}"
