"""The ISP register (domain §8 R1): its admin pages and services, and access following it at once.

Access is checked on the case page as a coordinator, who sees every case of their panel: a
coordinator who could open a case and then cannot has lost the panel, not a need-to-know rule.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.accounts.models import AgencyType
from app.accounts.models import Organisation
from app.accounts.models import User
from app.database import db
from app.errors import DomainError
from audit.models import AuditAction
from audit.models import AuditEvent
from cases import services as case_services
from demo import data
from panels import isp
from panels.models import Area
from panels.models import IspAgreement
from panels.models import IspSignatory
from panels.models import Panel
from panels.models import PanelMembership
from panels.models import PanelRole
from panels.policy import panel_access
from panels.types.common import MeetingCadence
from panels.types.common import PanelType
from tests.app.accounts.test_admin import banners
from tests.app.accounts.test_admin import field_error
from tests.app.accounts.test_admin import input_value
from tests.app.accounts.test_admin import summary_errors
from tests.app.accounts.test_admin import title
from tests.conftest import Account
from tests.conftest import Accounts
from tests.conftest import SignIn
from tests.conftest import csrf_token
from tests.conftest import post_form

UK = ZoneInfo("Europe/London")
TODAY = date(2026, 6, 10)
COORDINATOR = "coordinator@test.example"
POLICE = "Harrowfield Police"
HOUSING = "Harrowfield Homes"


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UK)


@pytest.fixture(autouse=True)
def today() -> Iterator[None]:
    """Every test runs on TODAY, so dates on the pages and the register are fixed."""
    with time_machine.travel(noon(TODAY), tick=False):
        yield


@dataclass(frozen=True)
class Register:
    panel: int
    other_panel: int
    agreement: int
    police: int  # organisation ids
    housing: int
    police_signature: int
    case: int


@pytest.fixture
def register(app: Flask, accounts: Accounts) -> Register:
    """A MARAC whose ISP version 1 (in force since 2025) the police signed; the coordinator
    (police) sits on it; housing has not signed. Another panel has its own register."""
    coordinator = accounts.user(COORDINATOR, organisation=POLICE, name="Cora Ledwith")
    housing = accounts.organisation_id(HOUSING, AgencyType.HOUSING)
    with app.app_context():
        police = db.session.get_one(User, coordinator.id).organisation
        panel, other = make_marac("Harrowfield"), make_marac("Eastmere")
        agreement = IspAgreement(panel=panel, version="1", in_force_from=date(2025, 1, 1))
        signature = IspSignatory(
            agreement=agreement,
            organisation=police,
            signed_on=date(2025, 1, 1),
            review_on=date(2027, 1, 1),
        )
        other_agreement = IspAgreement(panel=other, version="1", in_force_from=date(2025, 1, 1))
        other_agreement.signatories.append(
            IspSignatory(
                organisation=police, signed_on=date(2025, 1, 1), review_on=date(2027, 1, 1)
            )
        )
        db.session.add_all([agreement, signature, other_agreement])
        db.session.add(
            PanelMembership(panel=panel, user_id=coordinator.id, role=PanelRole.COORDINATOR)
        )
        db.session.flush()
        case = case_services.open_case(
            actor=None, panel=panel, opened_on=date(2026, 3, 2), summary="Synthetic summary"
        )
        db.session.commit()
        return Register(panel.id, other.id, agreement.id, police.id, housing, signature.id, case.id)


def make_marac(area: str) -> Panel:
    panel = Panel(
        area=Area(name=area),
        name=f"{area} MARAC",
        panel_type=PanelType.MARAC,
        meeting_cadence=MeetingCadence.MONTHLY,
    )
    db.session.add(panel)
    return panel


def isp_url(register: Register, tail: str = "") -> str:
    return f"/admin/panels/{register.panel}/isp{tail}"


def isp_events(app: Flask) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.in_([a for a in AuditAction if a.value.startswith("isp:")]))
            .order_by(AuditEvent.sequence)
        ).all()
        db.session.expunge_all()
        return list(rows)


def date_fields(name: str, day: date | None) -> dict[str, list[str]]:
    """A GOV.UK date input as posted: day, month and year under the field's one name."""
    parts = ["", "", ""] if day is None else [str(day.day), str(day.month), str(day.year)]
    return {name: parts}


