"""Issue 2, the surfaces an audit found without a scoping test for restricted users.

"A user sees and changes only what their region subtree, agency sector and role allow — one scoping
function used by every page, export and API endpoint; an object outside a user's scope answers 404."

Through the pages and the REST API only (the services only build the data):

1. hazard charts, the campaign's hazard figures by region and sector and the home page's counts agree
   with the rows the user's own list shows;
3. a hazard's timeline (``/api/hazards/<pk>/events/``);
4. completing, cancelling and starting an inspection, in the API and on the pages;
5. every hazard and major-hazard-case action, GET and POST, on the pages (and the case API);
6. a campaign's measures, targets, progress reports and accountability records, pages and API;
7. campaign list, detail, tab, task and document pages and endpoints for outsiders;
8. no existence oracle: a reference to an object outside the jurisdiction answers exactly what a
   reference to a primary key that does not exist answers;
9. the monitoring event stream (server-sent events) delivers no alarm outside the jurisdiction, neither
   from the live bus nor from the catch-up.

(Random draws are covered elsewhere.)
"""

from __future__ import annotations

import asyncio
import io
import json
import re
from collections import Counter
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from django.test import AsyncClient
from django.utils import timezone
from openpyxl import load_workbook

from firegov.campaigns import services as campaign_services
from firegov.campaigns.models import Accountability, Campaign, Measure, ProgressReport, Target, Task
from firegov.core.models import Role, User
from firegov.hazards import categories
from firegov.hazards import services as hazard_services
from firegov.hazards.lifecycle import CASE_TRANSITIONS, HAZARD_TRANSITIONS
from firegov.hazards.models import DONE_STATUSES, OPEN_STATUSES, Hazard, HazardSource, MajorHazardCase
from firegov.inspections.models import Inspection, InspectionStatus
from firegov.iot import live
from firegov.iot import services as iot_services
from firegov.iot.models import Alarm, Device
from firegov.iot.normalise import Reading
from firegov.kernels.place_types import PLACE_TYPES
from firegov.registry.models import CLASSIFICATION_FLAGS, Community, Unit
from tests.campaigns.conftest import YEAR, plan  # noqa: F401 - the campaign tests' plan fixture
from tests.conftest import PASSWORD, make_unit
from tests.hazards._support import new_hazard, put_in
from tests.hazards.test_major_cases import EXPECTED_TARGET as CASE_TARGET
from tests.hazards.test_major_cases import case_payload, put_case_in
from tests.hazards.test_transitions import EXPECTED_TARGET as HAZARD_TARGET
from tests.hazards.test_transitions import payload as hazard_payload
from tests.inspections.helpers import answer_all, hrefs, open_inspection
from tests.iot.test_console import _read_blocks

pytestmark = pytest.mark.django_db

MISSING = 987_654_321  # a primary key no table of the tests reaches


@pytest.fixture
def more(city):
    """Users the city fixture lacks: 滕州市's brigade supervisor and monitoring operator, the city's
    health commission officer, and an inspector without an agency."""
    def user(username, role, agency):
        return User.objects.create_user(username, password=PASSWORD, role=role, agency=agency)

    city.tz_supervisor = user("tz_dd", Role.BRIGADE_SUPERVISOR, city.tz_brigade)
    city.tz_jiankong = user("tz_jiankong", Role.MONITORING_OPERATOR, city.tz_brigade)
    city.weijian = user("weijian", Role.DEPARTMENT_OFFICER, city.health)
    city.loner = user("loner", Role.INSPECTOR, None)
    return city


def _normalised(response) -> tuple[int, str]:
    """Status and body with every number replaced: the answers to two primary keys compared."""
    return response.status_code, re.sub(r"\d+", "#", response.content.decode())


# =========================================================================== 1. counts and charts

@pytest.fixture
def ledger(city):
    """Nine hazards on the four units: 薛城宾馆 (no sector, managed by danwei), 薛城区实验小学 and
    滕州市第一中学 (education), 滕州小吃店 (no sector); open, overdue, corrected and invalid ones."""
    h = {}

    def report(key, user, unit, category, source=HazardSource.INSPECTION):
        h[key] = hazard_services.report_hazard(user, unit, {"category": category,
                                                            "description": f"{unit.name}：{key}"}, source=source)

    report("hotel_confirmed", city.xuecheng, city.xc_hotel, "blocked_exit")
    report("hotel_overdue", city.xuecheng, city.xc_hotel, "extinguisher_missing")
    report("hotel_corrected", city.xuecheng, city.xc_hotel, "open_flame")
    report("xcschool_patrol", city.wangge, city.xc_school, "hydrant_obstructed", HazardSource.PATROL)
    report("xcschool_ordered", city.xuecheng, city.xc_school, "blocked_exit")
    report("tzschool_confirmed", city.tengzhou, city.tz_school, "open_flame")
    report("tzschool_overdue", city.tengzhou, city.tz_school, "fire_alarm_faulty")
    report("tzfood_corrected", city.tengzhou, city.tz_restaurant, "blocked_exit")
    report("tzfood_invalid", city.tengzhou, city.tz_restaurant, "no_patrol_records")
    later = timezone.localdate() + timedelta(days=10)
    for key in ("hotel_overdue", "xcschool_ordered"):
        hazard_services.order(city.xuecheng, [h[key]], later)
    hazard_services.order(city.tengzhou, [h["tzschool_overdue"]], later)
    past = timezone.now() - timedelta(days=2)
    Hazard.objects.filter(pk__in=[h["hotel_overdue"].pk, h["tzschool_overdue"].pk]).update(due_at=past,
                                                                                          deadline_at=past)
    hazard_services.transition(city.xuecheng, h["hotel_corrected"], "correct")
    hazard_services.transition(city.tengzhou, h["tzfood_corrected"], "correct")
    hazard_services.transition(city.tengzhou, h["tzfood_invalid"], "invalidate", {"note": "重复录入"})
    return {k: Hazard.objects.get(pk=v.pk) for k, v in h.items()}


XC_HAZARDS = {"hotel_confirmed", "hotel_overdue", "hotel_corrected", "xcschool_patrol", "xcschool_ordered"}
TZ_HAZARDS = {"tzschool_confirmed", "tzschool_overdue", "tzfood_corrected", "tzfood_invalid"}
SEES_HAZARDS = {
    "xuecheng": XC_HAZARDS,  # 薛城区's inspector
    "wangge": XC_HAZARDS,  # 临城街道's grid worker: both units lie in the street
    "tengzhou": TZ_HAZARDS,
    "jiaoyu": {"xcschool_patrol", "xcschool_ordered", "tzschool_confirmed", "tzschool_overdue"},  # city, education
    "xc_jiaoyu": {"xcschool_patrol", "xcschool_ordered"},  # 薛城区, education
    "danwei": {"hotel_confirmed", "hotel_overdue", "hotel_corrected"},  # the hotel's manager
}
RESTRICTED = list(SEES_HAZARDS)

# The subdivisions the hazard charts compare (the children of the user's own region), by path.
CHART_REGIONS = {
    "xuecheng": {"临城街道": "370403001"},
    "wangge": {"泰山路社区": "370403001001"},
    "tengzhou": {"荆河街道": "370481001"},
    "jiaoyu": {"薛城区": "370403", "滕州市": "370481"},
    "xc_jiaoyu": {"临城街道": "370403001"},
    "danwei": {},
}


