"""Going back through a form's history in a real browser (issue 25): a form shown again with
its errors answers a POST, and without care the browser's Back button lands on its "Confirm
form resubmission" page (in Chromium an error page) instead of the form.

The app marks such pages and init.mjs turns their history entry into an ordinary visit to the
form's address, so Back loads the form afresh and nothing is sent again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from demo import data
from tests.e2e.conftest import NewContext

pytestmark = pytest.mark.browser

EMAIL = "manager@demo.example"
REPRESENTATIVE = "idva.east@demo.example"


def test_going_back_past_a_form_shown_again_with_errors_loads_the_form(
    new_context: NewContext,
) -> None:
    page = new_context().new_page()
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    # The email typed is kept on the page shown again.
    expect(page.get_by_label("Email address")).to_have_value(EMAIL)

    page.get_by_label("Password", exact=True).fill(data.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/sign-in/security-code$"))

    page.go_back()
    assert not page.url.startswith("chrome-error:"), page.url
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    # Reloading it sends nothing again: it is the form, not the answer to a post.
    page.reload()
    expect(page.get_by_role("heading", name="There is a problem")).to_have_count(0)


def test_a_double_clicked_send_sends_the_referral_once(
    new_context: NewContext, signed_in_state: Callable[[str], Any]
) -> None:
    """GOV.UK Frontend's prevent-double-click on "Send referral": the second click of a
    double click posts nothing, so the person never sees an answer to a second send."""
    context = new_context(storage_state=signed_in_state(REPRESENTATIVE))
    page = context.new_page()
    page.goto("/referrals/new")
    page.get_by_label("Newham MARAC (Newham)").check()
    page.get_by_role("button", name="Start referral").click()
    page.goto(page.url.rstrip("/") + "/check")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.get_by_role("button", name="Send referral").dblclick()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert len(posts) == 1, posts
