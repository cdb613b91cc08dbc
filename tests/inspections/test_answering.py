"""Answering the checklist and completing an inspection: answers saved repeatedly, unknown items and bad
results refused, completion rules (every item, photos of failed items, signature or refusal), hazards
from the failed items in the same step with the photos as evidence, cancel, and who may act."""

from __future__ import annotations

import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError

from firegov.core.lifecycle import TransitionError
from firegov.core.models import Attachment
from firegov.hazards.models import Hazard, HazardSource, HazardStatus
from firegov.inspections import services as inspections
from firegov.inspections.models import Inspection, InspectionResult, InspectionStatus
from tests.inspections.helpers import (
    answer_all,
    completed,
    failing_items,
    officer,
    open_inspection,
    photo,
    upload,
)


def _answers(inspection):
    return {a.item: (a.result, a.note) for a in inspection.answers.all()}


# --------------------------------------------------------------------------- answers


def test_answers_are_saved_and_can_be_saved_again(city):
    inspection = open_inspection(city)
    first, second, third = [a.item for a in inspection.answers.all()][:3]
    inspections.record_answers(
        city.xuecheng, inspection, {first: {"result": "pass"}, second: {"result": "fail", "note": "堵塞"}}
    )
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.IN_PROGRESS and inspection.started_at is not None
    started = inspection.started_at
    assert _answers(inspection)[first] == ("pass", "")
    assert _answers(inspection)[second] == ("fail", "堵塞")
    # the phone saves again: one item changed, one added, the rest untouched
    inspections.record_answers(
        city.xuecheng, inspection, {second: {"result": "pass", "note": "已清理"}, third: {"result": "na"}}
    )
    inspection.refresh_from_db()
    saved = _answers(inspection)
    assert saved[first] == ("pass", "") and saved[second] == ("pass", "已清理") and saved[third] == ("na", "")
    assert inspection.started_at == started
    assert sum(1 for r, _n in saved.values() if r) == 3


def test_an_unknown_item_is_refused_and_nothing_is_saved(city):
    inspection = open_inspection(city)
    first = inspection.answers.first().item
    with pytest.raises(ValidationError) as exc:
        inspections.record_answers(
            city.xuecheng, inspection, {first: {"result": "pass"}, "ZZ-999": {"result": "pass"}}
        )
    assert "ZZ-999" in exc.value.message_dict
    assert _answers(inspection)[first] == ("", "")
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.PLANNED


@pytest.mark.parametrize("result", ["ok", "FAILED", "yes", "1"])
def test_a_bad_result_is_refused(city, result):
    inspection = open_inspection(city)
    first = inspection.answers.first().item
    with pytest.raises(ValidationError) as exc:
        inspections.record_answers(city.xuecheng, inspection, {first: {"result": result}})
    assert first in exc.value.message_dict
    assert _answers(inspection)[first] == ("", "")


def test_a_photo_of_an_unknown_item_is_refused(city):
    inspection = open_inspection(city)
    with pytest.raises(ValidationError):
        inspections.record_answers(city.xuecheng, inspection, {}, {"ZZ-999": [photo()]})
    assert not Attachment.objects.exists()


# --------------------------------------------------------------------------- completing


def test_completing_needs_every_item_answered(city):
    inspection = open_inspection(city)
    items = [a.item for a in inspection.answers.all()]
    inspections.record_answers(city.xuecheng, inspection, {i: {"result": "pass"} for i in items[:-1]})
    with pytest.raises(ValidationError) as exc:
        inspections.complete(city.xuecheng, inspection, {"signed_by": "张经理"})
    assert "answers" in exc.value.message_dict
    assert items[-1] in " ".join(exc.value.message_dict["answers"])
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.IN_PROGRESS


def test_a_failed_item_that_needs_a_photo_cannot_complete_without_one(city):
    inspection = open_inspection(city)
    [item] = failing_items(inspection, 1, photo_required=True)
    answer_all(city.xuecheng, inspection, [item], with_photos=False)
    with pytest.raises(ValidationError) as exc:
        inspections.complete(city.xuecheng, inspection, {"signed_by": "张经理"})
    assert "photos" in exc.value.message_dict and item in " ".join(exc.value.message_dict["photos"])
    assert not Hazard.objects.exists()
    inspections.record_answers(city.xuecheng, inspection, {}, {item: [photo()]})
    done = inspections.complete(city.xuecheng, inspection, {"signed_by": "张经理"})
    assert done.status == InspectionStatus.COMPLETED