def test_the_ledger_is_what_the_fixture_says(ledger):
    assert {k: h.status for k, h in ledger.items()} == {
        "hotel_confirmed": "confirmed", "hotel_overdue": "ordered", "hotel_corrected": "corrected",
        "xcschool_patrol": "reported", "xcschool_ordered": "ordered", "tzschool_confirmed": "confirmed",
        "tzschool_overdue": "ordered", "tzfood_corrected": "corrected", "tzfood_invalid": "invalid"}
    assert {k for k, h in ledger.items() if h.overdue} == {"hotel_overdue", "tzschool_overdue"}
    assert {k for k, h in ledger.items() if h.sector == "education"} == {
        "xcschool_patrol", "xcschool_ordered", "tzschool_confirmed", "tzschool_overdue"}


@pytest.mark.parametrize("who", RESTRICTED)
def test_hazard_charts_count_exactly_the_hazards_of_the_users_list(city, ledger, login, api_for, who):
    user = getattr(city, who)
    client = login(user)
    mine = [ledger[k] for k in SEES_HAZARDS[who]]
    ids = {h.pk for h in mine}
    # The list, the API and the export hold these hazards and no other.
    assert hrefs(client.get("/hazards/").content, "/hazards/") == ids
    assert {row["id"] for row in api_for(user).get("/api/hazards/").json()["results"]} == ids
    export = client.get("/hazards/export.xlsx")
    if who == "danwei":  # unit managers do not export
        assert export.status_code == 404
    else:
        sheet = load_workbook(io.BytesIO(export.content), read_only=True).worksheets[0]
        assert {row[0] for row in list(sheet.iter_rows(values_only=True))[1:]} == ids

    context = client.get("/hazards/stats/").context
    assert context["totals"] == {"total": len(mine), "open": sum(h.status in OPEN_STATUSES for h in mine),
                                 "overdue": sum(h.overdue for h in mine)}
    assert {t["name"]: t["n"] for t in context["top"]} == {
        categories.label(c): n for c, n in Counter(h.category for h in mine).items()}
    assert sum(context["new"]) == len(mine)  # all found this week
    assert sum(context["closed"]) == sum(h.closed_at is not None for h in mine)
    expected_regions = {}
    for name, path in CHART_REGIONS[who].items():
        inside = [h for h in mine if h.region_path.startswith(path)]
        if inside:
            done = sum(h.status in DONE_STATUSES for h in inside)
            expected_regions[name] = (len(inside), round(100 * done / len(inside), 1))
    assert {r["name"]: (r["total"], r["rate"]) for r in context["regions"]} == expected_regions


SEES_UNITS = {
    "xuecheng": {"xc_hotel", "xc_school"},
    "wangge": {"xc_hotel", "xc_school"},
    "tengzhou": {"tz_school", "tz_restaurant"},
    "jiaoyu": {"xc_school", "tz_school"},
    "xc_jiaoyu": {"xc_school"},
    "danwei": {"xc_hotel"},
}
HOME_REGIONS = {
    "xuecheng": {"临城街道": 2},
    "wangge": {"泰山路社区": 2},
    "tengzhou": {"荆河街道": 2},
    "jiaoyu": {"薛城区": 1, "滕州市": 1},
    "xc_jiaoyu": {"临城街道": 1},
    "danwei": {},  # a unit manager has no region to compare
}


@pytest.mark.parametrize("who", RESTRICTED)
def test_the_home_page_counts_exactly_the_units_of_the_users_list(city, login, api_for, who):
    user = getattr(city, who)
    units = [getattr(city, key) for key in SEES_UNITS[who]]
    for unit in units:
        unit.refresh_from_db()
    listed = api_for(user).get("/api/units/").json()
    assert {u["id"] for u in listed["results"]} == {u.pk for u in units}
    context = login(user).get("/").context
    assert context["total"] == listed["count"] == len(units)
    assert context["flags"] == [(label, sum(bool(getattr(u, name)) for u in units))
                                for name, label in CLASSIFICATION_FLAGS[:4]]
    assert {r["name"]: r["value"] for r in context["by_region"]} == HOME_REGIONS[who]
    assert {t["label"]: t["n"] for t in context["by_type"]} == dict(Counter(PLACE_TYPES[u.place_type].zh
                                                                            for u in units))


# The subdivisions of the city campaign's hazard figures: the counties the user may see.
CAMPAIGN_REGIONS = {
    "xuecheng": {"薛城区"},
    "tengzhou": {"滕州市"},
    "jiaoyu": {"薛城区", "滕州市"},
    "xc_jiaoyu": {"薛城区"},
    "wangge": None,  # a street: at most its own county, never another one
}
COUNTY_PATH = {"薛城区": "370403", "滕州市": "370481"}


def _hazard_counts(hazards) -> dict:
    return {"found": sum(h.status != "invalid" for h in hazards),
            "rectified": sum(h.closed_at is not None for h in hazards),
            "overdue": sum(h.overdue for h in hazards), "major": sum(h.severity == "major" for h in hazards)}


@pytest.mark.parametrize("who", list(CAMPAIGN_REGIONS))
def test_the_campaigns_hazard_figures_count_only_the_hazards_the_user_sees(city, ledger, plan, login,  # noqa: F811
                                                                           api_for, who):
    campaign, *_ = plan
    user = getattr(city, who)
    mine = [ledger[k] for k in SEES_HAZARDS[who]]
    body = api_for(user).get(f"/api/campaigns/{campaign.pk}/hazards/").json()
    assert body["totals"] == _hazard_counts(mine)
    rows = {row["name"]: {k: row[k] for k in ("found", "rectified", "overdue", "major")}
            for row in body["by_region"]}
    allowed = CAMPAIGN_REGIONS[who]
    if allowed is None:
        assert set(rows) <= {"薛城区"}
    else:
        assert set(rows) == allowed
    for name, counts in rows.items():
        assert counts == _hazard_counts([h for h in mine if h.region_path.startswith(COUNTY_PATH[name])]), name
    sectors = {row["sector"]: {k: row[k] for k in ("found", "rectified", "overdue", "major")}
               for row in body["by_sector"]}
    assert sectors == {s: _hazard_counts([h for h in mine if h.sector == s]) for s in {h.sector for h in mine}}
    # the campaign page's tab shows the same figures
    page = login(user).get(f"/campaigns/{campaign.pk}/", {"tab": "hazards"})
    assert page.status_code == 200
    assert page.context["hazards"]["totals"] == body["totals"]
    assert {region.name for region, _row in page.context["hazards"]["by_region"]} == set(rows)


def test_a_unit_manager_gets_no_campaign_hazard_figures(city, ledger, plan, login, api_for):  # noqa: F811
    campaign, *_ = plan
    assert api_for(city.danwei).get(f"/api/campaigns/{campaign.pk}/hazards/").status_code == 404
    assert login(city.danwei).get(f"/campaigns/{campaign.pk}/", {"tab": "hazards"}).status_code == 404


# =========================================================================== 3. a hazard's timeline

TIMELINE_USERS = [*RESTRICTED, "jiankong", "nobody"]


@pytest.mark.parametrize("who", TIMELINE_USERS)
def test_a_hazards_timeline_is_404_outside_the_jurisdiction(city, ledger, api_for, who):
    api = api_for(getattr(city, who))
    sees = set(ledger) if who == "jiankong" else SEES_HAZARDS.get(who, set())
    missing = _normalised(api.get(f"/api/hazards/{MISSING}/events/"))
    assert missing[0] == 404
    for key, hazard in ledger.items():
        response = api.get(f"/api/hazards/{hazard.pk}/events/")
        if key in sees:
            assert response.status_code == 200, key
            assert sorted(e["action"] for e in response.json()) == sorted(e.action for e in hazard.events.all()), key
            assert response.json(), key  # every hazard has at least its first entry
        else:
            assert _normalised(response) == missing, key


