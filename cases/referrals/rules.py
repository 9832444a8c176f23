"""Reading a referral's answers and the rules a submission must meet (domain §2.3, §2.4, §2.9,
§3.3): who may be referred, which criteria hold, how risk is scored; the ages the SafeLives
return counts (§2.10); and whether a referral repeats an earlier one of its case (§2.10.1).
Pure reads, no changes."""

from __future__ import annotations

import json
from collections.abc import Collection
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from cases.models import Case
from cases.models import CaseRole
from cases.people.services import Identity
from cases.queries import months_after
from cases.queries import months_before
from cases.referrals.models import AgeBand
from cases.referrals.models import Referral
from panels.instruments.dash import dash_yes_count
from panels.settings import PanelSettings
from panels.types import spec_for
from panels.types.common import WINDOW_OPENING_STATUSES
from panels.types.common import Criterion
from panels.types.common import FormSection
from panels.types.common import PanelType
from panels.types.common import RiskTool


def answers_of(referral: Referral) -> dict[str, Any]:
    """Everything typed into the referral, by section name."""
    return dict(json.loads(referral.answers or "{}"))


def people_of(referral: Referral) -> list[dict[str, Any]]:
    return list(answers_of(referral).get(FormSection.PEOPLE.value, {}).get("people", []))


def identity_of(entry: dict[str, Any], safety: dict[str, Any] | None = None) -> Identity:
    """A referred person's entry as the identity a Person record is made from; the victim's
    carries the referral's safe-contact answers, which any later contact must check (R14)."""
    safety = safety or {}
    return Identity(
        given_names=entry.get("given_names", ""),
        family_name=entry.get("family_name", ""),
        date_of_birth=optional_date(entry.get("date_of_birth")),
        aliases=tuple(entry.get("aliases", [])),
        other_birth_dates=tuple(
            d for d in map(optional_date, entry.get("other_birth_dates", [])) if d
        ),
        address=entry.get("address") or None,
        phone=safety.get("phone") or entry.get("phone") or None,
        contact_safety=contact_safety_of(safety) or None,
    )


def contact_safety_of(safety: dict[str, Any]) -> str:
    """The safe-contact answers as one line each, as the case page shows them."""
    lines = []
    if safety.get("safe_to_call") is not None:
        lines.append("Safe to call" if safety["safe_to_call"] else "NOT safe to call")
    labels = {
        "safe_times": "Safe times",
        "safe_contacts": "Safe to talk to",
        "unsafe_contacts": "Not safe to talk to",
        "afraid_of": "Afraid of",
    }
    lines += [f"{label}: {safety[key]}" for key, label in labels.items() if safety.get(key)]
    return "\n".join(lines)


