"""The panel registry and panels' [LOCAL] settings: rules, storage, audit and the admin pages."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from dataclasses import replace
from decimal import Decimal
from itertools import product
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.accounts.models import AgencyType
from app.accounts.models import GlobalRole
from app.accounts.models import User
from app.database import db
from app.errors import DomainError
from audit.models import AuditAction
from audit.models import AuditEvent
from panels import services
from panels.instruments.asb_matrix import DEFAULT_ASB_RISK_ITEMS
from panels.instruments.asb_matrix import RiskItem
from panels.models import Panel
from panels.models import PanelRole
from panels.settings import InvalidSettings
from panels.settings import PanelSettings
from panels.types import REGISTRY
from panels.types import spec_for
from panels.types.common import STANDARD_TRANSITIONS
from panels.types.common import FieldCategory
from panels.types.common import PanelType
from panels.types.common import ReferralStatus
from panels.types.common import RepeatDefinition
from panels.types.common import RiskTool
from tests.app.accounts.test_admin import banners
from tests.app.accounts.test_admin import field_error
from tests.app.accounts.test_admin import input_value
from tests.app.accounts.test_admin import make_area
from tests.app.accounts.test_admin import make_membership
from tests.app.accounts.test_admin import make_panel
from tests.app.accounts.test_admin import summary_errors
from tests.app.accounts.test_admin import title
from tests.conftest import Account
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.conftest import csrf_token
from tests.conftest import post_form

# domain §8 R6 and break-glass: every panel type sets these.
SHARING_FIELDS = {"break_glass_hours", "break_glass_at_once", "break_glass_per_day", "field_access"}
# The quorum (issue 21): every panel type sets it, its type giving the defaults.
# When the agenda opens to members, then the quorum (issue 21): every panel type sets them.
QUORUM_FIELDS = {"agenda_days_before", "quorum_chair", "quorum_agencies", "quorum_agency_types"}
MARAC_FIELDS = (
    SHARING_FIELDS
    | QUORUM_FIELDS
    | {
        "dash_threshold",
        "escalation_incidents",
        "repeat_window_months",
        "repeat_definition",
        "definitions_version",
        # The SafeLives return's population and capacity (domain §2.10, E6).
        "adult_female_population",
        "population_source",
        "idva_fte",
        "admin_fte",
    }
)
COMMUNITY_MARAC_FIELDS = (
    SHARING_FIELDS
    | QUORUM_FIELDS
    | {
        "risk_items",
        "medium_risk_from",
        "high_risk_from",
        "repeat_window_months",
        "repeat_count",
        "case_review_threshold",
        "case_review_window_months",
        "definitions_version",
    }
)
BASIC_FIELDS = SHARING_FIELDS | QUORUM_FIELDS | {"repeat_window_months", "definitions_version"}
DEFAULT_TOP_SCORE = sum(item.weight for item in DEFAULT_ASB_RISK_ITEMS)


def refusal(**changes: Any) -> InvalidSettings:
    with pytest.raises(InvalidSettings) as caught:
        PanelSettings().with_changes(**changes)
    return caught.value


# National defaults ---------------------------------------------------------------------------


def test_defaults_follow_the_national_guidance() -> None:
    """DASH 14 (domain §2.3), repeat window 12 months (§2.5, E1/E5), potential escalation 3
    incidents (§2.3), ASB Case Review threshold 3 complaints and 6 months (§3.5, E25/E26)."""
    defaults = PanelSettings()
    assert defaults.dash_threshold == 14
    assert defaults.repeat_window_months == 12
    assert defaults.escalation_incidents == 3
    assert defaults.case_review_threshold == 3
    assert defaults.case_review_window_months == 6
    assert defaults.repeat_definition is RepeatDefinition.ANY_ABUSE
    assert defaults.problems() == []


def test_a_panel_without_stored_settings_has_the_defaults(app: Flask) -> None:
    with app.app_context():
        panel = db.session.get(Panel, make_panel(app, make_area(app)))
        assert panel.local_settings is None
        assert panel.settings == PanelSettings()


# Validation ------------------------------------------------------------------------------------

BOUNDS = [
    ("dash_threshold", 1, 24),
    ("escalation_incidents", 1, 50),
    ("repeat_window_months", 1, 60),
    ("repeat_count", 2, 20),
    ("case_review_threshold", 1, 3),
    ("case_review_window_months", 1, 6),
    ("break_glass_hours", 1, 12),
    # The emergency access limits depend on each other: tests/cases/break_glass covers them.
]


@pytest.mark.parametrize(("name", "low", "high"), BOUNDS, ids=[b[0] for b in BOUNDS])
def test_each_number_is_accepted_at_its_bounds_and_refused_beyond(
    name: str, low: int, high: int
) -> None:
    assert getattr(PanelSettings().with_changes(**{name: low}), name) == low
    assert getattr(PanelSettings().with_changes(**{name: high}), name) == high
    for outside in (low - 1, high + 1):
        error = refusal(**{name: outside})
        assert [p.field for p in error.problems] == [name]


def test_e25_case_review_threshold_above_three_is_refused_with_the_laws_reason() -> None:
    """E25: the 2014 Act lets a partnership set at most three complaints (domain §3.5)."""
    error = refusal(case_review_threshold=4)
    assert error.field == "case_review_threshold"
    assert "the law does not allow a threshold higher than three" in error.message
    assert PanelSettings().with_changes(case_review_threshold=2).case_review_threshold == 2


def test_e26_case_review_window_cannot_exceed_six_months() -> None:
    """E26: an application must be made within six months of the complaint."""
    assert refusal(case_review_window_months=7).field == "case_review_window_months"


def test_dash_threshold_cannot_exceed_the_number_of_checklist_questions() -> None:
    """The DASH checklist has 24 questions (domain §2.4): 25 yes answers is impossible."""
    assert refusal(dash_threshold=25).field == "dash_threshold"


def test_risk_bands_must_be_ordered_and_reachable() -> None:
    """Medium starts above 0, high above medium, and high no higher than the top score."""
    assert refusal(medium_risk_from=0).field == "medium_risk_from"
    assert refusal(medium_risk_from=12, high_risk_from=12).field == "high_risk_from"
    assert refusal(medium_risk_from=13, high_risk_from=12).field == "high_risk_from"
    top = PanelSettings().with_changes(medium_risk_from=11, high_risk_from=DEFAULT_TOP_SCORE)
    assert top.high_risk_from == DEFAULT_TOP_SCORE
    beyond = refusal(high_risk_from=DEFAULT_TOP_SCORE + 1)
    assert beyond.field == "high_risk_from"
    assert f"({DEFAULT_TOP_SCORE})" in beyond.message


def test_negative_weights_are_refused_and_each_question_is_named() -> None:
    items = list(DEFAULT_ASB_RISK_ITEMS)
    items[2] = replace(items[2], weight=-1)
    error = refusal(risk_items=tuple(items))
    assert (error.field, error.message) == (
        "risk_items-2-weight",
        "The weight of question 3 cannot be negative",
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weight": 21}, "risk_items-0-weight"),
        ({"label": "   "}, "risk_items-0-label"),
        ({"label": "x" * 201}, "risk_items-0-label"),
    ],
    ids=["weight-too-high", "blank-label", "long-label"],
)
def test_risk_questions_need_a_label_and_a_bounded_weight(
    change: dict[str, Any], field: str
) -> None:
    items = (replace(DEFAULT_ASB_RISK_ITEMS[0], **change), *DEFAULT_ASB_RISK_ITEMS[1:])
    assert refusal(risk_items=items).field == field


def test_a_weight_of_zero_switches_a_question_off() -> None:
    items = (replace(DEFAULT_ASB_RISK_ITEMS[0], weight=0), *DEFAULT_ASB_RISK_ITEMS[1:])
    assert PanelSettings().with_changes(risk_items=items, high_risk_from=15).risk_items == items


@pytest.mark.parametrize("version", ["", " ", "2026 1", "-2026", "x" * 21, "2026‑1", "v1/2"])
def test_definitions_version_must_be_a_short_code(version: str) -> None:
    """It is stored on each referral (rules_version, 20 characters): a code, not free text."""
    assert refusal(definitions_version=version).field == "definitions_version"


@pytest.mark.parametrize("version", ["2026-2", "v3.1", "A", "x" * 20])
def test_definitions_version_accepts_codes(version: str) -> None:
    assert PanelSettings().with_changes(definitions_version=version).definitions_version == version


def test_every_broken_rule_is_reported_at_once() -> None:
    error = refusal(dash_threshold=0, case_review_threshold=5, definitions_version="")
    assert [p.field for p in error.problems] == [
        "dash_threshold",
        "case_review_threshold",
        "definitions_version",
    ]
    assert (error.field, error.message) == (error.problems[0].field, error.problems[0].message)


def test_with_changes_leaves_the_original_untouched() -> None:
    original = PanelSettings()
    original.with_changes(dash_threshold=10)
    assert original.dash_threshold == 14


# Storage ---------------------------------------------------------------------------------------

CHANGED = PanelSettings(
    dash_threshold=12,
    escalation_incidents=4,
    repeat_window_months=18,
    repeat_definition=RepeatDefinition.FURTHER_CRIMINAL_INCIDENT,
    risk_items=(RiskItem("a", "First", 3), RiskItem("b", "Second", 9)),
    medium_risk_from=4,
    high_risk_from=10,
    repeat_count=3,
    case_review_threshold=2,
    case_review_window_months=5,
    definitions_version="2027-1",
)


def test_settings_round_trip_through_json() -> None:
    stored = json.loads(json.dumps(CHANGED.to_json()))
    assert stored["repeat_definition"] == "further_criminal_incident"
    assert stored["risk_items"][1] == {"key": "b", "label": "Second", "weight": 9}
    assert PanelSettings.from_json(stored) == CHANGED
    assert PanelSettings.from_json(json.loads(json.dumps(PanelSettings().to_json()))) == (
        PanelSettings()
    )


def test_unknown_keys_from_other_versions_are_ignored() -> None:
    stored = CHANGED.to_json()
    stored["retired_setting"] = 7
    stored["risk_items"][0]["colour"] = "red"
    assert PanelSettings.from_json(stored) == CHANGED


def test_missing_keys_keep_their_defaults() -> None:
    assert PanelSettings.from_json(None) == PanelSettings()
    assert PanelSettings.from_json({}) == PanelSettings()
    assert PanelSettings.from_json({"dash_threshold": 12}) == PanelSettings(dash_threshold=12)


# The registry ----------------------------------------------------------------------------------


def test_every_panel_type_has_a_spec() -> None:
    assert set(REGISTRY) == set(PanelType)
    for panel_type in PanelType:
        spec = spec_for(panel_type)
        assert spec.panel_type is panel_type
        assert spec.criteria
        assert spec.sections
        assert spec.figures
        assert spec.risk_tool.label
    assert len({spec.reference_prefix for spec in REGISTRY.values()}) == len(REGISTRY)


def test_each_type_uses_the_settings_its_guidance_makes_local() -> None:
    """MARAC: §2.3/§2.5; Community MARAC and the ASB Case Review: §3.3, §3.5, §3.7; the others
    have only a repeat window and the definitions version; all have the sharing settings."""
    assert set(spec_for(PanelType.MARAC).settings_used) == MARAC_FIELDS
    assert set(spec_for(PanelType.COMMUNITY_MARAC).settings_used) == COMMUNITY_MARAC_FIELDS
    for panel_type in (PanelType.CHANNEL, PanelType.MACE, PanelType.IOM):
        assert set(spec_for(panel_type).settings_used) == BASIC_FIELDS
    known = {f.name for f in fields(PanelSettings)}
    for spec in REGISTRY.values():
        assert set(spec.settings_used) <= known
        assert len(set(spec.settings_used)) == len(spec.settings_used)


def test_every_risk_tool_has_a_label() -> None:
    assert all(tool.label for tool in RiskTool)


def test_the_standard_lifecycle_names_every_status() -> None:
    assert set(STANDARD_TRANSITIONS) == set(ReferralStatus)


@pytest.mark.parametrize("panel_type", list(PanelType))
def test_can_move_allows_exactly_the_listed_transitions(panel_type: PanelType) -> None:
    """Domain §2.8: every (from, to) pair is allowed exactly when STANDARD_TRANSITIONS lists it."""
    spec = spec_for(panel_type)
    for current, to in product(ReferralStatus, repeat=2):
        assert spec.can_move(current, to) is (to in STANDARD_TRANSITIONS[current]), (current, to)


def test_final_states_lead_nowhere() -> None:
    spec = spec_for(PanelType.MARAC)
    for final in (
        ReferralStatus.REJECTED,
        ReferralStatus.TRANSFERRED_OUT,
        ReferralStatus.WITHDRAWN,
    ):
        assert not any(spec.can_move(final, to) for to in ReferralStatus)
    assert not spec.can_move(ReferralStatus.DRAFT, ReferralStatus.HEARD)
    assert spec.can_move(ReferralStatus.SUBMITTED, ReferralStatus.ACCEPTED)


# The service -----------------------------------------------------------------------------------


def settings_events(app: Flask) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.PANEL_SETTINGS_CHANGED)
        ).all()
        db.session.expunge_all()
        return list(rows)


def stored_settings(app: Flask, panel_id: int) -> dict[str, Any] | None:
    with app.app_context():
        return db.session.get(Panel, panel_id).local_settings


def test_service_stores_the_settings_and_audits_old_and_new_values(
    app: Flask, admin: Account
) -> None:
    panel_id = make_panel(app, make_area(app))
    with app.test_request_context():
        panel = db.session.get(Panel, panel_id)
        result = services.update_panel_settings(
            panel,
            actor=db.session.get(User, admin.id),
            dash_threshold=12,
            repeat_window_months=12,
            repeat_definition=RepeatDefinition.FURTHER_CRIMINAL_INCIDENT,
        )
        db.session.commit()
    assert stored_settings(app, panel_id) == result.to_json()
    assert result.dash_threshold == 12
    [event] = settings_events(app)
    assert (event.object_type, event.object_id, event.actor_id) == ("panels", str(panel_id), 1)
    # Only what changed, as [old, new]; the unchanged repeat window is not mentioned.
    assert json.loads(event.changes or "") == {
        "dash_threshold": [14, 12],
        "repeat_definition": ["any_abuse", "further_criminal_incident"],
    }


def test_risk_matrix_changes_are_audited_by_question_key_without_label_text(
    app: Flask, admin: Account
) -> None:
    panel_id = make_panel(app, make_area(app), "Newham CMARAC", PanelType.COMMUNITY_MARAC)
    items = list(DEFAULT_ASB_RISK_ITEMS)
    items[0] = replace(items[0], weight=4)
    items[1] = replace(items[1], label="Targeted because of who they are, CANARY-7f3a")
    with app.test_request_context():
        services.update_panel_settings(
            db.session.get(Panel, panel_id),
            actor=db.session.get(User, admin.id),
            risk_items=tuple(items),
        )
        db.session.commit()
    [event] = settings_events(app)
    assert json.loads(event.changes or "") == {
        "risk_items.personal_threat.weight": [5, 4],
        "risk_items.targeted.label": "changed",
    }
    assert "7f3a" not in (event.changes or "")
    assert PanelSettings.from_json(stored_settings(app, panel_id)).risk_items == tuple(items)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"case_review_threshold": 4}, "case_review_threshold"),
        ({"dash_threshold": 12}, "dash_threshold"),
    ],
    ids=["e25-over-three", "not-a-community-marac-setting"],
)
def test_service_refuses_and_stores_nothing(
    app: Flask, admin: Account, changes: dict[str, Any], field: str
) -> None:
    panel_id = make_panel(app, make_area(app), "Newham CMARAC", PanelType.COMMUNITY_MARAC)
    with app.test_request_context():
        with pytest.raises(DomainError) as caught:
            services.update_panel_settings(
                db.session.get(Panel, panel_id), actor=db.session.get(User, admin.id), **changes
            )
        db.session.rollback()
    assert caught.value.field == field
    assert stored_settings(app, panel_id) is None
    assert settings_events(app) == []


# The admin pages -------------------------------------------------------------------------------


def settings_url(panel_id: int) -> str:
    return f"/admin/panels/{panel_id}/settings"


def named_inputs(page: str) -> set[str]:
    """The settings the form asks for: not its CSRF token nor the fingerprint of the settings it
    was drawn from ("seen")."""
    named = set(re.findall(r'<(?:input|textarea|select)[^>]*name="([^"]+)"', page))
    return named - {"csrf_token", "seen"}


def sharing_inputs(inputs: set[str]) -> set[str]:
    """The form's input names for the sharing settings: one checkbox group per field group."""
    return (inputs - {"field_access"}) | {f"field_access-{c.value}" for c in FieldCategory}