# =========================================================================== 4. inspections

@pytest.fixture
def inspections(city, more):
    """An answered inspection of 薛城宾馆 (xuecheng, xc_dd) and one of 滕州市第一中学 (tengzhou, tz_dd)."""
    xc = open_inspection(city)
    answer_all(city.xuecheng, xc)
    tz = open_inspection(city, city.tz_school, user=city.tengzhou, inspectors=[city.tengzhou, city.tz_supervisor])
    answer_all(city.tengzhou, tz)
    return {"xc": Inspection.objects.get(pk=xc.pk), "tz": Inspection.objects.get(pk=tz.pk)}


INSPECTION_OUTSIDERS = {
    "xc": ["tengzhou", "tz_supervisor", "jiaoyu", "xc_jiaoyu", "jiankong", "nobody", "loner"],
    "tz": ["xuecheng", "xc_supervisor", "xc_jiaoyu", "wangge", "danwei", "loner"],
}


def _inspection_state(inspection):
    inspection = Inspection.objects.get(pk=inspection.pk)
    return (inspection.status, inspection.findings, inspection.signed_by, inspection.completed_at,
            sorted(inspection.answers.values_list("item", "result")), inspection.hazards.count())


@pytest.mark.parametrize("which", ["xc", "tz"])
def test_outsiders_cannot_complete_cancel_or_start_an_inspection(city, inspections, client, api_for, which):
    inspection = inspections[which]
    before = _inspection_state(inspection)
    assert before[0] == InspectionStatus.IN_PROGRESS
    first_item = before[4][0][0]
    for who in INSPECTION_OUTSIDERS[which]:
        user = getattr(city, who)
        api = api_for(user)
        for verb, body in (("complete", {"signed_by": "张经理", "findings": "越权"}), ("cancel", {"note": "越权"})):
            missing = _normalised(api.post(f"/api/inspections/{MISSING}/{verb}/", body, format="json"))
            response = api.post(f"/api/inspections/{inspection.pk}/{verb}/", body, format="json")
            assert response.status_code == 404, (who, verb)
            assert _normalised(response) == missing, (who, verb)
        client.force_login(user)
        page_posts = [
            (f"/inspections/{inspection.pk}/complete/", {"signed_by": "张经理", f"result_{first_item}": "fail"}),
            (f"/inspections/{inspection.pk}/action/", {"action": "cancel", "note": "越权"}),
            (f"/inspections/{inspection.pk}/action/", {"action": "start"}),
            (f"/inspections/{inspection.pk}/action/", {"action": "publish"}),
        ]
        for url, data in page_posts:
            assert client.post(url, data).status_code == 404, (who, url, data)
        assert _inspection_state(inspection) == before, who
    # The same requests work for the inspection's own inspector: the refusals above are the scope's.
    owner = city.xuecheng if which == "xc" else city.tengzhou
    client.force_login(owner)
    assert client.post(f"/inspections/{inspection.pk}/complete/", {"signed_by": "张经理"}).status_code == 302
    assert Inspection.objects.get(pk=inspection.pk).status == InspectionStatus.COMPLETED
    other = open_inspection(city, inspection.unit, user=owner, inspectors=inspection.inspectors.all())
    answer = api_for(owner).post(f"/api/inspections/{other.pk}/cancel/", {"note": "单位停业"}, format="json")
    assert answer.status_code == 200 and answer.json()["status"] == InspectionStatus.CANCELLED


# =========================================================================== 5. hazard and case actions

ACTION_OUTSIDERS = {
    "xc": ["tengzhou", "tz_supervisor", "jiaoyu", "xc_jiaoyu", "nobody", "loner"],  # 薛城宾馆: no sector
    "tz": ["xuecheng", "xc_supervisor", "xc_jiaoyu", "wangge", "danwei", "loner"],  # 滕州市第一中学
}
HAZARD_SOURCE_STATE = {"confirm": "reported", "invalidate": "reported", "correct": "confirmed", "order": "confirmed",
                       "start": "ordered", "interim": "ordered", "submit": "ordered", "extend": "ordered",
                       "reinspect": "submitted"}


def _hazard_state(hazard):
    hazard = Hazard.objects.get(pk=hazard.pk)
    return (hazard.status, hazard.due_at, hazard.submitted_at, hazard.closed_at, hazard.interim_measures,
            hazard.notice_id, hazard.updated_at, hazard.events.count())


def _form(data: dict) -> dict:
    """A service payload as a page form posts it."""
    form = {}
    for key, value in data.items():
        if isinstance(value, list):
            value = ",".join(value)
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        elif isinstance(value, bool):
            value = "true" if value else "false"
        form[key] = str(value)
    return form


def test_the_action_table_is_covered():
    assert set(HAZARD_SOURCE_STATE) == set(HAZARD_TRANSITIONS)
    assert all(state in HAZARD_TRANSITIONS[a].sources for a, state in HAZARD_SOURCE_STATE.items())
    assert set(CASE_SOURCE_STATE) == set(CASE_TRANSITIONS)
    assert all(state in CASE_TRANSITIONS[a].sources for a, state in CASE_SOURCE_STATE.items())


@pytest.mark.parametrize("action", sorted(HAZARD_TRANSITIONS))
def test_a_hazard_action_page_is_404_outside_the_jurisdiction(city, more, client, api_for, action):
    state = HAZARD_SOURCE_STATE[action]
    hazards = {"xc": put_in(new_hazard(city.xuecheng, city.xc_hotel), state),
               "tz": put_in(new_hazard(city.tengzhou, city.tz_school), state)}
    form = {"action": action, **_form(hazard_payload(action))}
    for side, hazard in hazards.items():
        before = _hazard_state(hazard)
        for who in ACTION_OUTSIDERS[side]:
            client.force_login(getattr(city, who))
            url = f"/hazards/{hazard.pk}/action/"
            assert client.post(url, form).status_code == 404, (who, side)
            # GET is refused whatever the hazard: it must answer what a missing hazard's URL answers
            got, missing = client.get(url), client.get(f"/hazards/{MISSING}/action/")
            assert got.status_code != 200 and _normalised(got) == _normalised(missing), (who, side)
            api = api_for(getattr(city, who)).post(f"/api/hazards/{hazard.pk}/transition/",
                                                  {"action": action, **_form(hazard_payload(action))},
                                                  format="json")
            assert api.status_code == 404, (who, side, api.status_code)
            assert _hazard_state(hazard) == before, (who, side)
    # The same form, posted by the hazard's own brigade, takes the step.
    client.force_login(city.xc_supervisor)
    response = client.post(f"/hazards/{hazards['xc'].pk}/action/", form)
    assert response.status_code == 302
    assert Hazard.objects.get(pk=hazards["xc"].pk).status == HAZARD_TARGET[action]


CASE_SOURCE_STATE = {"discuss": "proposed", "expert_review": "proposed", "determine": "discussed",
                     "reject": "proposed", "serve": "determined", "list": "determined", "progress": "listed", "rectified": "listed",
                     "accept": "rectified", "reopen": "rectified", "delist": "accepted"}
CASE_OUTSIDERS = {
    "xc": ["tengzhou", "tz_supervisor", "jiaoyu", "xc_jiaoyu", "nobody", "loner"],
    "tz": ["xuecheng", "xc_supervisor", "xc_jiaoyu", "wangge", "danwei", "loner"],
}


