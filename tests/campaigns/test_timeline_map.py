"""The campaign's timeline (挂图作战) and its map of progress by region, through the pages and the
API: where bars, milestones and phases sit, what the as-of day changes, and who sees which tasks
and regions."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from firegov.campaigns import services
from firegov.campaigns.models import Campaign
from tests.campaigns.conftest import YEAR

START, END = date(YEAR, 1, 1), date(YEAR, 12, 31)
DAYS = (END - START).days + 1


def pct(day: date) -> float:
    """Where the start of ``day`` falls on the campaign's axis, in percent."""
    return 100 * (day - START).days / DAYS


def row_of(html: str, code: str) -> str:
    rows = [chunk for chunk in html.split('<div class="gantt-row"') if chunk.startswith(f' data-task="{code}"')]
    assert len(rows) == 1, f"no timeline row for task {code}"
    return rows[0]


def style(fragment: str, css_class: str) -> dict[str, float]:
    match = re.search(rf'class="{css_class}[^"]*" style="([^"]*)"', fragment)
    assert match, f"no {css_class} in {fragment[:200]}"
    return {k.strip(): float(v.strip().rstrip("%")) for k, v in (p.split(":") for p in match.group(1).split(";"))}


def test_the_timeline_places_bars_milestones_and_phases_on_the_campaign_axis(city, plan, client_for, api_for):
    campaign, top, schools, lanes, hospitals = plan
    report = services.save_report(city.jiaoyu, schools, {"period": f"{YEAR}-05", "done": "排查学校", "percent": "60"})
    services.report_step(city.jiaoyu, report, "submit")
    services.report_step(city.zhidui, report, "accept")
    today = client_for(city.zhidui).get(f"/campaigns/{campaign.pk}/", {"tab": "timeline"}).content.decode()
    bar = row_of(today, "1.1")
    assert style(bar, "gantt-done")["width"] == 60.0  # filled to the accepted report
    expected = services.visible_tree(city.zhidui, campaign)[1]["judgement"].expected
    assert style(bar, "gantt-expected")["left"] == pytest.approx(expected, abs=0.01)  # a whole-year bar: same %

    html = client_for(city.zhidui).get(f"/campaigns/{campaign.pk}/", {"tab": "timeline", "on": f"{YEAR}-07-01"}
                                        ).content.decode()
    tabs = re.search(r'<nav class="tabs">(.*?)</nav>', html, re.S).group(1)
    assert re.findall(r'<a href="\?tab=(\w+)"', tabs) == [
        "tasks", "timeline", "map", "hazards", "measures", "accountability", "documents"]
    assert "gantt" not in tabs  # the chart comes after the tabs, not inside them
    # every task has a row in tree order; a task without dates spans the campaign
    assert re.findall(r'data-task="([\d.]+)"', html) == ["1", "1.1", "1.2", "2"]
    assert style(row_of(html, "2"), "gantt-bar") == {"left": 0.0, "width": 100.0}
    bar = row_of(html, "1.1")
    assert style(bar, "gantt-done")["width"] == 0.0  # accepted today: not yet on 1 July
    # the milestone of 1.1 (30 June) sits at the end of its day and is not reached
    assert style(bar, "gantt-ms")["left"] == pytest.approx(pct(date(YEAR, 7, 1)), abs=0.001)
    assert 'class="gantt-ms done"' not in bar
    # phases: 动员部署 from 1 January to the end of February
    phase = style(html, "gantt-phase")
    assert "动员部署<" in html and phase["left"] == 0.0
    assert phase["width"] == pytest.approx(pct(date(YEAR, 3, 1)), abs=0.001)
    today_line = float(re.search(r"\* ([\d.]+) / 100\)", html).group(1))  # the as-of line
    assert today_line == pytest.approx(pct(date(YEAR, 7, 1)), abs=0.001)

    # reached on 20 June: done as of 1 July, not as of 19 June
    services.complete_milestone(city.jiaoyu, schools.milestones.get(), f"{YEAR}-06-20")
    done = client_for(city.zhidui).get(f"/campaigns/{campaign.pk}/", {"tab": "timeline", "on": f"{YEAR}-07-01"})
    assert 'class="gantt-ms done"' in row_of(done.content.decode(), "1.1")
    before = client_for(city.zhidui).get(f"/campaigns/{campaign.pk}/", {"tab": "timeline", "on": f"{YEAR}-06-19"})
    assert 'class="gantt-ms done"' not in row_of(before.content.decode(), "1.1")


