"""The repeat-rate trend as the numbers of an SVG line chart, drawn by
templates/reports/_chart.html: no JavaScript, no library, text kept as text. The chart is
never the only way to read the figures: its title, a summary in words and the table of the
same figures sit beside it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from cases.reports.rules import Row

WIDTH, HEIGHT = 640, 320
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 56


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    value: Decimal


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: float
    top: int
    bottom: float
    y_ticks: list[tuple[float, int]]  # (y, percentage)
    x_labels: list[tuple[float, str]]
    lines: list[list[Point]]  # runs of consecutive shown rates (a hidden rate breaks the line)
    points: list[Point]
    band: tuple[float, float] | None  # (top y, bottom y) of the benchmark band
    national: float | None  # y of the national figure


def repeat_chart(
    rows: Sequence[Row], *, band: tuple[int, int] | None, national: Decimal | None
) -> Chart:
    rates = [row.rate.value for row in rows if isinstance(row.rate.value, Decimal)]
    highest = max([Decimal(0), *rates, Decimal(band[1] if band else 0), national or Decimal(0)])
    ceiling = min(100, max(50, int((highest + 9) // 10 * 10)))
    bottom, right = HEIGHT - BOTTOM, WIDTH - RIGHT

    def y(value: Decimal | int) -> float:
        return round(bottom - (bottom - TOP) * float(value) / ceiling, 1)

    step = (right - LEFT) / max(len(rows), 1)
    xs = [round(LEFT + step * (i + 0.5), 1) for i in range(len(rows))]
    points: list[Point] = []
    lines: list[list[Point]] = [[]]
    for x, row in zip(xs, rows, strict=True):
        if isinstance(row.rate.value, Decimal):
            point = Point(x, y(row.rate.value), row.short_label, row.rate.value)
            points.append(point)
            lines[-1].append(point)
        elif lines[-1]:
            lines.append([])
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=right,
        top=TOP,
        bottom=bottom,
        y_ticks=[(y(tick), tick) for tick in range(0, ceiling + 1, 10)],
        x_labels=[(x, row.short_label) for x, row in zip(xs, rows, strict=True)],
        lines=[line for line in lines if line],
        points=points,
        band=(y(band[1]), y(band[0])) if band else None,
        national=y(national) if national is not None else None,
    )
