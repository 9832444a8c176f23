"""Double submits and concurrent edits (issue 26, "keep proving it").

A double-clicked "send referral" sends one referral; two people working on the same referral,
action or panel settings from the same starting point never silently overwrite each other: the
second is told (the "changed meanwhile" page, a message by the field, or a clear refusal) and
nothing of theirs is saved. Referrals and actions carry a version (`version_id_col`), which is
what catches two requests that really do run at once; those tests also run on PostgreSQL.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select

from app.accounts.models import AgencyType
from app.accounts.models import GlobalRole
from app.accounts.models import User
from app.database import db
from app.database import uk_today
from app.extensions import limiter
from audit import AuditAction
from audit.models import AuditEvent
from cases.actions.models import ActionUpdate
from cases.actions.models import CaseAction
from cases.actions.services import STALE
from cases.models import Case
from cases.referrals import services as referrals
from cases.referrals.models import Referral
from cases.referrals.models import ReferralStatus
from panels.models import Panel
from panels.models import PanelRole
from tests.conftest import PASSWORD
from tests.conftest import Accounts
from tests.conftest import csrf_token
from tests.referral_fixtures import draft
from tests.referral_fixtures import marac_answers
from tests.referral_fixtures import member
from tests.referral_fixtures import panel as make_panel
from tests.referral_fixtures import submitted

COORDINATOR = "coordinator@d.example"
SECOND_COORDINATOR = "second-coordinator@d.example"
REFERRER = "housing@d.example"
ADMIN = "admin@d.example"
SECOND_ADMIN = "second-admin@d.example"


@dataclass
class Setting:
    app: Flask
    accounts: Accounts
    panel: int
    draft: int  # a complete draft by the referrer, ready to send
    unscreened: int  # a referral sent by the referrer, waiting to be screened
    case: int
    action: int  # an open action of the case, owned by the referrer's agency


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_app(request: pytest.FixtureRequest) -> Flask:
    """The same test on SQLite and, when TEST_DATABASE_URL is set, PostgreSQL."""
    return request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")


@pytest.fixture
def setting(any_app: Flask) -> Setting:
    return _setting(any_app)


def _setting(app: Flask) -> Setting:
    accounts = Accounts(app)
    council = accounts.user(COORDINATOR, organisation="Council", name="Cora Coordinator")
    second = accounts.user(SECOND_COORDINATOR, organisation="Council", name="Sam Second")
    housing_id = accounts.organisation_id("Housing", AgencyType.HOUSING)
    referrer = accounts.user(REFERRER, organisation="Housing", name="Hal Housing")
    accounts.user(ADMIN, role=GlobalRole.ADMIN, name="Ada Admin")
    accounts.user(SECOND_ADMIN, role=GlobalRole.ADMIN, name="Abe Admin")
    today = uk_today()
    with app.test_request_context():
        users = {a.email: db.session.get_one(User, a.id) for a in (council, second, referrer)}
        home = make_panel("Ashcombe")
        member(home, users[COORDINATOR], PanelRole.COORDINATOR)
        member(home, users[SECOND_COORDINATOR], PanelRole.COORDINATOR)
        member(home, users[REFERRER], PanelRole.REPRESENTATIVE)
        ready = draft(users[REFERRER], home, marac_answers(referred_on=today))
        waiting = submitted(users[REFERRER], home, marac_answers(referred_on=today))
        accepted = submitted(users[REFERRER], home, marac_answers(referred_on=today))
        case = referrals.accept_referral(
            accepted, actor=users[COORDINATOR], matches=[None, None], today=today
        ).case
        action = CaseAction(
            case=case,
            panel_id=home.id,
            data_key=case.data_key,
            owner_agency_id=housing_id,
            due_on=today + timedelta(days=14),
            agreed_by_id=users[COORDINATOR].id,
            description="Synthetic action: visit and review locks",
        )
        db.session.add(action)
        db.session.commit()
        return Setting(app, accounts, home.id, ready.id, waiting.id, case.id, action.id)


def _signed_in(setting: Setting, email: str) -> FlaskClient:
    app, accounts = setting.app, setting.accounts
    with app.app_context():
        limiter.reset()
        user = db.session.scalar(select(User).where(User.email == email))
        assert user is not None
        user.totp_last_step = None  # let one test sign several people in within a step
        db.session.commit()
    client = app.test_client()
    token = csrf_token(client.get("/sign-in").text)
    client.post("/sign-in", data={"csrf_token": token, "email": email, "password": PASSWORD})
    token = csrf_token(client.get("/sign-in/security-code").text)
    response = client.post(
        "/sign-in/security-code", data={"csrf_token": token, "code": accounts.code(email)}
    )
    assert response.status_code == 302, response.text[:300]
    return client


def _scalar(app: Flask, statement: Any) -> Any:
    with app.app_context():
        return db.session.scalar(statement)


def _submitted_events(app: Flask, referral_id: int) -> int:
    return _scalar(
        app,
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.action == AuditAction.REFERRAL_SUBMITTED,
            AuditEvent.object_id == str(referral_id),
        ),
    )


def _referral(app: Flask, referral_id: int) -> tuple[ReferralStatus, int]:
    with app.app_context():
        referral = db.session.get_one(Referral, referral_id)
        return referral.status, referral.version


# Send twice ------------------------------------------------------------------------------------


def test_a_double_clicked_send_sends_one_referral(setting: Setting) -> None:
    """The same POST twice, same token and the form as drawn: one submission; the second is
    refused as for a referral no longer in draft (a 404 page, nothing changed)."""
    app = setting.app
    client = _signed_in(setting, REFERRER)
    url = f"/referrals/{setting.draft}/check"
    data = {"csrf_token": csrf_token(client.get(url).text)}
    first = client.post(url, data=data)
    assert first.status_code == 302
    assert first.location == f"/referrals/{setting.draft}"
    after_first = _referral(app, setting.draft)
    assert after_first[0] is ReferralStatus.SUBMITTED
    second = client.post(url, data=data)
    assert second.status_code == 404
    assert "Page not found" in second.text
    assert _referral(app, setting.draft) == after_first
    assert _submitted_events(app, setting.draft) == 1
    count = select(func.count()).select_from(Referral)
    assert _scalar(app, count) == 3  # no second referral was made from the draft


def _at_once(requests: list[tuple[FlaskClient, str, dict[str, str]]]) -> list[Any]:
    """Send the POSTs from threads released together, so they really do overlap."""
    barrier = threading.Barrier(len(requests))
    responses: list[Any] = [None] * len(requests)

    def send(index: int, client: FlaskClient, url: str, data: dict[str, str]) -> None:
        barrier.wait()
        responses[index] = client.post(url, data=data)

    threads = [
        threading.Thread(target=send, args=(i, *request)) for i, request in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


def test_two_sends_at_the_same_moment_send_one_referral(setting: Setting) -> None:
    """Two tabs (two sessions) sending the same draft at once: exactly one submission and one
    audit event; the other is told (the referral is no longer a draft, or changed meanwhile)."""
    app = setting.app
    tabs = [_signed_in(setting, REFERRER), _signed_in(setting, REFERRER)]
    url = f"/referrals/{setting.draft}/check"
    requests = [(tab, url, {"csrf_token": csrf_token(tab.get(url).text)}) for tab in tabs]
    responses = _at_once(requests)
    statuses = sorted(response.status_code for response in responses)
    assert statuses[0] == 302, statuses
    assert statuses[1] in (404, 409), statuses
    assert _referral(app, setting.draft)[0] is ReferralStatus.SUBMITTED
    assert _submitted_events(app, setting.draft) == 1


# Two people, one object ------------------------------------------------------------------------


def _report(client: FlaskClient, url: str, page: str, text: str) -> Any:
    version = _hidden(page, "version")
    return client.post(
        url,
        data={
            "csrf_token": csrf_token(page),
            "status": "completed",
            "text": text,
            "version": version,
        },
    )


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
    assert match, f"no {name} on the page"
    return match.group(1)


def _updates(app: Flask, action_id: int) -> list[str]:
    with app.test_request_context():
        updates = db.session.scalars(
            select(ActionUpdate)
            .where(ActionUpdate.action_id == action_id)
            .order_by(ActionUpdate.id)
        )
        return [update.text for update in updates]


def test_two_reports_on_one_action_from_the_same_version_never_overwrite(
    setting: Setting,
) -> None:
    """The coordinator and the owning agency open the action, both report: the second is told
    by the field and nothing of theirs is saved; the first report stands."""
    app = setting.app
    url = f"/cases/{setting.case}/actions/{setting.action}"
    coordinator = _signed_in(setting, COORDINATOR)
    owner = _signed_in(setting, REFERRER)
    coordinator_page, owner_page = coordinator.get(url).text, owner.get(url).text
    assert _hidden(coordinator_page, "version") == _hidden(owner_page, "version")
    first = _report(owner, url, owner_page, "Locks reviewed on a synthetic visit")
    assert first.status_code == 302
    assert first.location == url
    second = _report(coordinator, url, coordinator_page, "Synthetic: closing as done")
    assert second.status_code == 200
    assert STALE in second.text
    assert 'id="text-error"' in second.text
    assert "Synthetic: closing as done" in second.text  # what they typed is kept
    assert _updates(app, setting.action) == ["Locks reviewed on a synthetic visit"]


def test_two_reports_at_the_same_moment_save_one(setting: Setting) -> None:
    """The same race with both requests in flight at once: the version check in SQL lets one
    through; the other is told and saves nothing."""
    app = setting.app
    url = f"/cases/{setting.case}/actions/{setting.action}"
    clients = [_signed_in(setting, REFERRER), _signed_in(setting, COORDINATOR)]
    pages = [client.get(url).text for client in clients]
    requests = [
        (
            client,
            url,
            {
                "csrf_token": csrf_token(page),
                "status": "completed",
                "text": f"Synthetic report {number}",
                "version": _hidden(page, "version"),
            },
        )
        for number, (client, page) in enumerate(zip(clients, pages, strict=True))
    ]
    responses = _at_once(requests)
    statuses = sorted(response.status_code for response in responses)
    assert statuses[1] == 302, statuses
    assert statuses[0] in (200, 409), statuses
    loser = next(r for r in responses if r.status_code != 302)
    if loser.status_code == 200:
        assert STALE in loser.text
    assert len(_updates(app, setting.action)) == 1


def test_two_coordinators_screening_the_same_referral_decide_once(setting: Setting) -> None:
    """Both open the screening form; the first accepts, the second's accept is refused with the
    referral's new state and opens no second case."""
    app = setting.app
    url = f"/referrals/{setting.unscreened}/screen"
    first, second = _signed_in(setting, COORDINATOR), _signed_in(setting, SECOND_COORDINATOR)
    pages = [first.get(url).text, second.get(url).text]
    data = {"decision": "accept", "match-1": "new", "match-2": "new"}
    accepted = first.post(url, data={"csrf_token": csrf_token(pages[0]), **data})
    assert accepted.status_code == 302
    assert accepted.location == f"/referrals/{setting.unscreened}"
    cases = _scalar(app, select(func.count()).select_from(Case))
    again = second.post(url, data={"csrf_token": csrf_token(pages[1]), **data})
    assert again.status_code == 302
    assert again.location == f"/referrals/{setting.unscreened}"
    assert "there is nothing to screen" in second.get(again.location).text
    assert _scalar(app, select(func.count()).select_from(Case)) == cases