def optional_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def age_on(born: date, day: date) -> int:
    """Age in whole years on `day`, a birthday counting on the day itself. Someone born on
    29 February turns a year older on 1 March in years without one."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def completed_sections(referral: Referral) -> set[FormSection]:
    answers = answers_of(referral)
    done = {section for section in referral.panel.spec.sections if section.value in answers}
    if not any(p.get("role") == CaseRole.VICTIM.value for p in people_of(referral)):
        done.discard(FormSection.PEOPLE)
    return done


def problems_with(referral: Referral) -> list[tuple[FormSection, str]]:
    """Everything that stops the referral being submitted, by section, in task-list order."""
    spec = referral.panel.spec
    answers = answers_of(referral)
    problems = [
        (section, f"Complete the section ‘{section.label}’")
        for section in spec.sections
        if section not in completed_sections(referral)
    ]
    if problems:
        return problems
    referred_on = date.fromisoformat(answers["about"]["referred_on"])
    problems += [(FormSection.PEOPLE, m) for m in _people_problems(referral, referred_on)]
    problems += [(FormSection.REASONS, m) for m in _criteria_problems(referral)]
    problems += [(FormSection.CONSENT, m) for m in _consent_problems(answers)]
    return problems


def _people_problems(referral: Referral, referred_on: date) -> list[str]:
    spec = referral.panel.spec
    people = people_of(referral)
    victims = [p for p in people if p.get("role") == CaseRole.VICTIM.value]
    problems = []
    if len(victims) != 1:
        problems.append("A referral is about one victim: add exactly one")
    if spec.needs_perpetrator and not any(
        p.get("role") == CaseRole.PERPETRATOR.value for p in people
    ):
        problems.append("Add the perpetrator: a MARAC case is a victim and their perpetrator(s)")
    minimum = spec.minimum_victim_age
    if minimum is None:
        return problems
    for victim in victims:
        age = victim_age(victim, referred_on)
        if age is not None and age < minimum:
            problems.append(spec.under_age_message)
    # Domestic abuse under the 2021 Act needs both people to be 16 or over (E15).
    perpetrators = [p for p in people if p.get("role") == CaseRole.PERPETRATOR.value]
    for perpetrator in perpetrators:
        age = victim_age(perpetrator, referred_on)
        if age is not None and age < minimum:
            name = f"{perpetrator.get('given_names', '')} {perpetrator.get('family_name', '')}"
            problems.append(
                f"{name.strip() or 'The perpetrator'} is under {minimum}: abuse by a child is a "
                "safeguarding matter for children’s social care, not MARAC"
            )
    return problems


def victim_age(victim: dict[str, Any], on: date) -> int | None:
    """A referred person's age at the referral date (E54): from the date of birth, else the
    age given."""
    born = optional_date(victim.get("date_of_birth"))
    if born is not None:
        return age_on(born, on)
    age = victim.get("age")
    return int(age) if age not in (None, "") else None


def _criteria_problems(referral: Referral) -> list[str]:
    answers = answers_of(referral)
    settings = referral.panel.settings
    reasons = answers["reasons"]
    criteria = set(effective_criteria(referral))
    problems = []
    if not criteria:
        problems.append("Select at least one reason for referral")
    if Criterion.PROFESSIONAL_JUDGEMENT in criteria and not reasons.get("judgement_reasons"):
        problems.append("Explain the concerns behind your professional judgement")
    if Criterion.POTENTIAL_ESCALATION in criteria:
        incidents = reasons.get("escalation_incidents") or 0
        if incidents < settings.escalation_incidents:
            problems.append(
                f"Potential escalation needs {settings.escalation_incidents} or more incidents "
                f"in 12 months: you entered {incidents}"
            )
    risk = answers.get(FormSection.RISK.value, {})
    if Criterion.VISIBLE_HIGH_RISK in criteria and risk.get("tool") == RiskTool.DASH.value:
        count = dash_yes_count(risk.get("items", []))
        if count < settings.dash_threshold:
            problems.append(
                f"Visible high risk needs {settings.dash_threshold} or more ‘yes’ answers on the "
                f"risk checklist: it has {count}. Choose professional judgement and say why instead"
            )
    dara = risk.get("tool") == "dara"
    if Criterion.VISIBLE_HIGH_RISK in criteria and dara and risk.get("grade") != "high":
        problems.append("Visible high risk from a DARA assessment needs a grade of high")
    return problems


def effective_criteria(referral: Referral) -> list[Criterion]:
    """The criteria chosen, plus visible high risk whenever the checklist reaches the threshold:
    professional judgement can refer below it but never downgrade at or above it (E13)."""
    answers = answers_of(referral)
    chosen = [Criterion(c) for c in answers.get("reasons", {}).get("criteria", [])]
    risk = answers.get(FormSection.RISK.value, {})
    if (
        Criterion.VISIBLE_HIGH_RISK in referral.panel.spec.criteria
        and risk.get("tool") == RiskTool.DASH.value
        and dash_yes_count(risk.get("items", [])) >= referral.panel.settings.dash_threshold
        and Criterion.VISIBLE_HIGH_RISK not in chosen
    ):
        chosen.insert(0, Criterion.VISIBLE_HIGH_RISK)
    return chosen


def _consent_problems(answers: dict[str, Any]) -> list[str]:
    """Lack of consent does not block a referral, but it must be justified (E18)."""
    consent = answers.get(FormSection.CONSENT.value, {})
    problems = []
    if consent.get("consent_given") is False and not consent.get("justification"):
        problems.append("Explain why the information is shared without the victim’s consent")
    if consent.get("victim_aware") is False and not consent.get("not_aware_reason"):
        problems.append("Say why the victim does not know about the referral")
    return problems


# Ages for the SafeLives return (domain §2.10, E8, E50) ------------------------------------------

YOUNGEST_ADULT = 18


def band_at(age: int) -> AgeBand:
    if age < 0:  # born after the day: not an age at all
        return AgeBand.NOT_KNOWN
    if age < 16:
        return AgeBand.UNDER_16
    return AgeBand.SIXTEEN_SEVENTEEN if age < YOUNGEST_ADULT else AgeBand.EIGHTEEN_PLUS


def band_of(ages: Collection[int]) -> AgeBand:
    """The band all the candidate ages share; not known when there is none or they straddle
    two bands (an uncertain date of birth, E50)."""
    bands = {band_at(age) for age in ages}
    return bands.pop() if len(bands) == 1 else AgeBand.NOT_KNOWN


def age_band_on(birth_dates: Sequence[date], day: date) -> AgeBand:
    """The band every candidate date of birth puts the person in on `day` (E50)."""
    return band_of([age_on(born, day) for born in birth_dates])


def birth_dates_of(entry: dict[str, Any]) -> list[date]:
    """A referred person's date of birth and the other dates recorded for them (E50)."""
    recorded = [entry.get("date_of_birth"), *entry.get("other_birth_dates", [])]
    return [d for d in map(optional_date, recorded) if d]


