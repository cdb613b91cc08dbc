from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from firegov.kernels.workdays import SHANGHAI, WorkCalendar, load_calendar_data, local_date

CAL = WorkCalendar.from_json()
DATA = load_calendar_data()
FIRST, LAST = date(2020, 1, 1), date(2026, 12, 31)
END_OF_DAY = time(23, 59, 59, 999999)


def all_days(first=FIRST, last=LAST):
    d = first
    while d <= last:
        yield d
        d += timedelta(days=1)


def sh(*args):
    return datetime(*args, tzinfo=SHANGHAI)


# -- the data against an independent source ----------------------------------------------------


def test_every_day_matches_chinese_calendar():
    mismatches = [
        f"{d} ({d:%a}): firegov={CAL.is_workday(d)} chinese_calendar={chinese_calendar.is_workday(d)}"
        for d in all_days()
        if CAL.is_workday(d) != chinese_calendar.is_workday(d)
    ]
    assert not mismatches, "\n".join(mismatches)


def test_holiday_names_match_chinese_calendar():
    # Combined periods ("National Day & Mid-Autumn Festival") must contain chinese_calendar's name.
    names = {}
    for year in DATA["years"].values():
        for p in year["holidays"]:
            for d in all_days(date.fromisoformat(p["start"]), date.fromisoformat(p["end"])):
                names[d] = p["en"].casefold()
    mismatches = []
    for d in all_days():
        if d.weekday() < 5 and not CAL.is_workday(d):
            theirs = chinese_calendar.get_holiday_detail(d)[1]
            if d not in names or theirs.casefold() not in names[d]:
                mismatches.append(f"{d}: firegov={names.get(d)!r} chinese_calendar={theirs!r}")
    assert not mismatches, "\n".join(mismatches)


def test_data_file_is_consistent():
    assert {int(y) for y in DATA["years"]} == set(range(2020, 2027))
    assert CAL.covered_years == frozenset(range(2020, 2027))
    for key, year in DATA["years"].items():
        assert year["source"]["title"].startswith("国务院办公厅关于" + key), key
        periods = {p["zh"] for p in year["holidays"]}
        for p in year["holidays"]:
            assert p["start"] <= p["end"], p
        for item in year["workdays"]:
            d = date.fromisoformat(item["date"])
            assert d.weekday() >= 5, f"make-up day {d} is not a weekend day"
            assert item["for"] in periods, item
    # Every weekday off within the covered years comes from a listed holiday period.
    assert all(CAL.is_holiday(d) for d in all_days() if d.weekday() < 5 and not CAL.is_workday(d))


# -- hand-written cases from the notices ---------------------------------------------------------


def off(first, last):
    return [d for d in all_days(first, last) if CAL.is_workday(d)] == []


def test_spring_festival_2024():
    assert off(date(2024, 2, 10), date(2024, 2, 17))
    assert CAL.is_workday(date(2024, 2, 4))  # Sunday, make-up day
    assert CAL.is_workday(date(2024, 2, 18))  # Sunday, make-up day
    assert CAL.is_workday(date(2024, 2, 9))  # New Year's Eve, a Friday, was worked
    assert CAL.is_holiday(date(2024, 2, 12)) and not CAL.is_holiday(date(2024, 2, 18))


def test_national_day_2025():
    assert off(date(2025, 10, 1), date(2025, 10, 8))
    assert CAL.is_workday(date(2025, 9, 28)) and CAL.is_workday(date(2025, 10, 11))
    assert not CAL.is_workday(date(2025, 10, 12))


def test_extended_spring_festival_2020():
    # 国办发明电〔2020〕1号 extended the holiday to Feb 2 and cancelled the Saturday Feb 1 make-up day.
    assert off(date(2020, 1, 24), date(2020, 2, 2))
    assert CAL.is_workday(date(2020, 1, 19))
    assert CAL.is_workday(date(2020, 2, 3))


def test_new_year_2023_starts_in_2022():
    assert CAL.is_holiday(date(2022, 12, 31))
    assert not CAL.is_workday(date(2023, 1, 2))


