"""Sharing decisions (domain §8 R7, R8) and transfers as onward disclosure (R19): the log page,
its validation, originator agreement, the decision a transfer records, and who may see it.

The world is the referral pages' one: the Holloway Lane IDVA Service refers a case to the
Thornbury MARAC, whose coordinator (Thornbury Community Safety) decides about sharing it.
"""

from __future__ import annotations

import json
from datetime import UTC
from datetime import date
from datetime import datetime
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import db
from app.errors import DomainError
from audit.models import AuditAction
from audit.models import AuditEvent
from cases import services as case_services
from cases.models import Case
from cases.referrals.models import CaseTransfer
from cases.retention import services as retention
from cases.retention.models import RetentionRule
from cases.retention.queries import DueCase
from cases.sharing import services as sharing
from cases.sharing.models import ConsentStatus
from cases.sharing.models import Disclosure
from cases.sharing.models import LawfulBasis
from cases.sharing.models import SharingDecision
from panels.types.common import PanelType
from tests.cases.referrals import test_referral_pages
from tests.cases.referrals.test_referral_pages import COORDINATOR
from tests.cases.referrals.test_referral_pages import OUTSIDER
from tests.cases.referrals.test_referral_pages import REP
from tests.cases.referrals.test_referral_pages import World
from tests.cases.referrals.test_referral_pages import accepted_by_coordinator
from tests.cases.referrals.test_referral_pages import post
from tests.cases.referrals.test_referral_pages import referral
from tests.cases.referrals.test_referral_pages import text
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.conftest import csrf_token

world = test_referral_pages.world  # the referral pages' fixture, shared

IDVA = "Holloway Lane IDVA Service"
REASON = "Synthetic: the risk to the victim outweighs her wish not to involve the school"


@pytest.fixture
def case_id(app: Flask, client: FlaskClient, world: World, sign_in: SignIn) -> int:
    """A case the IDVA referred, accepted by the coordinator, who is signed in on `client`."""
    _, referral_id = accepted_by_coordinator(app, client, sign_in, world.marac)
    found = referral(app, referral_id).case_id
    assert found is not None
    return found


def organisation_id(app: Flask, name: str) -> int:
    with app.app_context():
        found = db.session.scalar(select(Organisation.id).where(Organisation.name == name))
        assert found is not None
        return found


def decisions(app: Flask, case_id: int) -> list[SimpleNamespace]:
    """The case's decisions as plain values (sealed text is read while the app is at hand)."""
    with app.app_context():
        rows = db.session.scalars(
            select(SharingDecision)
            .where(SharingDecision.case_id == case_id)
            .order_by(SharingDecision.id)
        ).all()
        return [
            SimpleNamespace(
                disclosure=row.disclosure,
                shared=row.shared,
                recipient=row.recipient,
                lawful_basis=row.lawful_basis,
                consent=row.consent,
                panel_id=row.panel_id,
                transfer_id=row.transfer_id,
                reason=row.reason,
                without_agreement_reason=row.without_agreement_reason,
                originators=[
                    SimpleNamespace(organisation_id=o.organisation_id, agreed=o.agreed)
                    for o in row.originators
                ],
            )
            for row in rows
        ]


def events_of(app: Flask, action: AuditAction) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        db.session.expunge_all()
        return list(rows)


def shared_outside(**overrides: str) -> dict[str, str]:
    return {
        "disclosure": "outside_panel",
        "shared": "yes",
        "recipient": "Thornbury Primary School",
        "lawful_basis": "public_task_safeguarding",
        "consent": "refused",
        "reason": REASON,
        **overrides,
    }


# Recording decisions on the log page (R8) ----------------------------------------------------


def test_r8_a_decision_to_share_is_recorded_with_its_basis_consent_and_reason(
    app: Flask, client: FlaskClient, case_id: int
) -> None:
    idva = organisation_id(app, IDVA)
    saved = post(client, f"/cases/{case_id}/sharing", {**shared_outside(), "agreed": str(idva)})
    assert saved.status_code == 302  # type: ignore[attr-defined]
    [decision] = decisions(app, case_id)
    assert (decision.disclosure, decision.shared, decision.recipient) == (
        Disclosure.OUTSIDE_PANEL,
        True,
        "Thornbury Primary School",
    )
    assert (decision.lawful_basis, decision.consent) == (
        LawfulBasis.PUBLIC_TASK_SAFEGUARDING,
        ConsentStatus.REFUSED,
    )
    assert decision.reason == REASON
    assert [(o.organisation_id, o.agreed) for o in decision.originators] == [(idva, True)]
    log = text(client.get(f"/cases/{case_id}/sharing"))
    assert "UK GDPR 6(1)(e) public task, with DPA 2018 Sch.1 para 18" in log
    assert "Consent refused (shared without it)" in log
    assert REASON in log
    assert f"{IDVA}: agreed" in log
    assert "Thornbury Community Safety" in log  # the deciding agency


