"""End-to-end and accessibility checks in a real browser (chromium through Playwright)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.e2e.conftest import NewContext
from tests.e2e.conftest import enter_password
from tests.e2e.conftest import enter_security_code

pytestmark = pytest.mark.browser

COORDINATOR = "coordinator.newham@demo.example"
# Another coordinator for the pages that only need someone signed in: each demo user signs in
# once per session (a TOTP code works once), and the sign-in test above signs its user out.
OTHER_COORDINATOR = "coordinator.havering@demo.example"
AXE_RUN = (
    "axe.run(document, {runOnly: {type: 'tag',"
    " values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"
)
CSP_REFUSAL = re.compile(r"content security policy|refused to", re.IGNORECASE)


def url_path(path: str) -> re.Pattern[str]:
    return re.compile(rf"^https?://[^/]+{re.escape(path)}$")


def assert_accessible(page: Page, axe_script: Path) -> None:
    """Run axe-core's WCAG 2.2 AA rules on the page and list every violation found."""
    page.add_script_tag(path=str(axe_script))
    results = page.evaluate(AXE_RUN)
    violations = results["violations"]
    report = "\n".join(
        f"- {violation['id']} ({violation['impact']}): {violation['help']}\n"
        + "\n".join(
            f"    {node['target']}: {node.get('failureSummary', '')}" for node in violation["nodes"]
        )
        for violation in violations
    )
    assert not violations, f"axe found violations on {page.url}:\n{report}"


def test_coordinator_signs_in_sees_home_and_signs_out(new_context: NewContext) -> None:
    page = new_context().new_page()
    page.goto("/")
    expect(page).to_have_url(url_path("/sign-in"))

    enter_password(page, COORDINATOR)
    enter_security_code(page, COORDINATOR)

    expect(page).to_have_url(url_path("/"))
    expect(page.get_by_role("heading", name="Welcome, Casey Coordinator")).to_be_visible()
    expect(page.get_by_role("cell", name="Newham MARAC", exact=True)).to_be_visible()
    expect(page.get_by_role("region", name="Protective marking")).to_contain_text(
        "OFFICIAL-SENSITIVE"
    )
    expect(page.get_by_text("Signed in as")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(url_path("/sign-in"))
    expect(page.get_by_text("You have signed out")).to_be_visible()

    # The home page is never kept by the browser (no-store, Clear-Site-Data), so Back asks the
    # server again, which no longer knows the session; so does a reload.
    page.go_back()
    expect(page).to_have_url(url_path("/sign-in"))
    assert "Welcome, Casey Coordinator" not in page.content()
    page.reload()
    expect(page).to_have_url(url_path("/sign-in"))
    expect(page.get_by_role("heading", name="Sign in to Risk Panels")).to_be_visible()
    assert "Welcome, Casey Coordinator" not in page.content()


def test_wrong_password_shows_the_error_summary_and_keeps_the_email(
    new_context: NewContext,
) -> None:
    page = new_context().new_page()
    enter_password(page, "manager@demo.example", "not the right passphrase")

    expect(page).to_have_url(url_path("/sign-in"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Enter a correct email address and password")
    expect(page.get_by_label("Email address")).to_have_value("manager@demo.example")
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    expect(page).to_have_title(re.compile(r"^Error: "))
    # GOV.UK Frontend's JavaScript ran (the CSP let it): it moves focus to the summary.
    expect(summary).to_be_focused()


# Accessibility -------------------------------------------------------------------------------


def test_sign_in_page_is_accessible(new_context: NewContext, axe_source: Path) -> None:
    page = new_context(bypass_csp=True).new_page()  # bypass only to inject axe-core
    page.goto("/sign-in")
    assert_accessible(page, axe_source)


def test_sign_in_page_with_errors_is_accessible(new_context: NewContext, axe_source: Path) -> None:
    page = new_context(bypass_csp=True).new_page()
    page.goto("/sign-in")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your email address")
    assert_accessible(page, axe_source)


def test_security_code_page_is_accessible(new_context: NewContext, axe_source: Path) -> None:
    page = new_context(bypass_csp=True).new_page()
    enter_password(page, "auditor@demo.example")
    expect(page).to_have_url(url_path("/sign-in/security-code"))
    assert_accessible(page, axe_source)


def test_coordinator_home_page_is_accessible(
    new_context: NewContext, signed_in_state: Callable[[str], Any], axe_source: Path
) -> None:
    context = new_context(storage_state=signed_in_state(OTHER_COORDINATOR), bypass_csp=True)
    page = context.new_page()
    page.goto("/")
    expect(page.get_by_role("heading", name="Welcome, Harper Coordinator")).to_be_visible()
    assert_accessible(page, axe_source)


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/admin/", None),
        ("/admin/users", None),
        ("/admin/users/new", "Add a user"),
        ("/admin/organisations", None),
        ("/admin/panels", None),
        ("/admin/panels/1", None),
        ("/account", None),
        ("/accessibility", None),
    ],
)
def test_admin_pages_are_accessible(
    admin_page: Page, axe_source: Path, path: str, heading: str | None
) -> None:
    response = admin_page.goto(path)
    assert response is not None
    assert response.status == 200, f"{path} answered {response.status}"
    expect(admin_page).to_have_url(url_path(path))
    if heading:
        expect(admin_page.get_by_role("heading", level=1)).to_have_text(heading)
    assert_accessible(admin_page, axe_source)


def test_new_user_form_with_errors_is_accessible(admin_page: Page, axe_source: Path) -> None:
    admin_page.goto("/admin/users/new")
    admin_page.get_by_role("button", name="Save user").click()
    expect(admin_page.locator(".govuk-error-summary")).to_be_visible()
    expect(admin_page).to_have_title(re.compile(r"^Error: "))
    assert_accessible(admin_page, axe_source)


# Content Security Policy ---------------------------------------------------------------------


def test_csp_blocks_nothing_the_home_page_needs(
    new_context: NewContext, signed_in_state: Callable[[str], Any]
) -> None:
    context = new_context(storage_state=signed_in_state(OTHER_COORDINATOR))
    context.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', (e) =>"
        " window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page = context.new_page()
    console: list[str] = []
    errors: list[str] = []
    failed: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("requestfailed", lambda request: failed.append(f"{request.url} {request.failure}"))
    page.on(
        "response",
        lambda response: (
            failed.append(f"{response.url} {response.status}") if response.status >= 400 else None
        ),
    )

    page.goto("/")
    page.wait_for_load_state("networkidle")

    expect(page.get_by_role("heading", name="Welcome, Harper Coordinator")).to_be_visible()
    assert not [line for line in console if CSP_REFUSAL.search(line)], console
    assert not errors, errors
    assert not failed, failed
    assert page.evaluate("window.__cspViolations") == []
    # The nonced inline script ran (GOV.UK Frontend's "supported" flag on the body).
    expect(page.locator("body")).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))


