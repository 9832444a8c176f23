"""Building blocks for referral tests: panels, members and complete synthetic answers."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.accounts.models import User
from app.database import db
from cases import referrals
from cases.models import Referral
from panels.models import Area
from panels.models import MeetingCadence
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.models import PanelType
from panels.registry import FormSection

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
    db.session.add(PanelMembership(panel=panel, user=user, role=role))
    db.session.flush()


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
