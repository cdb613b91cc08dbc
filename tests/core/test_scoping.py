"""Jurisdiction: every role × region on every list, detail, export, map and API endpoint.

Outsiders get 404; nothing leaks through search, filters, exports or counts.
"""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from firegov.core.scoping import path_successor, subtree_q
from firegov.registry.models import Unit

# Which demo units each user may see.
VISIBLE = {
    "admin": {"xc_hotel", "xc_school", "tz_school", "tz_restaurant"},
    "zhidui": {"xc_hotel", "xc_school", "tz_school", "tz_restaurant"},
    "jiankong": {"xc_hotel", "xc_school", "tz_school", "tz_restaurant"},
    "xuecheng": {"xc_hotel", "xc_school"},
    "xc_supervisor": {"xc_hotel", "xc_school"},
    "tengzhou": {"tz_school", "tz_restaurant"},
    "jiaoyu": {"xc_school", "tz_school"},
    "xc_jiaoyu": {"xc_school"},
    "wangge": {"xc_hotel", "xc_school"},
    "danwei": {"xc_hotel"},
    "nobody": set(),
}
UNITS = ["xc_hotel", "xc_school", "tz_school", "tz_restaurant"]


def names(city, keys):
    return {getattr(city, k).name for k in keys}


def test_path_successor():
    assert path_successor("3704") == "3705"
    assert path_successor("370409") == "37041"
    assert path_successor("99") is None


@pytest.mark.django_db
def test_subtree_query_does_not_match_siblings_with_longer_codes(city):
    # 37040 is not a prefix boundary: 370403 and 370481 are both under 3704, 370481 is not under 37040x
    assert set(Unit.objects.filter(subtree_q("region_path", "370403")).values_list("name", flat=True)) == \
        names(city, ["xc_hotel", "xc_school"])


@pytest.mark.parametrize("username", VISIBLE)
def test_unit_list_page(city, client, username):
    client.force_login(getattr(city, username))
    html = client.get("/units/").content.decode()
    for key in UNITS:
        assert (getattr(city, key).name in html) == (key in VISIBLE[username]), key


@pytest.mark.parametrize("username", VISIBLE)
def test_unit_detail_page_and_history(city, client, username):
    client.force_login(getattr(city, username))
    for key in UNITS:
        unit = getattr(city, key)
        expected = 200 if key in VISIBLE[username] else 404
        assert client.get(f"/units/{unit.pk}/").status_code == expected, key
        assert client.get(f"/history/registry.unit/{unit.pk}/").status_code == expected, key


