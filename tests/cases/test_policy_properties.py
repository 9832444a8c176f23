"""Property-based tests of the policy functions (issue 5; domain §8 R1, R3, R5; security R17,
R19): random combinations of role, ISP signature state, listing, declaration, referral,
restriction and emergency grant, each checked against the rules written out in plain Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import timedelta

import pytest
from flask import Flask
from hypothesis import HealthCheck
from hypothesis import example
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.accounts.models import AgencyType
from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import db
from app.database import uk_today
from app.database import utcnow
from app.keys.models import KeyPurpose
from app.keys.store import key_store
from cases import policy
from cases import services as case_services
from cases.break_glass.models import BreakGlassGrant
from cases.break_glass.models import BreakGlassReason
from cases.models import Case
from cases.referrals.models import Referral
from cases.restrictions.models import CaseRestriction
from panels import policy as panel_policy
from panels.models import ConfidentialityDeclaration
from panels.models import IspAgreement
from panels.models import IspSignatory
from panels.models import Meeting
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.types.common import ReferralStatus
from tests.conftest import Accounts
from tests.referral_fixtures import panel as make_panel

TODAY = uk_today()
SIGNATURES = ("in_force", "withdrawn", "lapsed", "not_yet", "unsigned", "no_agreement")
days = st.integers(min_value=-400, max_value=400).map(lambda n: TODAY + timedelta(days=n))


@given(signed=days, review_after=st.integers(0, 800), withdrawn=st.none() | days, day=days)
def test_a_signature_is_in_force_only_between_signing_and_review_and_before_withdrawal(
    signed: date, review_after: int, withdrawn: date | None, day: date
) -> None:
    """R1: the reason and the model agree, and both follow the stated rule."""
    review = signed + timedelta(days=review_after)
    agreement = IspAgreement(version="1", in_force_from=signed)
    signatory = IspSignatory(signed_on=signed, review_on=review, withdrawn_on=withdrawn)
    expected = signed <= day <= review and (withdrawn is None or day < withdrawn)
    assert signatory.in_force_on(day) is expected
    assert (panel_policy.signature_problem(agreement, signatory, day) is None) is expected
    assert panel_policy.signature_problem(agreement, None, day) is not None
    assert panel_policy.signature_problem(None, signatory, day) is not None


@dataclass(frozen=True)
class Facts:
    role: PanelRole | None
    signature: str  # the organisation's signature on version 1
    newer_version: str  # a version 2: "none", "future", "signed" or "unsigned" (in force today)
    on_own_panel: bool  # the case is on the viewer's panel, not another one
    referred_by_own_agency: bool
    listed: bool
    declared_same_meeting: bool
    declared_other_meeting: bool
    restricted_against_own: bool
    restricted_against_other: bool
    grant: str  # "none", "live", "expired", "ended"


facts = st.builds(
    Facts,
    role=st.none() | st.sampled_from(list(PanelRole)),
    signature=st.sampled_from(SIGNATURES),
    newer_version=st.sampled_from(["none", "future", "signed", "unsigned"]),
    on_own_panel=st.booleans(),
    referred_by_own_agency=st.booleans(),
    listed=st.booleans(),
    declared_same_meeting=st.booleans(),
    declared_other_meeting=st.booleans(),
    restricted_against_own=st.booleans(),
    restricted_against_other=st.booleans(),
    grant=st.sampled_from(["none", "live", "expired", "ended"]),
)


def expected_visible(f: Facts) -> bool:
    """The rules of cases/policy.py in plain words."""
    if f.restricted_against_own:
        return False
    if f.newer_version in ("signed", "unsigned"):
        signed = f.newer_version == "signed"  # the version in force is the newer one
    else:
        signed = f.signature == "in_force"
    member = f.role is not None and signed and f.on_own_panel
    if not member:
        return False
    if f.role in (PanelRole.COORDINATOR, PanelRole.CHAIR):
        return True
    listed_for_me = f.listed and f.declared_same_meeting
    return listed_for_me or f.referred_by_own_agency or f.grant == "live"


@pytest.fixture(autouse=True)
def one_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """The policy judges signatures against the day the examples were built for. On the wall
    clock a run that crosses midnight would see "signed tomorrow" become "signed today"."""
    monkeypatch.setattr(panel_policy, "uk_today", lambda: TODAY)


@pytest.fixture
def viewer_email(accounts: Accounts) -> str:
    accounts.organisation_id("Props Housing", AgencyType.HOUSING)
    return accounts.user("viewer@props.example", organisation="Props Police").email


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(f=facts)
@example(  # a newer version in force that the organisation has not signed (R1)
    f=Facts(
        role=PanelRole.COORDINATOR,
        signature="in_force",
        newer_version="unsigned",
        on_own_panel=True,
        referred_by_own_agency=True,
        listed=True,
        declared_same_meeting=True,
        declared_other_meeting=False,
        restricted_against_own=False,
        restricted_against_other=False,
        grant="none",
    )
)
@example(  # signed from tomorrow: not in force yet, however long the run takes (R1)
    f=Facts(
        role=PanelRole.COORDINATOR,
        signature="not_yet",
        newer_version="none",
        on_own_panel=True,
        referred_by_own_agency=False,
        listed=False,
        declared_same_meeting=False,
        declared_other_meeting=False,
        restricted_against_own=False,
        restricted_against_other=False,
        grant="none",
    )
)
@example(  # a signature whose review date has passed gives no access, even to a coordinator (R1)
    f=Facts(
        role=PanelRole.COORDINATOR,
        signature="lapsed",
        newer_version="none",
        on_own_panel=True,
        referred_by_own_agency=True,
        listed=True,
        declared_same_meeting=True,
        declared_other_meeting=False,
        restricted_against_own=False,
        restricted_against_other=False,
        grant="none",
    )
)
@example(  # emergency access past its end opens nothing, though no one has ended it (R19)
    f=Facts(
        role=PanelRole.REPRESENTATIVE,
        signature="in_force",
        newer_version="none",
        on_own_panel=True,
        referred_by_own_agency=False,
        listed=False,
        declared_same_meeting=False,
        declared_other_meeting=False,
        restricted_against_own=False,
        restricted_against_other=False,
        grant="expired",
    )
)
def test_case_scope_follows_the_rules(app: Flask, viewer_email: str, f: Facts) -> None:
    """R5, R17, R19: whatever the combination, the scope that every fetch, list and search
    carries agrees with the rules. Each example is rolled back."""
    email = viewer_email
    with app.test_request_context():
        viewer = db.session.scalar(select(User).where(User.email == email))
        assert viewer is not None
        case = _build(viewer, f)
        visible = db.session.scalar(
            select(Case.id).where(Case.id == case.id, policy.case_scope(policy.viewer_of(viewer)))
        )
        assert (visible is not None) is expected_visible(f), f
        db.session.rollback()


def _build(viewer: User, f: Facts) -> Case:
    other_org = db.session.scalar(select(Organisation).where(Organisation.name == "Props Housing"))
    assert other_org is not None
    own, elsewhere = make_panel("Props Ashcombe"), make_panel("Props Brindle")
    if f.role is not None:
        db.session.add(PanelMembership(panel=own, user=viewer, role=f.role))
    _sign(own, viewer.organisation_id, f.signature)
    _newer_version(own, viewer.organisation_id, f.newer_version)
    panel = own if f.on_own_panel else elsewhere
    case = case_services.open_case(actor=None, panel=panel, opened_on=TODAY, summary=None)
    meeting, other_meeting = (
        Meeting(panel=panel, held_on=TODAY + timedelta(days=d)) for d in (7, 14)
    )
    db.session.add_all([meeting, other_meeting])
    db.session.flush()
    db.session.add(
        Referral(
            panel=panel,
            case=case,
            status=ReferralStatus.LISTED if f.listed else ReferralStatus.ACCEPTED,
            referrer_id=viewer.id,
            referring_agency_id=viewer.organisation_id
            if f.referred_by_own_agency
            else other_org.id,
            referred_on=TODAY,
            meeting=meeting if f.listed else None,
            data_key=key_store().new_key(KeyPurpose.CASE),
        )
    )
    for declared, at in (
        (f.declared_same_meeting, meeting),
        (f.declared_other_meeting, other_meeting),
    ):
        if declared:
            db.session.add(
                ConfidentialityDeclaration(
                    meeting_id=at.id, user_id=viewer.id, statement_version="1"
                )
            )
    for restricted, organisation_id in (
        (f.restricted_against_own, viewer.organisation_id),
        (f.restricted_against_other, other_org.id),
    ):
        if restricted:
            db.session.add(
                CaseRestriction(
                    case_id=case.id, organisation_id=organisation_id, placed_by_id=viewer.id
                )
            )
    if f.grant != "none":
        _grant(viewer, case, f.grant)
    db.session.flush()
    return case


def _sign(panel: object, organisation_id: int, state: str) -> None:
    if state == "no_agreement":
        return
    agreement = IspAgreement(panel=panel, version="1", in_force_from=TODAY - timedelta(days=30))
    db.session.add(agreement)
    if state == "unsigned":
        return
    signed, review, withdrawn = {
        "in_force": (TODAY - timedelta(days=10), TODAY + timedelta(days=300), None),
        "withdrawn": (TODAY - timedelta(days=10), TODAY + timedelta(days=300), TODAY),
        "lapsed": (TODAY - timedelta(days=400), TODAY - timedelta(days=1), None),
        "not_yet": (TODAY + timedelta(days=1), TODAY + timedelta(days=300), None),
    }[state]
    agreement.signatories.append(
        IspSignatory(
            organisation_id=organisation_id,
            signed_on=signed,
            review_on=review,
            withdrawn_on=withdrawn,
        )
    )


def _newer_version(panel: object, organisation_id: int, state: str) -> None:
    if state == "none":
        return
    starts = TODAY + timedelta(days=5) if state == "future" else TODAY
    agreement = IspAgreement(panel=panel, version="2", in_force_from=starts)
    db.session.add(agreement)
    if state in ("signed", "future"):
        agreement.signatories.append(
            IspSignatory(
                organisation_id=organisation_id,
                signed_on=TODAY - timedelta(days=1),
                review_on=TODAY + timedelta(days=300),
            )
        )


def _grant(viewer: User, case: Case, state: str) -> None:
    now = utcnow()
    expires = now + timedelta(hours=2) if state != "expired" else now - timedelta(minutes=1)
    db.session.add(
        BreakGlassGrant(
            case_id=case.id,
            user_id=viewer.id,
            reason_code=BreakGlassReason.IMMEDIATE_RISK,
            started_at=now - timedelta(hours=1),
            expires_at=expires,
            ended_at=now - timedelta(minutes=5) if state == "ended" else None,
            data_key=case.data_key,
            reason="Synthetic reason",
        )
    )
