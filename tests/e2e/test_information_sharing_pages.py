"""The information-sharing pages in a real browser, as their users drive them, with axe-core's
WCAG 2.2 AA checks on every state (page, error summary, success).

The live server is shared by the whole session, so each test works on its own panel, case or
meeting, or undoes what it changed: the Barking and Dagenham MARAC has no members, so its
protocol and settings can change freely; each case test takes its own panel's newest open case.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import date
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from playwright.sync_api import Locator
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import User
from app.database import db
from app.database import uk_today
from cases import policy
from cases.models import Case
from panels.models import Panel
from tests.e2e.conftest import DEMO_SECRETS
from tests.e2e.conftest import SignedInPage
from tests.e2e.conftest import SignedInStates
from tests.e2e.test_browser import assert_accessible as assert_axe_finds_nothing
from tests.e2e.test_browser import url_path

pytestmark = pytest.mark.browser

ADMIN = "admin@demo.example"
NEWHAM_COORDINATOR = "coordinator.newham@demo.example"
HAVERING_COORDINATOR = "coordinator.havering@demo.example"
POLICE_REPRESENTATIVE = "police.newham@demo.example"  # Newham MARAC, MACE, IOM, Community MARAC
IDVA_REPRESENTATIVE = "idva.east@demo.example"  # Newham, Havering and Tower Hamlets MARAC
WITHDRAWN_PROBATION = "probation.east@demo.example"  # withdrew from Newham IOM's protocol
UNUSED_PANEL = "Barking and Dagenham MARAC"  # nobody sits on it: its protocol can change


# Looking up demo data in the live server's database ---------------------------------------


def demo_user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None, email
    return user


def panel_id(live_app: Flask, name: str) -> int:
    with live_app.app_context():
        found = db.session.scalar(select(Panel.id).where(Panel.name == name))
        assert found is not None, name
        return found


def newest_open_case(live_app: Flask, panel_name: str) -> tuple[int, str]:
    """The id and reference of the panel's newest open case."""
    with live_app.app_context():
        case = db.session.scalar(
            select(Case)
            .join(Panel)
            .where(Panel.name == panel_name, Case.closed_on.is_(None))
            .order_by(Case.id.desc())
        )
        assert case is not None, panel_name
        return case.id, case.reference


def case_hidden_from(live_app: Flask, email: str, panel_name: str) -> tuple[int, str]:
    """An open case of the panel that the member sits on but may not see (no meeting they
    declared for lists it, their agency did not refer it): one they may ask emergency access to."""
    with live_app.app_context():
        user = demo_user(email)
        candidates = db.session.scalars(
            select(Case.id)
            .join(Panel)
            .where(Panel.name == panel_name, Case.closed_on.is_(None))
            .order_by(Case.id.desc())
        ).all()
        for case_id in candidates:
            case = policy.may_break_glass(user, case_id)
            if case is not None:
                return case.id, case.reference
    raise AssertionError(f"{email} can already see every case of {panel_name}")


# What a person sees --------------------------------------------------------------------------


def error_summary(page: Page) -> Locator:
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("There is a problem")
    expect(page).to_have_title(re.compile(r"^Error: "))
    # Each message links to its field: following the link must land on something on the page.
    for link in summary.locator("a").all():
        target = (link.get_attribute("href") or "").removeprefix("#")
        assert target, f"{link.inner_text()!r} links nowhere"
        expect(page.locator(f"[id='{target}']"), f"{link.inner_text()!r}").to_have_count(1)
    return summary


def success_banner(page: Page) -> Locator:
    return page.locator(".govuk-notification-banner--success")


def status_of(page: Page, path: str) -> int:
    response = page.goto(path)
    assert response is not None
    return response.status


def assert_accessible(page: Page, axe_script: Path) -> None:
    """axe-core's WCAG 2.2 AA rules, and one check axe leaves out: every group of radios,
    checkboxes or date parts is named by its legend (WCAG 1.3.1), else a screen reader hears
    "Police, checkbox" once for each group with nothing to tell the groups apart."""
    assert_axe_finds_nothing(page, axe_script)
    unnamed = page.locator("fieldset").evaluate_all(
        "fieldsets => fieldsets"
        ".filter(f => !(f.querySelector(':scope > legend')?.textContent.trim()))"
        ".map(f => f.querySelector('input, select, textarea')?.name ?? f.outerHTML.slice(0, 80))"
    )
    assert not unnamed, f"fieldsets without a legend on {page.url}: {unnamed}"