@pytest.mark.parametrize("username", [u for u in VISIBLE if u not in ("danwei", "nobody")])
def test_export_contains_exactly_the_visible_units(city, client, username):
    client.force_login(getattr(city, username))
    response = client.get("/units/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    exported = {row[2] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert exported == names(city, VISIBLE[username])


@pytest.mark.parametrize("username", ["danwei", "nobody"])
def test_unit_managers_and_users_without_role_cannot_export(city, client, username):
    client.force_login(getattr(city, username))
    assert client.get("/units/export.xlsx").status_code == 404


@pytest.mark.parametrize("username", VISIBLE)
def test_map_points(city, client, username):
    client.force_login(getattr(city, username))
    response = client.get("/units/map/points.json")
    if username == "nobody":  # a user without a role sees nothing at all
        assert response.status_code == 404
        return
    data = response.json()
    assert {f["properties"]["name"] for f in data["features"]} == names(city, VISIBLE[username])
    assert data["total"] == len(VISIBLE[username])


@pytest.mark.parametrize("username", VISIBLE)
def test_api_list_and_detail(city, api_for, username):
    api = api_for(getattr(city, username))
    response = api.get("/api/units/")
    if username == "nobody":
        assert response.status_code == 404
        return
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(VISIBLE[username])
    assert {u["name"] for u in body["results"]} == names(city, VISIBLE[username])
    for key in UNITS:
        expected = 200 if key in VISIBLE[username] else 404
        assert api.get(f"/api/units/{getattr(city, key).pk}/").status_code == expected


def test_search_and_filters_do_not_leak(city, client, api_for):
    client.force_login(city.xuecheng)
    html = client.get("/units/", {"q": "滕州"}).content.decode()
    assert city.tz_school.name not in html and city.tz_restaurant.name not in html
    # A region outside the jurisdiction is not a valid choice: it never selects the other county's rows
    data = client.get("/units/map/points.json", {"region": city.tz.pk}).json()
    assert {f["properties"]["name"] for f in data["features"]} <= names(city, VISIBLE["xuecheng"])
    api = api_for(city.xuecheng)
    response = api.get("/api/units/", {"region": city.tz.pk})
    assert response.status_code == 400 and "region" in response.json()
    body = api.get("/api/units/", {"q": "滕州"}).json()
    assert body["count"] == 0


def test_home_counts_only_jurisdiction(city, client):
    client.force_login(city.tengzhou)
    response = client.get("/")
    assert response.context["total"] == 2


@pytest.mark.parametrize("username,expected", [
    ("admin", 10), ("xuecheng", 4), ("tengzhou", 4), ("wangge", 3), ("danwei", 0),
])
def test_region_api_scope(city, api_for, username, expected):
    response = api_for(getattr(city, username)).get("/api/regions/")
    assert response.status_code == 200
    assert response.json()["count"] == expected


def test_agency_api_scope(city, api_for):
    body = api_for(city.tengzhou).get("/api/agencies/").json()
    assert {a["name"] for a in body["results"]} == {"滕州市消防救援大队"}
    assert api_for(city.danwei).get("/api/agencies/").status_code == 404


def test_anonymous_is_sent_to_login(city, client, api_for):
    assert client.get("/units/").status_code == 302
    assert api_for(None).get("/api/units/").status_code in (401, 403)


@pytest.fixture
def communities(city):
    from firegov.registry.models import Community, FireLane

    xc = Community.objects.create(name="泰山花园", region=city.xc_comm, address="临城街道泰山路", built_year=1995)
    tz = Community.objects.create(name="杏坛小区", region=city.tz_comm, address="荆河街道杏坛路", built_year=2010)
    FireLane.objects.create(community=xc, name="1号消防车道")
    return xc, tz


@pytest.mark.parametrize("username,expected", [
    ("admin", {"泰山花园", "杏坛小区"}), ("xuecheng", {"泰山花园"}), ("tengzhou", {"杏坛小区"}),
    ("wangge", {"泰山花园"}), ("jiaoyu", set()),
])
def test_community_pages_and_api(city, client, api_for, communities, username, expected):
    """Communities belong to the housing sector: other departments do not see them."""
    user = getattr(city, username)
    client.force_login(user)
    page = client.get("/communities/").content.decode()
    api = api_for(user).get("/api/communities/").json()
    assert {c["name"] for c in api["results"]} == expected
    for community in communities:
        visible = community.name in expected
        assert (community.name in page) == visible
        assert client.get(f"/communities/{community.pk}/").status_code == (200 if visible else 404)
        assert api_for(user).get(f"/api/communities/{community.pk}/").status_code == (200 if visible else 404)
        assert client.get(f"/history/registry.community/{community.pk}/").status_code == (200 if visible else 404)


def test_unit_managers_see_no_communities(city, client, communities):
    client.force_login(city.danwei)
    assert client.get("/communities/").status_code == 404


def test_overview_counts_by_region_and_type(city, client):
    client.force_login(city.zhidui)
    context = client.get("/").context
    assert context["total"] == 4
    assert {r["name"]: r["value"] for r in context["by_region"]} == {"薛城区": 2, "滕州市": 2}
    assert context["flags"][0][1] == 2  # key units: the 80-room hotel and the boarding school
    assert {t["label"]: t["n"] for t in context["by_type"]}["学校"] == 2


def test_overview_of_an_administrator_compares_the_counties(city, client):
    client.force_login(city.admin)
    assert [r["name"] for r in client.get("/").context["by_region"]] == ["薛城区", "滕州市"]
