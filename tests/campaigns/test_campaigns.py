"""Campaigns through the API and the pages: a city's task list, a county's derived lists, progress
reports from draft to accepted, roll-up to the city's tasks, scoping and refusals."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from firegov.campaigns.models import Campaign, ProgressReport

YEAR = timezone.localdate().year


def test_the_task_list_gets_codes_in_tree_order(city, plan, api_for):
    campaign, top, schools, lanes, hospitals = plan
    assert [top.code, schools.code, lanes.code, hospitals.code] == ["1", "1.1", "1.2", "2"]
    assert campaign.phases.count() == 2
    assert list(schools.cooperating.all()) == [city.health]
    rows = api_for(city.zhidui).get(f"/api/campaigns/{campaign.pk}/progress/").json()
    assert [r["code"] for r in rows] == ["1", "1.1", "1.2", "2"]


def test_a_county_derives_its_lists_and_its_reports_roll_up_to_the_city(city, plan, api_for):
    campaign, top, schools, lanes, hospitals = plan
    response = api_for(city.xc_supervisor).post(f"/api/campaigns/{campaign.pk}/derive/", {}, format="json")
    assert response.status_code == 201, response.content
    county = Campaign.objects.get(pk=response.json()["id"])
    assert county.parent == campaign and county.region == city.xc and county.issuer == city.xc_brigade
    copies = {t.code: t for t in county.tasks.all()}
    assert set(copies) == {"1", "1.1", "1.2", "2"}
    assert copies["1.1"].source == schools and copies["1.1"].lead == city.xc_edu  # the county's counterpart
    assert copies["2"].lead == city.health  # no county health department: the city's stays accountable
    assert copies["1.1"].milestones.count() == 1

    officer = api_for(city.xc_jiaoyu)
    draft = officer.post("/api/progress-reports/", {"task": copies["1.1"].pk, "period": f"{YEAR}-10",
                                                    "done": "排查学校32所，整改隐患15处", "percent": "60"}, format="json")
    assert draft.status_code == 201, draft.content
    report = draft.json()["id"]
    assert officer.post(f"/api/progress-reports/{report}/transition/", {"action": "submit"},
                        format="json").status_code == 200
    accepted = api_for(city.xc_supervisor).post(f"/api/progress-reports/{report}/transition/", {"action": "accept"},
                                                format="json")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert [e["action"] for e in accepted.json()["events"]] == ["submit", "accept"]

    rows = {r["code"]: r for r in api_for(city.zhidui).get(f"/api/campaigns/{campaign.pk}/progress/").json()}
    assert rows["1.1"]["progress"] == 60.0  # the city's task is as far as its (one) copy
    assert rows["1"]["progress"] == 30.0  # 1.1 at 60 and 1.2 at 0, equal weights
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    before = {r["code"]: r for r in api_for(city.zhidui).get(f"/api/campaigns/{campaign.pk}/progress/",
                                                             {"on": yesterday}).json()}
    assert before["1.1"]["progress"] == 0.0  # accepted today: not yet on the day before


def test_who_sees_what(city, plan, api_for):
    campaign, top, schools, lanes, hospitals = plan
    county = Campaign.objects.get(pk=api_for(city.xc_supervisor).post(f"/api/campaigns/{campaign.pk}/derive/", {},
                                                                      format="json").json()["id"])
    assert {c["id"] for c in api_for(city.tengzhou).get("/api/campaigns/").json()["results"]} == {campaign.pk}
    assert {c["id"] for c in api_for(city.zhidui).get("/api/campaigns/").json()["results"]} == {campaign.pk, county.pk}
    assert api_for(city.tengzhou).get(f"/api/campaigns/{county.pk}/").status_code == 404
    codes = sorted((t["campaign"], t["code"]) for t in api_for(city.jiaoyu).get("/api/tasks/").json()["results"])
    assert codes == [(campaign.pk, "1.1")]  # the city's education bureau: the task it leads
    health = sorted(t["code"] for t in api_for(city.xc_jiaoyu).get("/api/tasks/").json()["results"])
    assert health == ["1.1"]  # the county bureau leads the county's copy
    assert api_for(city.danwei).get("/api/campaigns/").status_code == 404  # unit managers take no part


def test_report_refusals(city, plan, api_for):
    campaign, top, schools, lanes, hospitals = plan
    jiaoyu = api_for(city.jiaoyu)
    refused = jiaoyu.post("/api/progress-reports/", {"task": lanes.pk, "done": "x", "percent": 10}, format="json")
    # A task it neither leads nor cooperates on is not even visible: the answer a missing task gets.
    assert refused.status_code == 400
    missing = jiaoyu.post("/api/progress-reports/", {"task": 10**9, "done": "x", "percent": 10}, format="json")
    assert refused.json()["task"] == [missing.json()["task"][0].replace(str(10**9), str(lanes.pk))]
    report = jiaoyu.post("/api/progress-reports/", {"task": schools.pk, "period": f"{YEAR}-11", "done": "推进中",
                                                     "percent": 140}, format="json")
    assert report.status_code == 400 and "percent" in report.json()
    report = jiaoyu.post("/api/progress-reports/", {"task": schools.pk, "period": f"{YEAR}-11", "done": "推进中",
                                                     "percent": 40}, format="json").json()["id"]
    boss = api_for(city.zhidui)
    early = boss.post(f"/api/progress-reports/{report}/transition/", {"action": "accept"}, format="json")
    assert early.status_code == 409 and early.json()["code"] == "wrong_state"
    assert "草稿" in early.json()["detail"] or "Draft" in early.json()["detail"]
    assert jiaoyu.post(f"/api/progress-reports/{report}/transition/", {"action": "submit"},
                       format="json").status_code == 200
    assert jiaoyu.patch(f"/api/progress-reports/{report}/", {"percent": 50}, format="json").status_code == 400
    assert jiaoyu.post(f"/api/progress-reports/{report}/transition/", {"action": "accept"},
                       format="json").status_code == 403  # a department does not review
    other = api_for(city.xc_supervisor).post(f"/api/progress-reports/{report}/transition/", {"action": "accept"},
                                             format="json")
    assert other.status_code == 403  # the county brigade sees the city's reports but does not review them
    bare = boss.post(f"/api/progress-reports/{report}/transition/", {"action": "return"}, format="json")
    assert bare.status_code == 400 and "note" in bare.json()
    returned = boss.post(f"/api/progress-reports/{report}/transition/", {"action": "return", "note": "补充数据"},
                         format="json")
    assert returned.json()["status"] == "returned" and returned.json()["comment"] == "补充数据"
    assert jiaoyu.patch(f"/api/progress-reports/{report}/", {"percent": 45}, format="json").status_code == 200
    assert ProgressReport.objects.get(pk=report).percent == 45


def test_only_the_issuer_writes_the_list(city, plan, api_for):
    campaign, top, *_ = plan
    answer = api_for(city.xc_supervisor).post("/api/tasks/", {"campaign": campaign.pk, "title": "越权任务",
                                                             "lead": city.xc_brigade.pk}, format="json")
    assert answer.status_code == 403
    outside = api_for(city.zhidui).post("/api/tasks/", {"campaign": campaign.pk, "title": "日期越界",
                                                        "lead": city.detachment.pk, "due_on": f"{YEAR + 1}-03-01"},
                                        format="json")
    assert outside.status_code == 400 and "due_on" in outside.json()


def test_the_pages(city, plan, client, api_for):
    campaign, top, schools, *_ = plan
    client.force_login(city.zhidui)
    html = client.get("/campaigns/").content.decode()
    assert campaign.name in html
    page = client.get(f"/campaigns/{campaign.pk}/")
    assert page.status_code == 200 and "学校消防安全整治" in page.content.decode()
    assert 'class="lag' in page.content.decode()
    client.force_login(city.jiaoyu)
    task_page = client.get(f"/campaigns/tasks/{schools.pk}/").content.decode()
    assert 'name="percent"' in task_page  # the lead agency may report
    response = client.post(f"/campaigns/tasks/{schools.pk}/", {"action": "save", "period": f"{YEAR}-09",
                                                               "percent": "30", "done": "完成排查"})
    assert response.status_code == 302
    assert ProgressReport.objects.get(task=schools).status == "draft"
    client.force_login(city.tengzhou)
    assert client.get(f"/campaigns/tasks/{schools.pk}/").status_code == 200  # sees the city's plan
    assert 'name="percent"' not in client.get(f"/campaigns/tasks/{schools.pk}/").content.decode()


def test_no_report_is_missing_before_the_campaigns_first_full_month(city, api_for):
    today = timezone.localdate()
    api = api_for(city.zhidui)
    campaign = api.post("/api/campaigns/", {"name": "冬春火灾防控", "starts_on": today.replace(day=1).isoformat(),
                                            "ends_on": (today + timedelta(days=120)).isoformat()},
                        format="json").json()
    api.post("/api/tasks/", {"campaign": campaign["id"], "title": "人员密集场所排查", "lead": city.detachment.pk},
             format="json")
    row = api.get(f"/api/campaigns/{campaign['id']}/progress/").json()[0]
    assert not any("未报送" in reason or "missing" in reason for reason in row["reasons"]), row


def test_a_task_done_counts_as_done_only_from_that_day(city, plan, api_for):
    campaign, top, schools, lanes, hospitals = plan
    api = api_for(city.zhidui)
    assert api.post(f"/api/tasks/{hospitals.pk}/status/", {"status": "done"}, format="json").status_code == 200
    today = timezone.localdate()
    now = {r["code"]: r["progress"] for r in api.get(f"/api/campaigns/{campaign.pk}/progress/").json()}
    before = {r["code"]: r["progress"] for r in api.get(
        f"/api/campaigns/{campaign.pk}/progress/", {"on": (today - timedelta(days=1)).isoformat()}).json()}
    assert now["2"] == 100.0 and before["2"] == 0.0


def test_not_a_number_is_a_clear_error_on_the_page(city, plan, client):
    """The API's serializers refuse NaN; the page goes straight to the service, which must too."""
    campaign, top, schools, *_ = plan
    client.force_login(city.jiaoyu)
    response = client.post(f"/campaigns/tasks/{schools.pk}/", {"action": "save", "period": f"{YEAR}-10",
                                                               "percent": "NaN", "done": "推进"})
    assert response.status_code == 200 and not ProgressReport.objects.exists()
