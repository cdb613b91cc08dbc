"""Working time for every deadline in firegov (法定工作日, Asia/Shanghai).

The official calendar ships as data (firegov/kernels/rules/cn_calendar.json); administrators add
later years' holidays and make-up working days as CalendarDay rows, which override the data.
"""

from __future__ import annotations

import threading
import time
from datetime import date, datetime

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from firegov.kernels.workdays import WorkCalendar

_lock = threading.Lock()
_cached: WorkCalendar | None = None
_loaded_at = 0.0
# Other processes (web, workers) learn of an administrator's calendar change within this time.
RELOAD_SECONDS = 300


def calendar() -> WorkCalendar:
    global _cached, _loaded_at
    with _lock:
        if _cached is None or time.monotonic() - _loaded_at > RELOAD_SECONDS:
            _loaded_at = time.monotonic()
            from firegov.core.models import CalendarDay

            base = WorkCalendar.from_json()
            rows = list(CalendarDay.objects.values_list("date", "kind"))
            _cached = base.extended(
                holidays={d for d, kind in rows if kind == "holiday"},
                workdays={d for d, kind in rows if kind == "workday"},
            )
        return _cached


def invalidate() -> None:
    global _cached
    with _lock:
        _cached = None


@receiver([post_save, post_delete], sender="core.CalendarDay")
def _calendar_changed(using=None, **kwargs):
    invalidate()
    # Another thread may read the still-committed rows and cache them before this change commits:
    # invalidate again once it has.
    transaction.on_commit(invalidate, using=using)


def is_workday(day: date) -> bool:
    return calendar().is_workday(day)


def add_workdays(day: date, n: int) -> date:
    return calendar().add_workdays(day, n)


def deadline(start: datetime, n_workdays: int) -> datetime:
    """End of the n-th working day after ``start`` (local time), as an aware datetime."""
    return calendar().deadline(start, n_workdays)


def workdays_between(a: date, b: date) -> int:
    return calendar().workdays_between(a, b)