def typed(name: str, day: str, month: str, year: str) -> dict[str, list[str]]:
    return {name: [day, month, year]}


def signatory(app: Flask, signatory_id: int) -> IspSignatory:
    with app.app_context():
        found = db.session.get_one(IspSignatory, signatory_id)
        db.session.expunge(found)
        return found


def coordinator_client(app: Flask, sign_in: SignIn) -> FlaskClient:
    return sign_in(app.test_client(), COORDINATOR)


def case_status(app: Flask, sign_in: SignIn, register: Register) -> int:
    """What the coordinator gets on the panel's case page, signing in afresh (after time travel)."""
    return coordinator_client(app, sign_in).get(f"/cases/{register.case}").status_code


def run_service(app: Flask, call: Any) -> Any:
    with app.test_request_context():
        admin = db.session.scalar(select(User).where(User.email == "admin@test.example"))
        result = call(admin)
        db.session.commit()
        return result


# The register page ---------------------------------------------------------------------------


def test_register_page_shows_versions_signatories_and_each_status(
    app: Flask, admin_client: FlaskClient, register: Register, accounts: Accounts
) -> None:
    """R1: version, in force from, which is in force today; each signature's dates and status."""
    lapsed = accounts.organisation_id("Harrowfield Health", AgencyType.HEALTH)
    withdrawn = accounts.organisation_id("Harrowfield Probation", AgencyType.PROBATION)
    future = accounts.organisation_id("Harrowfield Schools", AgencyType.EDUCATION)
    with app.app_context():
        agreement = db.session.get_one(IspAgreement, register.agreement)
        for organisation_id, signed, review, gone in [
            (lapsed, date(2024, 6, 1), date(2026, 6, 1), None),
            (withdrawn, date(2025, 2, 1), date(2027, 2, 1), date(2026, 5, 31)),
            (future, date(2026, 7, 1), date(2027, 7, 1), None),
        ]:
            agreement.signatories.append(
                IspSignatory(
                    organisation_id=organisation_id,
                    signed_on=signed,
                    review_on=review,
                    withdrawn_on=gone,
                )
            )
        db.session.add(
            IspAgreement(panel_id=register.panel, version="2", in_force_from=date(2027, 1, 1))
        )
        db.session.add(
            IspAgreement(panel_id=register.panel, version="0.9", in_force_from=date(2023, 1, 1))
        )
        db.session.commit()
    page = admin_client.get(isp_url(register))
    assert page.status_code == 200
    text = page.text
    assert title(text).startswith("Information sharing protocol: Harrowfield MARAC")
    versions = text[text.index('id="isp-versions"') : text.index("Add a version")]
    assert versions.index(">2<") < versions.index(">1<") < versions.index(">0.9<")
    for state in ("In force", "Not yet in force", "Replaced"):
        assert state in versions
    assert "1 January 2025" in versions
    rows = {
        name: text[text.index(name) : text.index("</tr>", text.index(name))]
        for name in (POLICE, "Harrowfield Health", "Harrowfield Probation", "Harrowfield Schools")
    }
    assert "In force" in rows[POLICE]
    assert "1 January 2027" in rows[POLICE]
    assert "Lapsed" in rows["Harrowfield Health"]
    assert "Withdrawn" in rows["Harrowfield Probation"]
    assert "31 May 2026" in rows["Harrowfield Probation"]
    assert "Renew" not in rows["Harrowfield Probation"]
    assert "Not yet started" in rows["Harrowfield Schools"]