def quorum_form(panel_type: PanelType) -> dict[str, Any]:
    """The type's default quorum as the form posts it."""
    quorum = spec_for(panel_type).quorum
    return {
        "agenda_days_before": "7",
        "quorum_chair": "yes" if quorum.chair else "no",
        "quorum_agencies": str(quorum.agencies),
        "quorum_agency_types": [agency.value for agency in quorum.agency_types],
    }


def sharing_form(settings: PanelSettings | None = None) -> dict[str, Any]:
    """The sharing settings as the form posts them: each checkbox group's ticked values."""
    settings = settings or PanelSettings()
    return {
        "break_glass_hours": str(settings.break_glass_hours),
        "break_glass_at_once": str(settings.break_glass_at_once),
        "break_glass_per_day": str(settings.break_glass_per_day),
    } | {
        f"field_access-{category.value}": [agency.value for agency in agencies]
        for category, agencies in settings.field_access
    }


MARAC_FORM = (
    {
        "dash_threshold": "14",
        "escalation_incidents": "3",
        "repeat_window_months": "12",
        "repeat_definition": "any_abuse",
        "definitions_version": "2026-1",
    }
    | sharing_form()
    | quorum_form(PanelType.MARAC)
)


def community_form() -> dict[str, str]:
    """The Community MARAC settings form filled with the defaults."""
    settings = PanelSettings()
    data = (
        sharing_form()
        | quorum_form(PanelType.COMMUNITY_MARAC)
        | {
            "medium_risk_from": str(settings.medium_risk_from),
            "high_risk_from": str(settings.high_risk_from),
            "repeat_window_months": str(settings.repeat_window_months),
            "repeat_count": str(settings.repeat_count),
            "case_review_threshold": str(settings.case_review_threshold),
            "case_review_window_months": str(settings.case_review_window_months),
            "definitions_version": settings.definitions_version,
        }
    )
    for index, item in enumerate(settings.risk_items):
        data[f"risk_items-{index}-label"] = item.label
        data[f"risk_items-{index}-weight"] = str(item.weight)
    return data


