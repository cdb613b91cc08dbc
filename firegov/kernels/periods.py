"""Reporting periods: calendar months, quarters and years, identified by keys.

Keys: ``2026-03`` (month), ``2026-Q1`` (quarter), ``2026`` (year).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

PeriodKind = Literal["month", "quarter", "year"]

_PER_YEAR = {"month": 12, "quarter": 4, "year": 1}
_KEY_RE = re.compile(r"(?P<year>[0-9]{4})(?:-(?P<month>0[1-9]|1[0-2])|-Q(?P<quarter>[1-4]))?")


def _check_date(d: date) -> date:
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"expected a date, got {type(d).__name__}")
    return d


def month_bounds(d: date) -> tuple[date, date]:
    """First and last day of ``d``'s month."""
    return period_of(d, "month").bounds


def quarter_bounds(d: date) -> tuple[date, date]:
    """First and last day of ``d``'s quarter."""
    return period_of(d, "quarter").bounds


@dataclass(frozen=True)
class Period:
    """One month, quarter or year; ``index`` is the month (1-12), quarter (1-4) or 1 for a year."""

    kind: PeriodKind
    year: int
    index: int = 1

    def __post_init__(self) -> None:
        if self.kind not in _PER_YEAR:
            raise ValueError(f"unknown period kind {self.kind!r}; expected month, quarter or year")
        if not 1 <= self.index <= _PER_YEAR[self.kind]:
            raise ValueError(f"{self.kind} index out of range: {self.index}")
        if not 1 <= self.year <= 9999:
            raise ValueError(f"year out of range: {self.year}")

    @classmethod
    def parse(cls, key: str) -> Period:
        """Inverse of ``key``: ``2026-03``, ``2026-Q1`` or ``2026``."""
        m = _KEY_RE.fullmatch(key)
        if m is None:
            raise ValueError(f"not a period key: {key!r}")
        year = int(m["year"])
        if m["month"]:
            return cls("month", year, int(m["month"]))
        if m["quarter"]:
            return cls("quarter", year, int(m["quarter"]))
        return cls("year", year)

    @property
    def key(self) -> str:
        if self.kind == "month":
            return f"{self.year:04d}-{self.index:02d}"
        if self.kind == "quarter":
            return f"{self.year:04d}-Q{self.index}"
        return f"{self.year:04d}"

    @property
    def _first_month(self) -> int:
        return (self.index - 1) * 12 // _PER_YEAR[self.kind] + 1

    @property
    def start(self) -> date:
        return date(self.year, self._first_month, 1)

    @property
    def end(self) -> date:
        last_month = self._first_month + 12 // _PER_YEAR[self.kind] - 1
        return date(self.year, last_month, calendar.monthrange(self.year, last_month)[1])

    @property
    def bounds(self) -> tuple[date, date]:
        return self.start, self.end

    def shift(self, n: int) -> Period:
        """The period ``n`` steps later (earlier if n < 0) of the same kind."""
        year, index0 = divmod(self.year * _PER_YEAR[self.kind] + self.index - 1 + n, _PER_YEAR[self.kind])
        return Period(self.kind, year, index0 + 1)

    def next(self) -> Period:
        return self.shift(1)

    def previous(self) -> Period:
        return self.shift(-1)

    def __contains__(self, d: object) -> bool:
        return isinstance(d, date) and not isinstance(d, datetime) and self.start <= d <= self.end

    def __str__(self) -> str:
        return self.key


def period_of(d: date, kind: PeriodKind) -> Period:
    """The month, quarter or year containing ``d``."""
    _check_date(d)
    if kind not in _PER_YEAR:
        raise ValueError(f"unknown period kind {kind!r}; expected month, quarter or year")
    return Period(kind, d.year, (d.month - 1) * _PER_YEAR[kind] // 12 + 1)


def parse_period(key: str) -> Period:
    return Period.parse(key)
