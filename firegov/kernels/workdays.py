"""Statutory working days (法定工作日) for deadline arithmetic.

A working day is Monday to Friday, except official public holidays (法定节假日) announced each year
by the State Council (国务院办公厅关于…部分节假日安排的通知), plus the weekend make-up working days
(调休上班日) those notices declare. Dates are local to Asia/Shanghai.

The data lives in ``rules/cn_calendar.json``; years missing from it fall back to plain Monday to
Friday, which ``WorkCalendar.covers`` reports so callers can flag a result as provisional.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_DATA_PATH = Path(__file__).with_name("rules") / "cn_calendar.json"

_ONE_DAY = timedelta(days=1)


def local_date(moment: datetime) -> date:
    """Return the Asia/Shanghai calendar date of an aware datetime; naive datetimes are rejected."""
    if not isinstance(moment, datetime):
        raise TypeError(f"expected a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: attach a time zone first")
    return moment.astimezone(SHANGHAI).date()


def _check_date(d: date) -> date:
    # datetime is a subclass of date; refuse it so a UTC instant is never silently read as a local date.
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"expected a date, got {type(d).__name__}; use local_date() for datetimes")
    return d


def load_calendar_data(path: str | Path | None = None) -> dict[str, Any]:
    """Read the raw calendar JSON (the packaged file by default)."""
    with open(path or DEFAULT_DATA_PATH, encoding="utf-8") as fh:
        return json.load(fh)


@dataclass(frozen=True)
class WorkCalendar:
    """Immutable set of holidays and make-up working days, with working-day arithmetic.

    ``holidays`` are off days (weekend days inside a holiday period may be listed too);
    ``workdays`` are days worked although they fall on a weekend; ``covered_years`` are the years
    for which official data is present. Plain sets are accepted and stored as frozensets.
    """

    holidays: AbstractSet[date] = field(repr=False)
    workdays: AbstractSet[date] = field(repr=False)
    covered_years: AbstractSet[int]

    def __post_init__(self) -> None:
        for name in ("holidays", "workdays", "covered_years"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))
        both = self.holidays & self.workdays
        if both:
            raise ValueError(f"dates both holiday and working day: {sorted(both)}")

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_json(cls, path: str | Path | None = None) -> WorkCalendar:
        """Build the calendar from ``cn_calendar.json`` (the packaged file when ``path`` is None)."""
        data = load_calendar_data(path)
        holidays: set[date] = set()
        workdays: set[date] = set()
        for year in data["years"].values():
            for period in year["holidays"]:
                start, end = date.fromisoformat(period["start"]), date.fromisoformat(period["end"])
                if end < start:
                    raise ValueError(f"holiday period ends before it starts: {period}")
                holidays.update(start + _ONE_DAY * i for i in range((end - start).days + 1))
            workdays.update(date.fromisoformat(item["date"]) for item in year["workdays"])
        return cls(holidays, workdays, {int(y) for y in data["years"]})

    def extended(
        self,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        covered_years: Iterable[int] | None = None,
    ) -> WorkCalendar:
        """Return a new calendar with overrides merged in; the given days win over existing data.

        ``covered_years`` defaults to the years of all override dates, i.e. adding next year's days
        marks that year as covered.
        """
        new_holidays = {_check_date(d) for d in holidays}
        new_workdays = {_check_date(d) for d in workdays}
        if new_holidays & new_workdays:
            raise ValueError(f"dates both holiday and working day: {sorted(new_holidays & new_workdays)}")
        if covered_years is None:
            covered_years = {d.year for d in new_holidays | new_workdays}
        return WorkCalendar(
            (self.holidays - new_workdays) | new_holidays,
            (self.workdays - new_holidays) | new_workdays,
            self.covered_years | set(covered_years),
        )

    # -- single days --------------------------------------------------------------------------

    def covers(self, d: date) -> bool:
        """True if official data for ``d``'s year is loaded; otherwise answers are plain Mon-Fri."""
        return _check_date(d).year in self.covered_years

    def is_holiday(self, d: date) -> bool:
        """True if ``d`` lies in an official holiday period."""
        return _check_date(d) in self.holidays

    def is_workday(self, d: date) -> bool:
        _check_date(d)
        if d in self.workdays:
            return True
        return d not in self.holidays and d.weekday() < 5

    def next_workday(self, d: date, include_self: bool = False) -> date:
        """First working day after ``d`` (or ``d`` itself when it is one and ``include_self``)."""
        if include_self and self.is_workday(d):
            return d
        return self.add_workdays(d, 1)

    # -- arithmetic ---------------------------------------------------------------------------

    def add_workdays(self, d: date, n: int) -> date:
        """The n-th working day after ``d`` (before it if n < 0); ``d`` itself never counts.

        "Within 3 working days of 2024-02-08" ends on ``add_workdays(date(2024, 2, 8), 3)``.
        ``n == 0`` returns ``d`` unchanged.
        """
        _check_date(d)
        step = _ONE_DAY if n > 0 else -_ONE_DAY
        for _ in range(abs(n)):
            d += step
            while not self.is_workday(d):
                d += step
        return d

    def workdays_between(self, a: date, b: date) -> int:
        """Signed number of working days stepped onto going from ``a`` to ``b``.

        Counts days in (a, b] when b >= a, and minus the days in [b, a) when b < a, so that
        ``workdays_between(d, add_workdays(d, n)) == n`` in both directions.
        """
        _check_date(a)
        _check_date(b)
        sign, lo, hi = (1, a + _ONE_DAY, b) if b >= a else (-1, b, a - _ONE_DAY)
        count = 0
        d = lo
        while d <= hi:
            count += self.is_workday(d)
            d += _ONE_DAY
        return sign * count

    def deadline(self, start: datetime, n_workdays: int) -> datetime:
        """End (23:59:59.999999 Asia/Shanghai) of the n-th working day after ``start``'s local date.

        ``start`` must be aware. The result may lie in a year without official data; check
        ``covers(result.date())`` to flag it as provisional.
        """
        end_day = self.add_workdays(local_date(start), n_workdays)
        return datetime.combine(end_day, time.max, tzinfo=SHANGHAI)

    def working_days_elapsed(self, start: datetime, now: datetime) -> int:
        """Working days from the day after ``start``'s local date through ``now``'s local date.

        Equals n on the local day on which ``deadline(start, n)`` falls; negative if now < start.
        """
        return self.workdays_between(local_date(start), local_date(now))
