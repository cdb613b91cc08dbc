import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firegov.kernels.timeline import MAX_TICKS, MIN_WIDTH, Axis, ticks

DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))


def test_positions_on_a_year():
    axis = Axis(date(2026, 1, 1), date(2026, 12, 31))
    assert axis.days == 365
    assert axis.at(date(2026, 1, 1)) == 0.0
    assert axis.at(date(2027, 1, 1)) == 100.0
    assert axis.at(date(2026, 7, 2)) == pytest.approx(100 * 182 / 365, abs=0.001)
    assert axis.at(date(2020, 5, 1)) == 0.0 and axis.at(date(2030, 5, 1)) == 100.0  # clamped
    # the whole year is the whole width; the first half-year ends where the second begins
    assert axis.span(date(2026, 1, 1), date(2026, 12, 31)) == (0.0, 100.0)
    left, width = axis.span(date(2026, 1, 1), date(2026, 6, 30))
    assert left + width == axis.at(date(2026, 7, 1))


def test_a_one_day_task_stays_visible_even_at_the_end():
    axis = Axis(date(2020, 1, 1), date(2029, 12, 31))
    assert axis.span(date(2025, 3, 1), date(2025, 3, 1))[1] == MIN_WIDTH
    left, width = axis.span(date(2029, 12, 31), date(2029, 12, 31))
    assert width == MIN_WIDTH and left + width == pytest.approx(100.0)
    # reversed dates are read as the span between them, and a bar outside the axis sits on an edge
    assert axis.span(date(2026, 1, 1), date(2025, 1, 1)) == axis.span(date(2025, 1, 1), date(2026, 1, 1))
    assert axis.span(date(2031, 1, 1), date(2032, 1, 1)) == (100.0 - MIN_WIDTH, MIN_WIDTH)


def test_an_axis_cannot_run_backwards():
    with pytest.raises(ValueError):
        Axis(date(2026, 2, 1), date(2026, 1, 31))


def test_tick_units_follow_the_length():
    assert [t.label for t in ticks(Axis(date(2026, 11, 15), date(2027, 2, 10)))] == [
        "2026-11", "2026-12", "2027-01", "2027-02"]
    three_years = ticks(Axis(date(2020, 5, 1), date(2022, 12, 31)))
    assert three_years[0].unit == "quarter" and three_years[0].label == "2020-Q2"
    assert three_years[0].left == 0.0 and three_years[0].day == date(2020, 5, 1)  # clipped to the start
    assert [t.label for t in three_years][-1] == "2022-Q4" and len(three_years) == 11
    decade = ticks(Axis(date(2020, 1, 1), date(2035, 12, 31)))
    assert decade[0].unit == "year" and [t.label for t in decade][:2] == ["2020", "2021"]


@given(DATES, st.integers(0, 20000), DATES, DATES)
def test_bars_stay_on_the_axis(start, length, a, b):
    axis = Axis(start, start + timedelta(days=length))
    left, width = axis.span(a, b)
    assert 0.0 <= left and width >= MIN_WIDTH - 1e-9 and left + width <= 100.0 + 1e-9


@given(DATES, st.integers(0, 20000))
def test_ticks_are_ordered_and_few(start, length):
    axis = Axis(start, start + timedelta(days=length))
    found = ticks(axis)
    assert found and found[0].left == 0.0
    assert all(a.left < b.left for a, b in itertools.pairwise(found))
    assert len(found) <= MAX_TICKS or found[0].unit == "year"
    assert all(0.0 <= t.left <= 100.0 and axis.start <= t.day <= axis.end for t in found)