def _case_state(case):
    case = MajorHazardCase.objects.get(pk=case.pk)
    return (case.status, case.participants, case.experts, case.conclusion, case.notice_id, case.listed_at,
            case.rectified_at, case.accepted_at, case.delisted_at, getattr(case, "notice_served_at", None),
            case.events.count())


def _propose(user, unit):
    hazard = new_hazard(user, unit)
    return hazard_services.propose_case(user, unit, [hazard], {"place_kinds": ["crowded"], "direct_items": ["6.8"]})


@pytest.mark.parametrize("action", sorted(CASE_TRANSITIONS))
def test_a_case_action_page_is_404_outside_the_jurisdiction(city, more, client, api_for, action):
    state = CASE_SOURCE_STATE[action]
    cases = {"xc": put_case_in(_propose(city.xuecheng, city.xc_hotel), state),
             "tz": put_case_in(_propose(city.tengzhou, city.tz_school), state)}
    form = {"action": action, **_form(case_payload(action))}
    for side, case in cases.items():
        before = _case_state(case)
        for who in CASE_OUTSIDERS[side]:
            client.force_login(getattr(city, who))
            url = f"/hazards/major/{case.pk}/action/"
            assert client.post(url, form).status_code == 404, (who, side)
            got, missing = client.get(url), client.get(f"/hazards/major/{MISSING}/action/")
            assert got.status_code != 200 and _normalised(got) == _normalised(missing), (who, side)
            assert client.get(f"/hazards/major/{case.pk}/").status_code == 404, (who, side)
            api = api_for(getattr(city, who)).post(f"/api/major-hazards/{case.pk}/transition/", form, format="json")
            assert api.status_code == 404, (who, side, api.status_code)
            assert _case_state(case) == before, (who, side)
    client.force_login(city.xc_supervisor)
    assert client.post(f"/hazards/major/{cases['xc'].pk}/action/", form).status_code == 302
    assert MajorHazardCase.objects.get(pk=cases["xc"].pk).status == (CASE_TARGET[action] or state)
    if action == "serve":
        assert MajorHazardCase.objects.get(pk=cases["xc"].pk).notice_served_at is not None


def test_a_role_without_major_hazard_cases_gets_404_on_every_case_page(city, client, api_for):
    """Monitoring operators may not see major-hazard cases (firegov.core.roles): the list and the API
    say 404; the case's own page and its action URL must say so too, even for the city's centre whose
    region covers the case."""
    case = put_case_in(_propose(city.xuecheng, city.xc_hotel), "listed")
    before = _case_state(case)
    client.force_login(city.jiankong)
    answers = {
        "GET /hazards/major/": client.get("/hazards/major/").status_code,
        "GET /api/major-hazards/<pk>/": api_for(city.jiankong).get(f"/api/major-hazards/{case.pk}/").status_code,
        "GET /hazards/major/<pk>/": client.get(f"/hazards/major/{case.pk}/").status_code,
        "POST /hazards/major/<pk>/action/": client.post(f"/hazards/major/{case.pk}/action/",
                                                        {"action": "progress", "note": "x"}).status_code,
    }
    assert _case_state(case) == before
    assert answers == dict.fromkeys(answers, 404)


# =========================================================================== 6. campaign lists

@pytest.fixture
def lists(city, more, plan):  # noqa: F811
    """The city campaign C (tasks 1, 1.1 schools: education leads, health cooperates; 1.2 lanes; 2
    hospitals: health), 薛城区's derived lists X and 滕州市's Z; measures, accountability records,
    targets and progress reports on each."""
    campaign, top, schools, lanes, hospitals = plan
    xc = campaign_services.derive(city.xc_supervisor, campaign)
    tz = campaign_services.derive(city.tz_supervisor, campaign)
    xc_t = {t.code: t for t in xc.tasks.all()}
    tz_t = {t.code: t for t in tz.tasks.all()}
    assert (xc_t["1.1"].lead, tz_t["1.1"].lead) == (city.xc_edu, city.edu)  # 滕州市 has no education bureau
    w = city
    w.C, w.X, w.Z = campaign, xc, tz
    w.tasks = {"C1": top, "C1.1": schools, "C1.2": lanes, "C2": hospitals,
               **{f"X{c}": t for c, t in xc_t.items()}, **{f"Z{c}": t for c, t in tz_t.items()}}

    def measure(campaign, by, title, owner):
        return campaign_services.add_measure(by, campaign, {"title": title, "kind": "policy", "owner": owner})

    w.measures = {
        "m_city_edu": measure(campaign, city.zhidui, "市教育局校园消防管理办法", city.edu),
        "m_city_det": measure(campaign, city.zhidui, "支队消防车通道管理办法", city.detachment),
        "m_xc_edu": measure(xc, city.xc_supervisor, "区教体局学校消防制度", city.xc_edu),
        "m_xc_brig": measure(xc, city.xc_supervisor, "区大队联合执法机制", city.xc_brigade),
        "m_tz_brig": measure(tz, city.tz_supervisor, "市大队网格巡查机制", city.tz_brigade),
    }

    def hold(campaign, by, agency, reason, tasks):
        return campaign_services.hold_to_account(by, campaign, {"agency": agency, "kind": "warning",
                                                                "reason": reason, "tasks": tasks})

    w.records = {
        "a_city_edu": hold(campaign, city.zhidui, city.edu, "市教育局学校整治滞后", [schools]),
        "a_city_health": hold(campaign, city.zhidui, city.health, "市卫健委医院整治滞后", [hospitals]),
        "a_xc_edu": hold(xc, city.xc_supervisor, city.xc_edu, "区教体局整治滞后", [xc_t["1.1"]]),
        "a_tz_brig": hold(tz, city.tz_supervisor, city.tz_brigade, "县级大队通道治理滞后", [tz_t["1.2"]]),
    }

    def target(task, by, label):
        return campaign_services.add_target(by, task, {"label": label, "unit": "处",
                                                       "steps": [{"by": f"{YEAR}-12-31", "value": 10}]})

    w.targets = {
        "t_city_schools": target(schools, city.zhidui, "学校排查完成数"),
        "t_city_lanes": target(lanes, city.zhidui, "通道清障数"),
        "t_xc_11": target(xc_t["1.1"], city.xc_supervisor, "区学校排查数"),
        "t_xc_12": target(xc_t["1.2"], city.xc_supervisor, "区通道清障数"),
        "t_tz_12": target(tz_t["1.2"], city.tz_supervisor, "县通道清障数"),
    }

    def report(task, by, done):
        return campaign_services.save_report(by, task, {"period": f"{YEAR}-10", "done": done, "percent": 10})

    w.reports = {
        "r_city_edu": report(schools, city.jiaoyu, "市教育局十月进展"),
        "r_city_health": report(schools, city.weijian, "市卫健委十月进展"),
        "r_city_det": report(lanes, city.zhidui, "支队十月进展"),
        "r_xc_edu": report(xc_t["1.1"], city.xc_jiaoyu, "区教体局十月进展"),
        "r_xc_brig": report(xc_t["1.2"], city.xc_supervisor, "区大队十月进展"),
        "r_tz_brig": report(tz_t["1.2"], city.tz_supervisor, "县大队十月进展"),
        "r_tz_edu": report(tz_t["1.1"], city.jiaoyu, "市教育局县清单进展"),
    }
    return w