def test_two_admins_editing_panel_settings_never_overwrite_each_other(app: Flask) -> None:
    """The form carries the fingerprint of the settings it was drawn from: the second admin is
    told, shown the settings as saved, and keeps their entries; saving again is deliberate."""
    setting = _setting(app)
    url = f"/admin/panels/{setting.panel}/settings"
    first, second = _signed_in(setting, ADMIN), _signed_in(setting, SECOND_ADMIN)
    pages = [first.get(url).text, second.get(url).text]
    fields = _form_fields(pages[0])
    assert "repeat_window_months" in fields
    assert "dash_threshold" in fields
    changed_first = fields | {"dash_threshold": "16", "csrf_token": csrf_token(pages[0])}
    assert first.post(url, data=changed_first).status_code == 302
    changed_second = _form_fields(pages[1]) | {
        "repeat_window_months": "6",
        "csrf_token": csrf_token(pages[1]),
    }
    response = second.post(url, data=changed_second)
    with app.app_context():
        saved = db.session.get_one(Panel, setting.panel).settings
    assert (response.status_code, saved.dash_threshold, saved.repeat_window_months) == (
        200,
        16,
        12,
    )
    assert "Someone else saved this panel" in response.text
    assert 'value="6"' in response.text  # what they typed is kept
    again = _form_fields(response.text) | {"csrf_token": csrf_token(response.text)}
    assert second.post(url, data=again).status_code == 302
    with app.app_context():
        assert db.session.get_one(Panel, setting.panel).settings.repeat_window_months == 6


def _form_fields(page: str) -> dict[str, str]:
    """The settings form's text inputs and selected options as drawn."""
    from tests.invariants.test_fuzz import parse

    form = next(f for f in parse("/", page).forms if f.method == "POST" and len(f.inputs) > 2)
    return {i.name: i.value for i in form.inputs if i.name != "csrf_token"}
