"""The figures of the hazard charts page (/hazards/stats/): new and closed hazards per week in
Asia/Shanghai time over the last 12 weeks, the top categories, the closing rate per subdivision of the
user's jurisdiction, and the JSON the page embeds for ECharts, which must be the context's figures.

"Now" is frozen on Wednesday 2026-09-16 10:00 (Shanghai); its week starts on Monday 2026-09-14.
Hazards are recorded through the service, then given exact times with ``.update()``."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, timedelta

import pytest
from django.conf import settings

from firegov.core.models import Region
from firegov.hazards import categories
from firegov.hazards.models import Hazard, HazardStatus
from tests.hazards._support import Clock, at, new_hazard, put_in

URL = "/hazards/stats/"
NOW = at(2026, 9, 16, 10, 0)
THIS_MONDAY = date(2026, 9, 14)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(monkeypatch)
    clock.set(NOW)
    return clock


def found(user, unit, found_at, *, category="blocked_exit", closed_at=None):
    """A hazard found at ``found_at`` and, when ``closed_at`` is given, closed then."""
    hazard = new_hazard(user, unit, category=category)
    fields = {"found_at": found_at}
    if closed_at is not None:
        fields.update(status=HazardStatus.CLOSED, closed_at=closed_at)
    Hazard.objects.filter(pk=hazard.pk).update(**fields)
    return hazard


def charts(client):
    """The page's context, after checking that the JSON embedded for ECharts holds the same figures
    and that the chart script reads exactly those embedded blocks."""
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    embedded = {name: json.loads(text) for name, text in
                re.findall(r'<script id="d-(\w+)" type="application/json">(.*?)</script>', html, re.S)}
    context = response.context
    assert embedded == {key: context[key] for key in ("weeks", "new", "closed", "regions", "top")}
    assert set(re.findall(r"d\('d-(\w+)'\)", html)) == set(embedded)
    return context


def weekly(context, series):
    """{Monday: count} of the weeks with a non-zero count in ``series`` ("new" or "closed")."""
    return {date.fromisoformat(w): n for w, n in zip(context["weeks"], context[series], strict=True) if n}


def test_weeks_are_cut_at_midnight_shanghai_time_for_found_and_closed(city, login, clock):
    assert settings.TIME_ZONE == "Asia/Shanghai"
    monday_early = at(2026, 9, 7, 0, 30)  # = Sunday 2026-09-06 16:30 UTC
    assert monday_early.astimezone(UTC).weekday() == 6
    found(city.xuecheng, city.xc_hotel, monday_early)
    found(city.xuecheng, city.xc_hotel, at(2026, 9, 6, 23, 30))  # Sunday night: the week before
    found(city.xuecheng, city.xc_hotel, at(2026, 9, 1), closed_at=at(2026, 9, 13, 23, 30))
    found(city.xuecheng, city.xc_hotel, at(2026, 9, 1), closed_at=at(2026, 9, 14, 0, 30))

    context = charts(login(city.zhidui))

    assert weekly(context, "new") == {date(2026, 8, 31): 3, date(2026, 9, 7): 1}
    assert weekly(context, "closed") == {date(2026, 9, 7): 1, THIS_MONDAY: 1}


def test_the_axis_is_the_last_12_weeks_oldest_first_with_empty_weeks_at_zero(city, login, clock):
    first_monday = THIS_MONDAY - timedelta(weeks=11)  # 2026-06-29
    found(city.xuecheng, city.xc_hotel, NOW - timedelta(weeks=13))  # outside
    found(city.xuecheng, city.xc_hotel, at(2026, 6, 28, 23, 30))  # the Sunday before the window
    found(city.xuecheng, city.xc_hotel, at(2026, 6, 29, 0, 30))  # the window's first minutes
    found(city.xuecheng, city.xc_hotel, NOW - timedelta(weeks=11))  # Wednesday 2026-07-01
    found(city.xuecheng, city.xc_hotel, NOW - timedelta(weeks=5),
          closed_at=NOW - timedelta(weeks=3, days=2))  # closed on Monday 2026-08-24
    found(city.xuecheng, city.xc_hotel, NOW)

    context = charts(login(city.zhidui))

    mondays = [first_monday + timedelta(weeks=i) for i in range(12)]
    assert context["weeks"] == [m.isoformat() for m in mondays]
    assert all(date.fromisoformat(w).weekday() == 0 for w in context["weeks"])
    new = dict.fromkeys(mondays, 0) | {first_monday: 2, date(2026, 8, 10): 1, THIS_MONDAY: 1}
    closed = dict.fromkeys(mondays, 0) | {date(2026, 8, 24): 1}
    assert context["new"] == list(new.values())
    assert context["closed"] == list(closed.values())


def test_a_page_without_hazards_draws_twelve_empty_weeks(city, login, clock):
    context = charts(login(city.zhidui))

    assert context["weeks"][-1] == THIS_MONDAY.isoformat() and len(context["weeks"]) == 12
    assert context["new"] == context["closed"] == [0] * 12
    assert context["top"] == context["regions"] == []


def test_top_categories_are_ten_in_descending_order_with_ties_in_catalogue_order(city, login, clock):
    catalogue = [c.code for c in categories.all()]
    once = catalogue[:10]  # ten categories found once each: only eight of them fit behind the two below
    assert sorted(once) != once  # the catalogue order is not the codes' alphabetical order
    for code in reversed(once):  # recorded in the reverse of the catalogue order
        found(city.xuecheng, city.xc_hotel, NOW, category=code)
    for _ in range(3):
        found(city.xuecheng, city.xc_school, NOW, category="other")
    for _ in range(2):
        found(city.xuecheng, city.xc_school, NOW, category="fire_lane_occupied")

    top = charts(login(city.zhidui))["top"]

    assert top[:2] == [{"name": "其他火灾隐患", "n": 3}, {"name": "消防车通道、登高操作场地被占用、堵塞、封闭", "n": 2}]
    assert top[2:] == [{"name": categories.get(code).zh, "n": 1} for code in once[:8]]


def test_closing_rate_per_county_for_the_detachment_and_per_street_for_a_brigade(city, login, clock):
    # Subdivisions without any hazard: a third county and a second street of Xuecheng.
    Region.objects.create(name="山亭区", level="county", path="370406", code="370406", parent=city.city,
                          official_code=True)
    Region.objects.create(name="常庄街道", level="street", path="370403002", code="370403002", parent=city.xc)
    xc = [new_hazard(city.xuecheng, unit) for unit in (city.xc_hotel, city.xc_school, city.xc_school)]
    put_in(xc[0], HazardStatus.CLOSED)  # 1 of 3
    tz = [new_hazard(city.tengzhou, unit) for unit in (city.tz_school, city.tz_restaurant, city.tz_restaurant)]
    put_in(tz[0], HazardStatus.CLOSED)
    put_in(tz[1], HazardStatus.CORRECTED)  # 2 of 3
    put_in(tz[2], HazardStatus.RECTIFYING)

    assert charts(login(city.zhidui))["regions"] == [
        {"name": "薛城区", "total": 3, "rate": 33.3},
        {"name": "滕州市", "total": 3, "rate": 66.7},
    ]
    assert charts(login(city.xuecheng))["regions"] == [{"name": "临城街道", "total": 3, "rate": 33.3}]
