"""Buildings, fire lanes and micro fire stations of units and communities, through the pages."""

from __future__ import annotations

from auditlog.models import LogEntry

from firegov.registry.models import Building, Community, FireLane, MicroFireStation


def test_inspector_adds_edits_and_deletes_a_building(city, client):
    client.force_login(city.xuecheng)
    url = f"/units/{city.xc_hotel.pk}/buildings/new/"
    response = client.post(url, {"name": "主楼", "height_m": "30.5", "floors_above": "9", "floors_below": "1",
                                 "area_m2": "8000", "built_year": "2008", "structure": "框架"})
    assert response.status_code == 302
    building = Building.objects.get(unit=city.xc_hotel)
    assert building.height_m == 30.5
    client.post(f"/units/{city.xc_hotel.pk}/buildings/{building.pk}/", {"name": "主楼", "height_m": "31"})
    building.refresh_from_db()
    assert building.height_m == 31
    assert LogEntry.objects.get_for_object(building).count() == 2
    page = client.get(f"/units/{city.xc_hotel.pk}/?tab=buildings").content.decode()
    assert "主楼" in page
    client.post(f"/units/{city.xc_hotel.pk}/buildings/{building.pk}/", {"delete": "1"})
    assert not Building.objects.filter(pk=building.pk).exists()


def test_fire_lane_and_station_of_a_community(city, client):
    community = Community.objects.create(name="泰山花园", region=city.xc_comm, address="泰山路")
    client.force_login(city.wangge)
    response = client.post(f"/communities/{community.pk}/lanes/new/", {
        "name": "东门消防车道", "length_m": "120", "width_m": "4.5", "side_lines": "on", "centre_boxes": "on",
        "entrance_grid": "on", "warning_signs": "2", "status": "clear", "last_checked": "2026-11-20"})
    assert response.status_code == 302
    lane = FireLane.objects.get(community=community)
    assert lane.fully_marked and lane.region_path == city.xc_comm.path
    client.post(f"/communities/{community.pk}/stations/new/", {"name": "泰山花园微型消防站", "members": "6",
                                                              "leader": "王队长", "last_drill": "2026-10-15"})
    assert MicroFireStation.objects.get(community=community).members == 6
    assert "东门消防车道" in client.get(f"/communities/{community.pk}/").content.decode()


def test_outsiders_and_readers_cannot_add(city, client):
    client.force_login(city.tengzhou)
    assert client.post(f"/units/{city.xc_hotel.pk}/buildings/new/", {"name": "越权"}).status_code == 404
    client.force_login(city.jiankong)  # monitoring operators read the registry only
    assert client.post(f"/units/{city.xc_hotel.pk}/buildings/new/", {"name": "只读"}).status_code == 404
    assert client.get(f"/units/{city.xc_hotel.pk}/castles/new/").status_code == 404
    assert not Building.objects.exists()


def test_unit_manager_keeps_own_micro_station(city, client):
    client.force_login(city.danwei)
    response = client.post(f"/units/{city.xc_hotel.pk}/stations/new/", {"name": "宾馆微型站", "members": "4"})
    assert response.status_code == 302
    assert client.post(f"/units/{city.tz_restaurant.pk}/stations/new/", {"name": "x", "members": "1"}).status_code \
        == 404
