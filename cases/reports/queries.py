"""Scoped, aggregate reads for the reports: the panels in someone's scope, a panel's listings
heard and repeats per quarter (one GROUP BY, by meeting date) put together as its repeat-rate
report, and a manager's areas.

The figures read no case and no person: they are counts of referrals' clear columns. Only a
coordinator's referral-level extract reads referrals row by row (`extract_lines`), and the
people in their cases (`extract_people`) when it was asked for with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from flask import current_app
from sqlalchemy import ColumnElement
from sqlalchemy import and_
from sqlalchemy import case
from sqlalchemy import exists
from sqlalchemy import extract
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import aliased

from app.accounts.models import AgencyType
from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import db
from app.settings import ReportSettings
from app.settings import Settings
from cases.models import Case
from cases.models import CasePerson
from cases.models import CaseRole
from cases.models import case_reference
from cases.policy import Viewer
from cases.policy import referral_scope_with_case
from cases.policy import report_scope
from cases.policy import viewer_of
from cases.referrals.models import AgeBand
from cases.referrals.models import Referral
from cases.reports.extract import ExtractLine
from cases.reports.extract import People
from cases.reports.models import Extract
from cases.reports.models import ManagerArea
from cases.reports.rules import YEAR_QUARTERS
from cases.reports.rules import Counts
from cases.reports.rules import PanelRate
from cases.reports.rules import Quarter
from cases.reports.rules import RepeatReport
from cases.reports.rules import View
from cases.reports.rules import assemble
from cases.reports.rules import panel_rate
from cases.reports.rules import quarters_needed
from cases.reports.rules import rate_order
from cases.reports.rules import shown_count
from cases.reports.rules import shown_text
from cases.reports.safelives import GENDERS_KNOWN
from cases.reports.safelives import PARTNER_AGENCIES
from cases.reports.safelives import MeetingCounts
from cases.reports.safelives import SafeLivesReturn
from cases.reports.safelives import agency_measure
from cases.reports.safelives import assemble_return
from panels.models import Area
from panels.models import Meeting
from panels.models import Panel
from panels.types import spec_for
from panels.types.common import PanelType
from panels.types.common import ReferralStatus

PANEL_LIMIT = 500  # a deployment's panels; the list says when there are more


class PanelSort(StrEnum):
    AREA = "area"
    NAME = "name"
    TYPE = "type"

    @property
    def label(self) -> str:
        return {"area": "Area", "name": "Panel name", "type": "Panel type"}[self.value]


@dataclass(frozen=True)
class PanelFilters:
    text: str = ""
    area_id: int | None = None
    # The types the person chose to see (a filter on data, not a branch on type): none is all.
    kinds: tuple[PanelType, ...] = ()
    sort: PanelSort = PanelSort.AREA


@dataclass(frozen=True)
class PanelListing:
    panels: Sequence[Panel]
    more: bool


def panels_in_scope(user: User, filters: PanelFilters) -> PanelListing:
    """The panels whose figures the user may see, found, filtered and sorted (bounded)."""
    query = select(Panel).join(Panel.area).where(report_scope(user).panels())
    if filters.text:
        pattern = "%" + filters.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern += "%"
        query = query.where(
            or_(Panel.name.ilike(pattern, escape="\\"), Area.name.ilike(pattern, escape="\\"))
        )
    if filters.area_id is not None:
        query = query.where(Panel.area_id == filters.area_id)
    if filters.kinds:
        query = query.where(Panel.panel_type.in_(filters.kinds))
    order = {
        PanelSort.AREA: (Area.name, Panel.name),
        PanelSort.NAME: (Panel.name, Area.name),
        PanelSort.TYPE: (Panel.panel_type, Area.name, Panel.name),
    }[filters.sort]
    rows = db.session.scalars(query.order_by(*order, Panel.id).limit(PANEL_LIMIT + 1)).all()
    return PanelListing(rows[:PANEL_LIMIT], len(rows) > PANEL_LIMIT)


def areas_in_scope(user: User) -> Sequence[Area]:
    """The areas with a panel in the user's scope, by name (the filter's choices)."""
    return db.session.scalars(
        select(Area)
        .where(Area.id.in_(select(Panel.area_id).where(report_scope(user).panels())))
        .order_by(Area.name)
    ).all()


def area_panels_in_scope(user: User, area: Area) -> Sequence[Panel]:
    """The area's panels whose figures the user may see (a board pack holds these), by type in
    the registry's order, then name."""
    panels = db.session.scalars(
        select(Panel).where(Panel.area_id == area.id, report_scope(user).panels())
    ).all()
    order = list(PanelType)
    return sorted(panels, key=lambda panel: (order.index(panel.panel_type), panel.name, panel.id))


