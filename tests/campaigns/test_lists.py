"""The campaign's hazard list, measures list and accountability records."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from firegov.campaigns.models import Campaign
from tests.campaigns.conftest import YEAR
from tests.campaigns.test_targets import _hazard
from tests.inspections.helpers import hrefs, local, upload

pytestmark = pytest.mark.django_db


def test_the_hazard_list_counts_what_the_campaign_names(city, plan, api_for):  # noqa: F811
    campaign, *_ = plan
    Campaign.objects.filter(pk=campaign.pk).update(hazard_categories=["blocked_exit"])
    _hazard(city, city.xc_hotel, local(YEAR, 3, 2, 10), closed=local(YEAR, 4, 1, 9))
    _hazard(city, city.xc_school, local(YEAR, 3, 5, 10))
    _hazard(city, city.xc_school, local(YEAR, 3, 6, 10), category="extinguisher_missing")  # not this campaign's
    _hazard(city, city.tz_restaurant, local(YEAR, 5, 3, 10), by=city.tengzhou)
    _hazard(city, city.xc_hotel, local(YEAR - 1, 12, 30, 10))  # before the campaign
    body = api_for(city.zhidui).get(f"/api/campaigns/{campaign.pk}/hazards/").json()
    assert body["totals"] == {"found": 3, "rectified": 1, "overdue": 0, "major": 0}
    regions = {row["name"]: row["found"] for row in body["by_region"]}
    assert regions == {"薛城区": 2, "滕州市": 1}
    assert {row["sector"]: row["found"] for row in body["by_sector"]} == {"": 2, "education": 1}
    county = api_for(city.xuecheng).get(f"/api/campaigns/{campaign.pk}/hazards/").json()
    assert county["totals"]["found"] == 2  # the county inspector counts the hazards it may see
    bad = api_for(city.zhidui).post("/api/campaigns/", {"name": "x", "starts_on": f"{YEAR}-01-01",
                                                        "ends_on": f"{YEAR}-02-01", "hazard_categories": ["nope"]},
                                    format="json")
    assert bad.status_code == 400 and "hazard_categories" in bad.json()


def test_the_hazard_ledger_filters_by_campaign_on_the_page_in_the_api_and_the_export(city, plan, api_for, login):  # noqa: F811
    campaign, *_ = plan
    Campaign.objects.filter(pk=campaign.pk).update(hazard_categories=["blocked_exit"])
    xc = _hazard(city, city.xc_hotel, local(YEAR, 3, 2, 10)).pk
    inside = {xc, _hazard(city, city.tz_restaurant, local(YEAR, 5, 3, 10), by=city.tengzhou).pk}
    _hazard(city, city.xc_school, local(YEAR, 3, 6, 10), category="extinguisher_missing")
    _hazard(city, city.xc_hotel, local(YEAR - 1, 12, 30, 10))
    listed = api_for(city.zhidui).get(f"/api/hazards/?campaign={campaign.pk}").json()
    assert {row["id"] for row in listed["results"]} == inside
    # the county sees only its part of the campaign's list
    county = api_for(city.xuecheng).get(f"/api/hazards/?campaign={campaign.pk}").json()
    assert {row["id"] for row in county["results"]} == {xc}
    client = login(city.zhidui)
    assert hrefs(client.get(f"/hazards/?campaign={campaign.pk}").content, "/hazards/") == inside
    sheet = load_workbook(io.BytesIO(client.get(f"/hazards/export.xlsx?campaign={campaign.pk}").content)).active
    assert sheet.max_row == 1 + len(inside)
    page = client.get(f"/campaigns/{campaign.pk}/?tab=hazards").content.decode()
    assert f"/hazards/?campaign={campaign.pk}" in page
    # a campaign the user cannot see is not a valid choice
    hidden = Campaign.objects.create(name="滕州专项", issuer=city.tz_brigade, region=city.tz,
                                     starts_on=campaign.starts_on, ends_on=campaign.ends_on)
    assert api_for(city.xuecheng).get(f"/api/hazards/?campaign={hidden.pk}").status_code == 400


def test_measures_move_from_drafting_to_in_force(city, plan, api_for):  # noqa: F811
    campaign, top, schools, *_ = plan
    boss = api_for(city.zhidui)
    made = boss.post("/api/measures/", {"campaign": campaign.pk, "task": schools.pk, "title": "学校消防安全管理规定",
                                        "kind": "regulation", "owner": city.edu.pk}, format="json")
    assert made.status_code == 201, made.content
    measure = made.json()
    assert measure["status"] == "drafting" and measure["added_later"] is True
    owner = api_for(city.jiaoyu)
    missing = owner.post(f"/api/measures/{measure['id']}/advance/", {"on": f"{YEAR}-05-01"}, format="multipart")
    assert missing.status_code == 400 and "document_number" in missing.json()
    issued = owner.post(f"/api/measures/{measure['id']}/advance/", {
        "on": f"{YEAR}-05-01", "document_number": "枣教发〔2026〕12号", "document": upload("规定.jpg")},
        format="multipart")
    assert issued.status_code == 200 and issued.json()["status"] == "issued"
    assert len(issued.json()["document_sha256"]) == 64
    early = owner.post(f"/api/measures/{measure['id']}/advance/", {"on": f"{YEAR}-04-01"}, format="multipart")
    assert early.status_code == 400
    in_force = owner.post(f"/api/measures/{measure['id']}/advance/", {"on": f"{YEAR}-06-01"}, format="multipart")
    assert in_force.json()["status"] == "in_force" and in_force.json()["in_force_on"] == f"{YEAR}-06-01"
    again = owner.post(f"/api/measures/{measure['id']}/advance/", {}, format="multipart")
    assert again.status_code == 409


def test_lagging_agencies_are_held_to_account_and_answer(city, plan, api_for):  # noqa: F811
    campaign, top, schools, lanes, hospitals = plan
    boss = api_for(city.zhidui)
    record = boss.post("/api/accountability/", {"campaign": campaign.pk, "agency": city.health.pk,
                                                "kind": "interview", "reason": "医院消防安全整治推进不力",
                                                "tasks": [hospitals.pk], "follow_up_due": f"{YEAR}-12-15"},
                       format="json")
    assert record.status_code == 201, record.content
    record = record.json()
    assert api_for(city.xc_supervisor).post("/api/accountability/", {
        "campaign": campaign.pk, "agency": city.health.pk, "kind": "warning", "reason": "x"},
        format="json").status_code == 403  # only the issuing agency holds to account
    assert api_for(city.jiaoyu).get(f"/api/accountability/{record['id']}/").status_code == 404  # not its record
    answer = api_for(city.xc_jiaoyu).post(f"/api/accountability/{record['id']}/follow-up/",
                                          {"follow_up": "x"}, format="json")
    assert answer.status_code == 404
    boss.post(f"/api/accountability/{record['id']}/follow-up/", {"follow_up": "已约谈整改", "on": f"{YEAR}-11-01"},
              format="json")
    listed = boss.get("/api/accountability/", {"campaign": campaign.pk}).json()["results"]
    assert listed[0]["follow_up"] == "已约谈整改" and listed[0]["tasks"] == [hospitals.pk]


def test_the_campaign_tabs(city, plan, api_for, client):  # noqa: F811
    campaign, top, schools, lanes, hospitals = plan
    api_for(city.zhidui).post("/api/measures/", {"campaign": campaign.pk, "title": "消防车通道管理办法",
                                                 "kind": "policy", "owner": city.detachment.pk}, format="json")
    api_for(city.zhidui).post("/api/accountability/", {"campaign": campaign.pk, "agency": city.health.pk,
                                                       "kind": "warning", "reason": "医院整治滞后"}, format="json")
    _hazard(city, city.xc_hotel, local(YEAR, 3, 2, 10))
    client.force_login(city.zhidui)
    assert "消防车通道管理办法" in client.get(f"/campaigns/{campaign.pk}/", {"tab": "measures"}).content.decode()
    assert "医院整治滞后" in client.get(f"/campaigns/{campaign.pk}/", {"tab": "accountability"}).content.decode()
    hazards = client.get(f"/campaigns/{campaign.pk}/", {"tab": "hazards"})
    assert hazards.context["hazards"]["totals"]["found"] == 1 and "薛城区" in hazards.content.decode()
    client.force_login(city.xc_supervisor)
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert f"/campaigns/{campaign.pk}/derive/" in page
    assert client.post(f"/campaigns/{campaign.pk}/derive/").status_code == 302
    assert f"/campaigns/{campaign.pk}/derive/" not in client.get(f"/campaigns/{campaign.pk}/").content.decode()
    client.force_login(city.tengzhou)  # an inspector may not derive, even where no lists exist yet
    assert f"/campaigns/{campaign.pk}/derive/" not in client.get(f"/campaigns/{campaign.pk}/").content.decode()


def test_advancing_a_measure_reads_its_current_status(city, plan):  # noqa: F811
    """A caller holding an older copy of the measure still moves it one step from where it is."""
    from firegov.campaigns import services

    campaign, *_ = plan
    measure = services.add_measure(city.zhidui, campaign, {"title": "联合执法机制", "kind": "mechanism",
                                                           "owner": city.detachment})
    services.advance_measure(city.zhidui, measure, {"on": f"{YEAR}-03-01", "document_number": "枣消〔2026〕1号"})
    moved = services.advance_measure(city.zhidui, measure, {"on": f"{YEAR}-04-01"})  # the same, older copy
    assert moved.status == "in_force" and moved.document_number == "枣消〔2026〕1号"


def _report(api_for, user, task, percent, accept_by):
    api = api_for(user)
    report = api.post("/api/progress-reports/", {"task": task.pk, "period": f"{YEAR}-10", "done": "推进",
                                                 "percent": percent}, format="json").json()["id"]
    api.post(f"/api/progress-reports/{report}/transition/", {"action": "submit"}, format="json")
    answer = api_for(accept_by).post(f"/api/progress-reports/{report}/transition/", {"action": "accept"},
                                     format="json")
    assert answer.status_code == 200, answer.content


def test_the_public_board_ranks_agencies_and_regions(city, plan, api_for, client):  # noqa: F811
    from firegov.campaigns import services
    from firegov.campaigns.models import Task

    campaign, top, schools, lanes, hospitals = plan
    county = Campaign.objects.get(pk=api_for(city.xc_supervisor).post(
        f"/api/campaigns/{campaign.pk}/derive/", {}, format="json").json()["id"])
    _report(api_for, city.xc_jiaoyu, Task.objects.get(campaign=county, code="1.1"), 80, city.xc_supervisor)
    board = services.ranking(campaign)
    leaders = {e["agency"]: e["progress"] for e in board["agencies"][:2]}
    assert leaders == {city.xc_edu: 80.0, city.edu: 80.0}  # the city bureau's task is as far as its copy
    assert [e["region"].name for e in board["regions"]] == ["薛城区"]
    # the county list: 1 = (1.1 at 80 + 1.2 at 0) / 2 = 40, and 2 at 0; the two top items weigh the same
    assert board["regions"][0]["progress"] == 20.0
    assert board["overall"] == 20.0  # the city's tasks are as far as their (one) county copy

    assert client.get(f"/public/campaigns/{campaign.pk}/").status_code == 404  # not public yet
    Campaign.objects.filter(pk=campaign.pk).update(public=True)
    page = client.get(f"/public/campaigns/{campaign.pk}/")  # no login
    assert page.status_code == 200
    html = page.content.decode()
    assert "薛城区教育和体育局" in html and "80.0%" in html
    assert campaign.name in client.get("/public/campaigns/").content.decode()
    assert client.get(f"/public/campaigns/{county.pk}/").status_code == 404  # boards are per campaign