def test_a_department_sees_only_its_tasks_on_the_timeline_and_in_the_api(city, plan, client_for, api_for):
    campaign, *_ = plan
    html = client_for(city.jiaoyu).get(f"/campaigns/{campaign.pk}/", {"tab": "timeline"}).content.decode()
    assert re.findall(r'data-task="([\d.]+)"', html) == ["1.1"]
    rows = api_for(city.jiaoyu).get(f"/api/campaigns/{campaign.pk}/progress/").json()
    assert [r["code"] for r in rows] == ["1.1"]  # the API is scoped as the page is
    assert len(api_for(city.zhidui).get(f"/api/campaigns/{campaign.pk}/progress/").json()) == 4


@pytest.fixture
def mapped(city, plan, api_for):
    """Coordinates for the two counties; 薛城区 derives its own lists and reports 60 % on its copy of
    1.1; the city adds a task of its own list scoped to 滕州市."""
    campaign, *_ = plan
    city.xc.lat, city.xc.lng = 34.795, 117.263
    city.tz.lat, city.tz.lng = 35.084, 117.165
    city.xc.save()
    city.tz.save()
    county = Campaign.objects.get(pk=api_for(city.xc_supervisor).post(f"/api/campaigns/{campaign.pk}/derive/", {},
                                                                      format="json").json()["id"])
    copy = county.tasks.get(code="1.1")
    report = services.save_report(city.xc_jiaoyu, copy, {"period": f"{YEAR}-10", "done": "排查学校", "percent": "60"})
    services.report_step(city.xc_jiaoyu, report, "submit")
    services.report_step(city.xc_supervisor, report, "accept")
    services.add_task(city.zhidui, campaign, {"title": "滕州市老旧小区消防改造", "lead": city.tz_brigade,
                                              "region": city.tz.pk, "due_on": f"{YEAR}-12-31"})
    return campaign, county


def test_the_map_shows_each_county_by_its_own_lists_or_by_the_tasks_inside_it(city, mapped, api_for, client_for):
    campaign, county = mapped
    regions = {r["name"]: r for r in api_for(city.zhidui).get(f"/api/campaigns/{campaign.pk}/regions/").json()}
    assert set(regions) == {"薛城区", "滕州市"}

    xc = regions["薛城区"]
    county_rows = api_for(city.zhidui).get(f"/api/campaigns/{county.pk}/progress/").json()
    assert xc["derived_campaign"] == county.pk
    assert xc["progress"] == 15.0  # top level of the county's lists: 1 at (60 + 0) / 2, 2 at 0
    assert xc["tasks"] == len(county_rows) == 4
    colours = [r["colour"] for r in county_rows]
    assert (xc["red"], xc["yellow"], xc["green"]) == tuple(colours.count(c) for c in ("red", "yellow", "green"))
    assert xc["colour"] == next(c for c in ("red", "yellow", "green") if c in colours)

    tz = regions["滕州市"]
    own = {r["code"]: r for r in api_for(city.zhidui).get(f"/api/campaigns/{campaign.pk}/progress/").json()}
    assert tz["derived_campaign"] is None and tz["tasks"] == 1 and tz["progress"] == 0.0
    assert tz["colour"] == own["3"]["colour"] and (tz["lat"], tz["lng"]) == (35.084, 117.165)

    # the page draws the same figures: the map's points and the table
    html = client_for(city.zhidui).get(f"/campaigns/{campaign.pk}/", {"tab": "map"}).content.decode()
    points = json.loads(re.search(r'<script id="region-points" type="application/json">(.*?)</script>', html,
                                  re.S).group(1))
    assert {p["name"]: (p["progress"], p["colour"]) for p in points} == {
        "薛城区": (15.0, xc["colour"]), "滕州市": (0.0, tz["colour"])}
    assert next(p for p in points if p["name"] == "薛城区")["url"] == f"/campaigns/{county.pk}/"
    assert "leaflet.js" in html and "campaign_map.js" in html


def test_the_map_is_scoped_and_a_region_without_coordinates_stays_in_the_table(city, mapped, api_for, client_for):
    campaign, county = mapped
    names = [r["name"] for r in api_for(city.tengzhou).get(f"/api/campaigns/{campaign.pk}/regions/").json()]
    assert names == ["滕州市"]  # a brigade compares only what it oversees
    city.tz.lat = city.tz.lng = None
    city.tz.save()
    html = client_for(city.zhidui).get(f"/campaigns/{campaign.pk}/", {"tab": "map"}).content.decode()
    points = json.loads(re.search(r'id="region-points" type="application/json">(.*?)</script>', html).group(1))
    assert [p["name"] for p in points] == ["薛城区"]
    assert "滕州市" in re.search(r'<table id="region-table">(.*?)</table>', html, re.S).group(1)
    assert api_for(None).get(f"/api/campaigns/{campaign.pk}/regions/").status_code in (401, 403)
    assert client_for(city.danwei).get(f"/campaigns/{campaign.pk}/", {"tab": "map"}).status_code in (403, 404)
