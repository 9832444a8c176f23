"""A panel's repeat-rate report, put together: the counts from the database, the periods and
their rates, suppression where the figures leave the panel, and the settings they are read
against (domain §2.10, §2.10.1, E7, E11, E53, R23)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cases.reports import queries
from cases.reports.rules import Quarter
from cases.reports.rules import Row
from cases.reports.rules import View
from cases.reports.rules import quarters_needed
from cases.reports.rules import shown_text
from cases.reports.rules import suppressed
from cases.reports.rules import trend
from cases.reports.rules import year_total
from cases.reports.settings import ReportSettings
from panels.models import Panel
from panels.types.common import RepeatRateFigure


@dataclass(frozen=True)
class RepeatReport:
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
        shown = [row.rate.value for row in self.rows if row.rate.value is not None]
        if len(shown) >= 2:
            sentence += (
                f". Over the {len(self.rows)} periods shown it ranged from {min(shown)}% to "
                f"{max(shown)}%"
            )
        return sentence + "."


def repeat_report(
    panel: Panel,
    *,
    last: Quarter,
    view: View,
    suppress: bool,
    settings: ReportSettings,
    today: date,
) -> RepeatReport | None:
    """The report, or None if the panel's type reports no repeat rate (its spec says)."""
    figure = panel.spec.repeat_rate
    if figure is None:
        return None
    first, _ = quarters_needed(last, view)
    counts = queries.repeat_counts(panel, first, last, today=today)
    periods = trend(last, counts, view)
    total = year_total(last, counts) if view is View.QUARTERS else None
    rows, total_row = suppressed(
        periods,
        total,
        threshold=settings.suppress_below,
        low=settings.band_low,
        high=settings.band_high,
        apply=suppress,
    )
    return RepeatReport(panel, figure, view, last, rows, total_row, suppress, settings)
