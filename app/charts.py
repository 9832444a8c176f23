"""Line charts over labelled points, as the numbers of an SVG drawn by the `line_chart` macro
of templates/_macros/charts.html: no JavaScript, no library, text kept as text.

A point may have no value (nothing to count, or a figure that is not shown): the line breaks
there rather than joining its neighbours across the gap. A chart may carry a shaded band (a
benchmark range) and a dashed reference line (a national figure). A chart is never the only
way to read figures: the page gives it a title, a summary in words and a table of the same
figures beside it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT = 640, 320
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 56
Number = Decimal | int


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    value: Number
    text: str  # the value with its unit, as a tooltip reads it


@dataclass(frozen=True)
class Tick:
    y: float
    value: int
    text: str


@dataclass(frozen=True)
class XLabel:
    x: float
    lines: tuple[str, ...]  # "Jul–Sep 2024" is drawn as "Jul–Sep" above "2024"


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: int
    right: float
    top: int
    bottom: float
    y_ticks: list[Tick]
    x_labels: list[XLabel]
    lines: list[list[Point]]  # runs of consecutive values (a point without one breaks the line)
    points: list[Point]
    band: tuple[float, float] | None  # (top y, bottom y) of the shaded band
    reference: float | None  # y of the dashed reference line


def line_chart(
    values: Sequence[tuple[str, Number | None]],
    *,
    band: tuple[Number, Number] | None = None,
    reference: Number | None = None,
    unit: str = "",
    step: int = 10,
    least: int = 50,
    most: int | None = None,
) -> LineChart:
    """The chart of `values`, (label, value or None) from left to right.

    The vertical axis starts at 0 and rises in ticks of `step` to the first tick at or above
    every value, the band and the reference line; it reaches `least` at the lowest (so that
    small figures do not look large) and `most` at the highest (100 for percentages).
    """
    shown = [value for _, value in values if value is not None]
    extras = [*(band or ()), *([reference] if reference is not None else [])]
    highest = max([Decimal(0), *(Decimal(value) for value in [*shown, *extras])])
    ceiling = max(least, math.ceil(highest / step) * step, step)
    if most is not None:
        ceiling = min(most, ceiling)
    bottom, right = HEIGHT - BOTTOM, WIDTH - RIGHT

    def y(value: Number) -> float:
        return round(bottom - (bottom - TOP) * float(value) / ceiling, 1)

    width = (right - LEFT) / max(len(values), 1)
    xs = [round(LEFT + width * (i + 0.5), 1) for i in range(len(values))]
    points: list[Point] = []
    lines: list[list[Point]] = [[]]
    for x, (label, value) in zip(xs, values, strict=True):
        if value is not None:
            point = Point(x, y(value), label, value, f"{value}{unit}")
            points.append(point)
            lines[-1].append(point)
        elif lines[-1]:
            lines.append([])
    return LineChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=right,
        top=TOP,
        bottom=bottom,
        y_ticks=[Tick(y(tick), tick, f"{tick}{unit}") for tick in range(0, ceiling + 1, step)],
        x_labels=[
            XLabel(x, tuple(label.rsplit(" ", 1))) for x, (label, _) in zip(xs, values, strict=True)
        ],
        lines=[line for line in lines if line],
        points=points,
        band=(y(band[1]), y(band[0])) if band else None,
        reference=y(reference) if reference is not None else None,
    )