C_TASKS = {"C1", "C1.1", "C1.2", "C2"}
X_TASKS = {"X1", "X1.1", "X1.2", "X2"}
Z_TASKS = {"Z1", "Z1.1", "Z1.2", "Z2"}
# user -> (campaigns, tasks, measures, records, targets, reports) they see
SEES_LISTS = {
    "xuecheng": ("CX", C_TASKS | X_TASKS, {"m_city_edu", "m_city_det", "m_xc_edu", "m_xc_brig"},
                 {"a_city_edu", "a_city_health", "a_xc_edu"}, {"t_city_schools", "t_city_lanes", "t_xc_11", "t_xc_12"},
                 {"r_city_edu", "r_city_health", "r_city_det", "r_xc_edu", "r_xc_brig"}),
    "wangge": ("CX", C_TASKS | X_TASKS, {"m_city_edu", "m_city_det", "m_xc_edu", "m_xc_brig"},
               {"a_city_edu", "a_city_health", "a_xc_edu"}, {"t_city_schools", "t_city_lanes", "t_xc_11", "t_xc_12"},
               {"r_city_edu", "r_city_health", "r_city_det", "r_xc_edu", "r_xc_brig"}),
    "tengzhou": ("CZ", C_TASKS | Z_TASKS, {"m_city_edu", "m_city_det", "m_tz_brig"},
                 {"a_city_edu", "a_city_health", "a_tz_brig"}, {"t_city_schools", "t_city_lanes", "t_tz_12"},
                 {"r_city_edu", "r_city_health", "r_city_det", "r_tz_brig", "r_tz_edu"}),
    # the city's education bureau: the tasks it leads (1.1 of the city and of 滕州市) and its own rows
    "jiaoyu": ("CXZ", {"C1.1", "Z1.1"}, {"m_city_edu"}, {"a_city_edu"}, {"t_city_schools"},
               {"r_city_edu", "r_tz_edu"}),
    "xc_jiaoyu": ("CX", {"X1.1"}, {"m_xc_edu"}, {"a_xc_edu"}, {"t_xc_11"}, {"r_xc_edu"}),
    # the city's health commission cooperates on 1.1 and leads 2 everywhere (no county has one)
    "weijian": ("CXZ", {"C1.1", "C2", "X1.1", "X2", "Z1.1", "Z2"}, set(), {"a_city_health"},
                {"t_city_schools", "t_xc_11"}, {"r_city_health"}),
}


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    body = response.json()
    assert body.get("next") is None  # one page holds them all
    return {row["id"] for row in body["results"]}


@pytest.mark.parametrize("who", list(SEES_LISTS))
def test_campaign_lists_hold_only_the_rows_in_scope(lists, client, api_for, who):
    w = lists
    user = getattr(w, who)
    campaigns, tasks, measures, records, targets, reports = SEES_LISTS[who]
    api = api_for(user)
    tables = [("/api/tasks/", w.tasks, tasks), ("/api/measures/", w.measures, measures),
              ("/api/accountability/", w.records, records), ("/api/targets/", w.targets, targets),
              ("/api/progress-reports/", w.reports, reports)]
    for url, rows, visible in tables:
        assert _ids(api.get(url)) == {rows[k].pk for k in visible}, url
        missing = _normalised(api.get(f"{url}{MISSING}/"))
        for key, row in rows.items():
            answer = api.get(f"{url}{row.pk}/")
            if key in visible:
                assert answer.status_code == 200, (url, key)
            else:
                assert _normalised(answer) == missing, (url, key)
    by_letter = {"C": w.C, "X": w.X, "Z": w.Z}
    assert _ids(api.get("/api/campaigns/")) == {by_letter[c].pk for c in campaigns}

    # The pages: the measures and accountability tabs of every campaign the user sees, the task pages.
    client.force_login(user)
    for letter in campaigns:
        campaign = by_letter[letter]
        page = client.get(f"/campaigns/{campaign.pk}/", {"tab": "measures"}).content.decode()
        for key, measure in w.measures.items():
            shown = key in measures and measure.campaign_id == campaign.pk
            assert (measure.title in page) == shown, (letter, key)
        page = client.get(f"/campaigns/{campaign.pk}/", {"tab": "accountability"}).content.decode()
        for key, record in w.records.items():
            shown = key in records and record.campaign_id == campaign.pk
            assert (record.reason in page) == shown, (letter, key)
    for code in tasks:
        task = w.tasks[code]
        page = client.get(f"/campaigns/tasks/{task.pk}/")
        assert page.status_code == 200, code
        text = page.content.decode()
        for key, report in w.reports.items():
            shown = key in reports and report.task_id == task.pk
            assert (report.done in text) == shown, (code, key)
    for code in set(w.tasks) - tasks:
        if code[0] in campaigns:  # a task of a campaign it sees but does not take part in
            assert client.get(f"/campaigns/tasks/{w.tasks[code].pk}/").status_code == 404, code


@pytest.mark.parametrize("who", ["danwei", "nobody", "jiankong"])
def test_roles_without_campaigns_get_404_on_every_list(lists, client, api_for, who):
    w = lists
    api = api_for(getattr(w, who))
    for url, rows in (("/api/campaigns/", {"C": w.C}), ("/api/tasks/", w.tasks), ("/api/measures/", w.measures),
                      ("/api/accountability/", w.records), ("/api/targets/", w.targets),
                      ("/api/progress-reports/", w.reports)):
        assert api.get(url).status_code == 404, url
        for key, row in rows.items():
            assert api.get(f"{url}{row.pk}/").status_code == 404, (url, key)
    client.force_login(getattr(w, who))
    assert client.get("/campaigns/").status_code == 404
    assert client.get(f"/campaigns/tasks/{w.tasks['C1.1'].pk}/").status_code == 404


def test_an_accountability_record_names_only_the_tasks_its_reader_may_see(lists, client, api_for):
    """The city's education bureau sees the record holding it to account, but not the hospitals task
    (led by the health commission) the record also names: neither its title on the tab nor its id."""
    w = lists
    hospitals = w.tasks["C2"]
    record = campaign_services.hold_to_account(w.zhidui, w.C, {
        "agency": w.edu, "kind": "interview", "reason": "学校和医院整治均滞后", "tasks": [w.tasks["C1.1"], hospitals]})
    assert api_for(w.jiaoyu).get(f"/api/tasks/{hospitals.pk}/").status_code == 404
    client.force_login(w.jiaoyu)
    page = client.get(f"/campaigns/{w.C.pk}/", {"tab": "accountability"}).content.decode()
    assert record.reason in page and w.tasks["C1.1"].title in page
    body = api_for(w.jiaoyu).get(f"/api/accountability/{record.pk}/").json()
    assert w.tasks["C1.1"].pk in body["tasks"]
    leaks = {"title on the accountability tab": hospitals.title in page, "pk in the API": hospitals.pk in body["tasks"]}
    assert leaks == {"title on the accountability tab": False, "pk in the API": False}


# =========================================================================== 7. campaigns and outsiders

# user -> the campaigns (of C, X, Z) hidden from it
OUTSIDERS = {"tengzhou": "X", "tz_supervisor": "X", "xuecheng": "Z", "xc_supervisor": "Z", "wangge": "Z",
             "loner": "CXZ"}


def _campaign_urls(campaign, task) -> list[str]:
    pk = campaign.pk
    return [*(f"/campaigns/{pk}/?tab={tab}" for tab in ("tasks", "timeline", "map", "hazards", "measures",
                                                         "accountability", "documents")),
            f"/campaigns/{pk}/plan.xlsx", f"/campaigns/{pk}/import/", f"/campaigns/{pk}/dispatch.file?period={YEAR}-10",
            f"/campaigns/{pk}/bulletin.file?period={YEAR}-Q3", f"/campaigns/tasks/{task.pk}/"]