def test_panel_page_links_to_its_settings_and_shows_how_its_type_works(
    app: Flask, admin_client: FlaskClient
) -> None:
    panel_id = make_panel(app, make_area(app))
    page = admin_client.get(f"/admin/panels/{panel_id}").text
    assert f'href="{settings_url(panel_id)}"' in page
    assert "Change local settings" in page
    spec = spec_for(PanelType.MARAC)
    for text in [c.label for c in spec.criteria] + [spec.risk_tool.label, *spec.figures]:
        assert text.replace(",", "") in page.replace(",", "").replace("&#39;", "'")
    assert "Any further abuse between the same people (SafeLives)" in page
    assert "12 months" in page


@pytest.mark.parametrize(
    ("panel_type", "expected"),
    [
        (PanelType.MARAC, sharing_inputs(MARAC_FIELDS)),
        (
            PanelType.COMMUNITY_MARAC,
            sharing_inputs(COMMUNITY_MARAC_FIELDS - {"risk_items"})
            | {f"risk_items-{i}-{part}" for i in range(8) for part in ("label", "weight")},
        ),
        (PanelType.CHANNEL, sharing_inputs(BASIC_FIELDS)),
        (PanelType.MACE, sharing_inputs(BASIC_FIELDS)),
        (PanelType.IOM, sharing_inputs(BASIC_FIELDS)),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_settings_page_shows_only_the_settings_its_type_uses(
    app: Flask, admin_client: FlaskClient, panel_type: PanelType, expected: set[str]
) -> None:
    panel_id = make_panel(app, make_area(app), f"Newham {panel_type}", panel_type)
    page = admin_client.get(settings_url(panel_id))
    assert page.status_code == 200
    assert named_inputs(page.text) == expected
    assert title(page.text).startswith("Local settings: Newham")


def test_each_setting_has_a_hint_with_its_default(app: Flask, admin_client: FlaskClient) -> None:
    for panel_type in PanelType:
        panel_id = make_panel(app, make_area(app, f"Area {panel_type}"), "Panel", panel_type)
        page = admin_client.get(settings_url(panel_id)).text
        hints = re.findall(r'<div id="([^"]+)-hint" class="govuk-hint">(.*?)</div>', page, re.S)
        named = {name for name, _ in hints}
        assert named == set(spec_for(panel_type).settings_used), panel_type
        for name, text in hints:
            assert "default" in text.lower(), (panel_type, name)
    # The national MARAC defaults are the ones named.
    marac = admin_client.get(settings_url(1)).text
    assert "National default: 14 (SafeLives)" in marac
    assert "National default: 12 months (SafeLives)" in marac


def test_admin_changes_marac_settings_and_sees_them(app: Flask, admin_client: FlaskClient) -> None:
    panel_id = make_panel(app, make_area(app))
    page = admin_client.get(settings_url(panel_id)).text
    assert input_value(page, "dash_threshold") == "14"
    response = post_form(
        admin_client,
        settings_url(panel_id),
        MARAC_FORM
        | {
            "dash_threshold": " 13 ",
            "escalation_incidents": "4",
            "repeat_window_months": "18",
            "repeat_definition": "further_criminal_incident",
            "definitions_version": "2026-2",
        },
    )
    assert response.status_code == 302
    assert response.location == f"/admin/panels/{panel_id}"
    shown = admin_client.get(response.location).text
    assert banners(shown) == ["Settings saved"]
    assert "18 months" in shown
    assert "A further criminal-type incident (older CAADA wording)" in shown
    assert "2026-2" in shown
    settings = PanelSettings.from_json(stored_settings(app, panel_id))
    assert (
        settings.dash_threshold,
        settings.escalation_incidents,
        settings.repeat_window_months,
        settings.repeat_definition,
        settings.definitions_version,
    ) == (13, 4, 18, RepeatDefinition.FURTHER_CRIMINAL_INCIDENT, "2026-2")
    assert input_value(admin_client.get(settings_url(panel_id)).text, "dash_threshold") == "13"
    [event] = settings_events(app)
    assert set(json.loads(event.changes or "")) == {
        "dash_threshold",
        "escalation_incidents",
        "repeat_window_months",
        "repeat_definition",
        "definitions_version",
    }


def test_admin_changes_the_community_marac_matrix_and_bands(
    app: Flask, admin_client: FlaskClient
) -> None:
    panel_id = make_panel(app, make_area(app), "Newham CMARAC", PanelType.COMMUNITY_MARAC)
    data = community_form() | {
        "risk_items-0-weight": "6",
        "risk_items-7-label": "Damage to the home or garden",
        "medium_risk_from": "5",
        "high_risk_from": "10",
        "repeat_window_months": "6",
        "repeat_count": "3",
        "case_review_threshold": "2",
        "case_review_window_months": "3",
    }
    response = post_form(admin_client, settings_url(panel_id), data)
    assert response.status_code == 302
    settings = PanelSettings.from_json(stored_settings(app, panel_id))
    assert settings.risk_items[0] == RiskItem("personal_threat", DEFAULT_ASB_RISK_ITEMS[0].label, 6)
    assert settings.risk_items[7] == RiskItem("environmental", "Damage to the home or garden", 1)
    assert [item.key for item in settings.risk_items] == [i.key for i in DEFAULT_ASB_RISK_ITEMS]
    assert (
        settings.medium_risk_from,
        settings.high_risk_from,
        settings.repeat_window_months,
        settings.repeat_count,
        settings.case_review_threshold,
        settings.case_review_window_months,
    ) == (5, 10, 6, 3, 2, 3)
    shown = admin_client.get(f"/admin/panels/{panel_id}").text
    assert "Damage to the home or garden: weight 1" in shown
    assert "3 months" in shown


FORGED = [
    (
        {"case_review_threshold": "4"},
        "case_review_threshold",
        "The ASB Case Review threshold must be between 1 and 3 complaints: the law does not "
        "allow a threshold higher than three",
    ),
    (
        {"case_review_window_months": "7"},
        "case_review_window_months",
        "The review window must be between 1 and 6",
    ),
    ({"repeat_count": "1"}, "repeat_count", "The repeat count must be between 2 and 20"),
    (
        {"risk_items-3-weight": "-2"},
        "risk_items-3-weight",
        "The weight of question 4 cannot be negative",
    ),
    (
        {"risk_items-3-weight": "two"},
        "risk_items-3-weight",
        "The weight of question 4 must be a whole number, like 3",
    ),
    ({"risk_items-5-weight": ""}, "risk_items-5-weight", "Enter the weight of question 6"),
    ({"risk_items-1-label": "  "}, "risk_items-1-label", "Enter the text of question 2"),
    (
        {"medium_risk_from": "12"},
        "high_risk_from",
        "The high risk band must start above the medium risk band",
    ),
    (
        {"high_risk_from": "99"},
        "high_risk_from",
        f"The high risk band must start at or below the highest possible score "
        f"({DEFAULT_TOP_SCORE})",
    ),
    ({"medium_risk_from": ""}, "medium_risk_from", "Enter the score at which medium risk starts"),
    (
        {"repeat_window_months": "1.5"},
        "repeat_window_months",
        "Enter the repeat window in months as a whole number, like 3",
    ),
    (
        {"definitions_version": "version two"},
        "definitions_version",
        "The definitions version must be 1 to 20 letters, numbers, full stops or hyphens, "
        "starting with a letter or number, like 2026-1",
    ),
]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    FORGED,
    ids=[f"{f[1]}={next(iter(f[0].values()))}" for f in FORGED],
)
def test_refused_community_marac_values_are_explained_kept_and_not_saved(
    app: Flask, admin_client: FlaskClient, change: dict[str, str], field: str, message: str
) -> None:
    """E25 and every bound: the message sits next to the field and in the summary; what was
    typed stays; a valid change sent alongside is not saved either."""
    panel_id = make_panel(app, make_area(app), "Newham CMARAC", PanelType.COMMUNITY_MARAC)
    data = community_form() | {"repeat_window_months": "6"} | change
    response = post_form(admin_client, settings_url(panel_id), data)
    assert response.status_code == 200
    assert title(response.text).startswith("Error: ")
    assert field_error(response.text, field) == message
    assert (field, message) in summary_errors(response.text)
    for name, value in change.items():
        if "label" not in name:
            assert input_value(response.text, name) == value
    assert stored_settings(app, panel_id) is None
    assert settings_events(app) == []


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"dash_threshold": "25"}, "dash_threshold", "The DASH threshold must be between 1 and 24"),
        ({"dash_threshold": "0"}, "dash_threshold", "The DASH threshold must be between 1 and 24"),
        ({"dash_threshold": ""}, "dash_threshold", "Enter the DASH threshold"),
        (
            {"dash_threshold": "٣"},
            "dash_threshold",
            "Enter the DASH threshold as a whole number, like 3",
        ),
        (
            {"escalation_incidents": "51"},
            "escalation_incidents",
            "Escalation incidents must be between 1 and 50",
        ),
        (
            {"repeat_window_months": "61"},
            "repeat_window_months",
            "The repeat window must be between 1 and 60",
        ),
        # "Locally defined" is for the other panel types; a MARAC uses a published definition.
        ({"repeat_definition": "local"}, "repeat_definition", "Select what counts as a repeat"),
        ({"repeat_definition": ""}, "repeat_definition", "Select what counts as a repeat"),
        ({"definitions_version": " "}, "definitions_version", "Enter the definitions version"),
    ],
    ids=[
        "dash-25",
        "dash-0",
        "dash-blank",
        "dash-arabic-digit",
        "escalation",
        "window",
        "local-definition",
        "no-definition",
        "blank-version",
    ],
)
def test_refused_marac_values_are_explained_and_not_saved(
    app: Flask, admin_client: FlaskClient, change: dict[str, str], field: str, message: str
) -> None:
    panel_id = make_panel(app, make_area(app))
    data = MARAC_FORM | {"escalation_incidents": "5"} | change
    response = post_form(admin_client, settings_url(panel_id), data)
    assert response.status_code == 200
    assert field_error(response.text, field) == message
    assert summary_errors(response.text)[0] == (field, message)
    assert input_value(response.text, "escalation_incidents") == data["escalation_incidents"]
    assert stored_settings(app, panel_id) is None
    assert settings_events(app) == []