def test_r8_the_audit_event_holds_codes_and_never_the_reasons(
    app: Flask, client: FlaskClient, case_id: int
) -> None:
    post(
        client,
        f"/cases/{case_id}/sharing",
        shared_outside(without_agreement_reason="Synthetic: the IDVA could not be reached"),
    )
    [event] = events_of(app, AuditAction.SHARING_DECISION_RECORDED)
    assert (event.object_type, event.object_id) == ("cases", str(case_id))
    changes = json.loads(event.changes or "{}")
    assert changes["lawful_basis"] == [None, "public_task_safeguarding"]
    assert changes["consent"] == [None, "refused"]
    assert changes["shared"] == [None, True]
    assert changes["without_agreement"] == [None, True]
    assert changes["not_agreed_agency_ids"] == [None, [organisation_id(app, IDVA)]]
    assert "Synthetic" not in (event.changes or "")


def test_r8_a_decision_not_to_share_needs_no_lawful_basis(
    app: Flask, client: FlaskClient, case_id: int
) -> None:
    saved = post(
        client,
        f"/cases/{case_id}/sharing",
        shared_outside(shared="no", lawful_basis="", consent="not_sought_unsafe"),
    )
    assert saved.status_code == 302  # type: ignore[attr-defined]
    [decision] = decisions(app, case_id)
    assert (decision.shared, decision.lawful_basis) == (False, None)
    assert decision.originators[0].agreed is False  # recorded, though not needed (not shared)
    log = text(client.get(f"/cases/{case_id}/sharing"))
    assert "None: not shared" in log
    assert "Not shared: disclosure outside the panel" in log


def test_r8_missing_answers_get_messages_and_keep_what_was_typed(
    app: Flask, client: FlaskClient, case_id: int
) -> None:
    page = text(
        post(
            client,
            f"/cases/{case_id}/sharing",
            {"disclosure": "outside_panel", "shared": "yes", "recipient": "Eastmere Housing"},
        )
    )
    assert "There is a problem" in page
    for message in (
        "Select the lawful basis for sharing",
        "Select whether consent was given, refused or not sought",
        "Enter the reason for the decision",
    ):
        assert message in page
    assert 'value="Eastmere Housing"' in page
    forged = text(post(client, f"/cases/{case_id}/sharing", shared_outside(lawful_basis="because")))
    assert "Select the lawful basis for sharing" in forged
    assert decisions(app, case_id) == []


def test_r7_onward_disclosure_without_agreement_or_reason_is_refused_naming_the_agency(
    app: Flask, client: FlaskClient, case_id: int
) -> None:
    page = text(post(client, f"/cases/{case_id}/sharing", shared_outside()))
    assert f"{IDVA} has not agreed to onward disclosure" in page
    assert 'href="#without_agreement_reason"' in page
    assert REASON in page  # the reason typed is kept
    assert decisions(app, case_id) == []


def test_r8_consent_is_a_lawful_basis_only_when_it_was_given(
    app: Flask, client: FlaskClient, case_id: int
) -> None:
    page = text(
        post(
            client,
            f"/cases/{case_id}/sharing",
            shared_outside(disclosure="within_panel", lawful_basis="consent", consent="refused"),
        )
    )
    assert "Consent can be the lawful basis only if the person gave it" in page
    assert decisions(app, case_id) == []


@pytest.mark.parametrize("basis", list(LawfulBasis))
def test_every_lawful_basis_has_a_label_naming_its_law(basis: LawfulBasis) -> None:
    assert any(law in basis.label for law in ("UK GDPR", "DPA 2018"))


# Originators (R7) -----------------------------------------------------------------------------


def test_r7_originators_are_the_agencies_that_provided_information_once_each_by_name(
    app: Flask, accounts: Accounts, client: FlaskClient, case_id: int
) -> None:
    accounts.user("health@test.example", organisation="Ashgrove Health Trust")
    with app.test_request_context():
        case = db.session.get_one(Case, case_id)
        health = db.session.scalar(select(User).where(User.email == "health@test.example"))
        idva = db.session.scalar(select(User).where(User.email == REP))
        assert health is not None
        assert idva is not None
        for author in (health, idva, health):
            case_services.add_note(case, actor=author, text="Synthetic note")
        assert [o.name for o in sharing.originators_of(case)] == ["Ashgrove Health Trust", IDVA]