def test_add_workdays_within_three_days_across_spring_festival():
    # Feb 9 (Fri), Feb 18 (make-up Sunday), Feb 19 (Mon)
    assert CAL.add_workdays(date(2024, 2, 8), 3) == date(2024, 2, 19)


def test_add_workdays_lands_on_make_up_sunday():
    assert CAL.add_workdays(date(2024, 2, 8), 2) == date(2024, 2, 18)
    assert CAL.add_workdays(date(2024, 9, 27), 1) == date(2024, 9, 29)
    assert CAL.add_workdays(date(2024, 9, 30), -1) == date(2024, 9, 29)


def test_add_workdays_zero_and_negative():
    assert CAL.add_workdays(date(2024, 2, 11), 0) == date(2024, 2, 11)
    assert CAL.add_workdays(date(2024, 2, 19), -2) == date(2024, 2, 9)


def test_next_workday():
    assert CAL.next_workday(date(2025, 9, 30)) == date(2025, 10, 9)
    assert CAL.next_workday(date(2025, 10, 9), include_self=True) == date(2025, 10, 9)
    assert CAL.next_workday(date(2025, 10, 9)) == date(2025, 10, 10)
    assert CAL.next_workday(date(2025, 10, 5), include_self=True) == date(2025, 10, 9)


def test_workdays_between():
    assert CAL.workdays_between(date(2024, 2, 8), date(2024, 2, 19)) == 3
    assert CAL.workdays_between(date(2024, 2, 19), date(2024, 2, 8)) == -3
    assert CAL.workdays_between(date(2024, 2, 12), date(2024, 2, 12)) == 0


def test_deadline_across_long_holiday():
    # Oct 1-8 off; Oct 9, Oct 10, Oct 11 (make-up Saturday)
    assert CAL.deadline(sh(2025, 9, 30, 10, 0), 3) == sh(2025, 10, 11, 23, 59, 59, 999999)


def test_deadline_across_year_boundary():
    # Dec 31 (Wed), Jan 1-3 off, Jan 4 (make-up Sunday), Jan 5 (Mon)
    assert CAL.deadline(sh(2025, 12, 30, 9, 0), 3) == sh(2026, 1, 5, 23, 59, 59, 999999)


def test_deadline_uses_shanghai_local_date():
    start = datetime(2026, 9, 30, 17, 0, tzinfo=UTC)  # 2026-10-01 01:00 in Shanghai
    assert local_date(start) == date(2026, 10, 1)
    assert CAL.deadline(start, 0) == sh(2026, 10, 1, 23, 59, 59, 999999)
    # 2026-10-10 00:30 local is a make-up Saturday; counted from the UTC date it would end Oct 10.
    start = datetime(2026, 10, 9, 16, 30, tzinfo=UTC)
    result = CAL.deadline(start, 1)
    assert result == sh(2026, 10, 12, 23, 59, 59, 999999)
    assert result.utcoffset() == timedelta(hours=8)
    assert result.astimezone(UTC) == datetime(2026, 10, 12, 15, 59, 59, 999999, tzinfo=UTC)


def test_deadline_rejects_naive_and_dates():
    with pytest.raises(ValueError):
        CAL.deadline(datetime(2026, 3, 1, 9, 0), 3)
    with pytest.raises(TypeError):
        CAL.deadline(date(2026, 3, 1), 3)
    with pytest.raises(TypeError):
        CAL.is_workday(sh(2026, 3, 2, 9, 0))


def test_working_days_elapsed():
    start = sh(2024, 2, 8, 15, 0)
    assert CAL.working_days_elapsed(start, sh(2024, 2, 8, 18, 0)) == 0
    assert CAL.working_days_elapsed(start, sh(2024, 2, 17, 12, 0)) == 1
    assert CAL.working_days_elapsed(start, sh(2024, 2, 19, 9, 0)) == 3
    assert CAL.working_days_elapsed(start, datetime(2024, 2, 18, 16, 30, tzinfo=UTC)) == 3


