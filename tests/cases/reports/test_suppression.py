"""Small-number suppression (domain R23, E11): counts of 1 to 4 leave the panel as "fewer
than 5", and secondary suppression stops a total or a rate giving a hidden count back."""

from __future__ import annotations

from datetime import date

from cases.reports.rules import Counts
from cases.reports.rules import Hidden
from cases.reports.rules import Period
from cases.reports.rules import Row
from cases.reports.rules import shown_text
from cases.reports.rules import suppressed

THRESHOLD = 5


def periods(*pairs: tuple[int, int]) -> list[Period]:
    return [
        Period(f"Q{i}", f"Q{i}", date(2025, 1, 1), Counts(heard, repeats))
        for i, (heard, repeats) in enumerate(pairs)
    ]


def total_of(rows: list[Period]) -> Period:
    return Period("Total", "Total", date(2025, 1, 1), sum((p.counts for p in rows[-4:]), Counts()))


def run(rows: list[Period], with_total: bool = True) -> tuple[list[Row], Row | None]:
    return suppressed(
        rows, total_of(rows) if with_total else None, threshold=THRESHOLD, low=28, high=40
    )


def recoverable(rows: list[Row], total: Row | None, column: str) -> bool:
    """Whether a hidden cell in the total's rows can be worked out as total less the rest."""
    if total is None or getattr(total, column).hidden:
        return False
    members = rows[-4:]
    return sum(1 for row in members if getattr(row, column).hidden) == 1


def test_e11_counts_of_one_to_four_are_fewer_than_five_and_zero_and_five_are_shown() -> None:
    rows, _ = run(periods((20, 0), (20, 4), (20, 5), (3, 1)), with_total=False)
    assert [r.repeats.hidden for r in rows] == [None, Hidden.SMALL, None, Hidden.SMALL]
    assert rows[3].heard.hidden is Hidden.SMALL
    assert shown_text(rows[1].repeats, THRESHOLD) == "fewer than 5"
    assert shown_text(rows[0].repeats, THRESHOLD) == "0"


def test_r23_a_hidden_count_hides_its_rate_too() -> None:
    """20 heard, 3 repeats at 15.0% would give the 3 back (20 times 15%)."""
    rows, _ = run(periods((20, 3)), with_total=False)
    assert rows[0].rate.value is None
    assert rows[0].rate.hidden is Hidden.PROTECTS
    assert rows[0].position is None


def test_r23_secondary_suppression_one_hidden_quarter_hides_the_next_smallest() -> None:
    """Repeats 3, 9, 7, 12 over a year shown as 31: 31 - 9 - 7 - 12 = 3 would give the hidden
    3 away, so the smallest other (7) is hidden too."""
    rows, total = run(periods((30, 3), (30, 9), (30, 7), (30, 12)))
    assert [r.repeats.hidden for r in rows] == [Hidden.SMALL, None, Hidden.PROTECTS, None]
    assert total is not None
    assert total.repeats.value == 31
    assert not recoverable(rows, total, "repeats")
    assert rows[2].rate.hidden is Hidden.PROTECTS  # 7 of 30 would come back from the rate
    assert shown_text(rows[2].repeats, THRESHOLD) == "not shown"


def test_r23_a_zero_can_be_the_cell_hidden_to_protect_a_small_one() -> None:
    """Repeats 6, 0, 0, 3 shown as 9: the 3 would come back as 9 - 6; hiding one of the
    zeros leaves 3 split between two hidden cells in a way nobody can tell."""
    rows, total = run(periods((20, 6), (20, 0), (20, 0), (20, 3)))
    assert total is not None
    assert total.repeats.value == 9
    assert not recoverable(rows, total, "repeats")
    hidden = [r.repeats.hidden for r in rows]
    assert hidden == [None, None, Hidden.PROTECTS, Hidden.SMALL]


def test_r23_a_small_total_is_hidden_itself() -> None:
    _, total = run(periods((0, 0), (0, 0), (0, 0), (12, 3)))
    assert total is not None
    assert total.repeats.hidden is Hidden.SMALL
    assert total.rate.value is None


def test_r23_a_total_of_one_row_is_hidden_with_it() -> None:
    _, total = suppressed(
        periods((12, 3))[:1],
        Period("Total", "Total", date(2025, 1, 1), Counts(12, 3)),
        threshold=THRESHOLD,
        low=28,
        high=40,
    )
    assert total is not None
    assert total.repeats.hidden is not None
    assert total.rate.value is None


def test_two_hidden_cells_need_nothing_more() -> None:
    rows, total = run(periods((30, 3), (30, 2), (30, 9), (30, 12)))
    assert [r.repeats.hidden for r in rows] == [Hidden.SMALL, Hidden.SMALL, None, None]
    assert total is not None
    assert total.repeats.value == 26


def test_only_the_total_s_own_quarters_take_part() -> None:
    """The quarterly trend has 8 rows; the total is the last four."""
    rows, total = run(
        periods((30, 3), (30, 9), (30, 7), (30, 12), (30, 9), (30, 8), (30, 7), (30, 6))
    )
    assert rows[0].repeats.hidden is Hidden.SMALL
    assert [r.repeats.hidden for r in rows[1:]] == [None] * 7
    assert total is not None
    assert total.repeats.value == 30


def test_unsuppressed_rows_for_the_panel_s_own_coordinators() -> None:
    rows, _ = suppressed(periods((3, 1)), None, threshold=THRESHOLD, low=28, high=40, apply=False)
    assert (rows[0].heard.value, rows[0].repeats.value) == (3, 1)
    assert str(rows[0].rate.value) == "33.3"