def test_several_broken_rules_are_all_shown(app: Flask, admin_client: FlaskClient) -> None:
    panel_id = make_panel(app, make_area(app))
    data = MARAC_FORM | {
        "dash_threshold": "30",
        "repeat_window_months": "61",
        "escalation_incidents": "0",
    }
    response = post_form(admin_client, settings_url(panel_id), data)
    assert [name for name, _ in summary_errors(response.text)] == [
        "dash_threshold",
        "escalation_incidents",
        "repeat_window_months",
    ]
    assert stored_settings(app, panel_id) is None


def test_settings_of_other_panel_types_forged_onto_the_form_are_ignored(
    app: Flask, admin_client: FlaskClient
) -> None:
    panel_id = make_panel(app, make_area(app), "Newham Channel", PanelType.CHANNEL)
    data = (
        sharing_form()
        | quorum_form(PanelType.CHANNEL)
        | {
            "repeat_window_months": "24",
            "definitions_version": "2026-3",
            "dash_threshold": "2",
            "case_review_threshold": "9",
        }
    )
    response = post_form(admin_client, settings_url(panel_id), data)
    assert response.status_code == 302
    settings = PanelSettings.from_json(stored_settings(app, panel_id))
    assert settings == PanelSettings(repeat_window_months=24, definitions_version="2026-3")