def possible_ages(entry: dict[str, Any], day: date) -> list[int]:
    """Every age the entry allows on `day`: one per recorded date of birth, else the age the
    referrer gave (as `victim_age` reads it, E54), else none."""
    births = birth_dates_of(entry)
    if births:
        return [age_on(born, day) for born in births]
    stated = entry.get("age")
    return [int(stated)] if stated not in (None, "") else []


def victim_age_band(entries: Sequence[dict[str, Any]], day: date) -> AgeBand:
    """The victim's band on the referral date; not known without exactly one victim."""
    victims = [e for e in entries if e.get("role") == CaseRole.VICTIM.value]
    return band_of(possible_ages(victims[0], day)) if len(victims) == 1 else AgeBand.NOT_KNOWN


def young_perpetrators(entries: Sequence[dict[str, Any]], day: date) -> int:
    """Perpetrators certainly 17 or under on `day`: every candidate age agrees (E50). One
    whose age is not known, or whose dates of birth straddle 18, is not counted."""
    return sum(
        1
        for entry in entries
        if entry.get("role") == CaseRole.PERPETRATOR.value
        and (ages := possible_ages(entry, day))
        and all(0 <= age < YOUNGEST_ADULT for age in ages)
    )


def latest_referral(case: Case) -> Referral | None:
    made = [r for r in case.referrals if r.referred_on is not None]
    return max(made, key=lambda r: (r.referred_on, r.id), default=None)


# Repeats (domain §2.10.1) -----------------------------------------------------------------------
#
# A referral is a repeat when it falls within the panel's window (12 months by default) of the
# case's *last* referral that was accepted: the window is anchored on the most recent such
# referral and each repeat moves it on (E1). Rejected or returned referrals open no window.
# Later than the window it is a new referral, with the history still shown (E5). Where the type's
# repeat rule counts (Community MARAC), the referral is a repeat when, with it, the case has
# `repeat_count` accepted referrals within the window.


def flag_expires_on(last_referred_on: date, window_months: int) -> date:
    """The last day a further referral counts as a repeat (inclusive, calendar months)."""
    return months_after(last_referred_on, window_months)


def within_window(previous: date, new: date, window_months: int) -> bool:
    return previous <= new <= flag_expires_on(previous, window_months)


@dataclass(frozen=True)
class RepeatFinding:
    """Whether a referral repeats an earlier one of its case, and which."""

    repeat_of: Referral | None
    flag_expires_on: date

    @property
    def is_repeat(self) -> bool:
        return self.repeat_of is not None


def assess_repeat(
    earlier: Sequence[Referral], referred_on: date, panel_type: PanelType, settings: PanelSettings
) -> RepeatFinding:
    """Judge a referral made on `referred_on` against its case's earlier referrals. Each
    earlier referral's window runs from `window_opened_on` (E1; a transfer's from the
    referral it came from, E9)."""
    opened = sorted(
        (
            (r.window_opened_on, r)
            for r in earlier
            if r.status in WINDOW_OPENING_STATUSES and r.window_opened_on is not None
        ),
        key=lambda pair: (pair[0], pair[1].id),
    )
    opened = [(day, r) for day, r in opened if day <= referred_on]
    expiry = flag_expires_on(referred_on, settings.repeat_window_months)
    if not opened:
        return RepeatFinding(None, expiry)
    last_opened_on, last = opened[-1]
    if spec_for(panel_type).repeat_rule.counted:
        start = months_before(referred_on, settings.repeat_window_months)
        recent = [r for day, r in opened if day >= start]
        needed = settings.repeat_count - 1
        return RepeatFinding(last if len(recent) >= needed else None, expiry)
    if within_window(last_opened_on, referred_on, settings.repeat_window_months):
        return RepeatFinding(last, expiry)
    return RepeatFinding(None, expiry)
