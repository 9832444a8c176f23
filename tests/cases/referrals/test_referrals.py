"""Referral rules, screening, repeat detection, listing and transfer (domain §2.3 to §2.10, §3.3,
§3.7), each rule named by its edge case where the domain reference numbers it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app.accounts.models import AgencyType
from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import db
from app.errors import DomainError
from cases.models import Case
from cases.models import CasePerson
from cases.models import CaseRole
from cases.people.queries import MatchStrength
from cases.people.queries import suggest_people
from cases.queries import months_after
from cases.referrals import services as referrals
from cases.referrals.models import Referral
from cases.referrals.rules import answers_of
from cases.referrals.rules import assess_repeat
from cases.referrals.rules import within_window
from cases.referrals.services import ReferralIncomplete
from cases.sharing.models import ConsentStatus
from cases.sharing.models import LawfulBasis
from panels import services as panel_services
from panels.instruments.dash import dash_yes_count
from panels.models import Panel
from panels.models import PanelRole
from panels.settings import PanelSettings
from panels.types.common import FormSection
from panels.types.common import PanelType
from panels.types.common import ReferralStatus
from panels.types.common import RepeatDefinition
from panels.types.common import RiskLevel
from tests.conftest import Accounts
from tests.referral_fixtures import PERPETRATOR_BORN
from tests.referral_fixtures import VICTIM_BORN
from tests.referral_fixtures import draft
from tests.referral_fixtures import marac_answers
from tests.referral_fixtures import member
from tests.referral_fixtures import panel
from tests.referral_fixtures import perpetrator
from tests.referral_fixtures import submitted
from tests.referral_fixtures import victim

TODAY = date(2026, 11, 20)


@dataclass
class World:
    rep: User
    coordinator: User
    marac: Panel
    other_area_marac: Panel
    community: Panel


@pytest.fixture
def world(app: Flask, accounts: Accounts) -> Iterator[World]:
    rep = accounts.user("rep@test.example", organisation="Holloway Lane IDVA Service")
    coordinator = accounts.user("coord@test.example", organisation="Thornbury Community Safety")
    with app.test_request_context():
        marac = panel("Thornbury")
        community = panel("Thornbury", PanelType.COMMUNITY_MARAC, area_obj=marac.area)
        other = panel("Eastmere")
        rep_user, coord_user = db.session.get(User, rep.id), db.session.get(User, coordinator.id)
        assert rep_user
        assert coord_user
        for on in (marac, community):
            member(on, rep_user, PanelRole.REPRESENTATIVE)
            member(on, coord_user, PanelRole.COORDINATOR)
        member(other, coord_user, PanelRole.COORDINATOR)
        db.session.commit()
        yield World(rep_user, coord_user, marac, other, community)


def accept(world: World, referral: Referral, matches: list[int | None] | None = None) -> Case:
    entries = answers_of(referral)["people"]["people"]
    chosen = matches if matches is not None else [None] * len(entries)
    return referrals.accept_referral(
        referral, actor=world.coordinator, matches=chosen, today=TODAY
    ).case


def refer_again(
    world: World,
    first_case: Case,
    on: date,
    *,
    criteria: tuple[str, ...] = ("repeat",),
    yes: int = 3,
) -> Referral:
    """A further referral about the same two people, matched to them at screening."""
    links = {link.role: link.person_id for link in first_case.people}
    referral = submitted(
        world.rep, world.marac, marac_answers(referred_on=on, criteria=criteria, yes=yes)
    )
    accept(world, referral, [links[CaseRole.VICTIM], links[CaseRole.PERPETRATOR]])
    return referral


def onward(world: World) -> dict[str, Any]:
    """The sharing decision a transfer records (R7, R8): the referring agency agreed."""
    return {
        "lawful_basis": LawfulBasis.PUBLIC_TASK_SAFEGUARDING,
        "consent": ConsentStatus.NOT_SOUGHT_UNSAFE,
        "agreements": {world.rep.organisation_id: True},
    }


def first_case(world: World, on: date = date(2025, 1, 10)) -> tuple[Referral, Case]:
    referral = submitted(world.rep, world.marac, marac_answers(referred_on=on))
    return referral, accept(world, referral)


def problems(referral: Referral) -> list[str]:
    with pytest.raises(ReferralIncomplete) as refused:
        referrals.submit_referral(referral, actor=referral.referrer)
    return [message for _, message in refused.value.problems]


# Eligibility (domain §2.3) ------------------------------------------------------------------


def test_e15_a_victim_under_16_is_refused_with_a_pointer_to_childrens_safeguarding(
    world: World,
) -> None:
    fifteen = victim(born=date(2011, 1, 1))
    referral = draft(
        world.rep, world.marac, marac_answers(referred_on=TODAY, people=[fifteen, perpetrator()])
    )
    assert any("children’s social care" in p for p in problems(referral))
    assert referral.status is ReferralStatus.DRAFT


def test_e54_age_is_taken_at_the_referral_date(world: World) -> None:
    """A victim who turns 16 the day after the referral date is still refused; on the
    birthday itself they are accepted."""
    born = date(2010, 11, 21)
    for referred_on, refused in ((date(2026, 11, 20), True), (date(2026, 11, 21), False)):
        answers = marac_answers(referred_on=referred_on, people=[victim(born=born), perpetrator()])
        referral = draft(world.rep, world.marac, answers)
        if refused:
            assert problems(referral)
        else:
            assert (
                referrals.submit_referral(referral, actor=world.rep).status
                is ReferralStatus.SUBMITTED
            )


def test_e50_a_victim_without_a_date_of_birth_is_judged_by_the_age_given(world: World) -> None:
    young = victim(born=None, age=15)
    answers = marac_answers(referred_on=TODAY, people=[young, perpetrator()])
    assert problems(draft(world.rep, world.marac, answers))
    adult = victim(born=None, age=34)
    answers = marac_answers(referred_on=TODAY, people=[adult, perpetrator()])
    assert referrals.submit_referral(draft(world.rep, world.marac, answers), actor=world.rep)


def test_a_marac_referral_needs_exactly_one_victim_and_a_perpetrator(world: World) -> None:
    answers = marac_answers(referred_on=TODAY, people=[victim()])
    assert any("perpetrator" in p for p in problems(draft(world.rep, world.marac, answers)))
    answers = marac_answers(referred_on=TODAY, people=[victim(), victim("Ada"), perpetrator()])
    assert any("one victim" in p for p in problems(draft(world.rep, world.marac, answers)))


def test_every_section_must_be_completed_before_submitting(world: World) -> None:
    referral = referrals.start_referral(actor=world.rep, panel=world.marac)
    found = problems(referral)
    assert len(found) == len(world.marac.spec.sections)


# Criteria and DASH (domain §2.3, §2.4) --------------------------------------------------------


def test_e12_only_an_explicit_yes_counts() -> None:
    items = [{"answer": a} for a in ("yes", "no", "not_known", "", "yes")] + [{}]
    assert dash_yes_count(items) == 2


def test_e13_a_checklist_at_the_threshold_adds_visible_high_risk_whatever_was_chosen(
    world: World,
) -> None:
    answers = marac_answers(
        referred_on=TODAY, criteria=("professional_judgement",), yes=14, judgement_reasons="Threats"
    )
    referral = submitted(world.rep, world.marac, answers)
    assert referral.criteria == ["visible_high_risk", "professional_judgement"]
    assert (referral.risk_score, referral.risk_level) == (14, RiskLevel.HIGH)


def test_e13_visible_high_risk_below_the_threshold_is_refused(world: World) -> None:
    referral = draft(world.rep, world.marac, marac_answers(referred_on=TODAY, yes=13))
    assert any("14 or more" in p and "it has 13" in p for p in problems(referral))


def test_e13_professional_judgement_refers_below_the_threshold_with_reasons(world: World) -> None:
    no_reasons = marac_answers(referred_on=TODAY, criteria=("professional_judgement",), yes=6)
    assert any(
        "professional judgement" in p for p in problems(draft(world.rep, world.marac, no_reasons))
    )
    reasons = marac_answers(
        referred_on=TODAY, criteria=("professional_judgement",), yes=6, judgement_reasons="Stalking"
    )
    referral = submitted(world.rep, world.marac, reasons)
    assert (referral.risk_score, referral.risk_level) == (6, RiskLevel.HIGH)


def test_e13_a_referral_at_or_above_the_threshold_cannot_be_rejected(world: World) -> None:
    referral = submitted(world.rep, world.marac, marac_answers(referred_on=TODAY, yes=16))
    with pytest.raises(DomainError, match="cannot be rejected"):
        referrals.reject_referral(referral, actor=world.coordinator, reason="Not high risk")
    assert referral.status is ReferralStatus.SUBMITTED


def test_the_threshold_is_the_panels_local_setting(world: World) -> None:
    world.marac.local_settings = PanelSettings(dash_threshold=12).to_json()
    referral = submitted(world.rep, world.marac, marac_answers(referred_on=TODAY, yes=12))
    assert "visible_high_risk" in (referral.criteria or [])


def test_e14_a_police_dara_grade_needs_no_dash_score(world: World) -> None:
    answers = marac_answers(referred_on=TODAY)
    answers[FormSection.RISK] = {"tool": "dara", "grade": "high"}
    referral = submitted(world.rep, world.marac, answers)
    assert (referral.risk_tool, referral.risk_score, referral.risk_level) == (
        None,
        None,
        RiskLevel.HIGH,
    )
    assert referral.assessments == []


def test_e56_potential_escalation_needs_the_local_number_of_incidents(world: World) -> None:
    two = marac_answers(
        referred_on=TODAY, criteria=("potential_escalation",), yes=4, escalation_incidents=2
    )
    assert any("3 or more incidents" in p for p in problems(draft(world.rep, world.marac, two)))
    world.marac.local_settings = PanelSettings(escalation_incidents=2).to_json()
    assert submitted(world.rep, world.marac, two).status is ReferralStatus.SUBMITTED


def test_a_referral_needs_at_least_one_reason(world: World) -> None:
    answers = marac_answers(referred_on=TODAY, criteria=(), yes=3)
    assert "Select at least one reason for referral" in problems(
        draft(world.rep, world.marac, answers)
    )


def test_the_dash_answers_are_kept_item_by_item_with_their_version(world: World) -> None:
    referral = submitted(world.rep, world.marac, marac_answers(referred_on=TODAY, yes=15))
    (assessment,) = referral.assessments
    assert assessment.score == 15
    assert "24 questions" in assessment.instrument_version
    assert '"not_known"' in (assessment.items or "")


# Consent (domain §2.11) -----------------------------------------------------------------------


def test_e18_no_consent_is_allowed_but_must_be_justified(world: World) -> None:
    answers = marac_answers(referred_on=TODAY)
    answers[FormSection.CONSENT] = {"consent_given": False, "victim_aware": False}
    found = problems(draft(world.rep, world.marac, answers))
    assert any("without the victim’s consent" in p for p in found)
    assert any("does not know" in p for p in found)
    answers[FormSection.CONSENT] |= {
        "justification": "Risk of serious harm",
        "not_aware_reason": "Unsafe to contact",
    }
    referral = submitted(world.rep, world.marac, answers)
    assert (referral.consent_given, referral.victim_aware) == (False, False)


def test_e8_not_known_diversity_answers_stay_distinct_from_no(world: World) -> None:
    referral = submitted(world.rep, world.marac, marac_answers(referred_on=TODAY))
    assert (referral.victim_disabled, referral.victim_minoritised) == ("no", "not_known")


def test_a_submitted_referral_can_no_longer_be_edited(world: World) -> None:
    referral = submitted(world.rep, world.marac, marac_answers(referred_on=TODAY))
    with pytest.raises(DomainError, match="can no longer be changed"):
        referrals.save_section(referral, actor=world.rep, section=FormSection.ABOUT, data={})


def test_a_returned_referral_is_edited_and_submitted_again(world: World) -> None:
    referral = submitted(world.rep, world.marac, marac_answers(referred_on=TODAY))
    referrals.return_referral(referral, actor=world.coordinator, reason="Add the children")
    assert referral.decision_reason == "Add the children"
    referrals.save_section(
        referral, actor=world.rep, section=FormSection.ABOUT, data={"referred_on": "2026-11-21"}
    )
    referrals.submit_referral(referral, actor=world.rep)
    assert (referral.status, referral.referred_on) == (ReferralStatus.SUBMITTED, date(2026, 11, 21))


def test_screening_decisions_need_a_reason_and_a_legal_transition(world: World) -> None:
    referral = submitted(
        world.rep, world.marac, marac_answers(referred_on=TODAY, yes=4, criteria=("repeat",))
    )
    with pytest.raises(DomainError, match="Enter the reason"):
        referrals.reject_referral(referral, actor=world.coordinator, reason="  ")
    referrals.reject_referral(referral, actor=world.coordinator, reason="Outside the area")
    with pytest.raises(DomainError, match="cannot be accepted"):
        accept(world, referral)
    with pytest.raises(DomainError, match="cannot be returned"):
        referrals.return_referral(referral, actor=world.coordinator, reason="More")


# Cases and repeats (domain §2.5, §2.10.1) ------------------------------------------------------


def test_accepting_a_first_referral_opens_a_case_with_both_people(world: World) -> None:
    referral, case = first_case(world)
    roles = sorted(link.role.value for link in case.people)
    assert roles == ["perpetrator", "victim"]
    assert (referral.status, referral.is_repeat, case.referral_count) == (
        ReferralStatus.ACCEPTED,
        False,
        1,
    )
    assert case.flag_expires_on == date(2026, 1, 10)


def test_e1_e3_a_further_referral_within_12_months_is_a_repeat_whatever_its_risk(
    world: World,
) -> None:
    first, case = first_case(world, date(2025, 1, 10))
    again = refer_again(world, case, date(2025, 12, 1), yes=2)
    assert again.case_id == case.id
    assert (again.is_repeat, again.repeat_of_id, again.status) == (
        True,
        first.id,
        ReferralStatus.ACCEPTED,
    )
    assert (case.is_repeat, case.referral_count, case.flag_expires_on) == (
        True,
        2,
        date(2026, 12, 1),
    )


def test_e1_the_window_is_anchored_on_the_last_referral_and_rolls(world: World) -> None:
    _, case = first_case(world, date(2024, 1, 10))
    second = refer_again(world, case, date(2024, 11, 1))
    third = refer_again(world, case, date(2025, 10, 1))  # 21 months after the first
    assert (third.is_repeat, third.repeat_of_id) == (True, second.id)


def test_e1_the_window_includes_its_last_day_and_not_the_day_after(world: World) -> None:
    _, case = first_case(world, date(2025, 1, 10))
    assert refer_again(world, case, date(2026, 1, 10)).is_repeat
    _, other = first_case(world, date(2023, 3, 1))
    # A different victim and perpetrator would make a new case: reuse the first case's people.
    assert not refer_again(world, other, date(2024, 3, 2)).is_repeat


def test_e5_after_12_months_it_is_a_new_referral_in_the_same_case_history(world: World) -> None:
    first, case = first_case(world, date(2023, 1, 10))
    later = refer_again(world, case, date(2024, 6, 1), criteria=("visible_high_risk",), yes=15)
    assert later.case_id == case.id
    assert later.is_repeat is False
    assert [r.id for r in case.referrals] == [first.id, later.id]


def test_rejected_referrals_open_no_repeat_window(world: World) -> None:
    _, case = first_case(world, date(2025, 1, 10))
    links = {link.role: link.person_id for link in case.people}
    rejected = submitted(
        world.rep,
        world.marac,
        marac_answers(referred_on=date(2025, 3, 1), yes=2, criteria=("repeat",)),
    )
    referrals.reject_referral(rejected, actor=world.coordinator, reason="Duplicate")
    # Only the accepted first referral anchors the window.
    later = refer_again(world, case, date(2026, 1, 20))
    assert later.is_repeat is False
    assert links[CaseRole.VICTIM] in {link.person_id for link in case.people}


def test_e2_e52_the_same_victim_with_a_new_perpetrator_is_a_new_case(world: World) -> None:
    _, case = first_case(world)
    victim_id = next(link.person_id for link in case.people if link.role is CaseRole.VICTIM)
    answers = marac_answers(
        referred_on=date(2025, 3, 1),
        people=[victim(), perpetrator("Tobin", "Ashgrove", date(1990, 1, 1))],
    )
    referral = submitted(world.rep, world.marac, answers)
    new_case = accept(world, referral, [victim_id, None])
    assert new_case.id != case.id
    assert referral.is_repeat is False


def test_e2_an_overlapping_perpetrator_set_is_the_same_case(world: World) -> None:
    _, case = first_case(world)
    links = {link.role: link.person_id for link in case.people}
    answers = marac_answers(
        referred_on=date(2025, 4, 1),
        people=[victim(), perpetrator(), perpetrator("Tobin", "Ashgrove", date(1990, 1, 1))],
        criteria=("repeat",),
        yes=1,
    )
    referral = submitted(world.rep, world.marac, answers)
    joined = accept(world, referral, [links[CaseRole.VICTIM], links[CaseRole.PERPETRATOR], None])
    assert joined.id == case.id
    assert referral.is_repeat
    assert sum(1 for link in case.people if link.role is CaseRole.PERPETRATOR) == 2


def test_e10_the_same_person_can_be_victim_in_one_case_and_perpetrator_in_another(
    world: World,
) -> None:
    _, case = first_case(world)
    perpetrator_id = next(
        link.person_id for link in case.people if link.role is CaseRole.PERPETRATOR
    )
    counter = marac_answers(
        referred_on=date(2025, 5, 1),
        people=[
            victim("Corin", "Maddox", PERPETRATOR_BORN),
            perpetrator("Lysa", "Brant", date(1991, 3, 3)),
        ],
    )
    other_case = accept(world, submitted(world.rep, world.marac, counter), [perpetrator_id, None])
    roles = db.session.scalars(
        select(CasePerson.role).where(CasePerson.person_id == perpetrator_id)
    ).all()
    assert sorted(r.value for r in roles) == ["perpetrator", "victim"]
    assert other_case.id != case.id


def test_the_repeat_definition_and_rules_version_are_stored(world: World) -> None:
    world.marac.local_settings = PanelSettings(
        repeat_definition=RepeatDefinition.FURTHER_CRIMINAL_INCIDENT, definitions_version="2019-2"
    ).to_json()
    referral, _ = first_case(world)
    assert (referral.repeat_definition, referral.rules_version) == (
        RepeatDefinition.FURTHER_CRIMINAL_INCIDENT,
        "2019-2",
    )


def test_community_marac_repeats_follow_the_local_count_and_window(world: World) -> None:
    world.community.local_settings = PanelSettings(repeat_count=3, repeat_window_months=6).to_json()
    answers = {
        FormSection.ABOUT: {"referred_on": "2026-01-05"},
        FormSection.PEOPLE: {"people": [victim()]},
        FormSection.SAFETY: {"safe_to_call": True},
        FormSection.REASONS: {"criteria": ["vulnerable_victim"]},
        FormSection.RISK: {
            "tool": "asb_risk_matrix",
            "items": [{"answer": "yes"}] * 3 + [{"answer": "no"}] * 5,
        },
        FormSection.CONSENT: {"consent_given": True, "victim_aware": True},
    }
    first = submitted(world.rep, world.community, answers)
    case = accept(world, first)
    assert (first.risk_score, first.risk_level) == (12, RiskLevel.HIGH)
    victim_id = case.people[0].person_id
    results = []
    for day in ("2026-02-01", "2026-03-01", "2026-12-01"):
        answers[FormSection.ABOUT] = {"referred_on": day}
        referral = submitted(world.rep, world.community, answers)
        accept(world, referral, [victim_id])
        results.append(referral.is_repeat)
    # Second: only one earlier in 6 months (needs 2); third: two earlier; fourth: none recent.
    assert results == [False, True, False]


def test_the_asb_risk_matrix_bands_follow_the_panels_weights(world: World) -> None:
    answers = {
        FormSection.ABOUT: {"referred_on": "2026-01-05"},
        FormSection.PEOPLE: {"people": [victim()]},
        FormSection.SAFETY: {"safe_to_call": True},
        FormSection.REASONS: {"criteria": ["vulnerable_victim"]},
        FormSection.RISK: {
            "tool": "asb_risk_matrix",
            "items": [{"answer": "no"}] * 7 + [{"answer": "yes"}],
        },
        FormSection.CONSENT: {"consent_given": True, "victim_aware": True},
    }
    low = submitted(world.rep, world.community, answers)
    assert (low.risk_score, low.risk_level) == (1, RiskLevel.STANDARD)
    answers[FormSection.RISK]["items"] = (
        [{"answer": "yes"}] + [{"answer": "no"}] * 6 + [{"answer": "yes"}]
    )
    assert submitted(world.rep, world.community, answers).risk_level is RiskLevel.MEDIUM


# Identity matching (E49, E50) --------------------------------------------------------------------


def test_e49_matches_are_suggested_by_alias_other_birth_date_and_changed_family_name(
    world: World,
) -> None:
    known = victim(aliases=["Wren Ashby"], other_birth_dates=["1988-05-15"])
    referral = submitted(
        world.rep, world.marac, marac_answers(referred_on=TODAY, people=[known, perpetrator()])
    )
    case = accept(world, referral)
    wren = next(link.person for link in case.people if link.role is CaseRole.VICTIM)

    def found(given: str, family: str, born: date) -> list[tuple[int, str]]:
        return [
            (s.person.id, s.strength) for s in suggest_people(world.marac, given, family, [born])
        ]

    assert found("wren", "TALBOTHAY", VICTIM_BORN) == [(wren.id, MatchStrength.LIKELY)]
    assert found("Wren", "Ashby", VICTIM_BORN) == [(wren.id, MatchStrength.LIKELY)]
    assert found("Wren", "Talbothay", date(1988, 5, 15)) == [(wren.id, MatchStrength.LIKELY)]
    assert found("Wren", "Newname", VICTIM_BORN) == [(wren.id, MatchStrength.POSSIBLE)]
    assert found("Someone", "Else", VICTIM_BORN) == []
    assert suggest_people(world.other_area_marac, "Wren", "Talbothay", [VICTIM_BORN]) == []


def test_a_person_from_another_panel_cannot_be_chosen_as_a_match(world: World) -> None:
    _, case = first_case(world)
    victim_id = next(link.person_id for link in case.people if link.role is CaseRole.VICTIM)
    elsewhere = submitted(
        world.coordinator, world.other_area_marac, marac_answers(referred_on=TODAY)
    )
    with pytest.raises(DomainError, match="Choose one of the people suggested"):
        referrals.accept_referral(
            elsewhere, actor=world.coordinator, matches=[victim_id, None], today=TODAY
        )


# Meetings, hearing and transfer ------------------------------------------------------------------


def test_listing_at_a_meeting_sets_the_cases_next_meeting(world: World) -> None:
    referral, case = first_case(world)
    other_meeting = panel_services.schedule_meeting(
        actor=world.coordinator, panel=world.other_area_marac, held_on=date(2025, 2, 1)
    )
    with pytest.raises(DomainError, match="this referral’s panel"):
        referrals.list_for_meeting(referral, actor=world.coordinator, meeting=other_meeting)
    early = panel_services.schedule_meeting(
        actor=world.coordinator, panel=world.marac, held_on=date(2025, 1, 2)
    )
    with pytest.raises(DomainError, match="on or after the referral date"):
        referrals.list_for_meeting(referral, actor=world.coordinator, meeting=early)
    meeting = panel_services.schedule_meeting(
        actor=world.coordinator, panel=world.marac, held_on=date(2025, 2, 6)
    )
    referrals.list_for_meeting(referral, actor=world.coordinator, meeting=meeting)
    assert (case.stage, case.next_meeting_on) == (ReferralStatus.LISTED, date(2025, 2, 6))
    with pytest.raises(DomainError, match="on or after its meeting date"):
        referrals.mark_heard(referral, actor=world.coordinator, today=date(2025, 2, 5))
    referrals.mark_heard(referral, actor=world.coordinator, today=date(2025, 2, 6))
    assert (case.stage, case.next_meeting_on) == (ReferralStatus.HEARD, None)


def test_e9_a_transfer_moves_the_case_and_its_history_to_another_areas_marac(world: World) -> None:
    first, case = first_case(world)
    with pytest.raises(DomainError, match="another area"):
        referrals.transfer_case(
            case,
            actor=world.coordinator,
            to_panel=world.community,
            transferred_on=TODAY,
            reason="Moved",
            **onward(world),
        )
    transfer = referrals.transfer_case(
        case,
        actor=world.coordinator,
        to_panel=world.other_area_marac,
        transferred_on=TODAY,
        reason="Moved",
        **onward(world),
    )
    assert case.panel_id == world.other_area_marac.id
    assert first.status is ReferralStatus.TRANSFERRED_OUT
    incoming = case.referrals[-1]
    assert (incoming.panel_id, incoming.status) == (
        world.other_area_marac.id,
        ReferralStatus.ACCEPTED,
    )
    assert answers_of(incoming) == answers_of(first)
    assert (transfer.from_panel_id, transfer.reason) == (world.marac.id, "Moved")


def test_a_case_cannot_be_transferred_within_its_own_area(world: World) -> None:
    _, case = first_case(world)
    same_area = panel("Thornbury North", area_obj=world.marac.area)
    with pytest.raises(DomainError, match="another area"):
        referrals.transfer_case(
            case,
            actor=world.coordinator,
            to_panel=same_area,
            transferred_on=TODAY,
            reason="Moved",
            **onward(world),
        )


# Properties of the window rule -----------------------------------------------------------------

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


@given(previous=days, gap=st.integers(min_value=0, max_value=800), months=st.integers(1, 36))
def test_the_window_holds_exactly_up_to_the_same_day_months_later(
    previous: date, gap: int, months: int
) -> None:
    new = previous + timedelta(days=gap)
    assert within_window(previous, new, months) == (new <= months_after(previous, months))


class _Referral:
    """Just enough of a referral for the pure repeat rule."""

    def __init__(self, ident: int, on: date, status: ReferralStatus) -> None:
        self.id, self.referred_on, self.status = ident, on, status
        self.window_opened_on = on  # not made by a transfer


@given(
    gaps=st.lists(st.integers(min_value=1, max_value=500), min_size=1, max_size=8),
    statuses=st.lists(st.sampled_from(list(ReferralStatus)), min_size=8, max_size=8),
    start=days,
)
def test_a_repeat_always_points_at_the_last_window_opening_referral(
    gaps: list[int], statuses: list[ReferralStatus], start: date
) -> None:
    earlier, day = [], start
    for index, gap in enumerate(gaps):
        earlier.append(_Referral(index, day, statuses[index]))
        day += timedelta(days=gap)
    finding = assess_repeat(earlier, day, PanelType.MARAC, PanelSettings())  # type: ignore[arg-type]
    opening = [
        r
        for r in earlier
        if r.status in {ReferralStatus.ACCEPTED, ReferralStatus.LISTED, ReferralStatus.HEARD}
    ]
    if not opening:
        assert not finding.is_repeat
        return
    last = opening[-1]
    assert finding.is_repeat == (day <= months_after(last.referred_on, 12))
    if finding.is_repeat:
        assert finding.repeat_of is last


@pytest.mark.postgres
def test_two_saves_of_the_same_referral_cannot_both_win(pg_app: Flask) -> None:
    """Concurrent edits never overwrite each other silently: a writer holding the version it
    read is refused once someone else has saved (the app answers it with a 409 page)."""
    with pg_app.test_request_context():
        organisation = Organisation(name="Thornbury Police", agency_type=AgencyType.POLICE)
        user = User(email="rep@test.example", display_name="Rep", organisation=organisation)
        on = panel("Thornbury")
        member(on, user, PanelRole.REPRESENTATIVE)
        referral_id = referrals.start_referral(actor=user, panel=on).id
        db.session.commit()
        mine = db.session.get(Referral, referral_id)
        assert mine is not None
        assert mine.version == 1
        with db.engine.begin() as other:
            table = Referral.__table__
            other.execute(
                table.update().where(table.c.id == referral_id).values(version=table.c.version + 1)
            )
        with pytest.raises(StaleDataError):
            referrals.save_section(
                mine, actor=user, section=FormSection.ABOUT, data={"referred_on": "2026-01-01"}
            )
        db.session.rollback()


def test_disposal_destroys_the_content_of_the_cases_referrals(world: World) -> None:
    """R16: crypto-shredding a case takes its referrals' answers and assessments with it."""
    from app.keys.store import ContentDestroyed
    from cases.retention.models import RecordType
    from cases.retention.models import RetentionRule
    from cases.retention.queries import DueCase
    from cases.retention.services import dispose
    from cases.services import close_case

    referral, case = first_case(world, date(2018, 1, 10))
    close_case(case, actor=None, closed_on=TODAY)
    rule = db.session.scalar(
        select(RetentionRule).where(
            RetentionRule.panel_type == PanelType.MARAC,
            RetentionRule.record_type == RecordType.CLOSED_CASE,
        )
    )
    assert rule is not None
    dispose(DueCase(case, rule, TODAY), actor=None)
    db.session.commit()
    db.session.expire_all()
    with pytest.raises(ContentDestroyed):
        _ = referral.answers
    with pytest.raises(ContentDestroyed):
        _ = referral.assessments[0].items


