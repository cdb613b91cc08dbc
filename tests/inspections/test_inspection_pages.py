"""The inspection pages (Django test client): list, open, the checklist form, completion, cancel and
publish from the page, the printed record with the photo hashes; 200 for allowed roles, 404 for
outsiders."""

from __future__ import annotations

import io

import pytest

from firegov.hazards.models import Hazard
from firegov.inspections import services as inspections
from firegov.inspections.models import Inspection, InspectionKind, InspectionStatus
from tests.inspections.helpers import answer_all, completed, failing_items, hrefs, open_inspection, upload


@pytest.fixture
def inspection(city):
    return open_inspection(city)


def _pages(inspection):
    return {
        "list": "/inspections/",
        "new": f"/inspections/new/?unit={inspection.unit_id}",
        "detail": f"/inspections/{inspection.pk}/",
        "record": f"/inspections/{inspection.pk}/record/",
    }


@pytest.mark.parametrize("page", ["list", "new", "detail", "record"])
@pytest.mark.parametrize("who", ["xuecheng", "xc_supervisor", "zhidui", "admin"])
def test_pages_render_for_fire_officers(city, login, inspection, page, who):
    response = login(getattr(city, who)).get(_pages(inspection)[page])
    assert response.status_code == 200


@pytest.mark.parametrize("page", ["detail", "record"])
@pytest.mark.parametrize("who", ["danwei", "wangge"])
def test_the_unit_manager_and_the_grid_see_the_inspection(city, login, inspection, page, who):
    assert login(getattr(city, who)).get(_pages(inspection)[page]).status_code == 200


@pytest.mark.parametrize("page", ["new", "detail", "record"])
@pytest.mark.parametrize("who", ["tengzhou", "xc_jiaoyu", "jiankong", "nobody"])
def test_outsiders_get_404(city, login, inspection, page, who):
    assert login(getattr(city, who)).get(_pages(inspection)[page]).status_code == 404


@pytest.mark.parametrize("who", ["jiankong", "nobody"])
def test_the_list_is_404_for_roles_without_inspections(city, login, inspection, who):
    assert login(getattr(city, who)).get("/inspections/").status_code == 404


def test_the_list_shows_only_the_jurisdiction(city, login, inspection):
    tz = inspections.create_inspection(city.tengzhou, city.tz_restaurant, "patrol")
    assert hrefs(login(city.xuecheng).get("/inspections/").content, "/inspections/") == {inspection.pk}
    assert hrefs(login(city.tengzhou).get("/inspections/").content, "/inspections/") == {tz.pk}


def test_anonymous_users_are_sent_to_login(client, inspection):
    response = client.get(f"/inspections/{inspection.pk}/")
    assert response.status_code == 302 and "/login/" in response["Location"]


# --------------------------------------------------------------------------- opening from the page


def test_opening_from_the_page(city, login):
    client = login(city.xuecheng)
    response = client.post(
        f"/inspections/new/?unit={city.xc_hotel.pk}",
        {"kind": "routine", "inspectors": [city.xuecheng.pk, city.xc_supervisor.pk]},
    )
    inspection = Inspection.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/inspections/{inspection.pk}/"
    assert inspection.checklist == "crowded_place"


def test_the_page_refuses_a_lone_inspector_with_a_message(city, login):
    client = login(city.xuecheng)
    response = client.post(
        f"/inspections/new/?unit={city.xc_hotel.pk}", {"kind": "routine", "inspectors": [city.xuecheng.pk]}
    )
    assert response.status_code == 200
    assert not Inspection.objects.exists()
    assert [str(m) for m in response.context["messages"]]


def test_the_page_offers_only_the_kinds_of_the_role(city, login):
    response = login(city.wangge).get(f"/inspections/new/?unit={city.xc_hotel.pk}")
    assert [k for k, _label in response.context["kinds"]] == ["patrol"]
    response = login(city.danwei).get(f"/inspections/new/?unit={city.xc_hotel.pk}")
    assert [k for k, _label in response.context["kinds"]] == ["self"]


# --------------------------------------------------------------------------- the checklist form


