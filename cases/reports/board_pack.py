"""The board pack's reads (issue 20): for one area and quarter, each of its panels in the
reader's reports with the figures its type has (the repeat rate to the quarter, the SafeLives
return for it, the ASB Case Review figures of the financial year it falls in), always as they
leave the panels: suppressed whoever reads them (R23, E11). Counts only, never a case."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from app.accounts.models import User
from app.settings import ReportSettings
from cases.asb import queries as asb_queries
from cases.reports import queries
from cases.reports.rules import Quarter
from cases.reports.rules import RepeatReport
from cases.reports.rules import View
from cases.reports.safelives import SafeLivesReturn
from panels.models import Area
from panels.models import Panel

FINANCIAL_YEAR_STARTS = 4  # April


@dataclass(frozen=True)
class PanelFigures:
    panel: Panel
    repeat_rate: RepeatReport | None  # None: its type reports no repeat rate
    safelives: SafeLivesReturn | None  # None: its type makes no SafeLives return

    @property
    def has_figures(self) -> bool:
        return bool(self.repeat_rate or self.safelives or self.panel.spec.holds_case_reviews)


@dataclass(frozen=True)
class BoardPack:
    area: Area
    quarter: Quarter
    panels: Sequence[PanelFigures]
    case_reviews: Sequence[asb_queries.Figures]  # the Community MARACs', for the year below
    case_review_year: str


def financial_year_of(quarter: Quarter) -> int:
    """The year the financial year (April to March) holding the quarter starts in."""
    return quarter.year if quarter.end.month >= FINANCIAL_YEAR_STARTS else quarter.year - 1


def board_pack(
    user: User, area: Area, quarter: Quarter, *, settings: ReportSettings, today: date
) -> BoardPack:
    panels = queries.area_panels_in_scope(user, area)
    figures = [
        PanelFigures(
            panel=panel,
            repeat_rate=queries.repeat_report(
                panel,
                last=quarter,
                view=View.QUARTERS,
                suppress=True,
                settings=settings,
                today=today,
            ),
            safelives=queries.safelives_return(
                panel, quarter, suppress=True, settings=settings, today=today
            ),
        )
        for panel in panels
    ]
    year = financial_year_of(quarter)
    reviews = asb_queries.figures_for(
        user,
        panel_ids=[panel.id for panel in panels if panel.spec.holds_case_reviews],
        leaving=True,
    )
    return BoardPack(
        area=area,
        quarter=quarter,
        panels=figures,
        case_reviews=[row for row in reviews if row.year == year],
        case_review_year=asb_queries.year_label(year),
    )