def test_forged_extra_or_missing_risk_questions(app: Flask, admin_client: FlaskClient) -> None:
    """The matrix has its panel's questions: extra ones are dropped, missing ones are asked for."""
    panel_id = make_panel(app, make_area(app), "Newham CMARAC", PanelType.COMMUNITY_MARAC)
    extra = community_form() | {"risk_items-8-label": "Forged", "risk_items-8-weight": "20"}
    assert post_form(admin_client, settings_url(panel_id), extra).status_code == 302
    settings = PanelSettings.from_json(stored_settings(app, panel_id))
    assert settings.risk_items == DEFAULT_ASB_RISK_ITEMS
    missing = {k: v for k, v in community_form().items() if not k.startswith("risk_items-7-")}
    response = post_form(admin_client, settings_url(panel_id), missing)
    assert response.status_code == 200
    assert field_error(response.text, "risk_items-7-weight") == "Enter the weight of question 8"


def test_admin_sets_emergency_hours_and_who_sees_each_group_of_fields(
    app: Flask, admin_client: FlaskClient
) -> None:
    """Domain §8 R6: field access per panel; the audit says which agencies, readably."""
    panel_id = make_panel(app, make_area(app))
    page = admin_client.get(settings_url(panel_id)).text
    assert input_value(page, "break_glass_hours") == "4"
    assert re.search(r'name="field_access-location"[^>]*value="housing"[^>]*checked', page)
    data = MARAC_FORM | {
        "break_glass_hours": "6",
        # Sent out of order: stored in the agency types' own order.
        "field_access-location": ["housing", "police"],
        "field_access-health": [],
    }
    response = post_form(admin_client, settings_url(panel_id), data)
    assert response.status_code == 302
    settings = PanelSettings.from_json(stored_settings(app, panel_id))
    assert settings.break_glass_hours == 6
    assert settings.agencies_seeing(FieldCategory.LOCATION) == (
        AgencyType.POLICE,
        AgencyType.HOUSING,
    )
    assert settings.agencies_seeing(FieldCategory.HEALTH) == ()
    assert settings.agencies_seeing(FieldCategory.CHILDREN) == PanelSettings().agencies_seeing(
        FieldCategory.CHILDREN
    )
    [event] = settings_events(app)
    assert json.loads(event.changes or "") == {
        "break_glass_hours": [4, 6],
        "field_access.location": ["police,domestic_abuse_service,housing", "police,housing"],
        "field_access.health": ["health,adult_social_care", ""],
    }
    shown = admin_client.get(f"/admin/panels/{panel_id}").text
    assert "6 hours" in shown
    assert f"{FieldCategory.LOCATION.label}: Police, Housing provider" in shown.replace(
        "&#39;", "'"
    )
    assert f"{FieldCategory.HEALTH.label}: coordinators only" in shown


