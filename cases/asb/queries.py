"""Scoped reads of ASB Case Review applications, the threshold calculation and the figures."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement
from sqlalchemy import case
from sqlalchemy import extract
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm import selectinload

from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import db
from cases import policy
from cases.asb import rules
from cases.asb.models import CaseReviewApplication
from cases.asb.models import CaseReviewStep
from cases.asb.models import Incident
from cases.asb.models import ReviewStatus
from cases.queries import live_panel_ids
from cases.reports import queries as reports
from panels.models import Panel
from panels.types import panel_types_where

PAGE_SIZE = 50


def review_panels_of(user: User) -> Sequence[Panel]:
    """The active Community MARAC panels the user sits on: where they may record applications."""
    return db.session.scalars(
        select(Panel)
        .where(
            Panel.id.in_(live_panel_ids(user)),
            Panel.panel_type.in_(panel_types_where(lambda spec: spec.holds_case_reviews)),
            Panel.active.is_(True),
        )
        .order_by(Panel.name)
    ).all()


def visible_application(user: User, application_id: int) -> CaseReviewApplication | None:
    """The application if the user sits on its panel, else None (the view answers 404)."""
    return db.session.scalar(
        select(CaseReviewApplication)
        .where(
            CaseReviewApplication.id == application_id,
            CaseReviewApplication.panel_id.in_(live_panel_ids(user)),
        )
        .options(
            selectinload(CaseReviewApplication.incidents).selectinload(Incident.complaints),
            selectinload(CaseReviewApplication.steps).joinedload(CaseReviewStep.by),
        )
    )


def applications_for(
    user: User, *, status: ReviewStatus | None, page: int
) -> tuple[Sequence[CaseReviewApplication], int]:
    """A page of the applications on the user's panels, newest first, and the total."""
    scope: list[ColumnElement[bool]] = [CaseReviewApplication.panel_id.in_(live_panel_ids(user))]
    if status is not None:
        scope.append(CaseReviewApplication.status == status)
    total = db.session.scalar(select(func.count(CaseReviewApplication.id)).where(*scope)) or 0
    rows = db.session.scalars(
        select(CaseReviewApplication)
        .where(*scope)
        .order_by(CaseReviewApplication.received_on.desc(), CaseReviewApplication.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return rows, total


def agencies() -> Sequence[Organisation]:
    return db.session.scalars(
        select(Organisation).where(Organisation.active.is_(True)).order_by(Organisation.name)
    ).all()


def assessment_of(application: CaseReviewApplication) -> rules.Assessment:
    """The threshold calculation for an application, under its panel's local settings."""
    settings = application.panel.settings
    facts = [
        rules.IncidentFacts(
            incident.id,
            incident.behaviour_on,
            tuple(
                rules.ComplaintFacts(complaint.id, complaint.complained_on, complaint.agency.name)
                for complaint in incident.complaints
            ),
        )
        for incident in application.incidents
    ]
    return rules.assess(
        facts,
        applied_on=application.received_on,
        threshold=settings.case_review_threshold,
        window_months=settings.case_review_window_months,
    )


# The published figures ---------------------------------------------------------------------


COUNTS = ("received", "threshold_not_met", "reviews", "with_recommendations")


def year_label(start_year: int) -> str:
    """A financial year as the figures name it: "April 2025 to March 2026"."""
    return rules.financial_year_label(start_year)


@dataclass(frozen=True)
class Figures:
    """The four annual figures (domain §3.5) for one panel and financial year, as the viewer
    may see them: exact for the panel's coordinators and chairs; for anyone else (a manager,
    a representative) the figures leave the panel, so a count from 1 to 4 is None, shown as
    "fewer than 5" (R23, E11), by the reports' own rule."""

    panel: str  # its name, and its area's when another panel shown has the same name
    panel_id: int
    year: int
    received: int | None
    threshold_not_met: int | None
    reviews: int | None
    with_recommendations: int | None
    texts: Mapping[str, str]  # each count as it is shown
    suppressed: bool
    threshold: int  # counts below it are "fewer than N" when suppressed

    @property
    def year_label(self) -> str:
        return rules.financial_year_label(self.year)

    def text(self, column: str) -> str:
        return self.texts[column]


def figures_for(
    user: User, *, panel_ids: Collection[int] | None = None, leaving: bool = False
) -> list[Figures]:
    """Per panel and financial year of receipt (April to March), newest year first; only the
    panels `panel_ids` when given. `leaving`: the figures leave the panel (a board pack), so
    they are suppressed whoever asks.

    Members see their own Community MARAC panels; managers see the panels of the areas they
    report on (`cases.policy.report_scope`, as for every other report), and nothing else.
    "Threshold not met" counts the first decision, even if an appeal later overturned it.
    Grouped by panel, not by its name: two panels of one name in different areas are two
    rows, each named with its area. Each row stands alone (no total adds rows up), so small
    counts are hidden one by one, unless the user runs the panel (R23: figures shown to anyone
    else leave it).
    """
    application = CaseReviewApplication
    month = extract("month", application.received_on)
    year = extract("year", application.received_on) - case((month < 4, 1), else_=0)
    query = (
        select(
            Panel.id,
            year.label("year"),
            func.count(application.id),
            func.sum(case((application.threshold_met.is_(False), 1), else_=0)),
            func.sum(case((application.review_held_on.is_not(None), 1), else_=0)),
            func.sum(case((application.recommendations_made.is_(True), 1), else_=0)),
        )
        .join(application.panel)
        .where(or_(Panel.id.in_(live_panel_ids(user)), policy.report_scope(user).panels()))
        .group_by(Panel.id, year)
    )
    if panel_ids is not None:
        query = query.where(Panel.id.in_(panel_ids))
    counted = db.session.execute(query).all()
    panels = {
        panel.id: panel
        for panel in db.session.scalars(
            select(Panel)
            .where(Panel.id.in_({row[0] for row in counted}))
            .options(joinedload(Panel.area))
        )
    }
    named = Counter(panel.name for panel in panels.values())
    scope = policy.report_scope(user)
    threshold = reports.suppress_below()
    figures = []
    for panel_id, year_of, *values in counted:
        panel = panels[panel_id]
        exact = scope.exact_for(panel) and not leaving
        shown = {
            column: reports.count_as_published(int(value or 0), exact=exact)
            for column, value in zip(COUNTS, values, strict=True)
        }
        figures.append(
            Figures(
                panel=panel.name if named[panel.name] == 1 else f"{panel.name} ({panel.area.name})",
                panel_id=panel.id,
                year=int(year_of),
                received=shown["received"][0],
                threshold_not_met=shown["threshold_not_met"][0],
                reviews=shown["reviews"][0],
                with_recommendations=shown["with_recommendations"][0],
                texts={column: text for column, (_, text) in shown.items()},
                suppressed=not exact,
                threshold=threshold,
            )
        )
    return sorted(figures, key=lambda row: (-row.year, row.panel))
