"""Who may plan, commit, run and read random draws (双随机), through the pages and the API.

Fire leaders (the system administrator, the detachment, a brigade supervisor) act within their
jurisdiction. An inspector reads the plans and draws but does not act. Department officers, grid
workers, unit managers, monitoring operators and users without a role never see them (404), nor does
a leader of another county see this county's (404).
"""

from __future__ import annotations

import json

import pytest

from firegov.core.models import Role, User
from firegov.inspections import draws
from firegov.inspections.models import Draw, DrawPlan, Inspection

RULES = {"inspectors_per_unit": 2, "strata": [{"code": "all", "label": "全部", "filter": {}, "ratio": 1}]}

LEADERS = ["admin", "zhidui", "xc_supervisor"]
READER = ["xuecheng"]
REFUSED = "您的角色无权进行双随机抽取。"  # "Your role may not run random draws."
HIDDEN = ["jiaoyu", "xc_jiaoyu", "wangge", "danwei", "jiankong", "nobody"]
OTHER_COUNTY = ["tz_supervisor"]
EVERYONE = LEADERS + READER + HIDDEN + OTHER_COUNTY


@pytest.fixture
def people(city):
    found = {name: getattr(city, name) for name in EVERYONE if name != "tz_supervisor"}
    found["tz_supervisor"] = User.objects.create_user("tz_dd", password="x", role=Role.BRIGADE_SUPERVISOR,
                                                      agency=city.tz_brigade)
    return found


@pytest.fixture
def plan(city):
    return DrawPlan.objects.create(agency=city.xc_brigade, year=2026, name="薛城区2026年计划", rules=RULES)


@pytest.fixture
def committed(city, plan):
    return draws.commit(city.xc_supervisor, plan, "2026-03")


@pytest.fixture
def drawn(city, plan):
    return draws.run(city.xc_supervisor, draws.commit(city.xc_supervisor, plan, "2026-04"))


def test_the_roles_cover_the_fixture_city(people):
    assert {user.role for user in people.values()} == set(Role.values) | {""}


# --------------------------------------------------------------------------- pages


@pytest.mark.parametrize("who", EVERYONE)
def test_page_create_plan(who, city, people, client):
    client.force_login(people[who])
    response = client.post("/inspections/draws/", {"agency": city.xc_brigade.pk, "year": 2027, "name": "计划",
                                                   "rules": json.dumps(RULES)})
    plans = DrawPlan.objects.filter(agency=city.xc_brigade, year=2027)
    if who in LEADERS:
        assert response.status_code == 302 and response["Location"].endswith(f"/plans/{plans.get().pk}/")
    else:
        assert response.status_code == (404 if who in HIDDEN else 200)
        assert not plans.exists()


@pytest.mark.parametrize("who", EVERYONE)
def test_page_commit(who, people, plan, client):
    client.force_login(people[who])
    response = client.post(f"/inspections/draws/plans/{plan.pk}/", {"period": "2026-05"})
    if who in LEADERS:
        draw = Draw.objects.get(plan=plan, period="2026-05")
        assert response.status_code == 302 and response["Location"].endswith(f"/inspections/draws/{draw.pk}/")
        assert draw.committed_by == people[who] and draw.inputs_sha256
    else:
        assert response.status_code == (200 if who in READER else 404)
        assert (REFUSED in response.content.decode()) == (who in READER)
        assert not Draw.objects.filter(plan=plan).exists()


@pytest.mark.parametrize("who", EVERYONE)
def test_page_run(who, people, committed, client):
    client.force_login(people[who])
    response = client.post(f"/inspections/draws/{committed.pk}/")
    committed.refresh_from_db()
    if who in LEADERS or who in READER:
        assert response.status_code == 302  # back to the draw page, with a message when refused
        assert (REFUSED in client.get(response["Location"]).content.decode()) == (who in READER)
    else:
        assert response.status_code == 404
    if who in LEADERS:
        assert committed.state == "drawn" and committed.drawn_by == people[who]
        assert Inspection.objects.filter(assignment__draw=committed).count() == 2
    else:
        assert committed.state == "committed" and not Inspection.objects.filter(assignment__draw=committed).exists()


@pytest.mark.parametrize("who", EVERYONE)
def test_pages_to_read(who, people, plan, drawn, client):
    client.force_login(people[who])
    plan_list = client.get("/inspections/draws/")
    pages = [client.get(f"/inspections/draws/plans/{plan.pk}/"), client.get(f"/inspections/draws/{drawn.pk}/"),
             client.get(f"/inspections/draws/{drawn.pk}/?file=units")]
    if who in HIDDEN:
        assert plan_list.status_code == 404 and [p.status_code for p in pages] == [404, 404, 404]
        return
    assert plan_list.status_code == 200
    assert (plan.name in plan_list.content.decode()) == (who not in OTHER_COUNTY)
    if who in OTHER_COUNTY:
        assert [p.status_code for p in pages] == [404, 404, 404]
    else:
        assert [p.status_code for p in pages] == [200, 200, 200]
        assert pages[2].json() == drawn.units
        # Only leaders get the buttons.
        assert ('name="period"' in pages[0].content.decode()) == (who in LEADERS)


