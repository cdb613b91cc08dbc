"""Geometry of a Gantt-style timeline (挂图作战: the plan hung on the wall, fought by the chart).

Everything is placed on one axis from ``start`` to ``end`` (inclusive days) as percentages of its
width, so a page can draw it with plain CSS and a printer or a phone scales it without script.
Days outside the axis are clamped to its edges; a bar never gets narrower than ``MIN_WIDTH`` so a
one-day task stays visible. The ticks are months, quarters or years, whichever gives a readable
number of labels for the axis's length.

No Django import: the campaign services feed it dates and render its numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

MIN_WIDTH = 0.6  # percent of the axis
MAX_TICKS = 18


@dataclass(frozen=True)
class Axis:
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"axis ends ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        """Days the axis covers, both ends included."""
        return (self.end - self.start).days + 1

    def at(self, day: date) -> float:
        """Where the start of ``day`` falls, in percent of the width (0 to 100)."""
        offset = min(max((day - self.start).days, 0), self.days)
        return round(100.0 * offset / self.days, 3)

    def span(self, start: date, end: date) -> tuple[float, float]:
        """(left, width) of a bar from the start of ``start`` to the end of ``end``, both in percent."""
        if end < start:
            start, end = end, start
        left = self.at(start)
        right = self.at(end + timedelta(days=1))
        width = max(right - left, MIN_WIDTH)
        left = min(left, 100.0 - width)
        return round(left, 3), round(width, 3)


@dataclass(frozen=True)
class Tick:
    day: date
    left: float
    unit: str  # "month", "quarter" or "year"

    @property
    def label(self) -> str:
        if self.unit == "year":
            return str(self.day.year)
        if self.unit == "quarter":
            return f"{self.day.year}-Q{(self.day.month - 1) // 3 + 1}"
        return f"{self.day.year}-{self.day.month:02d}"


def _firsts(start: date, end: date, months: int):
    """First days of every ``months``-month period (aligned to January) from ``start`` to ``end``."""
    month = (start.month - 1) // months * months + 1
    day = date(start.year, month, 1)
    while day <= end:
        yield day
        total = day.month - 1 + months
        day = date(day.year + total // 12, total % 12 + 1, 1)


def ticks(axis: Axis) -> list[Tick]:
    """Period boundaries on the axis: the finest of month, quarter and year giving at most
    ``MAX_TICKS`` labels. The first tick is the axis start when a period begins before it."""
    for unit, months in (("month", 1), ("quarter", 3), ("year", 12)):
        days = list(_firsts(axis.start, axis.end, months))
        if len(days) <= MAX_TICKS or unit == "year":
            break
    return [Tick(max(day, axis.start), axis.at(max(day, axis.start)), unit) for day in days]