def test_admin_panel_page_links_to_the_register_and_names_members_without_access(
    app: Flask, admin_client: FlaskClient, register: Register, accounts: Accounts
) -> None:
    """R1: the admin is warned which members' organisations have not signed: they have no access."""
    page = admin_client.get(f"/admin/panels/{register.panel}").text
    assert f'href="{isp_url(register)}"' in page
    assert "Version 1 has been in force since 1 January 2025" in page
    assert 'id="members-without-access"' not in page
    worker = accounts.user("housing@test.example", organisation=HOUSING, name="Hal Brennock")
    with app.app_context():
        db.session.add(
            PanelMembership(
                panel_id=register.panel, user_id=worker.id, role=PanelRole.REPRESENTATIVE
            )
        )
        db.session.commit()
    for url in (f"/admin/panels/{register.panel}", isp_url(register)):
        page = admin_client.get(url).text
        assert 'id="members-without-access"' in page
        listed = page[page.index('id="members-without-access-list"') :]
        listed = listed[: listed.index("</ul>")]
        assert HOUSING in listed
        assert "Hal Brennock" in listed
        assert "has not signed version 1" in listed
        assert POLICE not in listed


def test_register_pages_are_for_admins_only(
    app: Flask, register: Register, sign_in: SignIn
) -> None:
    """Even the panel's own coordinator cannot see or change the register."""
    client = coordinator_client(app, sign_in)
    for tail in (
        "",
        "/new",
        f"/{register.agreement}/sign",
        f"/signatories/{register.police_signature}/renew",
    ):
        assert client.get(isp_url(register, tail)).status_code == 403
    token = csrf_token(client.get("/").text)
    forged = {"csrf_token": token, "version": "9", **date_fields("in_force_from", TODAY)}
    assert client.post(isp_url(register, "/new"), data=forged).status_code == 403
    assert isp_events(app) == []


def test_another_panels_version_or_signature_is_not_found(
    app: Flask, admin_client: FlaskClient, register: Register
) -> None:
    with app.app_context():
        other = db.session.scalar(
            select(IspAgreement).where(IspAgreement.panel_id == register.other_panel)
        )
        assert other is not None
        other_agreement, other_signature = other.id, other.signatories[0].id
    assert admin_client.get(isp_url(register, f"/{other_agreement}/sign")).status_code == 404
    for action in ("renew", "withdraw"):
        assert (
            admin_client.get(
                isp_url(register, f"/signatories/{other_signature}/{action}")
            ).status_code
            == 404
        )
    assert admin_client.get("/admin/panels/999/isp").status_code == 404


# Adding a version ----------------------------------------------------------------------------


def test_admin_adds_a_version(app: Flask, admin_client: FlaskClient, register: Register) -> None:
    data = {"version": " 2 ", **date_fields("in_force_from", date(2026, 9, 1))}
    response = post_form(admin_client, isp_url(register, "/new"), data)
    assert response.status_code == 302
    assert response.location == isp_url(register)
    page = admin_client.get(response.location).text
    assert banners(page) == ["Version 2 has been added"]
    assert "1 September 2026" in page
    [event] = isp_events(app)
    assert event.action is AuditAction.ISP_AGREEMENT_ADDED
    assert json.loads(event.changes or "")["version"] == [None, "2"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"version": ""} | date_fields("in_force_from", TODAY),
            "version",
            "Enter the version of the agreement",
        ),
        (
            {"version": "1"} | date_fields("in_force_from", TODAY),
            "version",
            "The panel already has a version 1",
        ),
        (
            {"version": "2"} | date_fields("in_force_from", None),
            "in_force_from",
            "Enter the date this version comes into force",
        ),
        (
            {"version": "2"} | typed("in_force_from", "31", "2", "2026"),
            "in_force_from",
            "In force from must be a real date",
        ),
        (
            {"version": "x" * 41} | date_fields("in_force_from", TODAY),
            "version",
            "Version must be 40 characters or fewer",
        ),
    ],
    ids=["blank", "duplicate", "no-date", "impossible-date", "too-long"],
)
def test_a_refused_version_is_explained_kept_and_not_saved(
    app: Flask,
    admin_client: FlaskClient,
    register: Register,
    data: dict[str, Any],
    field: str,
    message: str,
) -> None:
    response = post_form(admin_client, isp_url(register, "/new"), data)
    assert response.status_code == 200
    assert title(response.text).startswith("Error: ")
    assert field_error(response.text, field) == message
    assert any(text == message for _, text in summary_errors(response.text))
    if data["version"] and field == "version" and len(data["version"]) < 41:
        assert input_value(response.text, "version") == data["version"]
    if data["in_force_from"][0]:
        assert input_value(response.text, "in_force_from-day") == data["in_force_from"][0]
    assert isp_events(app) == []
    with app.app_context():
        assert (
            len(
                db.session.scalars(
                    select(IspAgreement).where(IspAgreement.panel_id == register.panel)
                ).all()
            )
            == 1
        )