def test_the_public_pages_need_no_login(plan, committed, drawn, client):
    assert client.get("/public/draws/").status_code == 200
    before = client.get(f"/public/draws/{committed.pk}/").content.decode()
    assert committed.seed_sha256 in before and committed.seed not in before
    assert committed.inputs_sha256["units"] in before and "进行抽取" not in before
    assert client.get(f"/public/draws/{committed.pk}/?file=result").status_code == 404
    after = client.get(f"/public/draws/{drawn.pk}/").content.decode()
    assert drawn.seed in after and drawn.inputs_sha256["rules"] in after
    assert client.post(f"/public/draws/{committed.pk}/").status_code in (200, 405)
    committed.refresh_from_db()
    assert committed.state == "committed"


# --------------------------------------------------------------------------- API


@pytest.mark.parametrize("who", EVERYONE)
def test_api_list_and_read(who, people, plan, drawn, api_for):
    api = api_for(people[who])
    plan_list, draw_list = api.get("/api/draw-plans/"), api.get("/api/draws/")
    one_plan, one_draw = api.get(f"/api/draw-plans/{plan.pk}/"), api.get(f"/api/draws/{drawn.pk}/")
    files, report = api.get(f"/api/draws/{drawn.pk}/files/"), api.get(f"/api/draws/{drawn.pk}/verify/")
    statuses = [r.status_code for r in (plan_list, draw_list, one_plan, one_draw, files, report)]
    if who in HIDDEN:
        assert statuses == [404] * 6
    elif who in OTHER_COUNTY:
        assert statuses == [200, 200, 404, 404, 404, 404]
        assert plan_list.json()["results"] == [] and draw_list.json()["results"] == []
    else:
        assert statuses == [200] * 6
        assert [p["id"] for p in plan_list.json()["results"]] == [plan.pk]
        assert one_draw.json()["inputs_sha256"] == drawn.inputs_sha256
        assert files.json()["units"] == drawn.units and report.json()["ok"] is True


@pytest.mark.parametrize("who", EVERYONE)
def test_api_commit(who, people, plan, api_for):
    response = api_for(people[who]).post(f"/api/draw-plans/{plan.pk}/commit/", {"period": "2026-06"}, format="json")
    if who in LEADERS:
        assert response.status_code == 201
        body = response.json()
        draw = Draw.objects.get(plan=plan, period="2026-06")
        assert body["seed"] is None and body["seed_sha256"] == draw.seed_sha256
        assert body["inputs_sha256"] == draw.inputs_sha256 and set(draw.inputs_sha256) == {"units", "inspectors",
                                                                                           "rules"}
    else:
        assert response.status_code == (403 if who in READER else 404)
        assert not Draw.objects.filter(plan=plan).exists()


@pytest.mark.parametrize("who", EVERYONE)
def test_api_run(who, people, committed, api_for):
    response = api_for(people[who]).post(f"/api/draws/{committed.pk}/run/")
    committed.refresh_from_db()
    if who in LEADERS:
        assert response.status_code == 200 and response.json()["seed"] == committed.seed
        assert committed.state == "drawn"
    else:
        assert response.status_code == (403 if who in READER else 404)
        assert committed.state == "committed" and committed.drawn_by is None


@pytest.mark.parametrize("who", LEADERS)
def test_api_refusals_of_leaders(who, people, plan, committed, drawn, api_for):
    api = api_for(people[who])
    assert api.post(f"/api/draws/{drawn.pk}/run/").json()["code"] == "drawn"
    assert api.post(f"/api/draw-plans/{plan.pk}/commit/", {"period": "2026-03"}, format="json").status_code == 409
    assert api.post(f"/api/draw-plans/{plan.pk}/commit/", {"period": "2025-03"}, format="json").status_code == 400
    assert api.post(f"/api/draw-plans/{plan.pk}/commit/", {"period": 202603}, format="json").status_code == 400
    assert api.get(f"/api/draws/{committed.pk}/verify/").status_code == 409  # nothing to verify yet
    assert set(api.get(f"/api/draws/{committed.pk}/files/").json()) == {"commitment"}
    assert Draw.objects.filter(plan=plan).count() == 2


def test_the_api_needs_a_login(plan, drawn, api_for):
    api = api_for(None)
    assert api.get("/api/draw-plans/").status_code in (401, 403)
    assert api.post(f"/api/draw-plans/{plan.pk}/commit/", {"period": "2026-07"}, format="json").status_code in (
        401, 403)
    assert not Draw.objects.filter(period="2026-07").exists()
