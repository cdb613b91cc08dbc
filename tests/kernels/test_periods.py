from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firegov.kernels.periods import Period, month_bounds, parse_period, period_of, quarter_bounds

KINDS = st.sampled_from(["month", "quarter", "year"])
DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31))


def test_bounds():
    assert month_bounds(date(2024, 2, 15)) == (date(2024, 2, 1), date(2024, 2, 29))
    assert month_bounds(date(2023, 2, 1)) == (date(2023, 2, 1), date(2023, 2, 28))
    assert month_bounds(date(2026, 12, 31)) == (date(2026, 12, 1), date(2026, 12, 31))
    assert quarter_bounds(date(2026, 5, 20)) == (date(2026, 4, 1), date(2026, 6, 30))
    assert quarter_bounds(date(2026, 12, 31)) == (date(2026, 10, 1), date(2026, 12, 31))
    assert quarter_bounds(date(2026, 1, 1)) == (date(2026, 1, 1), date(2026, 3, 31))


def test_period_of_keys():
    d = date(2026, 3, 15)
    assert period_of(d, "month").key == "2026-03"
    assert period_of(d, "quarter").key == "2026-Q1"
    assert period_of(d, "year").key == "2026"
    year = period_of(d, "year")
    assert (year.start, year.end) == (date(2026, 1, 1), date(2026, 12, 31))
    assert str(period_of(date(2026, 11, 2), "quarter")) == "2026-Q4"


def test_previous_and_next_cross_year():
    assert parse_period("2026-01").previous().key == "2025-12"
    assert parse_period("2025-12").next().key == "2026-01"
    assert parse_period("2026-Q1").previous().key == "2025-Q4"
    assert parse_period("2025-Q4").next().key == "2026-Q1"
    assert parse_period("2026").next() == Period("year", 2027)
    assert parse_period("2026-03").shift(-14).key == "2025-01"


def test_parse():
    assert parse_period("2026-03") == Period("month", 2026, 3)
    assert Period.parse("2026-Q2") == Period("quarter", 2026, 2)
    assert Period.parse("2026") == Period("year", 2026, 1)


BAD_KEYS = ["", "2026-13", "2026-00", "2026-3", "2026-Q0", "2026-Q5", "2026-q1", "26-01", "2026/03", "0000"]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_parse_rejects_bad_keys(key):
    with pytest.raises(ValueError):
        parse_period(key)


def test_rejects_bad_arguments():
    with pytest.raises(ValueError):
        period_of(date(2026, 1, 1), "week")
    with pytest.raises(ValueError):
        Period("month", 2026, 13)
    with pytest.raises(TypeError):
        period_of(datetime(2026, 1, 1, 12, 0), "month")
    with pytest.raises(ValueError):
        parse_period(" 2026")


def test_contains():
    q = parse_period("2026-Q1")
    assert date(2026, 3, 31) in q and date(2026, 4, 1) not in q
    assert datetime(2026, 2, 1) not in q


@given(DATES, KINDS)
def test_round_trip_and_bounds(d, kind):
    p = period_of(d, kind)
    assert parse_period(p.key) == p
    assert d in p
    assert p.start <= d <= p.end
    assert period_of(p.start, kind) == p == period_of(p.end, kind)


@given(DATES, KINDS)
def test_neighbours_are_adjacent(d, kind):
    p = period_of(d, kind)
    assert p.next().start == p.end + timedelta(days=1)
    assert p.previous().end == p.start - timedelta(days=1)
    assert p.next().previous() == p == p.previous().next()


@given(DATES, KINDS, st.integers(-500, 500))
def test_shift_is_additive(d, kind, n):
    p = period_of(d, kind)
    assert p.shift(n).shift(-n) == p
    assert p.shift(n) == p.shift(n - 1).next()