# Found in review ---------------------------------------------------------------------------------


def test_e1_e9_a_transfer_keeps_the_window_anchored_on_the_last_referral(world: World) -> None:
    first, case = first_case(world, date(2025, 1, 10))
    with pytest.raises(DomainError, match="on or after the date of the case’s last referral"):
        referrals.transfer_case(
            case,
            actor=world.coordinator,
            to_panel=world.other_area_marac,
            transferred_on=date(2025, 1, 9),
            reason="Moved",
            **onward(world),
        )
    referrals.transfer_case(
        case,
        actor=world.coordinator,
        to_panel=world.other_area_marac,
        transferred_on=date(2026, 11, 20),
        reason="Moved",
        **onward(world),
    )
    incoming = case.referrals[-1]
    assert incoming.transferred_from is first
    assert case.flag_expires_on == date(2026, 1, 10)
    finding = assess_repeat(case.referrals, date(2027, 6, 1), PanelType.MARAC, PanelSettings())
    assert not finding.is_repeat


def test_e1_e9_issue_25_a_transfers_referral_is_dated_the_transfer_but_opens_no_new_window(
    world: World,
) -> None:
    """The receiving panel's referral is dated the day of the transfer, as its list and the
    case page show; the repeat window stays the one the last referral opened (E1, E9)."""
    _, case = first_case(world, date(2025, 1, 10))
    referrals.transfer_case(
        case,
        actor=world.coordinator,
        to_panel=world.other_area_marac,
        transferred_on=date(2025, 3, 3),
        reason="Moved",
        **onward(world),
    )
    incoming = case.referrals[-1]
    assert (incoming.referred_on, incoming.window_opened_on) == (
        date(2025, 3, 3),
        date(2025, 1, 10),
    )
    assert (case.referral_count, case.last_referred_on, case.flag_expires_on) == (
        2,
        date(2025, 3, 3),
        date(2026, 1, 10),
    )
    within = assess_repeat(case.referrals, date(2026, 1, 10), PanelType.MARAC, PanelSettings())
    assert within.repeat_of is incoming
    # Within 12 months of the transfer but not of the last referral: a new referral.
    after = assess_repeat(case.referrals, date(2026, 1, 11), PanelType.MARAC, PanelSettings())
    assert not after.is_repeat


