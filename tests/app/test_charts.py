"""The shared line chart's geometry (app/charts.py): a point without a value breaks the line
and is not drawn; the vertical axis covers every value, the band and the reference line, in
whole ticks; labels stay text. The chart drawn on a page is tested with the report using it
(tests/cases/reports/test_access.py)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from app.charts import BOTTOM
from app.charts import HEIGHT
from app.charts import TOP
from app.charts import line_chart

FLOOR = HEIGHT - BOTTOM  # the y of zero


def test_a_missing_value_breaks_the_line_and_draws_no_point() -> None:
    chart = line_chart(
        [("Q1 2024", Decimal(20)), ("Q2 2024", None), ("Q3 2024", Decimal(30)), ("Q4", 35)]
    )
    assert [point.label for point in chart.points] == ["Q1 2024", "Q3 2024", "Q4"]
    assert [[point.label for point in run] for run in chart.lines] == [
        ["Q1 2024"],
        ["Q3 2024", "Q4"],
    ]
    assert len(chart.x_labels) == 4  # every period keeps its place on the axis
    xs = [label.x for label in chart.x_labels]
    assert xs == sorted(xs)
    assert chart.points[1].x == xs[2]


def test_nothing_but_missing_values_draws_no_line() -> None:
    chart = line_chart([("A", None), ("B", None)])
    assert chart.lines == []
    assert chart.points == []
    assert [tick.value for tick in chart.y_ticks] == [0, 10, 20, 30, 40, 50]


def test_the_axis_starts_at_zero_and_reaches_the_least_top_for_small_values() -> None:
    chart = line_chart([("A", Decimal("3.5"))], unit="%")
    assert [tick.text for tick in chart.y_ticks] == ["0%", "10%", "20%", "30%", "40%", "50%"]
    assert chart.y_ticks[0].y == FLOOR
    assert chart.y_ticks[-1].y == TOP


def test_the_axis_rises_in_whole_ticks_to_cover_every_value_the_band_and_the_reference() -> None:
    assert line_chart([("A", Decimal("50.5"))]).y_ticks[-1].value == 60
    assert line_chart([("A", 10)], band=(28, 72)).y_ticks[-1].value == 80
    assert line_chart([("A", 10)], reference=Decimal("61")).y_ticks[-1].value == 70
    assert line_chart([("A", 240)], step=50, least=0).y_ticks[-1].value == 250


def test_the_axis_stops_at_its_most() -> None:
    chart = line_chart([("A", Decimal(100))], unit="%", most=100)
    assert chart.y_ticks[-1].value == 100
    assert chart.points[0].y == TOP


def test_the_band_and_reference_line_are_placed_on_the_same_scale() -> None:
    chart = line_chart([("A", Decimal(25))], band=(25, 50), reference=Decimal(25))
    assert chart.band == (TOP, chart.points[0].y)  # 50 is the top of a 0-50 axis
    assert chart.reference == chart.points[0].y
    assert line_chart([("A", 1)]).band is None
    assert line_chart([("A", 1)]).reference is None


def test_labels_stay_text_split_onto_two_lines_at_the_last_space() -> None:
    chart = line_chart(
        [("Jul–Sep 2024", Decimal("33.3")), ("Yr to Sep 2024", None), ("2025", 1)], unit="%"
    )
    assert [label.lines for label in chart.x_labels] == [
        ("Jul–Sep", "2024"),
        ("Yr to Sep", "2024"),
        ("2025",),
    ]
    assert chart.points[0].text == "33.3%"


@given(
    st.lists(
        st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=1)),
        min_size=1,
        max_size=12,
    )
)
def test_property_every_point_sits_inside_the_plot(values: list[Decimal | None]) -> None:
    chart = line_chart([(str(i), v) for i, v in enumerate(values)], most=100)
    assert all(TOP <= point.y <= FLOOR for point in chart.points)
    assert all(chart.left < point.x < chart.right for point in chart.points)
    assert sum(len(run) for run in chart.lines) == sum(v is not None for v in values)
