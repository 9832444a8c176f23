"""Synthetic ASB Case Review applications on each Community MARAC panel, at different steps:
one just received, one below the threshold and appealed, one reviewed with an action plan.
Fixed dates and made-up people, so every demo is the same; each step is recorded on its day."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import select

from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import db
from cases.asb import services
from cases.asb.models import Applicant
from cases.asb.models import CaseReviewApplication
from cases.asb.models import Incident
from cases.asb.services import ApplicationDetails
from cases.asb.services import NewIncident
from demo.clock import happened_at
from demo.clock import uk_time
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.types.common import PanelType

# The police, the housing provider and the panel's own council (named by its area).
AGENCIES = ("Metropolitan Police – East Area", "Eastside Homes", "{area} Council Community Safety")


def reviews_are_empty() -> bool:
    return not db.session.scalar(select(func.count(CaseReviewApplication.id)))


def seed() -> int:
    """Add the demo applications (the caller commits); returns how many."""
    count = 0
    panels = select(Panel).where(Panel.panel_type == PanelType.COMMUNITY_MARAC).order_by(Panel.id)
    for panel in db.session.scalars(panels):
        coordinator = _coordinator(panel)
        names = [name.format(area=panel.area.name) for name in AGENCIES]
        agencies = db.session.scalars(select(Organisation).where(Organisation.name.in_(names)))
        known = sorted(agencies, key=lambda agency: names.index(agency.name))
        if coordinator is None or len(known) < len(AGENCIES):
            continue
        _received(panel, coordinator)
        _appealed(panel, coordinator, known)
        _reviewed(panel, coordinator, known)
        count += 3
    return count


def _apply(
    panel: Panel, actor: User, received_on: date, **details: object
) -> CaseReviewApplication:
    values: dict[str, object] = {
        "received_on": received_on,
        "applicant": Applicant.VICTIM,
        "applicant_name": "Sam Ashdown",
        "applicant_contact": "07700 900418, after 4pm",  # Ofcom's drama range: never a real line
        "victim_name": "",
        "victim_consented": False,
        "description": "Noise, threats and damage to the front door by a neighbour.",
    }
    return services.receive_application(
        actor=actor,
        panel=panel,
        details=ApplicationDetails(**(values | details)),  # type: ignore[arg-type]
    )


def _received(panel: Panel, actor: User) -> None:
    with _on(date(2026, 11, 23)):
        _apply(
            panel,
            actor,
            date(2026, 11, 23),
            applicant=Applicant.THIRD_PARTY,
            applicant_name="Priya Northcott (support worker)",
            victim_name="Tomasz Kestrel",
            victim_consented=True,
            description="Groups gathering outside the flat and shouting abuse late at night.",
        )


def _appealed(panel: Panel, actor: User, agencies: list[Organisation]) -> None:
    with _on(date(2026, 6, 1)):  # the complaints are recorded as the application comes in
        application = _apply(panel, actor, date(2026, 6, 1))
        incident = _complain(application, actor, agencies[0], date(2026, 5, 2), date(2026, 5, 3))
        services.add_complaint(
            application,
            actor=actor,
            agency=agencies[1],
            complained_on=date(2026, 5, 6),
            incident=incident,
        )
    with _on(date(2026, 6, 3)):
        services.acknowledge(application, actor=actor, on=date(2026, 6, 3))
    with _on(date(2026, 6, 15)):
        services.decide_threshold(
            application,
            actor=actor,
            on=date(2026, 6, 15),
            met=False,
            reason="One incident, reported to two agencies: it counts once against a threshold "
            "of 3.",
        )
    with _on(date(2026, 6, 22)):
        services.request_appeal(
            application,
            actor=actor,
            on=date(2026, 6, 22),
            grounds="Other incidents went unreported.",
        )


def _reviewed(panel: Panel, actor: User, agencies: list[Organisation]) -> None:
    with _on(date(2026, 3, 16)):
        application = _apply(panel, actor, date(2026, 3, 16), applicant_name="Leila Rosslyn")
        for number, agency in enumerate(agencies):
            behaviour = date(2026, 1, 5) + timedelta(days=14 * number)
            _complain(application, actor, agency, behaviour, behaviour + timedelta(days=1))
    with _on(date(2026, 3, 18)):
        services.acknowledge(application, actor=actor, on=date(2026, 3, 18))
    with _on(date(2026, 3, 27)):
        services.decide_threshold(
            application, actor=actor, on=date(2026, 3, 27), met=True, reason="Three incidents."
        )
    with _on(date(2026, 4, 14)):
        services.record_review_meeting(application, actor=actor, on=date(2026, 4, 14))
    with _on(date(2026, 4, 21)):
        services.record_outcome(
            application,
            actor=actor,
            on=date(2026, 4, 21),
            recommendations_made=True,
            action_plan="Housing to fit a door camera within 14 days; police to visit weekly for "
            "six weeks; community safety to review in two months.",
        )


def _on(day: date) -> AbstractContextManager[None]:
    """Recorded that day, in the coordinator's morning."""
    return happened_at(uk_time(day, 10))


def _complain(
    application: CaseReviewApplication, actor: User, agency: Organisation, behaviour: date, on: date
) -> Incident:
    complaint = services.add_complaint(
        application,
        actor=actor,
        agency=agency,
        complained_on=on,
        new_incident=NewIncident(behaviour, "Shouting and banging at the door at night."),
    )
    return complaint.incident


def _coordinator(panel: Panel) -> User | None:
    return db.session.scalar(
        select(User)
        .join(PanelMembership, PanelMembership.user_id == User.id)
        .where(PanelMembership.panel_id == panel.id, PanelMembership.role == PanelRole.COORDINATOR)
        .order_by(User.id)
    )