def test_r7_the_disclosing_agencys_own_information_needs_no_agreement(
    app: Flask, case_id: int
) -> None:
    with app.test_request_context():
        case = db.session.get_one(Case, case_id)
        idva = db.session.scalar(select(User).where(User.email == REP))
        assert idva is not None
        decision = sharing.record_decision(
            actor=idva,
            case=case,
            disclosure=Disclosure.OUTSIDE_PANEL,
            shared=True,
            recipient="Thornbury Primary School",
            lawful_basis=LawfulBasis.PUBLIC_TASK_SAFEGUARDING,
            consent=ConsentStatus.GIVEN,
            reason=REASON,
        )
        assert decision.originators == []
        coordinator = db.session.scalar(select(User).where(User.email == COORDINATOR))
        assert coordinator is not None
        with pytest.raises(DomainError, match=f"{IDVA} has not agreed") as refused:
            sharing.record_decision(
                actor=coordinator,
                case=case,
                disclosure=Disclosure.OUTSIDE_PANEL,
                shared=True,
                recipient="Thornbury Primary School",
                lawful_basis=LawfulBasis.PUBLIC_TASK_SAFEGUARDING,
                consent=ConsentStatus.GIVEN,
                reason=REASON,
                agreements={idva.organisation_id: False},
            )
        assert refused.value.field == "without_agreement_reason"


def test_r7_sharing_within_the_panel_needs_no_originator_agreement(
    app: Flask, client: FlaskClient, case_id: int
) -> None:
    saved = post(client, f"/cases/{case_id}/sharing", shared_outside(disclosure="within_panel"))
    assert saved.status_code == 302  # type: ignore[attr-defined]


# Transfers record their decision (R7, R19) ---------------------------------------------------