# Signatories ---------------------------------------------------------------------------------


def sign_url(register: Register) -> str:
    return isp_url(register, f"/{register.agreement}/sign")


def test_admin_adds_a_signatory_and_the_choice_offers_only_those_not_yet_signed(
    app: Flask, admin_client: FlaskClient, register: Register
) -> None:
    page = admin_client.get(sign_url(register)).text
    assert f'value="{register.housing}"' in page
    assert f'value="{register.police}"' not in page
    data = (
        {"organisation_id": str(register.housing)}
        | date_fields("signed_on", date(2026, 6, 1))
        | date_fields("review_on", date(2027, 6, 1))
    )
    response = post_form(admin_client, sign_url(register), data)
    assert response.status_code == 302
    page = admin_client.get(response.location).text
    assert banners(page) == [f"{HOUSING} has signed version 1"]
    [event] = isp_events(app)
    assert event.action is AuditAction.ISP_SIGNATORY_ADDED
    assert json.loads(event.changes or "")["organisation_id"] == [None, register.housing]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"organisation_id": ""}, "organisation_id", "Select the organisation that signed"),
        ({"organisation_id": "99999"}, "organisation_id", "Select the organisation that signed"),
        ({"organisation_id": "9" * 30}, "organisation_id", "Select the organisation that signed"),
        (
            {"organisation_id": "police"},
            "organisation_id",
            f"{POLICE} has already signed this version",
        ),
        (
            date_fields("review_on", date(2026, 5, 1)),
            "review_on",
            "The review date must be after the date it was signed",
        ),
        (date_fields("signed_on", None), "signed_on", "Enter the date the organisation signed"),
        (typed("review_on", "1", "6", "26"), "review_on", "Year must include 4 numbers"),
    ],
    ids=[
        "none",
        "missing",
        "huge-id",
        "already-signed",
        "review-before-signing",
        "no-signed-date",
        "short-year",
    ],
)
def test_a_refused_signatory_is_explained_kept_and_not_saved(
    app: Flask,
    admin_client: FlaskClient,
    register: Register,
    change: dict[str, Any],
    field: str,
    message: str,
) -> None:
    data = (
        {"organisation_id": str(register.housing)}
        | date_fields("signed_on", date(2026, 6, 1))
        | date_fields("review_on", date(2027, 6, 1))
        | change
    )
    if data["organisation_id"] == "police":
        data["organisation_id"] = str(register.police)
    response = post_form(admin_client, sign_url(register), data)
    assert response.status_code == 200
    assert field_error(response.text, field) == message
    [(target, summary)] = summary_errors(response.text)
    assert summary == message
    assert target in {field, f"{field}-day", f"{field}-month", f"{field}-year"}
    assert input_value(response.text, "signed_on-day") == data["signed_on"][0]
    assert input_value(response.text, "review_on-year") == data["review_on"][2]
    assert isp_events(app) == []
    with app.app_context():
        assert len(db.session.get_one(IspAgreement, register.agreement).signatories) == 1