def test_answers_and_completion_from_the_page(city, login, inspection):
    client = login(city.xuecheng)
    [item] = failing_items(inspection, 1)
    form = {f"result_{a.item}": "pass" for a in inspection.answers.all()}
    form[f"result_{item}"] = "fail"
    form[f"note_{item}"] = "安全出口锁闭"
    response = client.post(
        f"/inspections/{inspection.pk}/answers/", {**form, f"photo_{item}": upload("a.jpg")}
    )
    assert response.status_code == 302
    assert inspection.answers.get(item=item).result == "fail"
    assert inspection.answers.get(item=item).note == "安全出口锁闭"
    # saved again, then completed without a signature: refused, still open
    response = client.post(f"/inspections/{inspection.pk}/complete/", form)
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.IN_PROGRESS
    response = client.post(f"/inspections/{inspection.pk}/complete/", {**form, "signed_by": "张经理"})
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.COMPLETED and inspection.signed_by == "张经理"
    hazard = Hazard.objects.get()
    assert hazard.checklist_item == item and hazard.inspection == inspection
    detail = client.get(f"/inspections/{inspection.pk}/")
    assert f"/hazards/{hazard.pk}/" in detail.content.decode()
    # the form is gone: a second post is refused and changes nothing
    client.post(f"/inspections/{inspection.pk}/answers/", {f"result_{item}": "pass"})
    assert inspection.answers.get(item=item).result == "fail"


def test_a_non_member_cannot_answer_from_the_page(city, login, inspection):
    from tests.inspections.helpers import officer

    item = inspection.answers.first().item
    client = login(officer(city, "xc_wang"))
    response = client.post(f"/inspections/{inspection.pk}/answers/", {f"result_{item}": "pass"})
    assert response.status_code == 302
    assert inspection.answers.get(item=item).result == ""
    assert (
        login(city.tengzhou)
        .post(f"/inspections/{inspection.pk}/answers/", {f"result_{item}": "pass"})
        .status_code
        == 404
    )
    assert inspection.answers.get(item=item).result == ""


def test_cancel_from_the_page_needs_a_reason(city, login, inspection):
    client = login(city.xuecheng)
    client.post(f"/inspections/{inspection.pk}/action/", {"action": "cancel", "note": ""})
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.PLANNED
    client.post(f"/inspections/{inspection.pk}/action/", {"action": "cancel", "note": "单位已停业"})
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.CANCELLED


def test_publish_from_the_page(city, login):
    done = completed(city, kind=InspectionKind.RANDOM)
    client = login(city.xuecheng)
    assert client.get(f"/inspections/{done.pk}/").context["can_publish"]
    client.post(f"/inspections/{done.pk}/action/", {"action": "publish"})
    done.refresh_from_db()
    assert done.published_at is not None
    assert city.xc_hotel.name in client.get("/public/inspections/").content.decode()


# --------------------------------------------------------------------------- the printed record


def test_the_record_shows_the_photo_hashes(city, login, inspection):
    fail = failing_items(inspection, 2)
    answer_all(city.xuecheng, inspection, fail)
    done = inspections.complete(city.xuecheng, inspection, {"signed_by": "张经理"})
    photos = [p for files in inspections.item_photos(done).values() for p in files]
    assert len(photos) == 2
    page = login(city.xuecheng).get(f"/inspections/{done.pk}/record/").content.decode()
    for p in photos:
        assert p.sha256 in page
    assert "张经理" in page and city.xc_hotel.name in page
    for item in fail:
        assert item in page


def test_the_record_of_a_refusal_shows_the_note(city, login, inspection):
    answer_all(city.xuecheng, inspection)
    done = inspections.complete(
        city.xuecheng, inspection, {"refused_to_sign": True, "refusal_note": "拒签见证"}
    )
    assert "拒签见证" in login(city.xuecheng).get(f"/inspections/{done.pk}/record/").content.decode()


def test_a_law_enforcement_record_is_numbered_on_completion(city, login, inspection):
    """消防监督检查记录 carry the brigade's number (枣薛消检字〔year〕第0001号), one per completed
    law-enforcement inspection, in order; a unit's own self-inspection has none."""
    from docx import Document

    answer_all(city.xuecheng, inspection)
    done = inspections.complete(city.xuecheng, inspection, {"signed_by": "张经理"})
    assert done.record_number.startswith("枣薛消检字〔") and done.record_number.endswith("第0001号")
    second = open_inspection(city)
    answer_all(city.xuecheng, second)
    assert inspections.complete(city.xuecheng, second, {"signed_by": "李经理"}).record_number.endswith("第0002号")
    page = login(city.xuecheng).get(f"/inspections/{done.pk}/record/")
    assert done.record_number in page.content.decode()
    word = login(city.xuecheng).get(f"/inspections/{done.pk}/record/?format=docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(word.content)).paragraphs)
    assert done.record_number in text

    city.xc_hotel.managers.add(city.danwei)
    own = open_inspection(city, kind=InspectionKind.SELF, user=city.danwei, inspectors=[city.danwei])
    answer_all(city.danwei, own)
    assert inspections.complete(city.danwei, own, {}).record_number == ""