def test_a_failed_item_without_photo_requirement_completes_without_photo(city):
    inspection = open_inspection(city)
    [item] = failing_items(inspection, 1, photo_required=False)
    answer_all(city.xuecheng, inspection, [item], with_photos=False)
    done = inspections.complete(city.xuecheng, inspection, {"signed_by": "张经理"})
    assert done.result == InspectionResult.HAZARDS
    assert [h.checklist_item for h in done.hazards.all()] == [item]


def test_law_enforcement_needs_the_signature_or_a_noted_refusal(city):
    inspection = open_inspection(city)
    answer_all(city.xuecheng, inspection)
    with pytest.raises(ValidationError) as exc:
        inspections.complete(city.xuecheng, inspection, {})
    assert "signed_by" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        inspections.complete(city.xuecheng, inspection, {"signed_by": "   "})
    assert "signed_by" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        inspections.complete(city.xuecheng, inspection, {"refused_to_sign": True, "refusal_note": " "})
    assert "refusal_note" in exc.value.message_dict
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.IN_PROGRESS
    done = inspections.complete(
        city.xuecheng,
        inspection,
        {"refused_to_sign": True, "refusal_note": "负责人拒绝签字，两名检查人员见证"},
    )
    assert done.refused_to_sign and done.refusal_note.startswith("负责人拒绝签字")
    assert done.status == InspectionStatus.COMPLETED and done.result == InspectionResult.PASSED


def test_a_signature_name_completes(city):
    inspection = open_inspection(city)
    answer_all(city.xuecheng, inspection)
    done = inspections.complete(city.xuecheng, inspection, {"signed_by": " 张经理 ", "findings": "总体良好"})
    assert done.signed_by == "张经理" and not done.refused_to_sign
    assert done.findings == "总体良好" and done.completed_at is not None
    assert not done.hazards.exists()


def test_a_patrol_completes_without_a_signature(city):
    inspection = inspections.create_inspection(city.wangge, city.xc_hotel, "patrol")
    [item] = failing_items(inspection, 1)
    answer_all(city.wangge, inspection, [item])
    done = inspections.complete(city.wangge, inspection, {})
    hazard = done.hazards.get()
    # a grid worker's finding waits for the brigade's confirmation
    assert hazard.source == HazardSource.PATROL and hazard.status == HazardStatus.REPORTED


def test_a_self_inspection_needs_no_signature_and_its_hazards_wait_for_confirmation(city):
    inspection = inspections.create_inspection(city.danwei, city.xc_hotel, "self")
    [item] = failing_items(inspection, 1)
    answer_all(city.danwei, inspection, [item])
    done = inspections.complete(city.danwei, inspection, {})
    hazard = done.hazards.get()
    assert hazard.source == HazardSource.SELF and hazard.status == HazardStatus.REPORTED
    assert done.publish_due is None


# --------------------------------------------------------------------------- hazards from failed items


def test_failed_items_become_hazards_in_the_same_step(city):
    inspection = open_inspection(city)
    rows = {a.item: a for a in inspection.answers.all()}
    fail = failing_items(inspection, 2) + failing_items(inspection, 1, photo_required=False)
    answer_all(city.xuecheng, inspection, fail)
    done = inspections.complete(city.xuecheng, inspection, {"signed_by": "张经理"})
    assert done.result == InspectionResult.HAZARDS
    hazards = list(done.hazards.order_by("id"))
    assert sorted(h.checklist_item for h in hazards) == sorted(fail)
    for hazard in hazards:
        row = rows[hazard.checklist_item]
        assert hazard.category == row.hazard_category
        assert hazard.unit == city.xc_hotel and hazard.inspection == done
        assert hazard.source == HazardSource.INSPECTION and hazard.status == HazardStatus.CONFIRMED
        assert hazard.found_by == city.xuecheng and hazard.agency == city.xc_brigade
        assert row.text in hazard.description
        assert hazard.gb35181 == ([row.gb35181] if row.gb35181 else [])