def repeat_counts(
    panel: Panel, first: Quarter, last: Quarter, *, today: date
) -> dict[Quarter, Counts]:
    """Per quarter from `first` to `last`: the panel's listings heard, and the repeats among
    them, by the date of the meeting (E7). See `repeat_counts_by_panel`."""
    return repeat_counts_by_panel([panel.id], first, last, today=today).get(panel.id, {})


def repeat_counts_by_panel(
    panel_ids: Sequence[int], first: Quarter, last: Quarter, *, today: date
) -> dict[int, dict[Quarter, Counts]]:
    """For each of the panels, per quarter from `first` to `last`: its listings heard, and the
    repeats among them, by the date of the meeting (E7). A listing is heard when its meeting
    has been held (on or before `today`) with the referral on its agenda: listed or marked
    heard, or sent on by a transfer after that meeting. One grouped query, through the
    meetings' (panel, date) index and the referrals' (meeting, status, repeat) index."""
    held = Meeting.held_on
    month = extract("month", held)
    quarter = case((month <= 3, 1), (month <= 6, 2), (month <= 9, 3), else_=4)
    year = extract("year", held)
    rows = db.session.execute(
        select(
            Meeting.panel_id,
            year.label("year"),
            quarter.label("quarter"),
            func.count(Referral.id),
            func.coalesce(func.sum(case((Referral.is_repeat.is_(True), 1), else_=0)), 0),
        )
        .select_from(Meeting)
        .join(Referral, Referral.meeting_id == Meeting.id)
        .where(
            Meeting.panel_id.in_(panel_ids),
            held >= first.start,
            held <= min(last.end, today),
            _heard_at_the_meeting(),
        )
        .group_by(Meeting.panel_id, year, quarter)
    ).all()
    counts: dict[int, dict[Quarter, Counts]] = {}
    for panel_id, y, q, n, r in rows:
        counts.setdefault(panel_id, {})[Quarter(int(y), int(q))] = Counts(int(n), int(r))
    return counts


class RateSort(StrEnum):
    AREA = "area"
    NAME = "name"
    RATE = "rate"

    @property
    def label(self) -> str:
        return {
            "area": "Area",
            "name": "Panel name",
            "rate": "Repeat rate over 12 months, highest first",
        }[self.value]


@dataclass(frozen=True)
class RateFilters:
    quarter: Quarter
    area_id: int | None = None
    kinds: tuple[PanelType, ...] = ()
    sort: RateSort = RateSort.AREA


def repeat_rates(
    user: User,
    filters: RateFilters,
    *,
    settings: ReportSettings,
    today: date,
    leaving: bool = False,
) -> tuple[list[PanelRate], bool]:
    """Every panel in the user's scope whose type reports a repeat rate, with its rate in the
    chosen quarter and over the 12 months to its end, each as it may be shown to the user
    (exact for those they run, suppressed otherwise, and always when `leaving`: R23); filtered
    and sorted, at most PANEL_LIMIT (and whether there were more). Two queries whatever the
    number of panels."""
    kinds = filters.kinds or tuple(t for t in PanelType if spec_for(t).repeat_rate is not None)
    query = (
        select(Panel)
        .join(Panel.area)
        .where(report_scope(user).panels(), Panel.panel_type.in_(kinds))
        .order_by(Area.name, Panel.name, Panel.id)
        .limit(PANEL_LIMIT + 1)
    )
    if filters.area_id is not None:
        query = query.where(Panel.area_id == filters.area_id)
    panels = db.session.scalars(query).all()
    more = len(panels) > PANEL_LIMIT
    panels = [panel for panel in panels[:PANEL_LIMIT] if panel.spec.repeat_rate is not None]
    last = filters.quarter
    counts = repeat_counts_by_panel(
        [panel.id for panel in panels], last.shifted(-(YEAR_QUARTERS - 1)), last, today=today
    )
    scope = report_scope(user)
    rates = [
        panel_rate(
            panel,
            counts.get(panel.id, {}),
            last,
            exact=scope.exact_for(panel) and not leaving,
            settings=settings,
            today=today,
        )
        for panel in panels
    ]
    if filters.sort is RateSort.NAME:
        rates.sort(key=lambda rate: (rate.panel.name, rate.panel.area.name, rate.panel.id))
    elif filters.sort is RateSort.RATE:
        rates.sort(key=rate_order)
    return rates, more


