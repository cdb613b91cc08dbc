"""The campaign's timeline (挂图作战) and its map of progress by region, through the pages and the
API: where bars, milestones and phases sit, what the as-of day changes, and who sees which tasks
and regions."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from firegov.campaigns import services
from firegov.campaigns.models import Campaign
from tests.campaigns.conftest import YEAR

LAST = YEAR - 1  # the timeline's campaign lies wholly in the past, whatever day the tests run
START, END = date(LAST, 1, 1), date(LAST, 12, 31)
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


@pytest.fixture
def last_year(city):
    """Last year's campaign: 1 (detachment) with 1.1 (education, milestone on 30 June) and 1.2; 2."""
    campaign = services.create_campaign(city.zhidui, {"name": "去年的专项行动", "starts_on": START, "ends_on": END}, [
        {"name": "动员部署", "starts_on": START, "ends_on": date(LAST, 2, 28)},
        {"name": "集中攻坚", "starts_on": date(LAST, 3, 1), "ends_on": END}])
    top = services.add_task(city.zhidui, campaign, {"title": "火灾隐患排查整治", "lead": city.detachment, "due_on": END})
    schools = services.add_task(city.zhidui, campaign, {"title": "学校消防安全整治", "lead": city.edu, "due_on": END,
                                                        "milestones": [{"title": "完成排查", "due_on": date(LAST, 6, 30)}]},
                                top)
    services.add_task(city.zhidui, campaign, {"title": "消防车通道治理", "lead": city.detachment}, top)
    services.add_task(city.zhidui, campaign, {"title": "医院消防安全", "lead": city.health})
    return campaign, schools


def test_the_timeline_places_bars_milestones_and_phases_on_the_campaign_axis(city, last_year, login):
    campaign, schools = last_year
    assert schools.milestones.count() == 1
    report = services.save_report(city.jiaoyu, schools, {"period": f"{LAST}-05", "done": "排查学校", "percent": "60"})
    services.report_step(city.jiaoyu, report, "submit")
    services.report_step(city.zhidui, report, "accept")  # accepted today, after the campaign
    page = login(city.zhidui)
    ended = page.get(f"/campaigns/{campaign.pk}/", {"tab": "timeline", "on": END.isoformat()}).content.decode()
    assert style(row_of(ended, "1.1"), "gantt-done")["width"] == 0.0  # not accepted by the campaign's end
    html = page.get(f"/campaigns/{campaign.pk}/", {"tab": "timeline"}).content.decode()
    bar = row_of(html, "1.1")
    assert style(bar, "gantt-done")["width"] == 60.0  # filled to the accepted report
    assert style(bar, "gantt-expected")["left"] == 100.0  # due last year: expected complete
    assert "gantt-today" not in html  # today lies beyond the axis

    html = page.get(f"/campaigns/{campaign.pk}/", {"tab": "timeline", "on": f"{LAST}-07-01"}).content.decode()
    tabs = re.search(r'<nav class="tabs">(.*?)</nav>', html, re.S).group(1)
    assert re.findall(r'<a href="\?tab=(\w+)"', tabs) == [
        "tasks", "timeline", "map", "hazards", "measures", "accountability", "documents"]
    assert "gantt" not in tabs  # the chart comes after the tabs, not inside them
    # every task has a row in tree order; a task without dates spans the campaign
    assert re.findall(r'data-task="([\d.]+)"', html) == ["1", "1.1", "1.2", "2"]
    assert style(row_of(html, "2"), "gantt-bar") == {"left": 0.0, "width": 100.0}
    bar = row_of(html, "1.1")
    # expected on 1 July: 181 of 364 days from 1 January to the due day, drawn along the whole bar
    assert style(bar, "gantt-expected")["left"] == pytest.approx(100 * 181 / (DAYS - 1), abs=0.001)
    # the milestone of 1.1 (30 June) sits at the end of its day and is not reached
    assert style(bar, "gantt-ms")["left"] == pytest.approx(pct(date(LAST, 7, 1)), abs=0.001)
    assert 'class="gantt-ms done"' not in bar
    # phases: 动员部署 from 1 January to the end of February
    phase = style(html, "gantt-phase")
    assert "动员部署<" in html and phase["left"] == 0.0
    assert phase["width"] == pytest.approx(pct(date(LAST, 3, 1)), abs=0.001)
    today_line = float(re.search(r"\* ([\d.]+) / 100\)", html).group(1))  # the end of the as-of day
    assert today_line == pytest.approx(pct(date(LAST, 7, 2)), abs=0.001)

    # reached on 20 June: done as of 1 July, not as of 19 June
    services.complete_milestone(city.jiaoyu, schools.milestones.get(), date(LAST, 6, 20))
    done = page.get(f"/campaigns/{campaign.pk}/", {"tab": "timeline", "on": f"{LAST}-07-01"})
    assert 'class="gantt-ms done"' in row_of(done.content.decode(), "1.1")
    before = page.get(f"/campaigns/{campaign.pk}/", {"tab": "timeline", "on": f"{LAST}-06-19"})
    assert 'class="gantt-ms done"' not in row_of(before.content.decode(), "1.1")