def _campaign_api_urls(campaign, task) -> list[str]:
    pk = campaign.pk
    return [f"/api/campaigns/{pk}/", f"/api/campaigns/{pk}/progress/", f"/api/campaigns/{pk}/regions/",
            f"/api/campaigns/{pk}/hazards/", f"/api/campaigns/{pk}/dispatch/?period={YEAR}-10",
            f"/api/campaigns/{pk}/bulletin/?period={YEAR}-Q3", f"/api/tasks/{task.pk}/",
            f"/api/tasks/?campaign={pk}", f"/api/measures/?campaign={pk}", f"/api/accountability/?campaign={pk}"]


@pytest.mark.parametrize("who", list(OUTSIDERS))
def test_the_campaigns_of_another_jurisdiction_are_not_there(lists, client, api_for, who):
    w = lists
    user = getattr(w, who)
    hidden = {letter: getattr(w, letter) for letter in OUTSIDERS[who]}
    shown = {letter: getattr(w, letter) for letter in "CXZ" if letter not in hidden}
    client.force_login(user)
    api = api_for(user)
    listing = client.get("/campaigns/")
    assert listing.status_code == 200
    assert {c.pk for c in listing.context["page"]} == {c.pk for c in shown.values()}
    assert _ids(api.get("/api/campaigns/")) == {c.pk for c in shown.values()}
    if "C" in shown:  # the city campaign's map: only the user's own county, never the other one
        counties = {r["name"] for r in api.get(f"/api/campaigns/{w.C.pk}/regions/").json()}
        own = {"X": "滕州市", "Z": "薛城区"}[OUTSIDERS[who]]
        assert counties == {own} or (who == "wangge" and counties <= {own}), counties
    for letter, campaign in hidden.items():
        task = w.tasks[f"{letter}1.1"]
        for url in _campaign_urls(campaign, task):
            assert client.get(url).status_code == 404, url
        for url in _campaign_api_urls(campaign, task):
            answer = api.get(url)
            if "?campaign=" in url:  # a filter naming it selects nothing (or is refused)
                assert answer.status_code == 400 or answer.json()["results"] == [], url
            else:
                assert answer.status_code == 404, url
        # Nothing can be done to it either; the answer is the one for a missing campaign or task.
        report = {"period": f"{YEAR}-11", "done": "越权", "percent": "50", "action": "save"}
        assert client.post(f"/campaigns/tasks/{task.pk}/", report).status_code == 404
        assert client.post(f"/campaigns/{campaign.pk}/derive/").status_code == 404
        for url, body in (("/api/campaigns/{}/derive/", {}), ("/api/tasks/{}/status/", {"status": "done"}),
                          ("/api/tasks/{}/milestone/", {"milestone": 1})):
            target = campaign.pk if "campaigns" in url else task.pk
            answer = api.post(url.format(target), body, format="json")
            assert answer.status_code != 200 and answer.status_code != 201, url
            assert _normalised(answer) == _normalised(api.post(url.format(MISSING), body, format="json")), url
    assert Campaign.objects.count() == 3
    assert Task.objects.filter(status="open").count() == Task.objects.count()
    assert ProgressReport.objects.filter(period=f"{YEAR}-11").count() == 0
    # The pages of the campaigns it sees never name the hidden county.
    other = {"X": "薛城", "Z": "滕州"}
    for letter, campaign in shown.items():
        for url in _campaign_urls(campaign, w.tasks[f"{letter}1.1"])[:7]:
            page = client.get(url)
            if page.status_code == 404:  # a task the user does not take part in
                continue
            text = page.content.decode()
            for hidden_letter in hidden:
                assert other.get(hidden_letter, "\0") not in text, (url, hidden_letter)


# =========================================================================== 8. no existence oracle

@pytest.fixture
def oracle(lists, ledger):
    w = lists
    w.tz_hazard = ledger["tzschool_confirmed"]
    return w


def _oracle_cases(w) -> dict:
    """name -> (user, url, body for a referenced pk, pk of an object outside the user's jurisdiction,
    model counted to show nothing was made)."""
    x_task = w.tasks["X1.2"]
    z_task = w.tasks["Z1.2"]
    return {
        "hazard.unit": (w.xuecheng, "/api/hazards/",
                        lambda pk: {"unit": pk, "category": "blocked_exit", "description": "安全出口堵塞"},
                        w.tz_school.pk, Hazard),
        "inspection.unit": (w.xuecheng, "/api/inspections/",
                            lambda pk: {"unit": pk, "kind": "routine",
                                        "inspectors": [w.xuecheng.pk, w.xc_supervisor.pk]},
                            w.tz_school.pk, Inspection),
        "inspection.inspectors": (w.xuecheng, "/api/inspections/",
                                  lambda pk: {"unit": w.xc_hotel.pk, "kind": "routine",
                                              "inspectors": [w.xuecheng.pk, pk]},
                                  w.tengzhou.pk, Inspection),
        "case.unit": (w.xuecheng, "/api/major-hazards/", lambda pk: {"unit": pk, "hazards": []},
                      w.tz_school.pk, MajorHazardCase),
        "case.hazards": (w.xuecheng, "/api/major-hazards/",
                         lambda pk: {"unit": w.xc_hotel.pk, "hazards": [pk]}, w.tz_hazard.pk, MajorHazardCase),
        "task.campaign": (w.xc_supervisor, "/api/tasks/",
                          lambda pk: {"campaign": pk, "title": "越权任务", "lead": w.xc_brigade.pk},
                          w.Z.pk, Task),
        "task.parent": (w.xc_supervisor, "/api/tasks/",
                        lambda pk: {"campaign": w.X.pk, "parent": pk, "title": "越权任务", "lead": w.xc_brigade.pk},
                        z_task.pk, Task),
        "task.lead": (w.xc_supervisor, "/api/tasks/",
                      lambda pk: {"campaign": w.X.pk, "title": "越权任务", "lead": pk}, w.tz_brigade.pk, Task),
        "progress-report.task": (w.xc_supervisor, "/api/progress-reports/",
                                 lambda pk: {"task": pk, "period": f"{YEAR}-11", "done": "越权", "percent": 10},
                                 z_task.pk, ProgressReport),
        "target.task": (w.xc_supervisor, "/api/targets/",
                        lambda pk: {"task": pk, "label": "越权指标", "unit": "处",
                                    "steps": [{"by": f"{YEAR}-12-31", "value": 5}]}, z_task.pk, Target),
        "measure.campaign": (w.xc_supervisor, "/api/measures/",
                             lambda pk: {"campaign": pk, "title": "越权措施", "kind": "policy",
                                         "owner": w.xc_brigade.pk}, w.Z.pk, Measure),
        "measure.task": (w.xc_supervisor, "/api/measures/",
                         lambda pk: {"campaign": w.X.pk, "task": pk, "title": "越权措施", "kind": "policy",
                                     "owner": w.xc_brigade.pk}, z_task.pk, Measure),
        "measure.owner": (w.xc_supervisor, "/api/measures/",
                          lambda pk: {"campaign": w.X.pk, "title": "越权措施", "kind": "policy", "owner": pk},
                          w.tz_brigade.pk, Measure),
        "accountability.campaign": (w.xc_supervisor, "/api/accountability/",
                                    lambda pk: {"campaign": pk, "agency": w.xc_edu.pk, "kind": "warning",
                                                "reason": "越权"}, w.Z.pk, Accountability),
        "accountability.agency": (w.xc_supervisor, "/api/accountability/",
                                  lambda pk: {"campaign": w.X.pk, "agency": pk, "kind": "warning",
                                              "reason": "越权"}, w.tz_brigade.pk, Accountability),
        "accountability.tasks": (w.xc_supervisor, "/api/accountability/",
                                 lambda pk: {"campaign": w.X.pk, "agency": w.xc_edu.pk, "kind": "warning",
                                             "reason": "越权", "tasks": [x_task.pk, pk]}, z_task.pk, Accountability),
        "unit.region": (w.xuecheng, "/api/units/",
                        lambda pk: {"name": "越权单位", "place_type": "restaurant", "region": pk,
                                    "address": "某路1号"}, w.tz_grid.pk, Unit),
        "community.region": (w.xuecheng, "/api/communities/",
                             lambda pk: {"name": "越权小区", "region": pk, "address": "某路3号"}, w.tz_comm.pk, Community),
        "derive.region": (w.xc_supervisor, f"/api/campaigns/{w.C.pk}/derive/",
                          lambda pk: {"region": pk}, w.tz.pk, Campaign),
    }


