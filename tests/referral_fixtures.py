"""Building blocks for referral tests: panels, members and complete synthetic answers."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from cases.referrals import services as referrals
from cases.referrals.models import Referral
from panels.models import Area
from panels.models import IspAgreement
from panels.models import IspSignatory
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.types.common import FormSection
from panels.types.common import MeetingCadence
from panels.types.common import PanelType

VICTIM_BORN = date(1988, 5, 14)
PERPETRATOR_BORN = date(1985, 2, 2)


def panel(
    area: str, panel_type: PanelType = PanelType.MARAC, *, area_obj: Area | None = None
) -> Panel:
    made = Panel(
        area=area_obj or Area(name=area),
        name=f"{area} {panel_type.value}",
        panel_type=panel_type,
        meeting_cadence=MeetingCadence.MONTHLY,
    )
    db.session.add(made)
    db.session.flush()
    return made


def member(panel: Panel, user: User, role: PanelRole) -> None:
    """Put the user on the panel, their organisation signing its ISP first if need be (R1)."""
    db.session.add(user)
    db.session.flush()  # a new user's organisation gets its id
    sign_isp(panel, user.organisation_id)
    db.session.add(PanelMembership(panel=panel, user=user, role=role))
    db.session.flush()


def sign_isp(
    panel: Panel,
    *organisation_ids: int,
    signed_on: date = date(2020, 1, 1),
    review_on: date = date(2099, 12, 31),
) -> IspAgreement:
    """The panel's ISP (version 1, in force since 2020, made if missing), signed by each of
    the organisations that has not signed it yet."""
    agreement = db.session.scalar(select(IspAgreement).where(IspAgreement.panel_id == panel.id))
    if agreement is None:
        agreement = IspAgreement(panel=panel, version="1", in_force_from=date(2020, 1, 1))
        db.session.add(agreement)
        db.session.flush()
    signed = {s.organisation_id for s in agreement.signatories}
    for organisation_id in organisation_ids:
        if organisation_id not in signed:
            agreement.signatories.append(
                IspSignatory(
                    organisation_id=organisation_id, signed_on=signed_on, review_on=review_on
                )
            )
            signed.add(organisation_id)
    db.session.flush()
    return agreement


def sign_for_members() -> None:
    """Every panel's ISP signed by the organisations of the people already sitting on it."""
    pairs = db.session.execute(
        select(PanelMembership.panel_id, User.organisation_id)
        .join(User, User.id == PanelMembership.user_id)
        .distinct()
    ).all()
    for panel_id, organisation_id in pairs:
        sign_isp(db.session.get_one(Panel, panel_id), organisation_id)


def person(role: str, given: str, family: str, born: date | None, **extra: Any) -> dict[str, Any]:
    return {
        "role": role,
        "given_names": given,
        "family_name": family,
        "date_of_birth": born.isoformat() if born else None,
        "aliases": [],
        "other_birth_dates": [],
        **extra,
    }


def victim(
    given: str = "Wren", family: str = "Talbothay", born: date | None = VICTIM_BORN, **extra: Any
) -> dict[str, Any]:
    return person("victim", given, family, born, **extra)


def perpetrator(
    given: str = "Corin", family: str = "Maddox", born: date | None = PERPETRATOR_BORN
) -> dict[str, Any]:
    return person("perpetrator", given, family, born, relationship="Ex-partner")


def dash(yes: int) -> list[dict[str, str]]:
    """A DASH checklist with `yes` explicit yeses, the rest alternating "no" and "not known"."""
    return [
        {
            "answer": "yes" if i < yes else ("no" if i % 2 else "not_known"),
            "source": "victim",
            "comment": "",
        }
        for i in range(24)
    ]


def marac_answers(
    *,
    referred_on: date,
    people: list[dict[str, Any]] | None = None,
    criteria: tuple[str, ...] = ("visible_high_risk",),
    yes: int = 15,
    **reasons: Any,
) -> dict[FormSection, dict[str, Any]]:
    return {
        FormSection.ABOUT: {
            "referred_on": referred_on.isoformat(),
            "referrer_phone": "01632 960001",
        },
        FormSection.PEOPLE: {"people": people or [victim(), perpetrator()]},
        FormSection.SAFETY: {"safe_to_call": True, "safe_times": "Weekday mornings"},
        FormSection.DIVERSITY: {
            "gender": "female",
            "minoritised": "not_known",
            "disabled": "no",
            "lgbt": "not_known",
        },
        FormSection.REASONS: {"criteria": list(criteria), **reasons},
        FormSection.RISK: {"tool": "dash", "items": dash(yes), "with_victim": True},
        FormSection.CONSENT: {"consent_given": True, "victim_aware": True},
    }


def draft(actor: User, on: Panel, answers: dict[FormSection, dict[str, Any]]) -> Referral:
    referral = referrals.start_referral(actor=actor, panel=on)
    for section, data in answers.items():
        if section in on.spec.sections:
            referrals.save_section(referral, actor=actor, section=section, data=data)
    return referral


def submitted(actor: User, on: Panel, answers: dict[FormSection, dict[str, Any]]) -> Referral:
    return referrals.submit_referral(draft(actor, on, answers), actor=actor)
