"""The premises registry through its pages and API."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from stdnum.cn import uscc as stdnum_uscc

from firegov.core.models import Agency, AgencyKind, Deadline
from firegov.kernels.uscc import make as make_uscc
from firegov.registry.models import Unit
from tests.core.test_audit import unit_post_data

VALID_USCC = make_uscc("9", "1", "370403", "MA3C12345")


def test_generated_code_is_valid_for_stdnum():
    assert stdnum_uscc.is_valid(VALID_USCC)


def test_create_unit_with_valid_credit_code_and_classification(city, client):
    client.force_login(city.xuecheng)
    response = client.post("/units/new/", unit_post_data(city, uscc=VALID_USCC, attr_guest_rooms="50"))
    assert response.status_code == 302
    unit = Unit.objects.get(uscc=VALID_USCC)
    assert unit.key_unit and unit.crowded_place and unit.public_gathering
    assert unit.region_path == city.xc_comm.path
    page = client.get(f"/units/{unit.pk}/?tab=classification").content.decode()
    assert "公通字〔2001〕97号" in page


def test_wrong_check_character_gives_a_clear_error(city, client):
    client.force_login(city.xuecheng)
    wrong = VALID_USCC[:-1] + ("0" if VALID_USCC[-1] != "0" else "1")
    response = client.post("/units/new/", unit_post_data(city, uscc=wrong))
    assert response.status_code == 200
    html = response.content.decode()
    assert "统一社会信用代码" in html and VALID_USCC[-1] in html
    assert not Unit.objects.filter(name="新建测试酒店").exists()


def test_duplicate_credit_code_is_refused(city, client):
    city.tz_restaurant.uscc = VALID_USCC
    city.tz_restaurant.save()
    client.force_login(city.xuecheng)
    response = client.post("/units/new/", unit_post_data(city, uscc=VALID_USCC))
    assert response.status_code == 200
    assert Unit.objects.filter(uscc=VALID_USCC).count() == 1


def test_cannot_create_unit_outside_jurisdiction(city, client, api_for):
    client.force_login(city.xuecheng)
    response = client.post("/units/new/", unit_post_data(city, region=city.tz_comm.pk))
    assert response.status_code == 200
    assert not Unit.objects.filter(name="新建测试酒店").exists()
    api = api_for(city.xuecheng)
    response = api.post("/api/units/", {"name": "越界单位", "place_type": "hotel", "region": city.tz_comm.pk,
                                        "address": "滕州某路"}, format="json")
    assert response.status_code == 400 and "region" in response.json()


def test_bad_attribute_values_are_rejected(city, api_for):
    api = api_for(city.xuecheng)
    response = api.post("/api/units/", {"name": "坏属性", "place_type": "hotel", "region": city.xc_comm.pk,
                                        "address": "某路", "attributes": {"guest_rooms": -3}}, format="json")
    assert response.status_code == 400
    assert "attributes" in response.json()
    response = api.post("/api/units/", {"name": "坏属性", "place_type": "castle", "region": city.xc_comm.pk,
                                        "address": "某路"}, format="json")
    assert response.status_code == 400 and "place_type" in response.json()


def test_classification_recomputes_when_attributes_change(city, api_for):
    api = api_for(city.xuecheng)
    unit = city.xc_hotel
    assert unit.key_unit
    response = api.patch(f"/api/units/{unit.pk}/", {"attributes": {"guest_rooms": 49}}, format="json")
    assert response.status_code == 200
    assert response.json()["key_unit"] is False
    response = api.patch(f"/api/units/{unit.pk}/", {"attributes": {"guest_rooms": 50}}, format="json")
    assert response.json()["key_unit"] is True
    assert any("客房" in r["text"] for r in response.json()["classification"])


def test_unit_manager_edits_own_unit_but_cannot_move_it(city, api_for):
    api = api_for(city.danwei)
    response = api.patch(f"/api/units/{city.xc_hotel.pk}/", {"safety_manager": "赵六", "region": city.tz_comm.pk},
                         format="json")
    assert response.status_code in (200, 400)
    city.xc_hotel.refresh_from_db()
    assert city.xc_hotel.region_id == city.xc_grid.pk
    assert api.post("/api/units/", {"name": "x", "place_type": "hotel", "region": city.xc_comm.pk,
                                    "address": "y"}, format="json").status_code == 403


def test_a_unit_manager_sends_its_record_back_unchanged(city, api_for):
    api = api_for(city.danwei)
    record = api.get(f"/api/units/{city.xc_hotel.pk}/").json()
    record["safety_manager"] = "赵六"
    response = api.patch(f"/api/units/{city.xc_hotel.pk}/", {k: record[k] for k in (
        "name", "region", "department", "address", "safety_manager")}, format="json")
    assert response.status_code == 200, response.content
    city.xc_hotel.refresh_from_db()
    assert (city.xc_hotel.safety_manager, city.xc_hotel.region_id) == ("赵六", city.xc_grid.pk)


def test_a_unit_manager_edits_its_unit_on_the_page(city, client):
    client.force_login(city.danwei)
    page = client.get(f"/units/{city.xc_hotel.pk}/edit/").content.decode()
    assert "第一网格" in page and "disabled" in page
    data = unit_post_data(city, name="薛城宾馆", safety_manager="钱七", region=city.tz_comm.pk,
                          department=city.edu.pk, status="closed", attr_guest_rooms="80")
    response = client.post(f"/units/{city.xc_hotel.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    city.xc_hotel.refresh_from_db()
    assert city.xc_hotel.safety_manager == "钱七"
    assert (city.xc_hotel.region_id, city.xc_hotel.department_id, city.xc_hotel.status) == (
        city.xc_grid.pk, None, "operating")


def test_the_supervising_department_covers_the_unit(city, client, api_for):
    """A county unit may be supervised by its county's bureau or the city's, never by a bureau of
    another county (pages, API and import offer and take the same departments)."""
    tz_health = Agency.objects.create(name="滕州市卫生健康局", kind=AgencyKind.DEPARTMENT, region=city.tz,
                                      sector="health")
    client.force_login(city.xuecheng)
    form = client.get("/units/new/").content.decode()
    assert "枣庄市教育局" in form and "薛城区教育和体育局" in form and "滕州市卫生健康局" not in form
    assert client.post("/units/new/", unit_post_data(city, department=city.edu.pk)).status_code == 302
    assert Unit.objects.get(name="新建测试酒店").department == city.edu
    answer = client.post("/units/new/", unit_post_data(city, name="越界主管", department=tz_health.pk))
    assert answer.status_code == 200 and not Unit.objects.filter(name="越界主管").exists()
    # The detachment sees both counties' bureaus, but one county's bureau supervises nothing in the other.
    api = api_for(city.zhidui)
    body = {"name": "滕州某医院", "place_type": "hospital", "region": city.tz_comm.pk, "address": "滕州某路"}
    wrong = api.post("/api/units/", {**body, "department": city.xc_edu.pk}, format="json")
    assert wrong.status_code == 400 and "薛城区教育和体育局" in wrong.json()["department"][0]
    assert api.post("/api/units/", {**body, "department": tz_health.pk}, format="json").status_code == 201
    moved = api.patch(f"/api/units/{city.xc_school.pk}/", {"region": city.tz_comm.pk}, format="json")
    assert moved.status_code == 400 and "department" in moved.json()
    city.xc_school.refresh_from_db()
    assert city.xc_school.region_id == city.xc_comm.pk


def test_department_officer_sees_only_own_sector(city, api_for):
    body = api_for(city.xc_jiaoyu).get("/api/units/").json()
    assert [u["name"] for u in body["results"]] == [city.xc_school.name]


def test_list_filters_sorting_and_pagination(city, client):
    client.force_login(city.admin)
    page = client.get("/units/", {"place_type": "school"}).content.decode()
    assert city.xc_school.name in page and city.xc_hotel.name not in page
    page = client.get("/units/", {"classification": "key_unit"}).content.decode()
    assert city.xc_hotel.name in page and city.tz_restaurant.name not in page
    page = client.get("/units/", {"region": city.tz.pk}).content.decode()
    assert city.tz_school.name in page and city.xc_school.name not in page
    page = client.get("/units/", {"q": "小吃"}).content.decode()
    assert city.tz_restaurant.name in page and city.tz_school.name not in page
    response = client.get("/units/", {"o": "name"})
    assert response.status_code == 200
    htmx = client.get("/units/", {"place_type": "school"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in htmx and city.xc_school.name in htmx


def test_export_is_exactly_the_filtered_list(city, client):
    client.force_login(city.admin)
    response = client.get("/units/export.xlsx", {"place_type": "school"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert {r[2] for r in rows[1:]} == {city.xc_school.name, city.tz_school.name}
    assert rows[0][2] == "单位名称"


def test_soft_delete_keeps_the_record(city, client):
    client.force_login(city.xc_supervisor)
    client.post(f"/units/{city.xc_hotel.pk}/delete/")
    unit = Unit.objects.get(pk=city.xc_hotel.pk)
    assert unit.deleted_at is not None and unit.status == "closed"
    assert client.get(f"/units/{unit.pk}/").status_code == 404
    assert client.get(f"/history/registry.unit/{unit.pk}/").status_code == 200


def test_inspector_cannot_delete(city, client):
    client.force_login(city.xuecheng)
    assert client.post(f"/units/{city.xc_hotel.pk}/delete/").status_code == 404
    assert Unit.objects.alive().filter(pk=city.xc_hotel.pk).exists()


def test_key_unit_without_safety_manager_gets_a_reminder(city):
    unit = city.xc_hotel
    assert unit.key_unit and not unit.safety_manager
    deadline = Deadline.objects.get(object_id=str(unit.pk), purpose="registry.key_unit_manager")
    assert deadline.state == "open"
    unit.safety_manager = "李四"
    unit.save()
    deadline.refresh_from_db()
    assert deadline.state == "done"
    assert not Deadline.objects.filter(object_id=str(city.tz_restaurant.pk)).exists()


def test_unit_pages_render(city, client):
    client.force_login(city.admin)
    for tab in ("overview", "classification", "buildings", "files", "deadlines"):
        assert client.get(f"/units/{city.xc_hotel.pk}/", {"tab": tab}).status_code == 200
    for url in ("/", "/units/map/", "/units/new/", f"/units/{city.xc_hotel.pk}/edit/", "/communities/",
                "/regions/", "/agencies/", "/inbox/", "/units/import/", "/communities/new/"):
        assert client.get(url).status_code == 200, url


def test_english_interface(city, client):
    client.force_login(city.admin)
    client.post("/i18n/setlang/", {"language": "en", "next": "/units/"})
    page = client.get("/units/").content.decode()
    assert "Units" in page and "Export to Excel" in page
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/units/"})
    assert "导出" in client.get("/units/").content.decode()


def test_api_schema_and_docs(city, client):
    client.force_login(city.admin)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/units/" in schema.content
    assert client.get("/api/docs/").status_code == 200


def test_token_login(city, client):
    from rest_framework.test import APIClient

    api = APIClient()
    response = api.post("/api/auth/token/", {"username": "tengzhou", "password": "Firegov-2026"}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    body = api.get("/api/units/").json()
    assert body["count"] == 2 and "results" in body
    bad = APIClient().post("/api/auth/token/", {"username": "tengzhou", "password": "wrong"}, format="json")
    assert bad.status_code == 400


@pytest.mark.parametrize("path", ["/api/communities/", "/api/regions/", "/api/agencies/", "/api/units/"])
def test_api_lists_are_paginated(city, api_for, path):
    body = api_for(city.admin).get(path).json()
    assert set(body) >= {"count", "results", "next", "previous"}


def test_a_province_switches_to_its_own_key_unit_table(city, settings, tmp_path):
    """Rule tables are versioned data: a stricter provincial table reclassifies every unit."""
    import json
    from pathlib import Path

    from django.core.management import call_command

    import firegov.kernels as kernels

    table = json.loads((Path(kernels.__file__).parent / "rules" / "key_units_national_2001.json").read_text("utf-8"))
    table["id"] = "key-units/testprovince-2023"
    for rule in table["rules"]:
        if rule["id"] == "1.2":
            rule["criteria"]["all"][0]["value"] = 100
            rule["clause"] = "某省界定标准（2023）第1条"
    (tmp_path / "key-units_testprovince-2023.json").write_text(json.dumps(table, ensure_ascii=False), "utf-8")
    settings.FIREGOV = {**settings.FIREGOV, "RULES_DIR": str(tmp_path),
                        "KEY_UNIT_TABLE": "key-units/testprovince-2023"}
    assert city.xc_hotel.key_unit  # 80 rooms under the national table
    call_command("reclassify")
    city.xc_hotel.refresh_from_db()
    assert not city.xc_hotel.key_unit
    assert city.xc_hotel.classified_with.startswith("key-units/testprovince-2023")


def test_region_filter_lists_upper_levels_but_accepts_any(city, client, api_for):
    client.force_login(city.admin)
    html = client.get("/units/").content.decode()
    assert "临城街道" in html and "泰山路社区" not in html.split('name="region"')[1].split("</select>")[0]
    body = api_for(city.admin).get("/api/units/", {"region": city.xc_grid.pk}).json()
    assert [u["name"] for u in body["results"]] == [city.xc_hotel.name]


def test_deep_pages_hold_the_right_rows(city, client, api_for):
    from tests.conftest import make_unit

    for i in range(120):
        make_unit(city.xc_comm, f"批量单位{i:03d}", "small_place")
    client.force_login(city.xuecheng)
    page3 = client.get("/units/", {"page": 3, "q": "批量"}).context["page"]
    assert [u.name for u in page3] == [f"批量单位{i:03d}" for i in range(19, -1, -1)]
    body = api_for(city.xuecheng).get("/api/units/", {"page": 2, "q": "批量", "o": "name"}).json()
    assert [u["name"] for u in body["results"]] == [f"批量单位{i:03d}" for i in range(50, 100)]
    assert body["count"] == 120


def test_filter_form_keeps_the_selection(city, client):
    client.force_login(city.admin)
    html = client.get("/units/", {"place_type": ["hotel", "school"], "region": city.xc.pk,
                                  "classification": "key_unit"}).content.decode()
    assert '<option value="hotel" selected>' in html and '<option value="school" selected>' in html
    assert f'<option value="{city.xc.pk}" selected>' in html
    assert '<option value="key_unit" selected>' in html
    assert re.search(r'<select (?=[^>]*name="place_type")(?=[^>]*multiple)[^>]*>', html)


def test_search_count_is_capped_on_the_page(city, client, settings, monkeypatch):
    from firegov.registry import search
    from tests.conftest import make_unit

    monkeypatch.setattr(search, "COUNT_CAP", 30)
    for i in range(40):
        make_unit(city.xc_comm, f"搜索单位{i:02d}", "small_place")
    client.force_login(city.xuecheng)
    response = client.get("/units/", {"q": "搜索"})
    assert response.context["page"].paginator.capped
    assert len(response.context["page"]) == 40  # the page itself is not cut at the cap
    assert "30" in response.content.decode()
    exact = client.get("/units/", {"place_type": "small_place"}).context["page"].paginator
    assert not exact.capped and exact.count == 40


def test_search_count_is_capped_in_the_api_as_on_the_page(city, api_for, monkeypatch):
    """A search counts up to the cap and says so; next pages still reach every unit. A list that is
    not a search counts exactly, past the cap."""
    from firegov.registry import search
    from tests.conftest import make_unit

    monkeypatch.setattr(search, "COUNT_CAP", 30)
    for i in range(40):
        make_unit(city.xc_comm, f"搜索单位{i:02d}", "small_place")
    client = api_for(city.xuecheng)
    body = client.get("/api/units/", {"q": "搜索", "page_size": 25}).json()
    assert (body["count"], body["count_capped"], len(body["results"])) == (30, True, 25)
    second = client.get(body["next"]).json()
    assert len(second["results"]) == 15 and second["next"] is None
    assert {u["name"] for u in body["results"] + second["results"]} == {f"搜索单位{i:02d}" for i in range(40)}
    assert client.get("/api/units/", {"q": "搜索单位0"}).json()["count_capped"] is False
    # The last page of a capped search is not known (it would be a page in the middle)...
    last = client.get("/api/units/", {"q": "搜索", "page_size": 25, "page": "last"})
    assert last.status_code == 404 and "next" in last.json()["detail"]
    # ...of an exact count it is.
    last = client.get("/api/units/", {"q": "搜索单位0", "page_size": 4, "page": "last"}).json()
    assert [u["name"] for u in last["results"]] == ["搜索单位01", "搜索单位00"] and last["next"] is None
    exact = client.get("/api/units/", {"place_type": "small_place"}).json()
    assert (exact["count"], exact["count_capped"]) == (40, False)