def test_resaving_the_default_field_access_changes_nothing(
    app: Flask, admin_client: FlaskClient
) -> None:
    panel_id = make_panel(app, make_area(app))
    assert post_form(admin_client, settings_url(panel_id), MARAC_FORM).status_code == 302
    [event] = settings_events(app)
    assert not json.loads(event.changes or "{}")
    assert PanelSettings.from_json(stored_settings(app, panel_id)) == PanelSettings()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"field_access-children": ["police", "the_press"]},
            "field_access-children",
            f"Tick only the agency types shown for {FieldCategory.CHILDREN.label}",
        ),
        (
            {"break_glass_hours": "13"},
            "break_glass_hours",
            "Emergency access hours must be between 1 and 12",
        ),
        (
            {"break_glass_hours": ""},
            "break_glass_hours",
            "Enter how many hours emergency access lasts",
        ),
    ],
    ids=["forged-agency", "hours-13", "hours-blank"],
)
def test_refused_sharing_settings_are_explained_and_not_saved(
    app: Flask, admin_client: FlaskClient, change: dict[str, Any], field: str, message: str
) -> None:
    panel_id = make_panel(app, make_area(app))
    response = post_form(admin_client, settings_url(panel_id), MARAC_FORM | change)
    assert response.status_code == 200
    assert field_error(response.text.replace("&#39;", "'"), field) == message
    assert summary_errors(response.text)[0][0] == field
    assert stored_settings(app, panel_id) is None
    assert settings_events(app) == []


@pytest.mark.parametrize(
    "role", [GlobalRole.MANAGER, GlobalRole.AUDITOR, None], ids=["manager", "auditor", "no-role"]
)
def test_only_admins_may_see_or_change_settings(
    app: Flask, accounts: Accounts, sign_in: SignIn, admin: Account, role: GlobalRole | None
) -> None:
    """Including the panel's own coordinator: settings follow the ISP, which admins hold."""
    panel_id = make_panel(app, make_area(app))
    someone = accounts.user("someone@test.example", role=role)
    make_membership(app, panel_id, someone.id, PanelRole.COORDINATOR)
    client = sign_in(app.test_client(), "someone@test.example")
    assert client.get(settings_url(panel_id)).status_code == 403
    token = csrf_token(client.get("/").text)
    forged = MARAC_FORM | {"dash_threshold": "1", "csrf_token": token}
    assert client.post(settings_url(panel_id), data=forged).status_code == 403
    assert stored_settings(app, panel_id) is None
    assert settings_events(app) == []


def test_a_missing_panel_is_not_found(admin_client: FlaskClient) -> None:
    assert admin_client.get(settings_url(999)).status_code == 404


@pytest.mark.postgres
def test_settings_are_stored_and_read_back_on_postgresql(pg_app: Flask) -> None:
    accounts = Accounts(pg_app)
    admin = accounts.user("admin@test.example", role=GlobalRole.ADMIN)
    panel_id = make_panel(pg_app, make_area(pg_app), "Newham CMARAC", PanelType.COMMUNITY_MARAC)
    items = (replace(DEFAULT_ASB_RISK_ITEMS[0], weight=7), *DEFAULT_ASB_RISK_ITEMS[1:])
    with pg_app.test_request_context():
        services.update_panel_settings(
            db.session.get(Panel, panel_id),
            actor=db.session.get(User, admin.id),
            risk_items=items,
            case_review_threshold=2,
        )
        db.session.commit()
    with pg_app.app_context():
        settings = db.session.get(Panel, panel_id).settings
        assert settings.risk_items == items
        assert settings.case_review_threshold == 2
    [event] = settings_events(pg_app)
    assert json.loads(event.changes or "") == {
        "case_review_threshold": [3, 2],
        "risk_items.personal_threat.weight": [5, 7],
    }


