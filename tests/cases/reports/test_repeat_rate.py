"""The repeat rate's figures on hand-built histories, each right answer worked out here from
the definition (domain §2.10, §2.10.1): repeat listings heard ÷ listings heard, by the date of
the meeting (E7)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from flask import Flask

from app.accounts.models import User
from app.database import db
from app.settings import ReportSettings
from cases.referrals import services as referrals
from cases.reports.queries import repeat_report
from cases.reports.rules import Counts
from cases.reports.rules import Position
from cases.reports.rules import Quarter
from cases.reports.rules import RepeatReport
from cases.reports.rules import View
from panels import services as panel_services
from panels.models import Panel
from panels.models import PanelRole
from panels.types.common import PanelType
from panels.types.common import ReferralStatus
from tests.cases.reports.conftest import History
from tests.conftest import Accounts
from tests.referral_fixtures import marac_answers
from tests.referral_fixtures import member
from tests.referral_fixtures import panel as make_panel
from tests.referral_fixtures import perpetrator
from tests.referral_fixtures import submitted
from tests.referral_fixtures import victim

TODAY = date(2025, 6, 30)
Q1_2025 = Quarter(2025, 1)
EXACT = ReportSettings()


def report(panel: Panel, last: Quarter, view: View = View.QUARTERS) -> RepeatReport:
    made = repeat_report(panel, last=last, view=view, suppress=False, settings=EXACT, today=TODAY)
    assert made is not None
    return made


def counts(made: RepeatReport) -> list[tuple[str, int | None, int | None]]:
    return [(row.label, row.heard.value, row.repeats.value) for row in made.rows]  # type: ignore[misc]


@pytest.fixture
def history(app: Flask, accounts: Accounts) -> History:
    referrer = accounts.user("referrer@test.example")
    with app.app_context():
        return History(db.session.get_one(User, referrer.id))


def test_e7_a_case_referred_in_march_and_heard_in_april_counts_in_aprils_quarter(
    app: Flask, history: History
) -> None:
    with app.test_request_context():
        history.referrer = db.session.merge(history.referrer)
        panel = history.panel("Ashcombe")
        april = history.meeting(panel, date(2025, 4, 9))
        history.referral(panel, referred_on=date(2025, 3, 28), meeting=april)
        made = report(panel, Quarter(2025, 2))
        by_quarter = {row.label: row.heard.value for row in made.rows}
        assert by_quarter["January to March 2025"] == 0
        assert by_quarter["April to June 2025 (to 30 June, so far)"] == 1  # TODAY is 30 June


def test_two_cases_at_one_meeting_are_two_listings_and_a_case_heard_twice_counts_twice(
    app: Flask, history: History
) -> None:
    """§2.10.1: the unit is the listing heard. Meeting one hears cases A and B (B a repeat);
    meeting two, in the same quarter, hears case A again as a repeat: 3 listings, 2 repeats."""
    with app.test_request_context():
        history.referrer = db.session.merge(history.referrer)
        panel = history.panel("Ashcombe")
        first = history.meeting(panel, date(2025, 1, 8))
        second = history.meeting(panel, date(2025, 2, 12))
        history.referral(panel, referred_on=date(2025, 1, 2), meeting=first)
        history.referral(panel, referred_on=date(2025, 1, 3), meeting=first, repeat=True)
        history.referral(
            panel, referred_on=date(2025, 2, 1), meeting=second, repeat=True,
            status=ReferralStatus.HEARD,
        )  # fmt: skip
        row = report(panel, Q1_2025).rows[-1]
        heard, repeats = 3, 2
        assert (row.heard.value, row.repeats.value) == (heard, repeats)
        expected = (Decimal(repeats * 100) / heard).quantize(Decimal("0.1"))
        assert row.rate.value == expected == Decimal("66.7")


def test_a_case_with_no_meeting_yet_or_a_meeting_to_come_is_not_counted(
    app: Flask, history: History
) -> None:
    with app.test_request_context():
        history.referrer = db.session.merge(history.referrer)
        panel = history.panel("Ashcombe")
        held = history.meeting(panel, date(2025, 5, 14))
        today = history.meeting(panel, TODAY)
        after_today = history.meeting(panel, date(2025, 7, 2))
        history.referral(panel, referred_on=date(2025, 5, 1), meeting=held)
        history.referral(panel, referred_on=date(2025, 5, 2))  # accepted, not listed
        history.referral(panel, referred_on=date(2025, 6, 1), meeting=after_today, repeat=True)
        history.referral(  # rejected at screening: never on an agenda
            panel, referred_on=date(2025, 5, 3), status=ReferralStatus.REJECTED
        )
        # A meeting today has been held: it counts.
        history.referral(panel, referred_on=date(2025, 6, 2), meeting=today)
        row = report(panel, Quarter(2025, 2)).rows[-1]
        assert (row.heard.value, row.repeats.value) == (2, 0)
        later = report(panel, Quarter(2025, 3)).rows[-1]
        assert later.heard.value == 0  # July's meeting is after "today"


def test_a_listing_sent_on_by_a_transfer_counts_only_if_its_meeting_came_first(
    app: Flask, history: History
) -> None:
    """Heard on 8 January, then the case moved away on 20 January: heard. Listed for
    12 February but moved away on 1 February: never heard here."""
    with app.test_request_context():
        history.referrer = db.session.merge(history.referrer)
        panel = history.panel("Ashcombe")
        away = history.panel("Brindle")
        january = history.meeting(panel, date(2025, 1, 8))
        february = history.meeting(panel, date(2025, 2, 12))
        moved = ReferralStatus.TRANSFERRED_OUT
        heard_first = history.referral(
            panel, referred_on=date(2025, 1, 2), meeting=january, status=moved
        )
        never_heard = history.referral(
            panel, referred_on=date(2025, 1, 20), meeting=february, status=moved
        )
        history.referral(away, referred_on=date(2025, 1, 20), transferred_from=heard_first)
        history.referral(away, referred_on=date(2025, 2, 1), transferred_from=never_heard)
        assert report(panel, Q1_2025).rows[-1].heard.value == 1


def test_repeats_across_quarter_boundaries_through_the_real_referral_flow(
    app: Flask, accounts: Accounts
) -> None:
    """E1, E7: referred 10 December 2024 and heard 18 December; referred again about the same
    victim and perpetrator on 6 January 2025 (within 12 months: a repeat) and heard 15
    January. December's quarter: 1 heard, 0 repeats; January's: 1 heard, 1 repeat."""
    coordinator_account = accounts.user("coordinator@test.example")
    with app.test_request_context():
        coordinator = db.session.get_one(User, coordinator_account.id)
        panel = make_panel("Ashcombe")
        member(panel, coordinator, PanelRole.COORDINATOR)
        people = [victim(), perpetrator()]
        december = panel_services.schedule_meeting(
            actor=None, panel=panel, held_on=date(2024, 12, 18)
        )
        january = panel_services.schedule_meeting(
            actor=None, panel=panel, held_on=date(2025, 1, 15)
        )
        first = submitted(
            coordinator, panel, marac_answers(referred_on=date(2024, 12, 10), people=people)
        )
        accepted = referrals.accept_referral(
            first, actor=coordinator, matches=[None, None], today=date(2024, 12, 10)
        )
        referrals.list_for_meeting(first, actor=coordinator, meeting=december)
        referrals.mark_heard(first, actor=coordinator, today=date(2024, 12, 18))
        again = submitted(
            coordinator, panel, marac_answers(referred_on=date(2025, 1, 6), people=people)
        )
        referrals.accept_referral(
            again,
            actor=coordinator,
            matches=[p.id for p in accepted.people],
            today=date(2025, 1, 6),
        )
        assert again.is_repeat
        assert not first.is_repeat
        referrals.list_for_meeting(again, actor=coordinator, meeting=january)
        rows = {row.label: row for row in report(panel, Q1_2025).rows}
        december_q, january_q = rows["October to December 2024"], rows["January to March 2025"]
        assert (december_q.heard.value, december_q.repeats.value) == (1, 0)
        assert (january_q.heard.value, january_q.repeats.value) == (1, 1)
        assert january_q.rate.value == Decimal("100.0")


def test_the_twelve_month_view_adds_up_each_quarter_and_the_three_before_it(
    app: Flask, history: History
) -> None:
    with app.test_request_context():
        history.referrer = db.session.merge(history.referrer)
        panel = history.panel("Ashcombe")
        # One meeting a quarter from April 2023 to March 2025, hearing q listings of which
        # one is a repeat in every other quarter.
        quarters = [Quarter(2023, 2).shifted(i) for i in range(8)]
        listed: dict[Quarter, Counts] = {}
        for i, quarter in enumerate(quarters):
            meeting = history.meeting(panel, quarter.start.replace(day=10))
            for n in range(i + 1):
                history.referral(
                    panel, referred_on=quarter.start, meeting=meeting, repeat=n == 0 and i % 2 == 0
                )
            listed[quarter] = Counts(i + 1, 1 if i % 2 == 0 else 0)
        made = report(panel, Q1_2025, View.TWELVE_MONTHS)
        last = made.rows[-1]
        expected = sum((listed[q] for q in quarters[-4:]), Counts())
        assert (last.heard.value, last.repeats.value) == (expected.heard, expected.repeats)
        assert last.label == "12 months to 31 March 2025"
        quarterly = report(panel, Q1_2025)
        assert quarterly.total is not None
        assert quarterly.total.heard.value == expected.heard == 5 + 6 + 7 + 8


def test_e53_position_against_the_band_is_neutral_and_exact(app: Flask, history: History) -> None:
    """27.9% is below a 28-40% band, 28% and 40% are within it, 40.1% above: words, not
    colours, and the page says what a low rate usually means."""
    from cases.reports.rules import position

    assert position(Counts(1000, 279), 28, 40) is Position.BELOW
    assert position(Counts(100, 28), 28, 40) is Position.WITHIN
    assert position(Counts(100, 40), 28, 40) is Position.WITHIN
    assert position(Counts(1000, 401), 28, 40) is Position.ABOVE
    assert position(Counts(0, 0), 28, 40) is None


def test_community_marac_uses_the_same_report_and_channel_has_none(
    app: Flask, history: History
) -> None:
    """The spec says which types report a repeat rate (no branching on type elsewhere)."""
    with app.test_request_context():
        history.referrer = db.session.merge(history.referrer)
        cmarac = history.panel("Ashcombe", PanelType.COMMUNITY_MARAC)
        meeting = history.meeting(cmarac, date(2025, 2, 5))
        history.referral(cmarac, referred_on=date(2025, 2, 1), meeting=meeting, repeat=True)
        made = report(cmarac, Q1_2025)
        assert made.rows[-1].repeats.value == 1
        assert not made.compared  # no national band for a locally defined repeat
        channel = history.panel(cmarac.area, PanelType.CHANNEL)
        none = repeat_report(
            channel, last=Q1_2025, view=View.QUARTERS, suppress=False, settings=EXACT, today=TODAY
        )
        assert none is None
