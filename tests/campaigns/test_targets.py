"""Targets: indicators computed from the data for past days, manual values with evidence, and a
missed target turning a task red."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from firegov.campaigns import indicators
from firegov.hazards import services as hazard_services
from firegov.hazards.models import Hazard, HazardEvent
from firegov.inspections.models import Inspection
from firegov.registry.models import Unit
from tests.campaigns.conftest import YEAR
from tests.inspections.helpers import local, upload

pytestmark = pytest.mark.django_db


def _hazard(city, unit, found, closed=None, invalid_at=None, category="blocked_exit", by=None):
    hazard = hazard_services.report_hazard(by or city.xuecheng, unit, {"category": category, "description": "测试隐患"})
    Hazard.objects.filter(pk=hazard.pk).update(found_at=found, closed_at=closed)
    if invalid_at:
        HazardEvent.objects.create(hazard=hazard, action="invalidate", from_status="confirmed", to_status="invalid",
                                   at=invalid_at)
    return hazard


@pytest.fixture
def history(city):
    """In 薛城区: four hazards found in March (one closed in April, one in June, one declared invalid
    in May), one in 滕州市; an inspection of the school completed on 10 April (this year)."""
    Unit.objects.update(created_at=local(YEAR - 1, 6, 1, 9))  # registered before the campaign
    xc = city.xc_hotel
    _hazard(city, xc, local(YEAR, 3, 2, 10), closed=local(YEAR, 4, 20, 9))
    _hazard(city, xc, local(YEAR, 3, 5, 10), closed=local(YEAR, 6, 1, 9))
    _hazard(city, city.xc_school, local(YEAR, 3, 9, 10), invalid_at=local(YEAR, 5, 3, 9))
    _hazard(city, city.xc_school, local(YEAR, 3, 20, 10), category="extinguisher_missing")
    _hazard(city, city.tz_restaurant, local(YEAR, 3, 3, 10), closed=local(YEAR, 3, 4, 9), by=city.tengzhou)
    Inspection.objects.create(unit=city.xc_school, kind="routine", status="completed",
                              completed_at=local(YEAR, 4, 10, 15), region_path=city.xc_school.region_path)


def test_indicators_are_reproducible_for_past_days(city, history):
    since, xc = date(YEAR, 1, 1), city.xc.path

    def value(code, on, **params):
        return indicators.value(code, xc, since, on, params)

    assert value("hazards_found", date(YEAR, 2, 28)) == 0
    assert value("hazards_found", date(YEAR, 4, 30)) == 4
    assert value("hazards_found", date(YEAR, 5, 31)) == 3  # one declared invalid on 3 May
    assert value("hazards_rectified", date(YEAR, 4, 30)) == 1
    assert value("hazards_rectified", date(YEAR, 7, 1)) == 2
    assert value("closing_rate", date(YEAR, 7, 1)) == Decimal("66.7")
    assert value("hazards_found", date(YEAR, 7, 1), category="extinguisher_missing") == 1
    assert value("hazards_found", date(YEAR, 7, 1), sector="education") == 2 - 1  # the school's, less the invalid
    assert indicators.value("hazards_found", city.city.path, since, date(YEAR, 7, 1), {}) == 4  # the city: 滕州市's one too, less the invalid
    assert value("units_inspected", date(YEAR, 4, 9)) == 0
    assert value("units_inspected", date(YEAR, 4, 10)) == 1
    assert value("units_inspected_share", date(YEAR, 4, 10), sector="education") == 100
    assert value("units_inspected_share", date(YEAR, 4, 10)) == 50  # the hotel and the school
    Unit.objects.filter(pk=city.xc_hotel.pk).update(created_at=local(YEAR, 5, 1, 9))
    assert value("units_inspected_share", date(YEAR, 4, 10)) == 100  # the hotel was not registered yet


def test_bad_indicator_parameters_are_refused():
    with pytest.raises(ValueError, match="sector"):
        indicators.check_params("hazards_found", {"sector": "castles"})
    with pytest.raises(ValueError, match="no parameter"):
        indicators.check_params("major_listed", {"sector": "education"})
    with pytest.raises(ValueError, match="unknown indicator"):
        indicators.check_params("happiness", {})
    with pytest.raises(ValueError, match="object"):
        indicators.check_params("hazards_found", ["sector", "education"])


def test_a_missed_computed_target_turns_the_task_red(city, history, plan, api_for):  # noqa: F811
    campaign, top, schools, lanes, hospitals = plan
    api = api_for(city.zhidui)
    bad = api.post("/api/targets/", {"task": schools.pk, "label": "隐患整改率", "indicator": "closing_rate",
                                     "params": {"sector": "nowhere"}, "steps": [{"by": f"{YEAR}-06-30", "value": 90}]},
                   format="json")
    assert bad.status_code == 400 and "indicator" in bad.json()
    made = api.post("/api/targets/", {"task": lanes.pk, "label": "隐患整改率", "indicator": "closing_rate",
                                      "steps": [{"by": f"{YEAR}-06-30", "value": 90},
                                                {"by": f"{YEAR}-12-31", "value": 100}]}, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["unit"] == "%"
    rows = {r["code"]: r for r in api.get(f"/api/campaigns/{campaign.pk}/progress/",
                                          {"on": f"{YEAR}-07-01"}).json()}
    lane = rows["1.2"]
    assert lane["colour"] == "red"
    assert any("90" in reason for reason in lane["reasons"])
    status = lane["targets"][0]
    assert status["next_by"] == f"{YEAR}-12-31" and status["next_value"] == "100"
    assert float(status["achieved"]) == 75.0  # the whole city: 3 of its 4 valid hazards rectified
    assert status["missed"][0]["by"] == f"{YEAR}-06-30"


def test_manual_targets_take_values_with_evidence(city, plan, api_for):  # noqa: F811
    campaign, top, schools, lanes, hospitals = plan
    target = api_for(city.zhidui).post("/api/targets/", {
        "task": schools.pk, "label": "重点人员培训", "unit": "人", "steps": [{"by": f"{YEAR}-12-31", "value": 500}]},
        format="json").json()
    officer = api_for(city.jiaoyu)
    answer = officer.post(f"/api/targets/{target['id']}/values/", {"on": f"{YEAR}-03-31", "value": "320",
                                                                    "evidence": upload("签到表.jpg")},
                          format="multipart")
    assert answer.status_code == 201, answer.content
    assert len(answer.json()["evidence_sha256"]) == 64
    refused = api_for(city.xc_jiaoyu).post(f"/api/targets/{target['id']}/values/", {"value": "1"}, format="multipart")
    assert refused.status_code == 404  # the county bureau does not even see the city bureau's task
    computed = api_for(city.zhidui).post("/api/targets/", {"task": schools.pk, "label": "发现隐患",
                                                           "indicator": "hazards_found",
                                                           "steps": [{"by": f"{YEAR}-12-31", "value": 10}]},
                                         format="json").json()
    assert officer.post(f"/api/targets/{computed['id']}/values/", {"value": "3"},
                        format="multipart").status_code == 400
    unordered = api_for(city.zhidui).post("/api/targets/", {"task": schools.pk, "label": "乱序",
                                                            "steps": [{"by": f"{YEAR}-12-31", "value": 1},
                                                                      {"by": f"{YEAR}-06-30", "value": 2}]},
                                          format="json")
    assert unordered.status_code == 400 and "steps" in unordered.json()
    listed = api_for(city.zhidui).get("/api/targets/indicators/").json()
    assert {"hazards_found", "closing_rate", "units_inspected_share"} <= {i["code"] for i in listed}


def test_the_task_page_shows_targets_and_takes_a_manual_value(city, plan, api_for, client):  # noqa: F811
    campaign, top, schools, lanes, hospitals = plan
    target = api_for(city.zhidui).post("/api/targets/", {
        "task": schools.pk, "label": "重点人员培训", "unit": "人", "steps": [{"by": f"{YEAR}-12-31", "value": 500}]},
        format="json").json()
    client.force_login(city.jiaoyu)
    page = client.get(f"/campaigns/tasks/{schools.pk}/").content.decode()
    assert "重点人员培训" in page and 'name="evidence"' in page
    response = client.post(f"/campaigns/tasks/{schools.pk}/", {"action": "target", "target": target["id"],
                                                               "value": "120", "on": f"{YEAR}-02-01",
                                                               "evidence": upload("名单.jpg")})
    assert response.status_code == 302
    assert "120" in client.get(f"/campaigns/tasks/{schools.pk}/").content.decode()


def test_totals_and_subdivisions_come_from_one_scan_per_day(city, history, plan):
    """A document asks for the city's closing rate (a target), its total and its counties on the same
    day: the ledger is scanned once for that day, and the folded counties add up to the total."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    campaign, top, schools, lanes, hospitals = plan
    on, since = date(YEAR, 7, 1), campaign.starts_on
    memo: dict = {}
    with CaptureQueriesContext(connection) as queries:
        total = indicators.hazard_counts(city.city.path, since, on, memo)
        counties = indicators.hazards_by_subdivision(city.city.path, len(city.xc.path), since, on, memo)
        rate = indicators.value("closing_rate", city.city.path, since, on, {}, memo)
    scans = [q for q in queries.captured_queries if 'FROM "hazards_hazard"' in q["sql"]]
    assert len(scans) == 1
    assert total == {"found": 4, "rectified": 3, "rate": Decimal("75.0")} and rate == Decimal("75.0")
    assert counties == {city.xc.path: {"found": 3, "rectified": 2, "rate": Decimal("66.7")},
                        city.tz.path: {"found": 1, "rectified": 1, "rate": Decimal("100.0")}}
    assert counties[city.xc.path] == indicators.hazard_counts(city.xc.path, since, on)  # as counted alone
    assert indicators.hazards_by_subdivision(city.city.path, 20, since, on, memo) == {}  # no path that long
