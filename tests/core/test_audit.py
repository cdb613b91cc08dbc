"""Every create, change and delete is recorded: who, when, from which request, before and after."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry

from firegov.registry.models import Unit


def entries(obj):
    return list(LogEntry.objects.get_for_object(obj).order_by("timestamp", "pk"))


def unit_post_data(city, **overrides):
    data = {
        "name": "新建测试酒店", "uscc": "", "place_type": "hotel", "status": "operating",
        "region": city.xc_comm.pk, "address": "临城街道测试路8号", "lat": "34.79", "lng": "117.25",
        "department": "", "legal_representative": "张三", "legal_representative_phone": "13800000000",
        "responsible_person": "张三", "responsible_phone": "13800000000", "safety_manager": "李四",
        "safety_manager_phone": "13900000000", "attr_guest_rooms": "30",
    }
    data.update(overrides)
    return data


def test_web_create_change_delete_are_audited(city, client):
    client.force_login(city.xc_supervisor)
    response = client.post("/units/new/", unit_post_data(city))
    assert response.status_code == 302, response.content.decode()[:2000]
    unit = Unit.objects.get(name="新建测试酒店")
    response = client.post(f"/units/{unit.pk}/edit/", unit_post_data(city, attr_guest_rooms="60"))
    assert response.status_code == 302
    client.post(f"/units/{unit.pk}/delete/")
    log = entries(unit)
    assert [e.action for e in log] == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE, LogEntry.Action.UPDATE]
    assert all(e.actor == city.xc_supervisor for e in log)
    assert all(e.remote_addr == "127.0.0.1" for e in log)
    assert " POST /units/new/" in log[0].cid
    assert f" POST /units/{unit.pk}/edit/" in log[1].cid
    # before and after of the change, including the derived classification
    changes = log[1].changes_dict
    assert changes["key_unit"] == ["False", "True"]
    assert "deleted_at" in log[2].changes_dict
    # the history tab shows it
    page = client.get(f"/history/registry.unit/{unit.pk}/").content.decode()
    assert str(city.xc_supervisor) in page and "key_unit" in page


def test_api_changes_record_the_token_user(city, api_for):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    token = Token.objects.create(user=city.tengzhou)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.patch(f"/api/units/{city.tz_restaurant.pk}/", {"safety_manager": "王五"}, format="json")
    assert response.status_code == 200, response.json()
    last = entries(city.tz_restaurant)[-1]
    assert last.actor == city.tengzhou
    assert last.changes_dict["safety_manager"] == ["", "王五"]
    assert f"PATCH /api/units/{city.tz_restaurant.pk}/" in last.cid


def test_history_of_object_outside_scope_is_404(city, client):
    client.force_login(city.tengzhou)
    assert client.get(f"/history/registry.unit/{city.xc_hotel.pk}/").status_code == 404
    assert client.get("/history/core.user/1/").status_code == 404


@pytest.mark.django_db
def test_region_and_agency_changes_are_audited(city):
    city.xc.name = "薛城区（改）"
    city.xc.save()
    assert entries(city.xc)[-1].changes_dict["name"] == ["薛城区", "薛城区（改）"]