ORACLE_NAMES = ["hazard.unit", "inspection.unit", "inspection.inspectors", "case.unit", "case.hazards",
                "task.campaign", "task.parent", "task.lead", "progress-report.task", "target.task",
                "measure.campaign", "measure.task", "measure.owner", "accountability.campaign",
                "accountability.agency", "accountability.tasks", "unit.region", "community.region", "derive.region"]


@pytest.mark.parametrize("name", ORACLE_NAMES)
def test_a_reference_outside_the_jurisdiction_answers_like_a_missing_one(oracle, api_for, name):
    cases = _oracle_cases(oracle)
    assert set(cases) == set(ORACLE_NAMES)
    user, url, body, hidden, model = cases[name]
    api = api_for(user)
    before = model.objects.count()
    missing = api.post(url, body(MISSING), format="json")
    outside = api.post(url, body(hidden), format="json")
    assert missing.status_code in (400, 404), missing.content
    assert model.objects.count() == before, "the reference outside the jurisdiction made something"
    assert _normalised(outside) == _normalised(missing), (
        f"outside: {outside.status_code} {outside.content.decode()[:300]} / "
        f"missing: {missing.status_code} {missing.content.decode()[:300]}")


def test_a_county_names_the_agencies_above_it_but_not_those_beside_it(oracle, api_for):
    """The scoped references still take what a county needs: a city department or the detachment
    leads, cooperates on, owns or answers for what is in the county's lists, supervises a county
    unit and joins its inspections. Another county's agency is as unknown as a missing one."""
    w = oracle
    api = api_for(w.xc_supervisor)
    task = api.post("/api/tasks/", {"campaign": w.X.pk, "title": "市级牵头任务", "lead": w.edu.pk,
                                    "cooperating": [w.detachment.pk, w.xc_edu.pk]}, format="json")
    assert task.status_code == 201, task.content
    assert (task.json()["lead"], sorted(task.json()["cooperating"])) == (w.edu.pk, sorted([w.detachment.pk,
                                                                                           w.xc_edu.pk]))
    beside = api.post("/api/tasks/", {"campaign": w.X.pk, "title": "越权协办", "lead": w.edu.pk,
                                      "cooperating": [w.tz_brigade.pk]}, format="json")
    assert beside.status_code == 400 and list(beside.json()) == ["cooperating"]
    measure = api.post("/api/measures/", {"campaign": w.X.pk, "title": "市级措施", "kind": "policy",
                                          "owner": w.detachment.pk}, format="json")
    assert measure.status_code == 201, measure.content
    record = api.post("/api/accountability/", {"campaign": w.X.pk, "agency": w.edu.pk, "kind": "warning",
                                               "reason": "推进不力", "tasks": [w.tasks["X1.1"].pk]}, format="json")
    assert record.status_code == 201, record.content
    inspector = api_for(w.xuecheng)
    unit = inspector.post("/api/units/", {"name": "市教育局主管学校", "place_type": "school", "region": w.xc_grid.pk,
                                          "address": "某路2号", "department": w.edu.pk}, format="json")
    assert unit.status_code == 201, unit.content
    joint = inspector.post("/api/inspections/", {"unit": w.xc_hotel.pk, "kind": "joint",
                                                 "inspectors": [w.xuecheng.pk, w.zhidui.pk],
                                                 "agencies": [w.edu.pk]}, format="json")
    assert joint.status_code == 201, joint.content
    assert joint.json()["agencies"] == [w.edu.pk]
    hidden = inspector.post("/api/inspections/", {"unit": w.xc_hotel.pk, "kind": "joint",
                                                  "inspectors": [w.xuecheng.pk], "agencies": [w.tz_brigade.pk]},
                            format="json")
    missing = inspector.post("/api/inspections/", {"unit": w.xc_hotel.pk, "kind": "joint",
                                                   "inspectors": [w.xuecheng.pk], "agencies": [MISSING]},
                             format="json")
    assert hidden.status_code == 400 and _normalised(hidden) == _normalised(missing)


def _filter_cases(w) -> dict:
    """name -> (user, list URL, query parameter, pk of an object outside the user's jurisdiction)."""
    return {
        "hazards?region": (w.xuecheng, "/api/hazards/", "region", w.tz.pk),
        "hazards?unit": (w.xuecheng, "/api/hazards/", "unit", w.tz_school.pk),
        "inspections?unit": (w.xuecheng, "/api/inspections/", "unit", w.tz_school.pk),
        "major-hazards?unit": (w.xuecheng, "/api/major-hazards/", "unit", w.tz_school.pk),
        "units?region": (w.xuecheng, "/api/units/", "region", w.tz.pk),
        "tasks?campaign": (w.xuecheng, "/api/tasks/", "campaign", w.Z.pk),
        "tasks?lead": (w.xuecheng, "/api/tasks/", "lead", w.tz_brigade.pk),
        "tasks?parent": (w.xuecheng, "/api/tasks/", "parent", w.tasks["Z1"].pk),
        "measures?campaign": (w.xuecheng, "/api/measures/", "campaign", w.Z.pk),
        "measures?owner": (w.xuecheng, "/api/measures/", "owner", w.tz_brigade.pk),
        "accountability?campaign": (w.xuecheng, "/api/accountability/", "campaign", w.Z.pk),
        "accountability?agency": (w.xuecheng, "/api/accountability/", "agency", w.tz_brigade.pk),
        "targets?task": (w.xuecheng, "/api/targets/", "task", w.tasks["Z1.2"].pk),
        "progress-reports?task": (w.xuecheng, "/api/progress-reports/", "task", w.tasks["Z1.2"].pk),
        "progress-reports?agency": (w.xuecheng, "/api/progress-reports/", "agency", w.tz_brigade.pk),
    }


FILTER_NAMES = ["hazards?region", "hazards?unit", "inspections?unit", "major-hazards?unit", "units?region",
                "tasks?campaign", "tasks?lead", "tasks?parent", "measures?campaign", "measures?owner",
                "accountability?campaign", "accountability?agency", "targets?task", "progress-reports?task",
                "progress-reports?agency"]


