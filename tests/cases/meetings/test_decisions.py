"""The panel's decision on each case in the minutes (issue 21; domain §2.6, §2.8, §3.6, §4.5,
§5.3, §5.7, §6.5, R12): each panel type decides in its own terms, always with "not heard:
carried forward" for a case the panel did not reach; the draft records a decision per case
(optional while drafting, one of the case's panel type's, a code kept in clear); the chair
cannot approve minutes that leave a case without one, and is told which; the minutes show
each decision in words."""

# The minutes tests' fixtures (`world`, `clients`) are imported, then asked for by name.
# ruff: noqa: F811

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from app.database import uk_today
from app.errors import DomainError
from audit.models import AuditAction
from cases.meetings import services
from cases.meetings.models import MinutesCaseSection
from cases.meetings.models import MinutesStatus
from cases.meetings.rules import decision_field
from cases.meetings.rules import discussion_field
from cases.restrictions.models import CaseRestriction
from panels.models import Meeting
from panels.types import REGISTRY
from panels.types.common import NOT_HEARD
from panels.types.common import PanelType
from tests.cases.meetings.cast import CHAIR
from tests.cases.meetings.cast import COORDINATOR
from tests.cases.meetings.cast import IDVA
from tests.cases.meetings.test_minutes import DISCUSSION
from tests.cases.meetings.test_minutes import GENERAL
from tests.cases.meetings.test_minutes import World
from tests.cases.meetings.test_minutes import approve
from tests.cases.meetings.test_minutes import clients  # noqa: F401
from tests.cases.meetings.test_minutes import events_of
from tests.cases.meetings.test_minutes import full_draft
from tests.cases.meetings.test_minutes import minutes_url
from tests.cases.meetings.test_minutes import save_draft
from tests.cases.meetings.test_minutes import stored
from tests.cases.meetings.test_minutes import world  # noqa: F401
from tests.cases.referrals.test_referral_pages import text

# Each type's decisions that the domain reference names, by code (a subset: the words are ours).
NAMED = {
    PanelType.MARAC: {"safety_plan", "transfer", "no_further_action"},  # §2.6, §2.8
    PanelType.COMMUNITY_MARAC: {"action_plan", "closed", "escalated"},  # §3.6
    PanelType.CHANNEL: {"adopted", "not_adopted_police_led", "remains_open", "exit"},  # §4.5
    PanelType.MACE: {"risk_none", "risk_low", "risk_medium", "risk_high", "escalated_s47"},  # §5
    PanelType.IOM: {"adopted", "not_adopted", "remains", "deselected"},  # §6.5
}


def sections(app: Flask) -> dict[int, str | None]:
    """Each case's decision as stored (case id -> code), read in its own context."""
    with app.app_context():
        return {s.case_id: s.decision for s in db.session.scalars(select(MinutesCaseSection)).all()}


# Each type's own terms ------------------------------------------------------------------------


@pytest.mark.parametrize("panel_type", list(PanelType))
def test_each_panel_type_decides_in_its_own_terms_and_can_always_carry_a_case_forward(
    panel_type: PanelType,
) -> None:
    """§2.8, §3.6, §4.5, §5.3, §6.5: the decisions a type's panels make, by code; every type
    ends with "not heard", so a case the panel did not reach is recorded as such."""
    decisions = REGISTRY[panel_type].decisions
    codes = [d.code for d in decisions]
    assert NAMED[panel_type] <= set(codes)
    assert decisions[-1] == NOT_HEARD
    assert len(codes) == len(set(codes))
    assert all(len(code) <= 40 for code in codes)  # the column's length
    assert REGISTRY[panel_type].decision("forged") is None


def test_the_types_decisions_are_their_own() -> None:
    """A MACE risk level is no MARAC decision, and a MARAC safety plan no Channel one."""
    assert REGISTRY[PanelType.MARAC].decision("risk_high") is None
    assert REGISTRY[PanelType.CHANNEL].decision("safety_plan") is None
    assert REGISTRY[PanelType.MACE].decision("risk_high") is not None


# Drafting -------------------------------------------------------------------------------------