@pytest.mark.parametrize(
    ("panel_type", "heading"),
    [
        (PanelType.MARAC, "How a MARAC (high-risk domestic abuse) panel works"),
        (PanelType.IOM, "How an IOM (integrated offender management) panel works"),
        (PanelType.CHANNEL, "How a Channel (Prevent) panel works"),
    ],
)
def test_the_panel_page_names_its_type_with_the_right_article(
    app: Flask, admin_client: FlaskClient, panel_type: PanelType, heading: str
) -> None:
    """Issue 25: the IOM panel's page said "How a IOM… panel works"."""
    panel_id = make_panel(app, make_area(app), name="Testborough panel", panel_type=panel_type)
    page = admin_client.get(f"/admin/panels/{panel_id}")
    assert page.status_code == 200
    assert heading in page.text


# Issue 26: any value typed into a number field is answered on the page, never with a 500 -------

# Every whole-number setting: its message when blank, and its range message for -1 and for a
# number far too large. The "as a whole number" message is the blank one with ", like 3".
WEIGHTS = [f"risk_items-{index}-weight" for index in range(len(DEFAULT_ASB_RISK_ITEMS))]
NUMBER_MESSAGES: dict[str, tuple[str, str, str]] = {
    "dash_threshold": (
        "Enter the DASH threshold",
        "The DASH threshold must be between 1 and 24",
        "The DASH threshold must be between 1 and 24",
    ),
    "escalation_incidents": (
        "Enter how many incidents count as potential escalation",
        "Escalation incidents must be between 1 and 50",
        "Escalation incidents must be between 1 and 50",
    ),
    "repeat_window_months": (
        "Enter the repeat window in months",
        "The repeat window must be between 1 and 60",
        "The repeat window must be between 1 and 60",
    ),
    "break_glass_hours": (
        "Enter how many hours emergency access lasts",
        "Emergency access hours must be between 1 and 12",
        "Emergency access hours must be between 1 and 12",
    ),
    "break_glass_at_once": (
        "Enter how many emergency accesses one person may hold at once",
        "Emergency accesses at once must be between 1 and 10",
        "Emergency accesses at once must be between 1 and 10",
    ),
    "break_glass_per_day": (
        "Enter how many emergency accesses one person may start in 24 hours",
        "Emergency accesses a day must be between 1 and 20",
        "Emergency accesses a day must be between 1 and 20",
    ),
    "agenda_days_before": (
        "Enter how many days before the meeting the agenda is published",
        "Days before the meeting the agenda is published must be between 0 and 28",
        "Days before the meeting the agenda is published must be between 0 and 28",
    ),
    "quorum_agencies": (
        "Enter how many agencies must attend for a quorum",
        "Agencies needed for a quorum must be between 1 and 30",
        "Agencies needed for a quorum must be between 1 and 30",
    ),
    "medium_risk_from": (
        "Enter the score at which medium risk starts",
        "The medium risk band must start at 1 or more",
        f"The medium risk band must start below the highest possible score ({DEFAULT_TOP_SCORE})",
    ),
    "high_risk_from": (
        "Enter the score at which high risk starts",
        "The high risk band must start above the medium risk band",
        f"The high risk band must start at or below the highest possible score "
        f"({DEFAULT_TOP_SCORE})",
    ),
    "repeat_count": (
        "Enter how many referrals make a repeat",
        "The repeat count must be between 2 and 20",
        "The repeat count must be between 2 and 20",
    ),
    "case_review_threshold": (
        "Enter the ASB Case Review threshold",
        "The ASB Case Review threshold must be between 1 and 3 complaints: the law does not "
        "allow a threshold higher than three",
        "The ASB Case Review threshold must be between 1 and 3 complaints: the law does not "
        "allow a threshold higher than three",
    ),
    "case_review_window_months": (
        "Enter the ASB Case Review window in months",
        "The review window must be between 1 and 6",
        "The review window must be between 1 and 6",
    ),
} | {
    weight: (
        f"Enter the weight of question {number}",
        f"The weight of question {number} cannot be negative",
        f"The weight of question {number} must be 20 or less",
    )
    for number, weight in enumerate(WEIGHTS, start=1)
}


def not_a_number(field: str, blank: str) -> str:
    if field in WEIGHTS:
        return (
            blank.replace("Enter the weight of", "The weight of")
            + " must be a whole number, like 3"
        )
    return f"{blank} as a whole number, like 3"


def whole_number_fields(panel_type: PanelType) -> list[str]:
    """The number inputs of a panel type's settings form (every setting but the text ones)."""
    fields = spec_for(panel_type).settings_used
    names = [n for n in fields if n in NUMBER_MESSAGES]
    return names + (WEIGHTS if "risk_items" in fields else [])


def settings_form_for(panel_type: PanelType) -> dict[str, Any]:
    """Every setting the type uses, at its default, as the form posts them."""
    if panel_type is PanelType.COMMUNITY_MARAC:
        return community_form()
    if panel_type is PanelType.MARAC:
        return dict(MARAC_FORM)
    return (
        sharing_form()
        | quorum_form(panel_type)
        | {"repeat_window_months": "12", "definitions_version": "2026-1"}
    )


def test_every_number_input_is_in_the_bad_number_cases(
    app: Flask, admin_client: FlaskClient
) -> None:
    """A new whole-number setting fails here until it has its messages above."""
    for panel_type in PanelType:
        panel_id = make_panel(app, make_area(app, f"Area {panel_type}"), "Panel", panel_type)
        page = admin_client.get(settings_url(panel_id)).text
        numbers = set(re.findall(r'<input[^>]*name="([^"]+)"[^>]*type="text"', page)) | set(
            re.findall(r'<input[^>]*type="text"[^>]*name="([^"]+)"', page)
        )
        text_inputs = {"definitions_version", "population_source"} | {
            f"risk_items-{i}-label" for i in range(len(DEFAULT_ASB_RISK_ITEMS))
        }
        optional = set(OPTIONAL_NUMBER_MESSAGES) & set(spec_for(panel_type).settings_used)
        assert numbers - text_inputs == set(whole_number_fields(panel_type)) | optional, panel_type