def is_red(css_colour: str) -> bool:
    """Whether a computed `rgb(r, g, b)` colour is clearly red (GOV.UK's error colour is)."""
    red, green, blue = (int(part) for part in re.findall(r"\d+", css_colour)[:3])
    return red > 150 and green < 90 and blue < 90


def fill_date(page: Page, legend: str, day: date) -> None:
    """Type a date into the GOV.UK date input whose fieldset has this legend."""
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


# 1. The ISP register (domain §8 R1) ---------------------------------------------------------


def test_admin_adds_a_protocol_version_after_a_missing_date_is_explained(
    signed_in_page: SignedInPage, axe_source: Path
) -> None:
    """R1: the register lists the versions; a version needs the date it comes into force."""
    page = signed_in_page(ADMIN)
    page.goto("/admin/panels")
    page.get_by_role("link", name=UNUSED_PANEL).click()
    page.get_by_role("link", name="Versions and signatories").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Information sharing protocol")
    versions = page.locator("#isp-versions")
    expect(versions.get_by_role("row", name=re.compile(r"^1 .*In force$"))).to_be_visible()
    assert_accessible(page, axe_source)

    page.get_by_role("link", name="Add a version").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a version of the protocol")
    assert_accessible(page, axe_source)
    page.get_by_label("Version").fill("2030.1")
    page.get_by_role("button", name="Add version").click()
    expect(error_summary(page)).to_contain_text("Enter the date this version comes into force")
    expect(page.get_by_label("Version")).to_have_value("2030.1")
    assert_accessible(page, axe_source)

    fill_date(page, "In force from", date(2030, 4, 1))
    page.get_by_role("button", name="Add version").click()
    register = re.compile(r"/admin/panels/\d+/isp$")
    expect(page).to_have_url(register)
    expect(success_banner(page)).to_contain_text("Version 2030.1 has been added")
    # A version that starts in 2030 takes nobody's access away today.
    expect(
        versions.get_by_role("row", name=re.compile(r"^2030\.1 1 April 2030 Not yet in force$"))
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Version 2030.1: signatories")).to_be_visible()
    assert_accessible(page, axe_source)

    page.get_by_role("link", name="Add a signatory to version 2030.1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a signatory to version 2030.1")
    assert_accessible(page, axe_source)


def test_admin_records_a_signature_its_renewal_withdrawal_and_signing_again(
    signed_in_page: SignedInPage, axe_source: Path, live_app: Flask
) -> None:
    """R1: each signature's status follows its dates; withdrawing and signing again are
    recorded on the same signature. All on a panel nobody sits on, so no access changes."""
    today = uk_today()
    page = signed_in_page(ADMIN)
    page.goto(f"/admin/panels/{panel_id(live_app, UNUSED_PANEL)}/isp")
    page.get_by_role("link", name="Add a signatory to version 1").click()

    page.get_by_role("button", name="Add signatory").click()
    summary = error_summary(page)
    expect(summary).to_contain_text("Select the organisation that signed")
    expect(summary).to_contain_text("Enter the date the organisation signed")
    expect(summary).to_contain_text("Enter the date the signature is due for review")
    assert_accessible(page, axe_source)

    page.get_by_label("Organisation").select_option(label="East London Fire and Rescue")
    fill_date(page, "Date signed", today - timedelta(days=30))
    fill_date(page, "Review date", today + timedelta(days=335))
    page.get_by_role("button", name="Add signatory").click()
    expect(success_banner(page)).to_contain_text("East London Fire and Rescue has signed version 1")
    row = page.get_by_role("row", name=re.compile(r"^East London Fire and Rescue "))
    expect(row).to_contain_text("In force")
    assert_accessible(page, axe_source)

    row.get_by_role("link", name="Renew East London Fire and Rescue").click()
    page.get_by_role("button", name="Renew").click()
    expect(error_summary(page)).to_contain_text("Enter the new review date")
    assert_accessible(page, axe_source)
    fill_date(page, "New review date", today + timedelta(days=700))
    page.get_by_role("button", name="Renew").click()
    expect(success_banner(page)).to_contain_text(
        "East London Fire and Rescue's signature has been renewed"
    )

    row.get_by_role("link", name="Withdraw East London Fire and Rescue").click()
    expect(page.locator(".govuk-warning-text")).to_contain_text("lose access")
    page.get_by_role("button", name="Withdraw").click()
    expect(error_summary(page)).to_contain_text("Enter the date the organisation withdrew")
    assert_accessible(page, axe_source)
    fill_date(page, "Date withdrawn", today)
    page.get_by_role("button", name="Withdraw").click()
    expect(success_banner(page)).to_contain_text("East London Fire and Rescue has withdrawn")
    expect(row).to_contain_text("Withdrawn")

    row.get_by_role("link", name="Sign again East London Fire and Rescue").click()
    page.get_by_role("button", name="Record signature").click()
    expect(error_summary(page)).to_contain_text("Enter the date the organisation signed again")
    assert_accessible(page, axe_source)
    fill_date(page, "Date signed again", today)
    fill_date(page, "Review date", today + timedelta(days=365))
    page.get_by_role("button", name="Record signature").click()
    expect(success_banner(page)).to_contain_text("East London Fire and Rescue has signed again")
    expect(row).to_contain_text("In force")
    assert_accessible(page, axe_source)


# Panel settings: emergency access hours and who sees restricted fields (R6, R19) -------------


def test_admin_changes_emergency_hours_and_field_access_after_an_error(
    signed_in_page: SignedInPage, axe_source: Path, live_app: Flask
) -> None:
    page = signed_in_page(ADMIN)
    page.goto(f"/admin/panels/{panel_id(live_app, UNUSED_PANEL)}")
    page.get_by_role("link", name="Change local settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Local settings")
    assert_accessible(page, axe_source)

    hours = page.get_by_label("Emergency access: hours")
    hours.fill("13")
    page.get_by_role("button", name="Save settings").click()
    expect(error_summary(page)).to_contain_text("12")
    expect(page.get_by_label("Emergency access: hours")).to_have_value("13")
    assert_accessible(page, axe_source)

    # Each group of choices is named by its legend (the groups had none before).
    expect(page.get_by_role("group", name="What counts as a repeat")).to_be_visible()
    page.get_by_label("Emergency access: hours").fill("6")
    health = page.get_by_role("group", name="Health information")
    health.get_by_label("Probation").check()
    page.get_by_role("button", name="Save settings").click()
    expect(success_banner(page)).to_contain_text("Settings saved")
    assert_accessible(page, axe_source)
    page.get_by_role("link", name="Change local settings").click()
    expect(page.get_by_label("Emergency access: hours")).to_have_value("6")
    expect(
        page.get_by_role("group", name="Health information").get_by_label("Probation")
    ).to_be_checked()


# 2. Emergency access and the coordinators' alerts (security R19) -----------------------------


@pytest.fixture
def forget_the_representative(signed_in_state: SignedInStates) -> Iterator[None]:
    """Getting emergency access asks for the security code again and renews the session."""
    yield
    signed_in_state.forget(POLICE_REPRESENTATIVE)


@pytest.mark.usefixtures("forget_the_representative")
def test_a_representative_gets_emergency_access_ends_it_and_a_coordinator_reviews_it(
    signed_in_page: SignedInPage, axe_source: Path, live_app: Flask
) -> None:
    """R19: a stated reason is required; the case shows a red banner while access lasts; the
    panel's coordinator is alerted and reviews it."""
    case_id, reference = case_hidden_from(live_app, POLICE_REPRESENTATIVE, "Newham MACE")
    page = signed_in_page(POLICE_REPRESENTATIVE)
    assert status_of(page, f"/cases/{case_id}") == 404

    page.goto("/cases")
    page.get_by_role("link", name="Emergency access", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Get emergency access to a case")
    assert_accessible(page, axe_source)
    # A reference that names no case gets the one answer every refusal gets.
    page.get_by_label("Case reference").fill("MACE-999999")
    page.get_by_label("Immediate risk to someone's life or safety").check()
    page.get_by_label("Explain the emergency").fill("Urgent: the coordinator is away.")
    # Step-up (R13): the security code again, checked only once the rest is right. The next
    # time step's code, as signing in may have spent this one's.
    security_code = pyotp.TOTP(DEMO_SECRETS[POLICE_REPRESENTATIVE]).at(time.time() + 30)
    page.get_by_label("Your security code").fill(security_code)
    page.get_by_role("button", name="Get emergency access").click()
    expect(error_summary(page)).to_contain_text("You cannot get emergency access to this case")
    assert_accessible(page, axe_source)

    page.get_by_label("Case reference").fill(reference)
    page.get_by_label("Immediate risk to someone's life or safety").check()
    page.get_by_label("Explain the emergency").fill("")
    page.get_by_role("button", name="Get emergency access").click()
    expect(error_summary(page)).to_contain_text("Explain why you need emergency access")
    expect(page.get_by_label("Case reference")).to_have_value(reference)
    assert_accessible(page, axe_source)

    page.get_by_label("Explain the emergency").fill(
        "Police called to the address overnight; the coordinator cannot be reached until Monday."
    )
    page.get_by_label("Your security code").fill(security_code)
    page.get_by_role("button", name="Get emergency access").click()
    expect(page).to_have_url(url_path(f"/cases/{case_id}"))
    banner = page.locator(".app-emergency-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(f"Emergency access to case {reference} ends at")
    expect(banner).to_contain_text("Immediate risk to someone's life or safety")
    assert is_red(banner.evaluate("element => getComputedStyle(element).backgroundColor"))
    assert_accessible(page, axe_source)

    page.get_by_role("button", name="End emergency access now").click()
    expect(page).to_have_url(url_path("/cases"))
    expect(success_banner(page)).to_contain_text(
        f"Your emergency access to case {reference} has ended"
    )
    assert status_of(page, f"/cases/{case_id}") == 404

    coordinator = signed_in_page(NEWHAM_COORDINATOR)
    coordinator.goto("/")
    coordinator.get_by_role("link", name="Alerts (1 unread)").click()
    expect(coordinator.get_by_role("heading", level=1)).to_have_text("Alerts")
    alert = coordinator.get_by_role("row", name=re.compile(reference))
    expect(alert).to_contain_text("Review needed")
    assert_accessible(coordinator, axe_source)

    alert.get_by_role("link", name=f"Emergency access to {reference}").click()
    expect(coordinator.get_by_role("heading", level=1)).to_have_text(
        f"Review emergency access to {reference}"
    )
    expect(coordinator.get_by_text("Pat Police, Metropolitan Police – East Area")).to_be_visible()
    expect(coordinator.get_by_text("(ended early)")).to_be_visible()
    assert_accessible(coordinator, axe_source)
    coordinator.get_by_role("button", name="Record review").click()
    expect(error_summary(coordinator)).to_contain_text(
        "Select whether the emergency access was justified"
    )
    assert_accessible(coordinator, axe_source)

    coordinator.get_by_label("Justified", exact=True).check()
    coordinator.get_by_label("Your review").fill("Checked with the officer in charge: needed.")
    coordinator.get_by_role("button", name="Record review").click()
    expect(coordinator).to_have_url(url_path("/alerts"))
    expect(success_banner(coordinator)).to_contain_text(
        f"Your review of emergency access to {reference} is recorded"
    )
    expect(coordinator.get_by_role("link", name="Alerts (0 unread)")).to_be_visible()
    expect(coordinator.get_by_role("row", name=re.compile(reference))).to_contain_text("Reviewed")
    assert_accessible(coordinator, axe_source)


# 3. The sharing log (domain §8 R7, R8) -------------------------------------------------------


def test_a_coordinator_records_a_decision_not_to_share_after_errors(
    signed_in_page: SignedInPage, axe_source: Path, live_app: Flask
) -> None:
    """R8: decisions not to share are logged too, with no lawful basis needed."""
    case_id, reference = newest_open_case(live_app, "Newham Channel Panel")
    page = signed_in_page(NEWHAM_COORDINATOR)
    page.goto(f"/cases/{case_id}")
    page.get_by_role("link", name="Sharing decisions for this case").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Sharing decisions for case {reference}"
    )
    assert_accessible(page, axe_source)

    page.get_by_role("button", name="Record decision").click()
    summary = error_summary(page)
    for message in (
        "Select what the decision was about",
        "Select whether the information was shared",
        "Enter who the information would go to",
        "Select whether consent was given, refused or not sought",
        "Enter the reason for the decision",
    ):
        expect(summary).to_contain_text(message)
    assert_accessible(page, axe_source)

    page.get_by_label("Sharing with the panel").check()
    page.get_by_label("No, it was not shared").check()
    page.get_by_label("Who with").fill("Eastside Homes")
    page.get_by_label("Not sought: seeking it would put someone at risk").check()
    page.get_by_label("Reason for the decision").fill(
        "The housing provider has no part in the support plan, so sharing is not necessary."
    )
    page.get_by_role("button", name="Record decision").click()
    # The browser keeps the form's "#record" across the redirect.
    expect(page).to_have_url(re.compile(rf"/cases/{case_id}/sharing(#record)?$"))
    expect(success_banner(page)).to_contain_text("The sharing decision has been recorded")
    decision = page.locator(".govuk-summary-card").first
    expect(decision.get_by_role("heading")).to_have_text("Not shared: sharing with the panel")
    expect(decision).to_contain_text("Eastside Homes")
    expect(decision).to_contain_text("None: not shared")
    expect(decision).to_contain_text("Casey Coordinator, Newham Council Community Safety")
    assert_accessible(page, axe_source)


# 4. Restrictions (staff as subject, security R19) --------------------------------------------


def test_a_coordinator_restricts_a_case_and_lifts_the_restriction_again(
    signed_in_page: SignedInPage, axe_source: Path, live_app: Flask
) -> None:
    """Restricting a case against an organisation, then lifting it, leaves both in the list.
    The case (Havering Channel Panel's newest) is used by no other test, and is lifted again."""
    case_id, reference = newest_open_case(live_app, "Havering Channel Panel")
    page = signed_in_page(HAVERING_COORDINATOR)
    page.goto(f"/cases/{case_id}")
    page.get_by_role("link", name=re.compile("Restrict this case against an agency")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Restrictions")
    expect(page.get_by_text(f"case {reference}")).to_be_visible()
    assert_accessible(page, axe_source)

    page.get_by_role("button", name="Restrict the case").click()
    expect(error_summary(page)).to_contain_text("Select the organisation the person works for")
    assert_accessible(page, axe_source)

    page.get_by_label("Organisation the person works for").select_option(label="Eastside Homes")
    page.get_by_role("button", name="Restrict the case").click()
    expect(success_banner(page)).to_contain_text("Nobody from Eastside Homes can open this case")
    row = page.get_by_role("row", name=re.compile("^Eastside Homes"))
    expect(row).to_contain_text("In force")
    expect(row).to_contain_text("Harper Coordinator")
    assert_accessible(page, axe_source)

    row.get_by_role("button", name="Lift restriction against Eastside Homes").click()
    expect(success_banner(page)).to_contain_text(
        "The restriction against Eastside Homes has been lifted"
    )
    expect(page.get_by_role("row", name=re.compile("^Eastside Homes"))).to_contain_text("Lifted")
    assert_accessible(page, axe_source)


# 5. Confidentiality declarations (domain R3) -------------------------------------------------


def test_a_representative_accepts_the_statement_and_then_sees_the_agenda(
    signed_in_page: SignedInPage, axe_source: Path
) -> None:
    """R3: a representative sees an upcoming meeting's agenda only after accepting the
    confidentiality statement for it. (No other test declares for Havering MARAC meetings.)"""
    page = signed_in_page(IDVA_REPRESENTATIVE)
    page.goto("/meetings")
    needed = (
        page.get_by_role("row")
        .filter(has_text="Havering MARAC")
        .filter(has_text="Declaration needed")
    )
    expect(needed.first).to_be_visible()
    assert_accessible(page, axe_source)
    meeting_link = needed.first.get_by_role("link")
    held_on = meeting_link.inner_text()
    meeting_link.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Confidentiality statement")
    expect(
        page.get_by_text("I will keep everything shared at this meeting confidential")
    ).to_be_visible()
    expect(page.get_by_role("table")).to_have_count(0)  # nothing of the agenda
    assert_accessible(page, axe_source)

    page.get_by_role("button", name="I accept").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(held_on)
    expect(page.get_by_role("table").locator("caption")).to_contain_text("listed")
    assert_accessible(page, axe_source)

    page.get_by_role("link", name="Back to meetings").click()
    accepted = (
        page.get_by_role("row")
        .filter(has_text="Havering MARAC")
        .filter(has=page.get_by_role("link", name=held_on, exact=True))
    )
    expect(accepted.first).to_contain_text("Declaration accepted")


# 6. The "no access" notice (domain §8 R1) ----------------------------------------------------


def test_a_member_whose_agency_withdrew_sees_the_no_access_notice(
    signed_in_page: SignedInPage, axe_source: Path
) -> None:
    page = signed_in_page(WITHDRAWN_PROBATION)
    page.goto("/")
    notice = page.locator("#suspended-panels")
    expect(notice).to_contain_text("No access to a panel")
    expect(notice).to_contain_text(
        "Newham IOM Panel: Your organisation withdrew from the panel's information sharing"
    )
    expect(notice).not_to_contain_text("Havering IOM")
    assert_accessible(page, axe_source)

    page.get_by_role("link", name="Cases", exact=True).click()
    expect(page.locator("#suspended-panels")).to_contain_text("Newham IOM Panel")
    assert_accessible(page, axe_source)
