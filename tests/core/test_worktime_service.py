"""Working time as a service: the packaged calendar plus administrators' CalendarDay rows."""

from __future__ import annotations

import threading
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction

from firegov.core import worktime
from firegov.core.models import CalendarDay

SH = ZoneInfo("Asia/Shanghai")
NEW_YEAR_2027 = date(2027, 1, 1)  # a Friday; 2027 is not in the packaged calendar
SUNDAY_2027 = date(2027, 2, 7)


@pytest.fixture(autouse=True)
def fresh_calendar():
    """The calendar is cached per process; a test's rolled-back rows send no signal, so start and end clean."""
    worktime.invalidate()
    yield
    worktime.invalidate()


def end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59, 999999), tzinfo=SH)


@pytest.mark.django_db
def test_packaged_calendar_without_rows():
    assert not worktime.is_workday(date(2026, 10, 1))  # National Day
    assert worktime.is_workday(date(2026, 10, 10))  # Saturday worked for it
    assert worktime.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert worktime.add_workdays(date(2026, 10, 8), -1) == date(2026, 9, 30)
    assert worktime.workdays_between(date(2026, 9, 30), date(2026, 10, 10)) == 3  # 10-08, 10-09, 10-10
    # 2027 has no official data yet: plain Monday to Friday
    assert worktime.is_workday(NEW_YEAR_2027)
    assert not worktime.is_workday(SUNDAY_2027)
    assert not worktime.calendar().covers(NEW_YEAR_2027)


@pytest.mark.django_db
def test_added_holiday_and_workday_apply_at_once_and_revert_on_delete():
    assert worktime.add_workdays(date(2026, 12, 31), 1) == NEW_YEAR_2027
    assert worktime.add_workdays(date(2027, 2, 5), 1) == date(2027, 2, 8)

    holiday = CalendarDay.objects.create(date=NEW_YEAR_2027, kind="holiday", name="元旦",
                                         source="国办发明电〔2026〕X号")
    workday = CalendarDay.objects.create(date=SUNDAY_2027, kind="workday", name="春节调休")
    assert not worktime.is_workday(NEW_YEAR_2027)
    assert worktime.is_workday(SUNDAY_2027)
    assert worktime.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)  # over the holiday and weekend
    assert worktime.add_workdays(date(2027, 2, 5), 1) == SUNDAY_2027
    assert worktime.add_workdays(date(2027, 1, 4), -1) == date(2026, 12, 31)
    assert worktime.workdays_between(date(2026, 12, 31), date(2027, 1, 4)) == 1
    assert worktime.calendar().covers(NEW_YEAR_2027)

    holiday.delete()
    assert worktime.is_workday(NEW_YEAR_2027)
    assert worktime.add_workdays(date(2026, 12, 31), 1) == NEW_YEAR_2027
    assert worktime.is_workday(SUNDAY_2027)  # the other row still holds
    workday.delete()
    assert not worktime.is_workday(SUNDAY_2027)
    assert worktime.add_workdays(date(2027, 2, 5), 1) == date(2027, 2, 8)


@pytest.mark.django_db
def test_changing_a_row_applies_at_once():
    day = CalendarDay.objects.create(date=SUNDAY_2027, kind="holiday")
    assert not worktime.is_workday(SUNDAY_2027)
    day.kind = "workday"
    day.save()
    assert worktime.is_workday(SUNDAY_2027)


@pytest.mark.django_db
def test_rows_override_the_packaged_calendar():
    # an administrator's correction wins over the shipped data
    CalendarDay.objects.create(date=date(2026, 10, 7), kind="workday")
    CalendarDay.objects.create(date=date(2026, 9, 30), kind="holiday")
    assert worktime.is_workday(date(2026, 10, 7))
    assert not worktime.is_workday(date(2026, 9, 30))
    assert worktime.add_workdays(date(2026, 10, 8), -1) == date(2026, 10, 7)
    assert worktime.add_workdays(date(2026, 10, 7), -1) == date(2026, 9, 29)


@pytest.mark.django_db
def test_deadline_is_the_end_of_the_nth_working_day_in_shanghai():
    start = datetime(2026, 9, 30, 10, 0, tzinfo=SH)
    assert worktime.deadline(start, 1) == end_of(date(2026, 10, 8))
    assert worktime.deadline(start, 3) == end_of(date(2026, 10, 10))  # the make-up Saturday counts
    assert worktime.deadline(start, 0) == end_of(date(2026, 9, 30))
    result = worktime.deadline(start, 1)
    assert result.utcoffset().total_seconds() == 8 * 3600
    assert (result.hour, result.minute, result.second, result.microsecond) == (23, 59, 59, 999999)


@pytest.mark.django_db
def test_deadline_counts_from_the_local_date_of_an_instant():
    # 2026-09-29 17:00 UTC is already 09-30 01:00 in Shanghai
    utc_start = datetime(2026, 9, 29, 17, 0, tzinfo=ZoneInfo("UTC"))
    assert worktime.deadline(utc_start, 1) == end_of(date(2026, 10, 8))
    with pytest.raises(ValueError, match="naive"):
        worktime.deadline(datetime(2026, 9, 30, 10, 0), 1)


@pytest.mark.django_db
def test_deadline_follows_calendar_rows():
    start = datetime(2026, 12, 30, 9, 0, tzinfo=SH)  # Wednesday
    assert worktime.deadline(start, 2) == end_of(NEW_YEAR_2027)
    CalendarDay.objects.create(date=NEW_YEAR_2027, kind="holiday")
    assert worktime.deadline(start, 2) == end_of(date(2027, 1, 4))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_read_racing_an_uncommitted_change_does_not_keep_the_old_calendar():
    """Thread A adds a holiday; before A commits, another request reads (and caches) the calendar.

    The cache must not keep the pre-commit calendar once A has committed.
    """
    if connection.vendor != "postgresql":
        pytest.skip("needs a reader that does not block on the writer's transaction (SQLite locks the table)")
    assert worktime.is_workday(NEW_YEAR_2027)
    saved, read = threading.Event(), threading.Event()
    errors = []

    def admin():
        try:
            with transaction.atomic():
                CalendarDay.objects.create(date=NEW_YEAR_2027, kind="holiday")
                saved.set()
                assert read.wait(10)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    writer = threading.Thread(target=admin)
    writer.start()
    assert saved.wait(10)
    assert worktime.is_workday(NEW_YEAR_2027)  # not committed yet: still a working day
    read.set()
    writer.join(10)
    assert errors == []
    assert not worktime.is_workday(NEW_YEAR_2027)
