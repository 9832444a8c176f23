"""Small-number suppression (domain R23, E11): a quarter's count of 1 to 4 leaves the panel as
"fewer than 5"; a total of several quarters is shown only when none of its quarters is hidden;
a rate is hidden whenever one of its counts is. Whether the rule stands up to someone taking
one published total from another is tested in test_differencing.py."""

from __future__ import annotations

from datetime import date

from cases.reports.rules import Counts
from cases.reports.rules import Hidden
from cases.reports.rules import Period
from cases.reports.rules import Quarter
from cases.reports.rules import Row
from cases.reports.rules import View
from cases.reports.rules import shown_count
from cases.reports.rules import shown_text
from cases.reports.rules import suppressed
from cases.reports.rules import trend
from cases.reports.rules import year_total

THRESHOLD = 5
LAST = Quarter(2025, 4)
TODAY = date(2026, 6, 1)  # every period below is over


def history(*pairs: tuple[int, int]) -> dict[Quarter, Counts]:
    """(heard, repeats) for each quarter, the last pair being LAST's."""
    return {
        LAST.shifted(back - len(pairs) + 1): Counts(heard, repeats)
        for back, (heard, repeats) in enumerate(pairs)
    }


def run(
    *pairs: tuple[int, int], view: View = View.QUARTERS, apply: bool = True
) -> tuple[list[Row], Row | None]:
    counts = history(*pairs)
    total = year_total(LAST, counts, today=TODAY) if view is View.QUARTERS else None
    return suppressed(
        trend(LAST, counts, view, today=TODAY),
        total,
        threshold=THRESHOLD,
        low=28,
        high=40,
        apply=apply,
    )


def test_e11_a_quarter_s_counts_of_one_to_four_are_fewer_than_five_zero_and_five_shown() -> None:
    rows, _ = run((20, 0), (20, 4), (20, 5), (3, 1))
    assert [r.repeats.hidden for r in rows[-4:]] == [None, Hidden.SMALL, None, Hidden.SMALL]
    assert rows[-1].heard.hidden is Hidden.SMALL
    assert shown_text(rows[-3].repeats, THRESHOLD) == "fewer than 5"
    assert shown_text(rows[-4].repeats, THRESHOLD) == "0"
    assert rows[-2].repeats.value == 5


def test_r23_a_hidden_count_hides_its_rate_and_its_place_against_the_band() -> None:
    """20 heard, 3 repeats at 15.0% would give the 3 back (20 times 15%); 3 heard, 0 repeats
    at 0.0% says that 0 of a small number were repeats."""
    rows, _ = run((20, 3), (3, 0))
    for row in rows[-2:]:
        assert row.rate.value is None
        assert row.rate.hidden is Hidden.PROTECTS
        assert row.position is None
    assert rows[-1].repeats.value == 0  # the zero itself is still shown


def test_r23_a_total_is_not_shown_when_any_of_its_quarters_is_hidden() -> None:
    """Repeats 3, 9, 7, 12 over a year: the year's 31 is not shown (31 - 9 - 7 - 12 would be
    the 3), and the other quarters stay shown."""
    rows, total = run((30, 3), (30, 9), (30, 7), (30, 12))
    assert [r.repeats.hidden for r in rows[-4:]] == [Hidden.SMALL, None, None, None]
    assert total is not None
    assert total.repeats.hidden is Hidden.PROTECTS
    assert shown_text(total.repeats, THRESHOLD) == "not shown"
    assert total.rate.hidden is Hidden.PROTECTS
    assert total.heard.value == 120  # no quarter's cases heard is hidden


def test_r23_a_total_of_quarters_none_hidden_is_shown() -> None:
    _, total = run((20, 6), (20, 0), (20, 0), (20, 7))
    assert total is not None
    assert (total.heard.value, total.repeats.value) == (80, 13)
    assert str(total.rate.value) == "16.3"


def test_r23_a_hidden_total_says_not_shown_whatever_its_own_size() -> None:
    """1 + 2 and 3 + 4 hidden quarters: "fewer than 5" for the first total and a number (or
    "not shown") for the second would tell the two apart; both are "not shown"."""
    _, small = run((20, 1), (20, 2), (20, 0), (20, 0))
    _, large = run((20, 3), (20, 4), (20, 0), (20, 0))
    assert small is not None
    assert large is not None
    assert small.repeats == large.repeats
    assert small.repeats.hidden is Hidden.PROTECTS


def test_r23_each_rolling_row_is_a_total_and_follows_the_same_rule() -> None:
    """Rolling 12 months: a row is shown only if none of the four quarters it adds up is
    hidden. One small quarter hides the four rows whose years include it."""
    pairs = [(20, 6)] * 11
    pairs[5] = (20, 2)  # the sixth of eleven quarters: rows 2 to 5 of the 8 include it
    rows, total = run(*pairs, view=View.TWELVE_MONTHS)
    assert total is None
    assert [r.repeats.hidden for r in rows] == [None] * 2 + [Hidden.PROTECTS] * 4 + [None] * 2
    assert [r.heard.value for r in rows] == [80] * 8
    assert rows[0].repeats.value == 24


def test_only_the_total_s_own_quarters_take_part() -> None:
    """The quarterly trend has 8 rows; the total is the last four."""
    rows, total = run((30, 3), (30, 9), (30, 7), (30, 12), (30, 9), (30, 8), (30, 7), (30, 6))
    assert rows[0].repeats.hidden is Hidden.SMALL
    assert [r.repeats.hidden for r in rows[1:]] == [None] * 7
    assert total is not None
    assert total.repeats.value == 30


def test_unsuppressed_rows_for_the_panel_s_own_coordinators() -> None:
    rows, total = run((3, 1), (30, 9), (30, 7), (30, 12), apply=False)
    assert (rows[-4].heard.value, rows[-4].repeats.value) == (3, 1)
    assert str(rows[-4].rate.value) == "33.3"
    assert total is not None
    assert total.repeats.value == 29


def test_a_count_that_stands_alone_is_hidden_only_when_small() -> None:
    """The rule other figures pages reuse (the ASB Case Review figures)."""
    assert shown_count(3, threshold=THRESHOLD) == shown_count(1, threshold=THRESHOLD)
    assert shown_count(3, threshold=THRESHOLD).hidden is Hidden.SMALL
    assert shown_count(0, threshold=THRESHOLD).value == 0
    assert shown_count(5, threshold=THRESHOLD).value == 5
    assert shown_count(3, threshold=THRESHOLD, apply=False).value == 3


def test_a_period_keeps_the_quarters_it_adds_up() -> None:
    counts = history((1, 0), (2, 0), (3, 1), (4, 2))
    total: Period = year_total(LAST, counts, today=TODAY)
    assert total.quarters == tuple(LAST.shifted(b) for b in (-3, -2, -1, 0))
    assert total.counts == Counts(10, 3)