def test_a_task_starts_within_its_campaign(city, last_year):
    campaign, _schools = last_year
    with pytest.raises(ValidationError) as refused:
        services.add_task(city.zhidui, campaign, {"title": "巩固提升", "lead": city.detachment,
                                                  "starts_on": date(YEAR + 1, 1, 1)})
    assert "starts_on" in refused.value.message_dict


def test_a_department_sees_only_its_tasks_on_the_timeline_and_in_the_api(city, plan, login, api_for):
    campaign, *_ = plan
    html = login(city.jiaoyu).get(f"/campaigns/{campaign.pk}/", {"tab": "timeline"}).content.decode()
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


def test_the_map_shows_each_county_by_its_own_lists_or_by_the_tasks_inside_it(city, mapped, api_for, login):
    campaign, county = mapped
    regions = {r["name"]: r for r in api_for(city.zhidui).get(f"/api/campaigns/{campaign.pk}/regions/").json()}
    assert set(regions) == {"薛城区", "滕州市"}

    xc = regions["薛城区"]
    county_rows = api_for(city.zhidui).get(f"/api/campaigns/{county.pk}/progress/").json()
    assert xc["derived_campaign"] == county.pk
    assert xc["progress"] == 15.0  # the lists' completion: 1 at (60 + 0) / 2, 2 at 0
    leaves = [r for r in county_rows if r["code"] in ("1.1", "1.2", "2")]
    assert xc["tasks"] == 3  # counted on the leaf tasks, not their parent 1 too
    colours = [r["colour"] for r in leaves]
    assert (xc["red"], xc["yellow"], xc["green"]) == tuple(colours.count(c) for c in ("red", "yellow", "green"))
    assert xc["colour"] == next(c for c in ("red", "yellow", "green") if c in colours)
    board = next(r for r in services.ranking(campaign)["regions"] if r["region"] == city.xc)
    assert (board["progress"], board["red"]) == (xc["progress"], xc["red"])  # the public board agrees

    tz = regions["滕州市"]
    own = {r["code"]: r for r in api_for(city.zhidui).get(f"/api/campaigns/{campaign.pk}/progress/").json()}
    assert tz["derived_campaign"] is None and tz["tasks"] == 1 and tz["progress"] == 0.0
    assert tz["colour"] == own["3"]["colour"] and (tz["lat"], tz["lng"]) == (35.084, 117.165)

    # the page draws the same figures: the map's points and the table
    html = login(city.zhidui).get(f"/campaigns/{campaign.pk}/", {"tab": "map"}).content.decode()
    points = json.loads(re.search(r'<script id="region-points" type="application/json">(.*?)</script>', html,
                                  re.S).group(1))
    assert {p["name"]: (p["progress"], p["colour"]) for p in points} == {
        "薛城区": (15.0, xc["colour"]), "滕州市": (0.0, tz["colour"])}
    assert next(p for p in points if p["name"] == "薛城区")["url"] == f"/campaigns/{county.pk}/"
    assert "leaflet.js" in html and "campaign_map.js" in html


def test_the_map_is_scoped_and_a_region_without_coordinates_stays_in_the_table(city, mapped, api_for, login):
    campaign, county = mapped
    names = [r["name"] for r in api_for(city.tengzhou).get(f"/api/campaigns/{campaign.pk}/regions/").json()]
    assert names == ["滕州市"]  # a brigade compares only what it oversees
    city.tz.lat = city.tz.lng = None
    city.tz.save()
    html = login(city.zhidui).get(f"/campaigns/{campaign.pk}/", {"tab": "map"}).content.decode()
    points = json.loads(re.search(r'id="region-points" type="application/json">(.*?)</script>', html).group(1))
    assert [p["name"] for p in points] == ["薛城区"]
    assert "滕州市" in re.search(r'<table id="region-table">(.*?)</table>', html, re.S).group(1)
    assert api_for(None).get(f"/api/campaigns/{campaign.pk}/regions/").status_code in (401, 403)
    assert login(city.danwei).get(f"/campaigns/{campaign.pk}/", {"tab": "map"}).status_code in (403, 404)


def test_a_department_sees_on_the_map_only_the_tasks_it_takes_part_in(city, mapped, api_for):
    campaign, county = mapped
    services.add_task(city.zhidui, campaign, {"title": "滕州市中小学消防安全", "lead": city.edu, "region": city.tz.pk})
    regions = {r["name"]: r for r in api_for(city.jiaoyu).get(f"/api/campaigns/{campaign.pk}/regions/").json()}
    # 薛城区's lists are led by the county's own bureau: nothing there for the city's education bureau
    assert (regions["薛城区"]["tasks"], regions["薛城区"]["progress"], regions["薛城区"]["colour"]) == (0, None, "grey")
    assert regions["滕州市"]["tasks"] == 1 and regions["滕州市"]["progress"] == 0.0  # its own task, not the brigade's
    everything = {r["name"]: r for r in api_for(city.zhidui).get(f"/api/campaigns/{campaign.pk}/regions/").json()}
    assert everything["滕州市"]["tasks"] == 2 and everything["薛城区"]["tasks"] == 3