def test_r14_the_safe_contact_answers_reach_the_victims_record(world: World) -> None:
    answers = marac_answers(referred_on=TODAY)
    answers[FormSection.SAFETY] = {
        "safe_to_call": False,
        "phone": "07700 900123",
        "afraid_of": "Her brother",
    }
    case = accept(world, submitted(world.rep, world.marac, answers))
    victim_record = next(link.person for link in case.people if link.role is CaseRole.VICTIM)
    assert victim_record.phone == "07700 900123"
    assert victim_record.contact_safety == "NOT safe to call\nAfraid of: Her brother"
    perpetrator_record = next(
        link.person for link in case.people if link.role is CaseRole.PERPETRATOR
    )
    assert perpetrator_record.contact_safety is None


def test_a_resubmitted_referral_replaces_its_risk_assessment(world: World) -> None:
    referral = submitted(world.rep, world.marac, marac_answers(referred_on=TODAY, yes=15))
    referrals.return_referral(referral, actor=world.coordinator, reason="Check question 3")
    referrals.save_section(
        referral, actor=world.rep, section=FormSection.RISK, data={"tool": "dara", "grade": "high"}
    )
    referrals.submit_referral(referral, actor=world.rep)
    db.session.flush()
    assert referral.assessments == []
    assert (referral.risk_tool, referral.risk_level) == (None, RiskLevel.HIGH)


def test_a_draft_cannot_be_listed_and_nothing_changes(world: World) -> None:
    referral = draft(world.rep, world.marac, marac_answers(referred_on=TODAY))
    meeting = panel_services.schedule_meeting(actor=None, panel=world.marac, held_on=TODAY)
    with pytest.raises(DomainError, match="cannot be listed"):
        referrals.list_for_meeting(referral, actor=world.coordinator, meeting=meeting)
    assert referral.meeting is None


def test_e15_a_perpetrator_under_16_is_a_safeguarding_matter_not_marac(world: World) -> None:
    """The Domestic Abuse Act 2021 needs both people to be 16 or over."""
    young = perpetrator("Ellis", "Varden", date(2012, 3, 3))
    answers = marac_answers(referred_on=TODAY, people=[victim(), young])
    found = problems(draft(world.rep, world.marac, answers))
    assert any("Ellis Varden is under 16" in p for p in found)
    sixteen = perpetrator("Ellis", "Varden", date(2010, 11, 20))
    answers = marac_answers(referred_on=TODAY, people=[victim(), sixteen])
    assert submitted(world.rep, world.marac, answers).status is ReferralStatus.SUBMITTED