def test_the_item_photos_become_hazard_evidence_with_the_same_hash(city):
    inspection = open_inspection(city)
    fail = failing_items(inspection, 2)
    answer_all(city.xuecheng, inspection, fail)
    # a second photo of the first item
    inspections.record_answers(city.xuecheng, inspection, {}, {fail[0]: [photo("b.jpg", "navy")]})
    done = inspections.complete(city.xuecheng, inspection, {"signed_by": "张经理"})
    photos = inspections.item_photos(done)
    hazard_ct = ContentType.objects.get_for_model(Hazard)
    for hazard in done.hazards.all():
        evidence = Attachment.objects.filter(content_type=hazard_ct, object_id=str(hazard.pk))
        expected = sorted(p.sha256 for p in photos[hazard.checklist_item])
        assert sorted(e.sha256 for e in evidence) == expected
        assert len(set(expected)) == len(expected)
    assert len(photos[fail[0]]) == 2
    # the inspection keeps its own photos
    assert sum(len(v) for v in inspections.item_photos(done).values()) == 3


def test_nothing_is_created_when_completion_is_refused(city):
    inspection = open_inspection(city)
    answer_all(city.xuecheng, inspection, failing_items(inspection, 2))
    with pytest.raises(ValidationError):
        inspections.complete(city.xuecheng, inspection, {})
    assert not Hazard.objects.exists()
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.IN_PROGRESS and inspection.result == ""


# --------------------------------------------------------------------------- after completion, cancel


def test_a_completed_inspection_cannot_be_answered_or_completed_again(city):
    done = completed(city, fail_count=1)
    item = done.answers.first().item
    with pytest.raises(TransitionError):
        inspections.record_answers(city.xuecheng, done, {item: {"result": "fail"}})
    with pytest.raises(TransitionError):
        inspections.complete(city.xuecheng, done, {"signed_by": "张经理"})
    with pytest.raises(TransitionError):
        inspections.cancel(city.xuecheng, done, "写错了")
    assert done.hazards.count() == 1
    assert done.answers.get(item=item).result != "" and Hazard.objects.count() == 1


def test_cancel_needs_a_reason(city):
    inspection = open_inspection(city)
    for note in ("", "   "):
        with pytest.raises(ValidationError) as exc:
            inspections.cancel(city.xuecheng, inspection, note)
        assert "note" in exc.value.message_dict
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.PLANNED
    cancelled = inspections.cancel(city.xuecheng, inspection, "单位停业")
    assert cancelled.status == InspectionStatus.CANCELLED and cancelled.findings == "单位停业"
    with pytest.raises(TransitionError):
        inspections.record_answers(city.xuecheng, cancelled, {})


# --------------------------------------------------------------------------- who may act


def test_only_the_inspections_own_inspectors_may_answer_or_complete(city):
    colleague = officer(city, "xc_li")
    inspection = open_inspection(city, inspectors=[city.xuecheng, colleague])
    item = inspection.answers.first().item
    for outsider in (officer(city, "xc_wang"), city.zhidui, city.wangge, city.danwei, city.xc_jiaoyu):
        with pytest.raises(PermissionDenied):
            inspections.record_answers(outsider, inspection, {item: {"result": "pass"}})
        with pytest.raises(PermissionDenied):
            inspections.complete(outsider, inspection, {"signed_by": "张经理"})
        with pytest.raises(PermissionDenied):
            inspections.cancel(outsider, inspection, "不去了")
    assert inspection.answers.get(item=item).result == ""
    # a named inspector (not the opener) may
    inspections.record_answers(colleague, inspection, {item: {"result": "na"}})
    assert inspection.answers.get(item=item).result == "na"


def test_the_brigade_supervisor_may_answer_and_complete(city):
    colleague = officer(city, "xc_li")
    inspection = open_inspection(city, inspectors=[city.xuecheng, colleague])
    answer_all(city.xc_supervisor, inspection, failing_items(inspection, 1))
    done = inspections.complete(city.xc_supervisor, inspection, {"signed_by": "张经理"})
    assert done.status == InspectionStatus.COMPLETED and done.hazards.count() == 1


def test_the_supervisor_of_another_brigade_may_not(city):
    from firegov.core.models import Role

    tz_supervisor = officer(city, "tz_dd", role=Role.BRIGADE_SUPERVISOR, agency=city.tz_brigade)
    inspection = open_inspection(city)
    with pytest.raises(PermissionDenied):
        inspections.record_answers(tz_supervisor, inspection, {})


# --------------------------------------------------------------------------- the API