def _heard_at_the_meeting() -> ColumnElement[bool]:
    """Whether a referral joined to its meeting was heard there: on the agenda of a meeting
    (held, when the caller limits the meetings to those held by today) as listed or marked
    heard, or sent on by a transfer after that meeting."""
    incoming = aliased(Referral)
    sent_on_after_meeting = exists().where(
        incoming.transferred_from_id == Referral.id, incoming.referred_on >= Meeting.held_on
    )
    return or_(
        Referral.status.in_((ReferralStatus.LISTED, ReferralStatus.HEARD)),
        and_(Referral.status == ReferralStatus.TRANSFERRED_OUT, sent_on_after_meeting),
    )


def safelives_counts(panel: Panel, quarter: Quarter, *, today: date) -> list[MeetingCounts]:
    """Each meeting of the panel held in the quarter (up to `today`), in date order, with the
    SafeLives return's counts of the cases heard at it (domain §2.10, E7, E8): one grouped
    query over the meetings' (panel, date) index, joined to the referrals heard at each and
    their referring agencies. A meeting that heard no case is there with every count zero."""

    def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    gender, age = Referral.victim_gender, Referral.victim_age_band
    heard = Referral.id.is_not(None)  # a meeting that heard nobody has one row of NULLs
    measures: dict[str, ColumnElement[int]] = {
        "cases": func.count(Referral.id),
        "repeats": count(Referral.is_repeat.is_(True)),
        "police": count(Organisation.agency_type == AgencyType.POLICE),
        "partner": count(Organisation.agency_type != AgencyType.POLICE),
        **{
            agency_measure(agency): count(Organisation.agency_type == agency)
            for agency in PARTNER_AGENCIES
        },
        "children": func.coalesce(func.sum(Referral.children_count), 0),
        "female": count(gender == "female"),
        "male": count(gender == "male"),
        "other_gender": count(gender == "other"),
        "gender_not_known": count(and_(heard, or_(gender.is_(None), gender.not_in(GENDERS_KNOWN)))),
        "aged_16_17": count(age == AgeBand.SIXTEEN_SEVENTEEN),
        "age_not_known": count(and_(heard, or_(age.is_(None), age == AgeBand.NOT_KNOWN))),
        **{
            name: count(column == "yes")
            for name, column in (
                ("minoritised", Referral.victim_minoritised),
                ("disabled", Referral.victim_disabled),
                ("lgbt", Referral.victim_lgbt),
            )
        },
        **{
            f"{name}_not_known": count(and_(heard, or_(column.is_(None), column == "not_known")))
            for name, column in (
                ("minoritised", Referral.victim_minoritised),
                ("disabled", Referral.victim_disabled),
                ("lgbt", Referral.victim_lgbt),
            )
        },
        "young_perpetrators": func.coalesce(func.sum(Referral.young_perpetrators), 0),
    }
    rows = db.session.execute(
        select(Meeting.held_on, Meeting.kind, *(c.label(name) for name, c in measures.items()))
        .select_from(Meeting)
        .outerjoin(Referral, and_(Referral.meeting_id == Meeting.id, _heard_at_the_meeting()))
        .outerjoin(Organisation, Organisation.id == Referral.referring_agency_id)
        .where(
            Meeting.panel_id == panel.id,
            Meeting.held_on >= quarter.start,
            Meeting.held_on <= min(quarter.end, today),
        )
        .group_by(Meeting.id, Meeting.held_on, Meeting.kind)
        .order_by(Meeting.held_on, Meeting.id)
    ).all()
    return [
        MeetingCounts(
            held_on=row.held_on,
            kind=row.kind,
            counts={name: int(getattr(row, name)) for name in measures},
        )
        for row in rows
    ]