def test_an_inactive_organisation_cannot_sign(
    app: Flask, register: Register, admin: Account
) -> None:
    with app.app_context():
        db.session.get_one(Organisation, register.housing).active = False
        db.session.commit()
    with pytest.raises(DomainError) as caught:
        run_service(
            app,
            lambda actor: isp.add_signatory(
                actor=actor,
                agreement=db.session.get_one(IspAgreement, register.agreement),
                organisation=db.session.get_one(Organisation, register.housing),
                signed_on=date(2026, 1, 1),
                review_on=date(2027, 1, 1),
            ),
        )
    assert caught.value.field == "organisation_id"


def test_admin_renews_a_signature(
    app: Flask, admin_client: FlaskClient, register: Register
) -> None:
    url = isp_url(register, f"/signatories/{register.police_signature}/renew")
    assert f"Renew {POLICE}" in admin_client.get(url).text
    response = post_form(admin_client, url, date_fields("review_on", date(2028, 1, 1)))
    assert response.status_code == 302
    assert signatory(app, register.police_signature).review_on == date(2028, 1, 1)
    [event] = isp_events(app)
    assert json.loads(event.changes or "") == {"review_on": ["2027-01-01", "2028-01-01"]}
    refused = post_form(admin_client, url, date_fields("review_on", date(2024, 1, 1)))
    assert (
        field_error(refused.text, "review_on")
        == "The review date must be after the date it was signed"
    )
    assert input_value(refused.text, "review_on-year") == "2024"
    assert signatory(app, register.police_signature).review_on == date(2028, 1, 1)


def test_admin_withdraws_a_signature_once(
    app: Flask, admin_client: FlaskClient, register: Register
) -> None:
    url = isp_url(register, f"/signatories/{register.police_signature}/withdraw")
    page = admin_client.get(url).text
    assert "lose access" in page
    early = post_form(admin_client, url, date_fields("withdrawn_on", date(2024, 12, 31)))
    assert (
        field_error(early.text, "withdrawn_on")
        == "The withdrawal date must be on or after the date it was signed"
    )
    assert signatory(app, register.police_signature).withdrawn_on is None
    response = post_form(admin_client, url, date_fields("withdrawn_on", TODAY))
    assert response.status_code == 302
    assert banners(admin_client.get(response.location).text) == [f"{POLICE} has withdrawn"]
    assert signatory(app, register.police_signature).withdrawn_on == TODAY
    again = post_form(admin_client, url, date_fields("withdrawn_on", TODAY))
    assert field_error(again.text, "withdrawn_on") == "This organisation has already withdrawn"
    renew = post_form(
        admin_client,
        isp_url(register, f"/signatories/{register.police_signature}/renew"),
        date_fields("review_on", date(2030, 1, 1)),
    )
    assert (
        field_error(renew.text, "review_on")
        == "A withdrawn organisation signs again rather than being renewed"
    )
    assert [e.action for e in isp_events(app)] == [AuditAction.ISP_SIGNATORY_WITHDRAWN]


# Access follows the register at once (R1) ---------------------------------------------------------


def suspension_notices(page: str) -> list[str]:
    """The "no access" notice's lines (it is the last banner on the page)."""
    if 'id="suspended-panels"' not in page:
        return []
    return banners(page[page.index('id="suspended-panels"') :])


def test_r1_withdrawal_takes_access_away_the_same_day_and_says_why(
    app: Flask, admin_client: FlaskClient, register: Register, sign_in: SignIn
) -> None:
    assert case_status(app, sign_in, register) == 200
    url = isp_url(register, f"/signatories/{register.police_signature}/withdraw")
    assert post_form(admin_client, url, date_fields("withdrawn_on", TODAY)).status_code == 302
    assert case_status(app, sign_in, register) == 404
    client = coordinator_client(app, sign_in)
    reason = (
        "Harrowfield MARAC: Your organisation withdrew from the panel's information sharing "
        "protocol on 10 June 2026."
    )
    home = client.get("/").text
    assert reason in banners(home)
    assert reason in banners(client.get("/cases").text)
    # The other panel, still signed, is not named.
    assert "Eastmere" not in home[home.index('id="suspended-panels"') :][:2000]