def test_api_answers_with_photos_and_completes(city, api_for):
    inspection = open_inspection(city)
    api = api_for(city.xuecheng)
    [item] = failing_items(inspection, 1)
    answers = {a.item: {"result": "pass"} for a in inspection.answers.all()}
    answers[item] = {"result": "fail", "note": "疏散通道堆放杂物"}
    response = api.post(
        f"/api/inspections/{inspection.pk}/answers/",
        {"answers": json.dumps(answers), f"photo_{item}": upload("x.jpg")},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert {a["item"]: a["result"] for a in body["answers"]}[item] == "fail"
    assert body["status"] == "in_progress"
    assert len(inspections.item_photos(inspection)[item]) == 1
    response = api.post(f"/api/inspections/{inspection.pk}/complete/", {"signed_by": "张经理"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "completed" and body["result"] == "hazards"
    assert len(body["hazards"]) == 1
    assert Hazard.objects.get(pk=body["hazards"][0]).checklist_item == item


def test_api_refuses_bad_answers_with_400(city, api_for):
    inspection = open_inspection(city)
    api = api_for(city.xuecheng)
    item = inspection.answers.first().item
    assert (
        api.post(
            f"/api/inspections/{inspection.pk}/answers/",
            {"answers": {"ZZ-1": {"result": "pass"}}},
            format="json",
        ).status_code
        == 400
    )
    assert (
        api.post(
            f"/api/inspections/{inspection.pk}/answers/",
            {"answers": {item: {"result": "good"}}},
            format="json",
        ).status_code
        == 400
    )
    assert (
        api.post(
            f"/api/inspections/{inspection.pk}/answers/", {"answers": "not json"}, format="multipart"
        ).status_code
        == 400
    )
    response = api.post(f"/api/inspections/{inspection.pk}/complete/", {"signed_by": "张经理"}, format="json")
    assert response.status_code == 400 and "answers" in response.json()


def test_api_answering_a_completed_inspection_is_409(city, api_for):
    done = completed(city)
    api = api_for(city.xuecheng)
    item = done.answers.first().item
    response = api.post(
        f"/api/inspections/{done.pk}/answers/", {"answers": {item: {"result": "fail"}}}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "wrong_state"
    assert (
        api.post(f"/api/inspections/{done.pk}/complete/", {"signed_by": "x"}, format="json").status_code
        == 409
    )
    assert api.post(f"/api/inspections/{done.pk}/cancel/", {"note": "x"}, format="json").status_code == 409


def test_api_cancel_needs_a_note(city, api_for):
    inspection = open_inspection(city)
    api = api_for(city.xuecheng)
    response = api.post(f"/api/inspections/{inspection.pk}/cancel/", {}, format="json")
    assert response.status_code == 400 and "note" in response.json()
    response = api.post(f"/api/inspections/{inspection.pk}/cancel/", {"note": "单位停业"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


def test_api_a_non_member_in_the_jurisdiction_gets_403(city, api_for):
    inspection = open_inspection(city)
    item = inspection.answers.first().item
    response = api_for(officer(city, "xc_wang")).post(
        f"/api/inspections/{inspection.pk}/answers/", {"answers": {item: {"result": "pass"}}}, format="json"
    )
    assert response.status_code == 403
    assert inspection.answers.get(item=item).result == ""


def test_api_outsiders_get_404(city, api_for):
    inspection = open_inspection(city)
    item = inspection.answers.first().item
    api = api_for(city.tengzhou)
    assert inspection.pk not in [i["id"] for i in api.get("/api/inspections/").json()["results"]]
    assert api.get(f"/api/inspections/{inspection.pk}/").status_code == 404
    assert (
        api.post(
            f"/api/inspections/{inspection.pk}/answers/",
            {"answers": {item: {"result": "pass"}}},
            format="json",
        ).status_code
        == 404
    )
    assert (
        api.post(f"/api/inspections/{inspection.pk}/complete/", {"signed_by": "x"}, format="json").status_code
        == 404
    )
    assert api_for(city.jiankong).get("/api/inspections/").status_code == 404
    assert api_for(city.xc_jiaoyu).get(f"/api/inspections/{inspection.pk}/").status_code == 404
    assert api_for(None).get(f"/api/inspections/{inspection.pk}/").status_code in (401, 403)
    # the unit's own manager sees it
    assert api_for(city.danwei).get(f"/api/inspections/{inspection.pk}/").status_code == 200
    assert inspection.answers.get(item=item).result == ""
    assert Inspection.objects.get(pk=inspection.pk).status == InspectionStatus.PLANNED