def transfer_form(world: World, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [
        ("to_panel_id", str(world.other_marac)),
        ("reason", "Synthetic: the victim has moved to Eastmere"),
        *[("transferred_on", d) for d in ("10", "11", "2026")],
        ("lawful_basis", "public_task_safeguarding"),
        ("consent", "given"),
        *extra,
    ]


def transfers(app: Flask, case_id: int) -> list[SimpleNamespace]:
    with app.app_context():
        rows = db.session.scalars(select(CaseTransfer).where(CaseTransfer.case_id == case_id))
        return [SimpleNamespace(id=row.id, reason=row.reason) for row in rows]


def test_r7_r19_a_transfer_without_agreement_or_reason_is_refused_and_nothing_moves(
    app: Flask, client: FlaskClient, world: World, case_id: int
) -> None:
    form = text(client.get(f"/cases/{case_id}/transfer"))
    assert "Originating agencies that have agreed to onward disclosure" in form
    assert IDVA in form
    page = text(post(client, f"/cases/{case_id}/transfer", transfer_form(world)))
    assert f"{IDVA} has not agreed to onward disclosure" in page
    assert "Synthetic: the victim has moved to Eastmere" in page  # kept
    assert transfers(app, case_id) == []
    assert decisions(app, case_id) == []
    with app.app_context():
        assert db.session.get_one(Case, case_id).panel_id == world.marac
    missing = text(
        post(client, f"/cases/{case_id}/transfer", [*transfer_form(world)[:3], ("consent", "")])
    )
    assert "Select the lawful basis for sharing" in missing
    assert "Select whether consent was given, refused or not sought" in missing


def test_r7_r19_a_transfer_with_every_agreement_records_a_decision_linked_to_it(
    app: Flask, client: FlaskClient, world: World, case_id: int
) -> None:
    idva = organisation_id(app, IDVA)
    moved = post(client, f"/cases/{case_id}/transfer", transfer_form(world, ("agreed", str(idva))))
    assert moved.status_code == 302  # type: ignore[attr-defined]
    [transfer] = transfers(app, case_id)
    [decision] = decisions(app, case_id)
    assert decision.transfer_id == transfer.id
    assert (decision.disclosure, decision.shared, decision.panel_id) == (
        Disclosure.TRANSFER,
        True,
        world.marac,  # decided by the sending panel
    )
    assert decision.recipient == "Eastmere marac"
    assert decision.reason == transfer.reason == "Synthetic: the victim has moved to Eastmere"
    assert (decision.lawful_basis, decision.consent) == (
        LawfulBasis.PUBLIC_TASK_SAFEGUARDING,
        ConsentStatus.GIVEN,
    )
    assert [(o.organisation_id, o.agreed) for o in decision.originators] == [(idva, True)]
    assert decision.without_agreement_reason is None
    recorded = [
        e.action
        for e in events_of(app, AuditAction.SHARING_DECISION_RECORDED)
        + events_of(app, AuditAction.CASE_TRANSFERRED)
    ]
    assert recorded == [AuditAction.SHARING_DECISION_RECORDED, AuditAction.CASE_TRANSFERRED]


def test_r7_r19_a_transfer_may_go_ahead_without_agreement_with_a_recorded_reason(
    app: Flask, client: FlaskClient, world: World, sign_in: SignIn, case_id: int
) -> None:
    why = "Synthetic: the IDVA service is closed over the holiday and the risk is immediate"
    moved = post(
        client,
        f"/cases/{case_id}/transfer",
        transfer_form(world, ("without_agreement_reason", why)),
    )
    assert moved.status_code == 302  # type: ignore[attr-defined]
    [decision] = decisions(app, case_id)
    assert decision.without_agreement_reason == why
    assert [o.agreed for o in decision.originators] == [False]
    receiving = app.test_client()
    sign_in(receiving, OUTSIDER)  # the receiving panel's coordinator sees the decision
    log = text(receiving.get(f"/cases/{case_id}/sharing"))
    assert why in log
    assert f"{IDVA}: not agreed" in log
    assert "From Thornbury marac to Eastmere marac on 10 November 2026" in log


# The log page ------------------------------------------------------------------------------


def test_the_log_lists_decisions_newest_first_and_records_each_read(
    app: Flask, client: FlaskClient, case_id: int
) -> None:
    for recipient in ("Later Recipient Trust", "Earlier Recipient Trust"):
        post(
            client,
            f"/cases/{case_id}/sharing",
            shared_outside(disclosure="within_panel", recipient=recipient),
        )
    with app.app_context():  # the first recorded is dated later: the order follows the dates
        first, second = db.session.scalars(select(SharingDecision).order_by(SharingDecision.id))
        first.decided_at = datetime(2026, 11, 4, 10, tzinfo=UTC)
        second.decided_at = datetime(2026, 11, 3, 10, tzinfo=UTC)
        db.session.commit()
    reads = len(events_of(app, AuditAction.SHARING_LOG_VIEWED))
    log = text(client.get(f"/cases/{case_id}/sharing"))
    assert log.index("Later Recipient Trust") < log.index("Earlier Recipient Trust")
    assert "4 November 2026 at 10am" in log
    assert len(events_of(app, AuditAction.SHARING_LOG_VIEWED)) == reads + 1
    assert f'href="/cases/{case_id}/sharing"' in text(client.get(f"/cases/{case_id}"))


def test_someone_who_cannot_see_the_case_gets_404_on_its_sharing_log(
    app: Flask, world: World, sign_in: SignIn, case_id: int
) -> None:
    outsider = app.test_client()
    sign_in(outsider, OUTSIDER)
    assert outsider.get(f"/cases/{case_id}/sharing").status_code == 404
    token = csrf_token(outsider.get("/").text)
    refused = outsider.post(
        f"/cases/{case_id}/sharing", data={"csrf_token": token, **shared_outside()}
    )
    assert refused.status_code == 404
    assert outsider.get("/cases/999999/sharing").status_code == 404
    assert decisions(app, case_id) == []
    denied = events_of(app, AuditAction.ACCESS_DENIED)
    assert [(e.object_type, e.object_id) for e in denied[-3:]] == [
        ("cases", str(case_id)),
        ("cases", str(case_id)),
        ("cases", "999999"),
    ]


def test_after_disposal_the_log_opens_without_reasons_and_takes_no_new_decision(
    app: Flask, client: FlaskClient, case_id: int
) -> None:
    post(client, f"/cases/{case_id}/sharing", shared_outside(disclosure="within_panel"))
    with app.test_request_context():
        case = db.session.get_one(Case, case_id)
        rule = db.session.scalar(
            select(RetentionRule).where(RetentionRule.panel_type == PanelType.MARAC)
        )
        assert rule is not None
        retention.dispose(DueCase(case, rule, date(2026, 1, 1)), actor=None)
        db.session.commit()
    log = client.get(f"/cases/{case_id}/sharing")
    assert log.status_code == 200
    page = text(log)
    assert "Destroyed under the retention policy" in page
    assert REASON not in page
    assert "Record a decision" not in page
    with app.test_request_context():
        case = db.session.get_one(Case, case_id)
        coordinator = db.session.scalar(select(User).where(User.email == COORDINATOR))
        assert coordinator is not None
        with pytest.raises(DomainError, match="destroyed"):
            sharing.record_decision(
                actor=coordinator,
                case=case,
                disclosure=Disclosure.WITHIN_PANEL,
                shared=False,
                recipient="Thornbury Primary School",
                lawful_basis=None,
                consent=ConsentStatus.NOT_SOUGHT_UNSAFE,
                reason=REASON,
            )