def test_the_draft_records_a_decision_per_case_from_its_panel_types_list_and_shows_it_in_words(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    page = text(clients[COORDINATOR].get(minutes_url(world, "/draft")))
    assert f'name="{decision_field(world.case)}"' in page
    assert "Safety plan agreed; to be heard again at the next meeting" in page
    assert "Risk level: high or significant" not in page  # a MACE decision
    response = save_draft(clients[COORDINATOR], world, **full_draft(world))
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert sections(app) == {world.case: "safety_plan", world.restricted_case: "not_heard"}
    minutes = text(clients[COORDINATOR].get(minutes_url(world)))
    assert "Safety plan agreed" in minutes
    assert NOT_HEARD.label in minutes


def test_a_decision_is_optional_while_drafting_and_alone_is_enough_to_keep_a_section(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    save_draft(clients[COORDINATOR], world, general=GENERAL, **{discussion_field(world.case): "x"})
    assert sections(app) == {world.case: None}
    save_draft(
        clients[COORDINATOR],
        world,
        general=GENERAL,
        **{decision_field(world.restricted_case): "no_further_action"},
    )
    assert sections(app) == {world.case: None, world.restricted_case: "no_further_action"}


@pytest.mark.parametrize("forged", ["forged", "risk_high", "adopted"])
def test_an_unknown_or_other_types_decision_is_refused_next_to_it_with_the_input_kept(
    app: Flask, world: World, clients: dict[str, FlaskClient], forged: str
) -> None:
    """A made-up code, a MACE risk level or a Channel adoption on a MARAC case: a message next
    to the decision, what was typed kept, nothing saved."""
    response = save_draft(
        clients[COORDINATOR],
        world,
        general=GENERAL,
        **{decision_field(world.case): forged, discussion_field(world.case): DISCUSSION},
    )
    page = text(response)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "Select one of the panel’s decisions for case" in page
    assert f'href="#{decision_field(world.case)}"' in page
    assert DISCUSSION in page
    assert GENERAL in page
    assert stored(app, world) is None


def test_the_service_refuses_another_types_decision_whoever_calls_it(
    app: Flask, world: World
) -> None:
    """The rule is the service's, not only the form's: a Channel decision on a MARAC case."""
    with app.test_request_context():
        meeting = db.session.get_one(Meeting, world.meeting)
        actor = db.session.get_one(User, world.users[COORDINATOR])
        with pytest.raises(DomainError, match="Select one of the panel’s decisions") as refused:
            services.save_minutes(
                meeting,
                actor=actor,
                seen=0,
                general=GENERAL,
                cases={world.case: services.CaseMinutes(DISCUSSION, {}, "adopted")},
                today=uk_today(),
            )
        assert refused.value.field == decision_field(world.case)
    assert stored(app, world) is None


def test_r9_the_trail_records_each_cases_decision_as_a_code(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    save_draft(clients[COORDINATOR], world, **full_draft(world))
    (saved,) = events_of(app, AuditAction.MINUTES_SAVED)
    changes = json.loads(saved.changes or "{}")
    assert changes[f"decision.{world.case}"] == [None, "safety_plan"]
    assert changes[f"decision.{world.restricted_case}"] == [None, "not_heard"]


# Approval -------------------------------------------------------------------------------------


def test_r12_minutes_without_a_decision_on_every_case_are_not_approved_and_the_chair_is_told_which(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    """Decided: a case the panel did not reach is minuted "not heard", so approved minutes
    say what became of every case on the agenda."""
    draft = full_draft(world) | {decision_field(world.restricted_case): ""}
    save_draft(clients[COORDINATOR], world, **draft)
    response = approve(clients[CHAIR], world)
    page = text(response)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert f"The minutes record no decision on case {world.restricted_reference}" in page
    assert f"case {world.reference}," not in page
    assert NOT_HEARD.label in page
    assert 'class="govuk-error-summary' in page
    saved = stored(app, world)
    assert saved is not None
    assert saved.status is MinutesStatus.DRAFT
    assert events_of(app, AuditAction.MINUTES_APPROVED) == []

    save_draft(clients[COORDINATOR], world, **full_draft(world))
    assert approve(clients[CHAIR], world).status_code == 302  # type: ignore[attr-defined]
    saved = stored(app, world)
    assert saved is not None
    assert saved.status is MinutesStatus.APPROVED


def test_r12_a_case_with_no_section_at_all_also_needs_its_decision(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    save_draft(clients[COORDINATOR], world, general=GENERAL)
    page = text(approve(clients[CHAIR], world))
    assert f"no decision on case {world.reference} and case {world.restricted_reference}" in page


def test_staff_as_subject_the_chair_is_told_how_many_cases_closed_to_them_lack_a_decision(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    """A case closed to the chair's agency is counted, never named."""
    with app.app_context():
        db.session.add(
            CaseRestriction(
                case_id=world.restricted_case,
                organisation_id=world.organisations[CHAIR],
                placed_by_id=world.users[COORDINATOR],
            )
        )
        db.session.commit()
    save_draft(clients[COORDINATOR], world, general=GENERAL)
    page = text(approve(clients[CHAIR], world))
    assert f"no decision on case {world.reference} and 1 case closed to your agency" in page
    assert world.restricted_reference not in page


def test_r12_the_approved_minutes_show_each_decision_to_those_they_go_to(
    app: Flask, world: World, clients: dict[str, FlaskClient]
) -> None:
    save_draft(clients[COORDINATOR], world, **full_draft(world))
    approve(clients[CHAIR], world)
    page = text(clients[IDVA].get(minutes_url(world)))
    assert "Safety plan agreed" in page
    assert NOT_HEARD.label in page