def test_outside_covered_years_is_plain_monday_to_friday():
    assert not CAL.covers(date(2027, 10, 1)) and not CAL.covers(date(2019, 10, 1))
    assert CAL.covers(date(2026, 12, 31))
    assert CAL.is_workday(date(2019, 10, 1))  # a real holiday, but no data: Tuesday
    assert not CAL.is_workday(date(2027, 1, 2))  # Saturday
    assert CAL.add_workdays(date(2027, 1, 1), 1) == date(2027, 1, 4)


def test_extended_adds_next_year_and_overrides():
    cal = CAL.extended(holidays=[date(2027, 1, 1)], workdays=[date(2027, 1, 2)])
    assert cal.covers(date(2027, 6, 1)) and not CAL.covers(date(2027, 6, 1))
    assert not cal.is_workday(date(2027, 1, 1)) and cal.is_workday(date(2027, 1, 2))
    assert CAL.is_workday(date(2027, 1, 1))  # the original is untouched

    cal = CAL.extended(holidays=[date(2024, 2, 18)], workdays=[date(2024, 2, 12)])
    assert not cal.is_workday(date(2024, 2, 18)) and cal.is_holiday(date(2024, 2, 18))
    assert cal.is_workday(date(2024, 2, 12)) and not cal.is_holiday(date(2024, 2, 12))
    assert cal.covered_years == CAL.covered_years

    with pytest.raises(ValueError):
        CAL.extended(holidays=[date(2027, 1, 1)], workdays=[date(2027, 1, 1)])
    with pytest.raises(ValueError):
        WorkCalendar({date(2027, 1, 1)}, {date(2027, 1, 1)}, {2027})


def test_from_json_custom_path(tmp_path):
    path = tmp_path / "cal.json"
    path.write_text(
        '{"years": {"2030": {"source": {}, "holidays": [{"zh": "x", "en": "x", "start": "2030-01-01",'
        ' "end": "2030-01-02"}], "workdays": [{"date": "2030-01-05", "for": "x"}]}}}',
        encoding="utf-8",
    )
    cal = WorkCalendar.from_json(path)
    assert cal.holidays == {date(2030, 1, 1), date(2030, 1, 2)}
    assert cal.workdays == {date(2030, 1, 5)} and cal.covered_years == {2030}


# -- properties ----------------------------------------------------------------------------------

dates = st.dates(min_value=date(2019, 7, 1), max_value=date(2027, 6, 30))
steps = st.integers(min_value=-80, max_value=80)


@given(dates, steps)
def test_add_workdays_lands_on_workday(d, n):
    result = CAL.add_workdays(d, n)
    assert result == d if n == 0 else CAL.is_workday(result)


@given(dates, steps)
def test_workdays_between_inverts_add_workdays(d, n):
    assert CAL.workdays_between(d, CAL.add_workdays(d, n)) == n


@given(dates, steps, steps)
def test_add_workdays_is_monotone(d, n, m):
    if n < m:
        assert CAL.add_workdays(d, n) < CAL.add_workdays(d, m)


@given(dates, st.integers(0, 400), st.integers(0, 400))
def test_workdays_between_is_additive(a, x, y):
    b, c = a + timedelta(days=x), a + timedelta(days=x + y)
    assert CAL.workdays_between(a, c) == CAL.workdays_between(a, b) + CAL.workdays_between(b, c)


@given(st.datetimes(min_value=datetime(2019, 7, 1), max_value=datetime(2027, 6, 30)), st.integers(0, 40))
def test_deadline_is_end_of_a_local_workday(naive, n):
    start = naive.replace(tzinfo=UTC)
    result = CAL.deadline(start, n)
    assert result.tzinfo is SHANGHAI and result.timetz().replace(tzinfo=None) == END_OF_DAY
    assert result >= start
    assert CAL.working_days_elapsed(start, result) == n
    if n:
        assert CAL.is_workday(result.date())


@given(dates, st.booleans(), st.lists(dates, max_size=20))
def test_extended_overrides_only_the_given_days(d, as_holiday, others):
    cal = CAL.extended(holidays=[d]) if as_holiday else CAL.extended(workdays=[d])
    assert cal.is_workday(d) is not as_holiday
    assert cal.covers(d)
    for other in others:
        if other != d:
            assert cal.is_workday(other) == CAL.is_workday(other)