# Cases -----------------------------------------------------------------------------------------

REPRESENTATIVE = "idva.east@demo.example"


def test_a_representative_opens_a_case_and_adds_a_note(
    new_context: NewContext, signed_in_state: Callable[[str], Any], axe_source: Path
) -> None:
    context = new_context(storage_state=signed_in_state(REPRESENTATIVE), bypass_csp=True)
    page = context.new_page()
    page.goto("/cases")
    expect(page.get_by_role("heading", name="Cases", exact=True)).to_be_visible()
    assert_accessible(page, axe_source)
    first = page.locator("table.govuk-table tbody a").first
    reference = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Case {reference}")
    assert_accessible(page, axe_source)
    page.get_by_label("Add a note").fill("Home visit arranged with the housing officer.")
    page.get_by_role("button", name="Save note").click()
    expect(page.get_by_text("Your note has been saved")).to_be_visible()
    expect(page.get_by_text("Home visit arranged with the housing officer.")).to_be_visible()


def test_a_search_with_missing_details_is_explained_and_accessible(
    new_context: NewContext, signed_in_state: Callable[[str], Any], axe_source: Path
) -> None:
    context = new_context(storage_state=signed_in_state(REPRESENTATIVE), bypass_csp=True)
    page = context.new_page()
    page.goto("/cases")
    page.get_by_label("First name").fill("Priya")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a last name")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a date of birth")
    expect(page.get_by_label("First name")).to_have_value("Priya")
    expect(page).to_have_title(re.compile(r"^Error: "))
    assert_accessible(page, axe_source)


# Referrals ---------------------------------------------------------------------------------------


def test_a_representative_starts_a_referral_and_its_pages_are_accessible(
    new_context: NewContext, signed_in_state: Callable[[str], Any], axe_source: Path
) -> None:
    context = new_context(storage_state=signed_in_state(REPRESENTATIVE), bypass_csp=True)
    page = context.new_page()
    page.goto("/referrals/new")
    page.get_by_label("Newham MARAC (Newham)").check()
    page.get_by_role("button", name="Start referral").click()
    expect(page.get_by_text("You have completed 0 of 7 sections")).to_be_visible()
    assert_accessible(page, axe_source)
    page.get_by_role("link", name="Risk assessment").click()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select the risk assessment")
    assert_accessible(page, axe_source)
    page.goto(page.url.rsplit("/sections/", 1)[0] + "/check")
    page.get_by_role("button", name="Send referral").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Complete the section ‘People’")
    assert_accessible(page, axe_source)


def test_the_screening_page_is_accessible(
    new_context: NewContext, signed_in_state: Callable[[str], Any], axe_source: Path
) -> None:
    context = new_context(storage_state=signed_in_state(OTHER_COORDINATOR), bypass_csp=True)
    page = context.new_page()
    page.goto("/referrals")
    page.locator("table.govuk-table tbody a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Screen referral")
    assert_accessible(page, axe_source)
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select accept, return or reject")
    assert_accessible(page, axe_source)
    page.goto("/meetings")
    assert_accessible(page, axe_source)


# ASB Case Review -------------------------------------------------------------------------------


def test_the_case_review_pages_are_accessible(
    new_context: NewContext, signed_in_state: Callable[[str], Any], axe_source: Path
) -> None:
    context = new_context(storage_state=signed_in_state(OTHER_COORDINATOR), bypass_csp=True)
    page = context.new_page()
    page.goto("/case-reviews")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page, axe_source)
    page.locator("table.govuk-table tbody a").first.click()
    expect(page.get_by_text("not a complaints procedure", exact=False)).to_be_visible()
    assert_accessible(page, axe_source)
    page.goto("/case-reviews/new")
    page.locator("form button[type=submit]").last.click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page, axe_source)
    page.goto("/case-reviews/figures")
    assert_accessible(page, axe_source)