BAD_NUMBERS = [" ", "\t", "abc", "1.5", "-1", "9" * 40]


def expected_message(field: str, value: str) -> str:
    blank, below, above = NUMBER_MESSAGES[field]
    if not value.strip():
        return blank
    if value in ("abc", "1.5"):
        return not_a_number(field, blank)
    return below if value.startswith("-") else above


@pytest.mark.parametrize("value", BAD_NUMBERS, ids=["space", "tab", "abc", "1.5", "-1", "huge"])
@pytest.mark.parametrize("panel_type", list(PanelType), ids=[t.value for t in PanelType])
def test_a_bad_number_gets_its_fields_message_keeps_the_input_and_saves_nothing(
    app: Flask, admin_client: FlaskClient, panel_type: PanelType, value: str
) -> None:
    """Spaces or a tab alone used to pass the required check and reach the range check as
    None: a 500 (TypeError). Whatever is typed into any number field of any panel type, the
    page says what to fix next to that field and in the summary, keeps it, and saves nothing."""
    panel_id = make_panel(app, make_area(app), "Testborough panel", panel_type)
    token = csrf_token(admin_client.get(settings_url(panel_id)).text)
    wrong = {}
    for field in whole_number_fields(panel_type):
        data = settings_form_for(panel_type) | {field: value, "csrf_token": token}
        response = admin_client.post(settings_url(panel_id), data=data)
        if response.status_code != 200:
            wrong[field] = response.status_code
            continue
        page = response.text.replace("&#39;", "'")
        expected = expected_message(field, value)
        shown = (
            title(page).startswith("Error: "),
            field_error(page, field),
            (field, expected) in summary_errors(page),
            input_value(page, field),
        )
        if shown != (True, expected, True, value):
            wrong[field] = shown
    assert wrong == {}
    assert stored_settings(app, panel_id) is None
    assert settings_events(app) == []


# The SafeLives return's settings may be left blank (not known) ------------------------------

# Each optional number: its message for text that is not a number, and for one out of range.
OPTIONAL_NUMBER_MESSAGES: dict[str, tuple[str, str]] = {
    "adult_female_population": (
        "Enter the adult female population as a whole number, like 125000",
        "The adult female population must be between 1 and 10,000,000",
    ),
    "idva_fte": (
        "Enter the full-time equivalent IDVAs as a number, like 2.5",
        "Full-time equivalent IDVAs must be between 0 and 500",
    ),
    "admin_fte": (
        "Enter the full-time equivalent MARAC administrators as a number, like 2.5",
        "Full-time equivalent MARAC administrators must be between 0 and 500",
    ),
}
OPTIONAL_BAD = [("abc", 0), ("1,000", 0), ("-1", 1), ("9" * 40, 1)]


@pytest.mark.parametrize("field", list(OPTIONAL_NUMBER_MESSAGES))
def test_a_bad_optional_number_gets_its_message_keeps_the_input_and_saves_nothing(
    app: Flask, admin_client: FlaskClient, field: str
) -> None:
    """The return's population and full-time equivalents may be blank, but anything typed must
    be a number in range: said next to the field and in the summary, the input kept, nothing
    saved."""
    panel_id = make_panel(app, make_area(app), "Testborough panel", PanelType.MARAC)
    token = csrf_token(admin_client.get(settings_url(panel_id)).text)
    values = [*OPTIONAL_BAD]
    if field != "adult_female_population":
        values.append(("1.255", 2))  # hundredths at most
    else:
        values.append(("2.5", 0))
    for value, message in values:
        data = MARAC_FORM | {field: value, "csrf_token": token}
        page = admin_client.post(settings_url(panel_id), data=data)
        assert page.status_code == 200
        text = page.text.replace("&#39;", "'")
        expected = (
            *OPTIONAL_NUMBER_MESSAGES[field],
            "Full-time equivalent IDVAs can have at most 2 decimal places, like 2.5"
            if field == "idva_fte"
            else "Full-time equivalent MARAC administrators can have at most 2 decimal places, "
            "like 2.5",
        )[message]
        assert field_error(text, field) == expected, (field, value)
        assert (field, expected) in summary_errors(text)
        assert input_value(text, field) == value
    assert stored_settings(app, panel_id) is None
    assert settings_events(app) == []


def test_the_return_settings_are_saved_blank_or_set_and_shown_on_the_panel_page(
    app: Flask, admin_client: FlaskClient
) -> None:
    """Domain §2.10, E6: the population (with its source) and the IDVAs and administrators in
    post; blank means not set. The source is typed text, so the trail says only that it
    changed."""
    panel_id = make_panel(app, make_area(app), "Testborough MARAC", PanelType.MARAC)
    page = admin_client.get(f"/admin/panels/{panel_id}").text
    assert page.count("Not set") == 4
    response = post_form(
        admin_client,
        settings_url(panel_id),
        MARAC_FORM
        | {
            "adult_female_population": " 125000 ",
            "population_source": " Synthetic mid-year estimate ",
            "idva_fte": "4.5",
            "admin_fte": "0.75",
        },
    )
    assert response.status_code == 302
    stored = stored_settings(app, panel_id)
    assert stored is not None
    settings = PanelSettings.from_json(stored)
    assert settings.adult_female_population == 125_000
    assert settings.population_source == "Synthetic mid-year estimate"
    assert (settings.idva_fte, settings.admin_fte) == (Decimal("4.5"), Decimal("0.75"))
    shown = admin_client.get(f"/admin/panels/{panel_id}").text
    assert "125,000" in shown
    assert "Synthetic mid-year estimate" in shown
    assert "0.75" in shown
    changes = json.loads(settings_events(app)[-1].changes or "{}")
    assert changes["adult_female_population"] == [None, 125000]
    assert changes["idva_fte"] == [None, "4.5"]
    assert changes["population_source"] == "changed"
    # Blank again: not set.
    post_form(admin_client, settings_url(panel_id), MARAC_FORM | {"idva_fte": " "})
    assert PanelSettings.from_json(stored_settings(app, panel_id)).idva_fte is None