def safelives_return(
    panel: Panel, quarter: Quarter, *, suppress: bool, settings: ReportSettings, today: date
) -> SafeLivesReturn | None:
    """The panel's SafeLives return for the quarter (domain §2.10, E6, E7, E8, E11, R23), with the
    12 months to the quarter's end for the volume and capacity figures; suppressed when
    `suppress`. None if the panel's type makes no such return (its spec says)."""
    if not panel.spec.safelives_return:
        return None
    meetings = safelives_counts(panel, quarter, today=today)
    year = repeat_counts(panel, quarter.shifted(-(YEAR_QUARTERS - 1)), quarter, today=today)
    return assemble_return(
        panel,
        quarter,
        meetings,
        year,
        suppress=suppress,
        settings=settings,
        today=today,
    )


def repeat_report(
    panel: Panel,
    *,
    last: Quarter,
    view: View,
    suppress: bool,
    settings: ReportSettings,
    today: date,
) -> RepeatReport | None:
    """The panel's repeat-rate report (domain §2.10, §2.10.1, E7, E11, E53, R23): the counts,
    the periods and their rates, suppressed when `suppress`; or None if the panel's type reports
    no repeat rate (its spec says)."""
    if panel.spec.repeat_rate is None:
        return None
    first, _ = quarters_needed(last, view)
    counts = repeat_counts(panel, first, last, today=today)
    return assemble(
        panel, counts, last=last, view=view, suppress=suppress, settings=settings, today=today
    )


def suppress_below() -> int:
    """The small-number threshold: counts below it leave a panel as "fewer than N" (a
    setting, REPORTS_SUPPRESS_BELOW)."""
    settings: Settings = current_app.config["SETTINGS"]
    return settings.reports.suppress_below


def count_as_published(value: int, *, exact: bool) -> tuple[int | None, str]:
    """A count that stands alone (no total shown adds it up) as another feature's figures page
    shows it: the value and its text, or None and "fewer than 5" when it is small and the
    figures leave the panel (not `exact`), by the reports' own rule and threshold (R23, E11)."""
    threshold = suppress_below()
    shown = shown_count(value, threshold=threshold, apply=not exact)
    return (None if shown.hidden else value), shown_text(shown, threshold)


def first_meeting_on(panel: Panel) -> date | None:
    """The panel's first meeting, so the report can say where its figures start."""
    return db.session.scalar(select(func.min(Meeting.held_on)).where(Meeting.panel_id == panel.id))


# A manager's areas ---------------------------------------------------------------------------


def manager_areas_of(user: User) -> Sequence[ManagerArea]:
    return db.session.scalars(
        select(ManagerArea)
        .join(ManagerArea.area)
        .where(ManagerArea.user_id == user.id)
        .order_by(Area.name)
    ).all()


def areas_to_add(user: User) -> Sequence[Area]:
    """The areas not yet assigned to the manager, by name."""
    assigned = select(ManagerArea.area_id).where(ManagerArea.user_id == user.id)
    return db.session.scalars(
        select(Area).where(Area.id.not_in(assigned)).order_by(Area.name)
    ).all()


def manager_area(user: User, area_id: int) -> ManagerArea | None:
    return db.session.scalar(
        select(ManagerArea).where(ManagerArea.user_id == user.id, ManagerArea.area_id == area_id)
    )


# Referral-level extracts ------------------------------------------------------------------------

SUBJECT_ROLES = (CaseRole.VICTIM, CaseRole.SUBJECT)


def extract_panels(user: User) -> Sequence[Panel]:
    """The panels whose referrals the user may extract: those they coordinate, by name."""
    ids = viewer_of(user).panels.coordinates
    return db.session.scalars(
        select(Panel).where(Panel.id.in_(ids)).order_by(Panel.name, Panel.id)
    ).all()