def test_r1_a_withdrawal_dated_ahead_keeps_access_until_that_day(
    app: Flask, register: Register, sign_in: SignIn
) -> None:
    run_service(
        app,
        lambda actor: isp.withdraw_signatory(
            db.session.get_one(IspSignatory, register.police_signature),
            actor=actor,
            withdrawn_on=TODAY + timedelta(days=1),
        ),
    )
    assert case_status(app, sign_in, register) == 200
    with time_machine.travel(noon(TODAY + timedelta(days=1)), tick=False):
        assert case_status(app, sign_in, register) == 404


def test_r1_the_review_date_passing_takes_access_away_and_renewal_restores_it(
    app: Flask, register: Register, sign_in: SignIn
) -> None:
    review = date(2027, 1, 1)
    with time_machine.travel(noon(review), tick=False):
        assert case_status(app, sign_in, register) == 200
    with time_machine.travel(noon(review + timedelta(days=1)), tick=False):
        assert case_status(app, sign_in, register) == 404
        home = coordinator_client(app, sign_in).get("/").text
        assert (
            "Harrowfield MARAC: Your organisation's signature on the panel's information sharing "
            "protocol lapsed when its review date passed on 1 January 2027."
        ) in banners(home)
        run_service(
            app,
            lambda actor: isp.renew_signatory(
                db.session.get_one(IspSignatory, register.police_signature),
                actor=actor,
                review_on=date(2028, 1, 1),
            ),
        )
        assert case_status(app, sign_in, register) == 200
        assert suspension_notices(coordinator_client(app, sign_in).get("/").text) == []


def test_r1_a_new_version_in_force_that_is_not_signed_takes_access_away_until_signed(
    app: Flask, admin_client: FlaskClient, register: Register, sign_in: SignIn
) -> None:
    data = {"version": "2", **date_fields("in_force_from", TODAY)}
    assert post_form(admin_client, isp_url(register, "/new"), data).status_code == 302
    assert case_status(app, sign_in, register) == 404
    assert (
        "Harrowfield MARAC: Your organisation has not signed version 2 of the panel's information "
        "sharing protocol, in force since 10 June 2026."
    ) in banners(coordinator_client(app, sign_in).get("/").text)
    with app.app_context():
        version_2 = db.session.scalar(
            select(IspAgreement.id).where(
                IspAgreement.version == "2", IspAgreement.panel_id == register.panel
            )
        )
    signing = (
        {"organisation_id": str(register.police)}
        | date_fields("signed_on", TODAY)
        | date_fields("review_on", date(2028, 6, 10))
    )
    assert (
        post_form(admin_client, isp_url(register, f"/{version_2}/sign"), signing).status_code == 302
    )
    assert case_status(app, sign_in, register) == 200


def test_r1_a_version_starting_later_changes_nothing_until_it_starts(
    app: Flask, register: Register, sign_in: SignIn
) -> None:
    start = TODAY + timedelta(days=30)
    run_service(
        app,
        lambda actor: isp.add_agreement(
            actor=actor,
            panel=db.session.get_one(Panel, register.panel),
            version="2",
            in_force_from=start,
        ),
    )
    assert case_status(app, sign_in, register) == 200
    with time_machine.travel(noon(start), tick=False):
        assert case_status(app, sign_in, register) == 404


