"""The differencing attack on suppressed figures (domain R23, E11; issue 20's walkthrough).

A manager can choose any quarter the report offers, in either view, on screen or as a
download. Each choice publishes 12-month totals that overlap other choices' totals; two of
them that differ by one quarter give that quarter's count by subtraction. These tests collect
everything a manager can see over every choice and both views, for generated histories, and
try the attack: no quarter whose count is hidden as "fewer than 5" may come back. And more:
nothing a manager sees may change when a hidden count changes (so no sum or difference of what
is shown, of any length, can tell anything about it).

The reports are assembled by `rules.assemble`, the same function the page and the downloads
use (the database's part, the counts per quarter, is tested against a brute-force recount in
test_property.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from fractions import Fraction

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from app import load_models
from app.exports import csv_chunks
from app.settings import ReportSettings
from cases.reports.rules import Counts
from cases.reports.rules import Quarter
from cases.reports.rules import RepeatReport
from cases.reports.rules import View
from cases.reports.rules import assemble
from cases.reports.rules import is_small
from cases.reports.rules import quarters_needed
from cases.reports.rules import report_sheet
from cases.reports.views import QUARTERS_OFFERED
from panels.models import Area
from panels.models import Panel
from panels.types.common import PanelType

TODAY = date(2026, 12, 7)  # the walkthrough's day: the current quarter is not over
CURRENT = Quarter.of(TODAY)
CHOICES = [CURRENT.shifted(-back) for back in range(QUARTERS_OFFERED + 1)]  # as the page offers
FIRST = min(quarters_needed(choice, view)[0] for choice in CHOICES for view in View)
SPAN = (CURRENT.year - FIRST.year) * 4 + CURRENT.number - FIRST.number + 1
QUARTERS = [FIRST.shifted(i) for i in range(SPAN)]  # every quarter any choice counts
SETTINGS = ReportSettings()
THRESHOLD = SETTINGS.suppress_below
COLUMNS = ("heard", "repeats")
GENERATED = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def panel() -> Panel:
    """A panel that is never stored: the report only reads its name, area and type."""
    load_models()  # the mapper resolves its relationships by name
    return Panel(name="Ashcombe MARAC", area=Area(name="Ashcombe"), panel_type=PanelType.MARAC)


def reports(counts: dict[Quarter, Counts]) -> Iterator[RepeatReport]:
    """Every report a manager can ask for: each quarter offered, in each view, suppressed."""
    made = panel()
    for last in CHOICES:
        for view in View:
            report = assemble(
                made, counts, last=last, view=view, suppress=True, settings=SETTINGS, today=TODAY
            )
            assert report is not None
            yield report


@dataclass(frozen=True)
class Published:
    quarters: frozenset[Quarter]
    column: str
    value: int


def published(counts: dict[Quarter, Counts]) -> set[Published]:
    """Every count a manager sees, with the quarters it adds up."""
    seen: set[Published] = set()
    for report in reports(counts):
        for row in [*report.rows, *([report.total] if report.total else [])]:
            for column in COLUMNS:
                shown = getattr(row, column)
                if shown.hidden is None:
                    assert isinstance(shown.value, int)
                    seen.add(Published(frozenset(row.quarters), column, shown.value))
    return seen


def everything_shown(counts: dict[Quarter, Counts]) -> list[object]:
    """What the page, its chart and its files say, for every choice."""
    out: list[object] = []
    for report in reports(counts):
        rows = [*report.rows, *([report.total] if report.total else [])]
        out.append(report.summary())
        out.append(report.chart())
        out.append([(row.label, row.position) for row in rows])
        out.append([report.text(row, c) for row in rows for c in ("heard", "repeats", "rate")])
        sheet = report_sheet(report, generated=GENERATED)
        out.append("".join(csv_chunks(sheet, marking=("OFFICIAL-SENSITIVE", "Synthetic"))))
    return out


def attack(counts: dict[Quarter, Counts]) -> dict[tuple[frozenset[Quarter], str], int]:
    """The walkthrough's attack, carried as far as it goes: take each published total from
    every other total it lies inside (a quarter shown on its own is a total of one), then do
    the same with what that gives, until nothing new comes out. The walkthrough's 7 - 6 + 0 is
    two such steps. Returns every sum of quarters so learned, with its value."""
    known: dict[tuple[frozenset[Quarter], str], int] = {}
    for fact in published(counts):
        key = (fact.quarters, fact.column)
        assert known.setdefault(key, fact.value) == fact.value  # one total, one value
    new = dict(known)
    while new:
        found: dict[tuple[frozenset[Quarter], str], int] = {}
        for (inner, column), inner_value in new.items():
            for (outer, other), outer_value in list(known.items()):
                if column != other or inner == outer:
                    continue
                for small, big, value in (
                    (inner, outer, outer_value - inner_value),
                    (outer, inner, inner_value - outer_value),
                ):
                    key = (big - small, column)
                    if small < big and key not in known and key not in found:
                        found[key] = value
        known.update(found)
        new = found
    return known


def in_span(sets: list[frozenset[Quarter]], quarter: Quarter) -> bool:
    """Whether some sum and difference of the published totals `sets` (any multiples, any
    number of them) is exactly `quarter`'s count: linear algebra, the most any differencing
    can do."""
    index = {q: i for i, q in enumerate(QUARTERS)}
    basis: dict[int, list[Fraction]] = {}  # pivot column -> row, in echelon form

    def reduce(row: list[Fraction]) -> list[Fraction]:
        for pivot, base in basis.items():
            if row[pivot]:
                factor = row[pivot] / base[pivot]
                row = [a - factor * b for a, b in zip(row, base, strict=True)]
        return row

    for quarters in sets:
        row = reduce([Fraction(int(q in quarters)) for q in QUARTERS])
        pivot = next((i for i, a in enumerate(row) if a), None)
        if pivot is not None:
            for other, base in basis.items():  # keep every row clear of the new pivot
                if base[pivot]:
                    factor = base[pivot] / row[pivot]
                    basis[other] = [a - factor * b for a, b in zip(base, row, strict=True)]
            basis[pivot] = row
    unit = [Fraction(int(i == index[quarter])) for i in range(len(QUARTERS))]
    return not any(reduce(unit))


def hidden_changed(counts: dict[Quarter, Counts]) -> dict[Quarter, Counts]:
    """The same history with every hidden count changed to another hidden value (cases heard
    to the threshold less one, repeats to 1; still never more repeats than cases heard)."""
    changed = {}
    for quarter, count in counts.items():
        heard = THRESHOLD - 1 if is_small(count.heard, THRESHOLD) else count.heard
        repeats = 1 if is_small(count.repeats, THRESHOLD) else count.repeats
        changed[quarter] = Counts(heard, repeats)
    return changed


def quarter_counts() -> st.SearchStrategy[Counts]:
    """Cases heard and repeats, often small, never more repeats than cases heard."""
    heard = st.one_of(st.just(0), st.integers(1, THRESHOLD - 1), st.integers(THRESHOLD, 40))
    return heard.flatmap(
        lambda n: st.builds(
            Counts,
            st.just(n),
            st.one_of(st.just(0), st.integers(0, min(n, THRESHOLD - 1)), st.integers(0, n)),
        )
    )


histories = st.lists(quarter_counts(), min_size=len(QUARTERS), max_size=len(QUARTERS)).map(
    lambda values: dict(zip(QUARTERS, values, strict=True))
)


def test_the_choices_and_their_quarters() -> None:
    assert len(CHOICES) == QUARTERS_OFFERED + 1
    assert QUARTERS[0] == FIRST == CURRENT.shifted(-(QUARTERS_OFFERED + 7 + 3))
    assert QUARTERS[-1] == CURRENT


@settings(max_examples=100, deadline=None)
@given(counts=histories)
def test_r23_e11_no_subtraction_of_published_totals_gives_a_hidden_quarter_back(
    counts: dict[Quarter, Counts],
) -> None:
    learned = attack(counts)
    for (quarters, column), value in learned.items():
        # Each subtraction is right: it is what a manager would learn ...
        assert value == sum(getattr(counts[q], column) for q in quarters)
        # ... and no quarter it gives on its own is one shown as "fewer than 5".
        if len(quarters) == 1:
            (quarter,) = quarters
            assert not is_small(value, THRESHOLD), (quarter, column, value)


@settings(max_examples=60, deadline=None)
@given(counts=histories)
def test_r23_e11_no_sum_or_difference_of_published_totals_is_a_hidden_quarter(
    counts: dict[Quarter, Counts],
) -> None:
    seen = published(counts)
    for column in COLUMNS:
        sets = [fact.quarters for fact in seen if fact.column == column]
        for quarter in QUARTERS:
            if is_small(getattr(counts[quarter], column), THRESHOLD):
                assert not in_span(sets, quarter), (quarter, column)


@settings(max_examples=60, deadline=None)
@given(counts=histories)
def test_r23_e11_nothing_shown_depends_on_a_hidden_count(counts: dict[Quarter, Counts]) -> None:
    """Stronger than any one subtraction: change every hidden count and the pages, charts,
    summaries and files of every choice stay exactly the same."""
    assert everything_shown(hidden_changed(counts)) == everything_shown(counts)


def walkthrough_history() -> dict[Quarter, Counts]:
    """The walkthrough's figures: 6 repeats in the 12 months to 30 June 2026, none in July to
    September 2025, and 1 in July to September 2026 (so 7 in the 12 months to 30 September)."""
    counts = {quarter: Counts() for quarter in QUARTERS}
    counts[Quarter(2025, 3)] = Counts(20, 0)
    counts[Quarter(2025, 4)] = Counts(20, 6)
    counts[Quarter(2026, 1)] = Counts(20, 0)
    counts[Quarter(2026, 2)] = Counts(20, 0)
    counts[Quarter(2026, 3)] = Counts(20, 1)
    return counts


def test_r23_e11_the_walkthrough_s_attack_example() -> None:
    """7 - 6 + 0 gave the 1 in July to September 2026 away: the 12 months to 30 September
    2026 is now not shown, in either view, and nothing subtracts to that 1."""
    counts = walkthrough_history()
    by_choice = {(r.last, r.view): r for r in reports(counts)}
    june = by_choice[(Quarter(2026, 2), View.QUARTERS)]
    assert june.total is not None
    assert june.total.repeats.value == 6
    september = by_choice[(Quarter(2026, 3), View.QUARTERS)]
    assert september.total is not None
    assert september.text(september.total, "repeats") == "not shown"
    assert september.rows[0].label == "October to December 2024"
    assert september.rows[3].repeats.value == 0  # July to September 2025
    assert september.text(september.rows[-1], "repeats") == "fewer than 5"
    rolling = by_choice[(Quarter(2026, 3), View.TWELVE_MONTHS)]
    assert rolling.rows[-1].label == "12 months to 30 September 2026"
    assert rolling.text(rolling.rows[-1], "repeats") == "not shown"
    assert rolling.rows[-2].repeats.value == 6
    learned = attack(counts)
    assert (frozenset({Quarter(2025, 3)}), "repeats") in learned  # shown: 0
    assert (frozenset({Quarter(2026, 3)}), "repeats") not in learned
    sets = [fact.quarters for fact in published(counts) if fact.column == "repeats"]
    assert not in_span(sets, Quarter(2026, 3))
