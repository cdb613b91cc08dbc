"""A photo the evidence store refuses (not an image, empty, too large) is a clear 400 / form error on
every path that takes photos, never a 500, and nothing of the refused call is kept."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.messages import get_messages
from django.utils import timezone

from firegov.core.models import Attachment
from firegov.hazards import services
from firegov.hazards.models import Hazard, HazardStatus
from firegov.inspections import services as inspections
from firegov.inspections.models import InspectionKind
from tests.hazards._support import new_hazard, photo
from tests.inspections.helpers import upload

NOT_AN_IMAGE = b"this is plain text, whatever its name says"


def fake(name="x.jpg"):
    return upload(name, data=NOT_AN_IMAGE)


def ordered_hazard(city):
    hazard = new_hazard(city.xuecheng, city.xc_hotel)
    services.order(city.xuecheng, [hazard], timezone.localdate() + timedelta(days=10))
    hazard.refresh_from_db()
    return hazard


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_api_submit_with_a_refused_photo_is_a_400(city, api_for):
    hazard = ordered_hazard(city)
    response = api_for(city.danwei).post(
        f"/api/hazards/{hazard.pk}/transition/", {"action": "submit", "note": "已整改", "photos": [fake()]},
        format="multipart",
    )
    assert response.status_code == 400, response.content
    assert "MP4" in response.content.decode()
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.ORDERED and hazard.submitted_at is None
    assert not hazard.events.filter(action="submit").exists()


def test_page_submit_with_a_refused_photo_is_an_error_message(city, client):
    hazard = ordered_hazard(city)
    client.force_login(city.danwei)
    response = client.post(f"/hazards/{hazard.pk}/action/", {"action": "submit", "note": "已整改", "photos": fake()})
    assert response.status_code == 302
    assert any("MP4" in m for m in messages_of(response))
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.ORDERED


def test_api_create_with_a_refused_photo_is_a_400(city, api_for):
    before = Hazard.objects.count()
    response = api_for(city.xuecheng).post(
        "/api/hazards/",
        {"unit": city.xc_hotel.pk, "category": "blocked_exit", "description": "安全出口堵塞", "photos": [fake()]},
        format="multipart",
    )
    assert response.status_code == 400, response.content
    assert Hazard.objects.count() == before


def test_page_create_with_a_refused_photo_is_a_form_error(city, client):
    before = Hazard.objects.count()
    client.force_login(city.xuecheng)
    response = client.post(
        f"/hazards/new/?unit={city.xc_hotel.pk}",
        {"category": "blocked_exit", "description": "安全出口堵塞", "photos": upload("e.jpg", data=b"")},
    )
    assert response.status_code == 200
    assert any("empty" in m or "空" in m for m in messages_of(response)), messages_of(response)
    assert Hazard.objects.count() == before


def open_inspection(city):
    return inspections.create_inspection(city.xuecheng, city.xc_hotel, InspectionKind.ROUTINE,
                                         inspectors=[city.xuecheng, city.xc_supervisor])


def test_api_answers_with_a_refused_photo_is_a_400(city, api_for):
    inspection = open_inspection(city)
    item = inspection.answers.first().item
    response = api_for(city.xuecheng).post(
        f"/api/inspections/{inspection.pk}/answers/",
        {"answers": f'{{"{item}": {{"result": "fail"}}}}', f"photo_{item}": [fake()]},
        format="multipart",
    )
    assert response.status_code == 400, response.content
    assert item in response.json()
    assert inspection.answers.get(item=item).result == ""  # the call was refused as a whole


def test_page_answers_with_a_refused_photo_is_an_error_message(city, client):
    inspection = open_inspection(city)
    item = inspection.answers.first().item
    client.force_login(city.xuecheng)
    response = client.post(f"/inspections/{inspection.pk}/answers/",
                           {f"result_{item}": "fail", f"photo_{item}": fake()})
    assert response.status_code == 302
    assert any("MP4" in m for m in messages_of(response)), messages_of(response)


def test_page_complete_with_a_refused_signature_is_an_error_message(city, client):
    inspection = open_inspection(city)
    inspections.record_answers(city.xuecheng, inspection, {a.item: {"result": "pass"} for a in inspection.answers.all()})
    client.force_login(city.xuecheng)
    response = client.post(f"/inspections/{inspection.pk}/complete/", {"signed_by": "张经理", "signature": fake()})
    assert response.status_code == 302
    assert any("MP4" in m for m in messages_of(response)), messages_of(response)
    inspection.refresh_from_db()
    assert inspection.status != "completed"


def test_one_photo_of_a_joint_reinspection_goes_to_every_hazard(city):
    """A re-inspection of several hazards with one photo: each hazard keeps that photo as evidence
    (the upload used to be read once, and the second hazard got an empty file)."""
    first, second = ordered_hazard(city), ordered_hazard(city)
    for hazard in (first, second):
        services.transition(city.danwei, hazard, "submit", {"note": "已整改"}, files=[photo()])
    services.reinspect(city.xuecheng, [first, second], {first.pk: True, second.pk: True}, files=[photo("r.jpg")])
    for hazard in (first, second):
        hazard.refresh_from_db()
        assert hazard.status == HazardStatus.CLOSED
        captions = list(Attachment.objects.filter(object_id=str(hazard.pk), content_type__model="hazard")
                        .values_list("caption", flat=True))
        assert sorted(captions) == ["reinspect", "submit"]