def test_r1_add_member_is_refused_for_a_non_signatory_next_to_the_person_field(
    app: Flask, admin_client: FlaskClient, register: Register, accounts: Accounts
) -> None:
    worker = accounts.user("housing@test.example", organisation=HOUSING, name="Hal Brennock")
    url = f"/admin/panels/{register.panel}"
    response = post_form(admin_client, url, {"user_id": str(worker.id), "role": "representative"})
    assert response.status_code == 200
    message = field_error(response.text, "user_id")
    assert message is not None
    assert message.startswith(f"{HOUSING} cannot join: it has not signed version 1")
    assert ("user_id", message) in summary_errors(response.text)
    with app.app_context():
        assert (
            db.session.scalar(select(PanelMembership).where(PanelMembership.user_id == worker.id))
            is None
        )
    # Once housing signs, the same request succeeds.
    signing = (
        {"organisation_id": str(register.housing)}
        | date_fields("signed_on", TODAY)
        | date_fields("review_on", date(2027, 6, 10))
    )
    assert post_form(admin_client, sign_url(register), signing).status_code == 302
    added = post_form(admin_client, url, {"user_id": str(worker.id), "role": "representative"})
    assert added.status_code == 302


def test_a_member_in_good_standing_sees_no_notice(
    app: Flask, register: Register, sign_in: SignIn
) -> None:
    client = coordinator_client(app, sign_in)
    assert suspension_notices(client.get("/").text) == []
    assert 'id="suspended-panels"' not in client.get("/cases").text


# Demo and benchmark data -----------------------------------------------------------------------


def test_demo_logins_keep_their_panels_but_one_withdrawn_signature_shows_the_notice(
    app: Flask,
) -> None:
    """R1 in the demo: every member's organisation signed, except probation on Newham IOM."""
    with app.app_context():
        data.seed()
        db.session.commit()
        for user in db.session.scalars(select(User)):
            access = panel_access(user)
            suspended = [(s.panel.name, s.reason) for s in access.suspended]
            if user.email == f"probation.east@{data.EMAIL_DOMAIN}":
                assert len(access.panels) == 2
                [(panel_name, reason)] = suspended
                assert panel_name == "Newham IOM Panel"
                assert reason.startswith("Your organisation withdrew")
            else:
                assert suspended == [], user.email


def test_r1_an_organisation_that_withdrew_signs_again_and_regains_access(
    app: Flask, admin_client: FlaskClient, register: Register, sign_in: SignIn
) -> None:
    """R1: signing the same version again after withdrawing restores access from the new
    signing date; it cannot predate the withdrawal, and a current signature is renewed instead."""
    signature = f"/signatories/{register.police_signature}"
    again = isp_url(register, f"{signature}/sign-again")
    not_withdrawn = post_form(
        admin_client,
        again,
        {**date_fields("signed_on", TODAY), **date_fields("review_on", date(2028, 1, 1))},
    )
    assert field_error(not_withdrawn.text, "signed_on") == (
        "This organisation has not withdrawn: renew its signature instead"
    )
    withdrawn = date_fields("withdrawn_on", TODAY - timedelta(days=10))
    assert (
        post_form(admin_client, isp_url(register, f"{signature}/withdraw"), withdrawn).status_code
        == 302
    )
    assert case_status(app, sign_in, register) == 404
    register_page = admin_client.get(isp_url(register)).text
    assert f'Sign again<span class="govuk-visually-hidden"> {POLICE}' in register_page
    too_early = post_form(
        admin_client,
        again,
        {
            **date_fields("signed_on", TODAY - timedelta(days=20)),
            **date_fields("review_on", date(2028, 1, 1)),
        },
    )
    assert field_error(too_early.text, "signed_on") == (
        "The new signing date must be on or after the date it withdrew"
    )
    assert signatory(app, register.police_signature).withdrawn_on == TODAY - timedelta(days=10)
    response = post_form(
        admin_client,
        again,
        {**date_fields("signed_on", TODAY), **date_fields("review_on", date(2028, 1, 1))},
    )
    assert response.status_code == 302
    assert banners(admin_client.get(response.location).text) == [f"{POLICE} has signed again"]
    renewed = signatory(app, register.police_signature)
    assert (renewed.signed_on, renewed.review_on, renewed.withdrawn_on) == (
        TODAY,
        date(2028, 1, 1),
        None,
    )
    assert case_status(app, sign_in, register) == 200