def extracts_of(user: User) -> Sequence[Extract]:
    """The user's own extracts, newest first (nobody sees anyone else's)."""
    return db.session.scalars(
        select(Extract)
        .where(Extract.requested_by_id == user.id)
        .order_by(Extract.created_at.desc(), Extract.id.desc())
        .limit(50)
    ).all()


def _extract_conditions(extract: Extract, viewer: Viewer) -> list[ColumnElement[bool]]:
    """The referrals an extract holds: submitted to its panels that the requester still
    coordinates, within its dates, and each one the requester may see now (a restricted case
    is left out as it is from their lists)."""
    panel_ids = [i for i in extract.panel_ids if i in viewer.panels.coordinates]
    conditions = [
        Referral.panel_id.in_(panel_ids),
        Referral.submitted_at.is_not(None),
        referral_scope_with_case(viewer),  # on the case outer-joined by the caller
    ]
    if extract.referred_from is not None:
        conditions.append(Referral.referred_on >= extract.referred_from)
    if extract.referred_to is not None:
        conditions.append(Referral.referred_on <= extract.referred_to)
    return conditions


def extract_count(extract: Extract, viewer: Viewer) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Referral)
            .outerjoin(Case, Case.id == Referral.case_id)
            .where(*_extract_conditions(extract, viewer))
        )
        or 0
    )


def extract_lines(
    extract: Extract, viewer: Viewer, *, after: int, size: int
) -> list[tuple[ExtractLine, int | None]]:
    """The next `size` referrals of the extract after referral id `after`, in id order (a
    keyset page: each batch costs the same however far in), each with its case's id."""
    meeting = aliased(Meeting)
    statement = (
        select(
            Referral.id,
            Referral.case_id,
            Panel.panel_type,
            Panel.name,
            Referral.referred_on,
            Referral.status,
            Organisation.name,
            Organisation.agency_type,
            Referral.risk_tool,
            Referral.risk_level,
            Referral.risk_score,
            Referral.is_repeat,
            Referral.repeat_of_id,
            meeting.held_on,
            Referral.children_count,
            Referral.victim_gender,
            Referral.victim_age_band,
            Referral.victim_minoritised,
            Referral.victim_disabled,
            Referral.victim_lgbt,
            Referral.young_perpetrators,
        )
        .join(Panel, Panel.id == Referral.panel_id)
        .join(Organisation, Organisation.id == Referral.referring_agency_id)
        .outerjoin(Case, Case.id == Referral.case_id)
        .outerjoin(meeting, meeting.id == Referral.meeting_id)
        .where(*_extract_conditions(extract, viewer), Referral.id > after)
        .order_by(Referral.id)
        .limit(size)
    )
    lines = []
    for row in db.session.execute(statement):
        (referral_id, case_id, panel_type, panel_name, *values) = row
        reference = case_reference(spec_for(panel_type), case_id) if case_id else None
        lines.append((ExtractLine(referral_id, reference, panel_name, *values), case_id))
    return lines


def extract_people(case_ids: Sequence[int]) -> dict[int, People]:
    """The people of each case, opened with their keys: the victim or subject with their date
    of birth, and the perpetrators or persons of concern by name. A person whose data was
    destroyed under the retention policy is written as such."""
    found: dict[int, People] = {}
    if not case_ids:
        return found
    links = db.session.scalars(
        select(CasePerson)
        .where(CasePerson.case_id.in_(case_ids))
        .order_by(CasePerson.case_id, CasePerson.id)
    ).all()
    subjects: dict[int, tuple[str, date | None]] = {}
    others: dict[int, list[str]] = {}
    for link in links:
        person = link.person
        if person.content_destroyed:
            name, born = "(destroyed under the retention policy)", None
        else:
            name, born = person.full_name, person.date_of_birth
        if link.role in SUBJECT_ROLES:
            subjects.setdefault(link.case_id, (name, born))
        elif link.role in (CaseRole.PERPETRATOR, CaseRole.PERSON_OF_CONCERN):
            others.setdefault(link.case_id, []).append(name)
    for case_id in case_ids:
        name, born = subjects.get(case_id, ("", None))
        found[case_id] = People(name, born, "; ".join(others.get(case_id, [])))
    return found