@pytest.mark.parametrize("name", FILTER_NAMES)
def test_a_list_filter_naming_an_object_outside_answers_like_a_missing_one(oracle, api_for, name):
    cases = _filter_cases(oracle)
    assert set(cases) == set(FILTER_NAMES)
    user, url, parameter, hidden = cases[name]
    api = api_for(user)
    outside, missing = api.get(url, {parameter: hidden}), api.get(url, {parameter: MISSING})
    if outside.status_code == 200:
        assert outside.json()["results"] == []
    assert _normalised(outside) == _normalised(missing), (
        f"outside: {outside.status_code} {outside.content.decode()[:300]} / "
        f"missing: {missing.status_code} {missing.content.decode()[:300]}")


def test_the_creation_pages_answer_a_unit_outside_like_a_missing_one(city, client):
    client.force_login(city.xuecheng)
    for page in ("/hazards/new/", "/hazards/major/new/", "/inspections/new/"):
        outside = client.get(page, {"unit": city.tz_school.pk})
        missing = client.get(page, {"unit": MISSING})
        assert outside.status_code == missing.status_code == 404, page
        assert client.get(page, {"unit": city.xc_hotel.pk}).status_code == 200, page  # the page itself works


# =========================================================================== 9. the monitoring stream

STREAM_SEES = {
    "xc_jiaoyu": {"xc_school"},  # its sector in its county
    "jiaoyu": {"xc_school", "tz_school"},  # its sector in the city
    "danwei": {"hotel"},  # the unit it manages
    "tz_jiankong": {"mall", "tz_school"},  # a county's monitoring centre
    "xuecheng": {"hotel", "xc_school"},
}


def _stream_world(city):
    city.tz_jiankong = User.objects.create_user("tz_jiankong", password=PASSWORD, role=Role.MONITORING_OPERATOR,
                                                agency=city.tz_brigade)
    units = {"hotel": city.xc_hotel, "xc_school": city.xc_school, "mall": make_unit(city.tz_grid, "滕州商场", "mall"),
             "tz_school": city.tz_school}
    devices = {key: Device.objects.create(unit=unit, kind="smoke", name=f"烟感-{key}", code=f"NB-{key}")
               for key, unit in units.items()}
    return units, devices


def _fire(device, point):
    iot_services.ingest(device, [Reading(kind="status", point=point, label=point, conditions={"fire": True})])


def _alarm_units(blocks) -> list[str]:
    return [json.loads(b["data"])["unit"] for b in blocks if b.get("event") == "alarm"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", list(STREAM_SEES))
def test_the_stream_delivers_no_alarm_outside_the_jurisdiction(city, who):
    units, devices = _stream_world(city)
    user = getattr(city, who)
    seen = STREAM_SEES[who]
    names = {units[key].name for key in seen}
    order = [key for key in units if key not in seen] + [key for key in units if key in seen]  # hidden first
    live.reset()

    async def live_bus():
        client = AsyncClient()
        await sync_to_async(client.force_login)(user)
        response = await client.get("/monitoring/stream/")
        assert response.status_code == 200
        reader = asyncio.ensure_future(_read_blocks(
            response, lambda _last, blocks: len(_alarm_units(blocks)) >= len(seen)))
        await asyncio.sleep(0.3)  # subscribed
        for key in order:
            await sync_to_async(_fire)(devices[key], "bus")
        try:
            return await reader
        finally:
            await sync_to_async(connections.close_all)()  # the worker thread's connection

    async def catch_up(since):
        client = AsyncClient()
        await sync_to_async(client.force_login)(user)
        response = await client.get("/monitoring/stream/", {"since": since})
        assert response.status_code == 200
        try:
            return await _read_blocks(response, lambda last, _blocks: last.get("event") in ("sync", "reload"))
        finally:
            await sync_to_async(connections.close_all)()

    try:
        started = str(int((timezone.now() - timedelta(seconds=30)).timestamp() * 1000))
        received = _alarm_units(asyncio.run(live_bus()))
        assert len(received) == len(seen) and set(received) == names, received
        # A console coming back is caught up from the database: the same scope applies.
        blocks = asyncio.run(catch_up(started))
        assert blocks[-1]["event"] == "sync"
        assert sorted(_alarm_units(blocks)) == sorted(names), _alarm_units(blocks)
    finally:
        live.reset()
    assert Alarm.objects.count() == len(units)  # the hidden ones exist: they were only not sent



def test_inspections_name_the_units_managers_and_odd_ids_are_unknown(city, api_for):
    """A unit manager inspects its own unit with a co-manager; an administrator without an agency
    names itself; ids too large for the database are as unknown as missing ones (no 500)."""
    co_manager = User.objects.create_user("danwei2", password=PASSWORD, role=Role.UNIT_MANAGER)
    city.xc_hotel.managers.add(co_manager)
    api = api_for(city.danwei)
    own = api.post("/api/inspections/", {"unit": city.xc_hotel.pk, "kind": "self",
                                         "inspectors": [city.danwei.pk, co_manager.pk]}, format="json")
    assert own.status_code == 201, own.content
    assert sorted(own.json()["inspectors"]) == sorted([city.danwei.pk, co_manager.pk])
    other = api.post("/api/inspections/", {"unit": city.xc_hotel.pk, "kind": "self",
                                           "inspectors": [city.xuecheng.pk]}, format="json")
    missing = api.post("/api/inspections/", {"unit": city.xc_hotel.pk, "kind": "self",
                                             "inspectors": [MISSING]}, format="json")
    assert other.status_code == 400 and _normalised(other) == _normalised(missing)
    co_manager.is_active = False
    co_manager.save()
    gone = api.post("/api/inspections/", {"unit": city.xc_hotel.pk, "kind": "self",
                                          "inspectors": [city.danwei.pk, co_manager.pk]}, format="json")
    assert gone.status_code == 400 and _normalised(gone) == _normalised(missing)  # a closed account
    city.admin.agency = None
    city.admin.save()
    admin = api_for(city.admin).post("/api/inspections/", {"unit": city.xc_hotel.pk, "kind": "expert", "experts": "张工",
                                                           "inspectors": [city.admin.pk]}, format="json")
    assert admin.status_code == 201, admin.content
    api = api_for(city.xuecheng)
    for body in ({"inspectors": [city.xuecheng.pk, 2**70]}, {"agencies": [2**70]}):
        huge = api.post("/api/inspections/", {"unit": city.xc_hotel.pk, "kind": "joint", **body}, format="json")
        assert huge.status_code == 400, huge.content
    assert api.post("/api/inspections/", {"unit": 2**70, "kind": "joint"}, format="json").status_code in (400, 404)


def test_the_campaign_services_do_not_name_an_agency_out_of_reach(oracle):
    """Below the API (plan imports, later pages): a task, measure or accountability record naming
    another county's agency is refused as if it did not exist, and its name is not told."""
    from django.core.exceptions import ValidationError

    w = oracle
    calls = {
        "task": lambda agency: campaign_services.add_task(w.xc_supervisor, w.X, {"title": "越权", "lead": agency}),
        "measure": lambda agency: campaign_services.add_measure(w.xc_supervisor, w.X, {
            "title": "越权", "kind": "policy", "owner": agency}),
        "record": lambda agency: campaign_services.hold_to_account(w.xc_supervisor, w.X, {
            "agency": agency, "kind": "warning", "reason": "越权"}),
    }
    for name, call in calls.items():
        answers = []
        for agency in (w.tz_brigade.pk, MISSING):
            with pytest.raises(ValidationError) as refused:
                call(agency)
            answers.append(re.sub(r"\d+", "#", str(refused.value.message_dict)))
        assert answers[0] == answers[1], name
        assert "滕州" not in answers[0], name
