"""The hazard closed loop end to end through the services and the API: inspection → hazards from
failed items → notice (numbered) → rectification submitted → re-inspection → closed."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from PIL import Image

from firegov.core.lifecycle import TransitionError
from firegov.core.models import Deadline
from firegov.hazards import services
from firegov.hazards.models import Hazard, HazardDocument, HazardStatus
from firegov.inspections import services as inspections
from firegov.inspections.models import InspectionKind


def photo(name="p.jpg"):
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "JPEG")
    out.seek(0)
    out.name = name
    out.size = len(out.getvalue())
    return out


def complete_with_failures(city, fail_count=2):
    inspection = inspections.create_inspection(city.xuecheng, city.xc_hotel, InspectionKind.ROUTINE,
                                               inspectors=[city.xuecheng, city.xc_supervisor])
    answers = {a.item: {"result": "pass"} for a in inspection.answers.all()}
    failed = [a for a in inspection.answers.all()][:fail_count]
    for a in failed:
        answers[a.item] = {"result": "fail", "note": "现场发现"}
    inspections.record_answers(city.xuecheng, inspection, answers,
                               {a.item: [photo()] for a in failed if a.photo_required})
    return inspections.complete(city.xuecheng, inspection, {"signed_by": "张经理"}), failed


def test_failed_items_become_confirmed_hazards_with_a_notice_deadline(city):
    inspection, failed = complete_with_failures(city)
    hazards = list(inspection.hazards.order_by("id"))
    assert [h.checklist_item for h in hazards] == [a.item for a in failed]
    assert all(h.status == HazardStatus.CONFIRMED for h in hazards)
    assert Deadline.objects.filter(purpose=services.SERVE_NOTICE, state="open").count() == len(hazards)


def test_the_whole_loop_closes_a_hazard(city, api_for):
    inspection, _failed = complete_with_failures(city, 1)
    hazard = inspection.hazards.get()
    due = timezone.localdate() + timedelta(days=10)
    document = services.order(city.xuecheng, [hazard], due)
    assert document.number.startswith("枣薛消限字〔")
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.ORDERED and hazard.notice == document
    services.transition(city.danwei, hazard, "submit", {"note": "已拆除"}, files=[photo()])
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.SUBMITTED and hazard.reinspect_due_at is not None
    api = api_for(city.xuecheng)
    response = api.post(f"/api/hazards/{hazard.pk}/transition/", {"action": "reinspect", "passed": True},
                        format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed"
    assert HazardDocument.objects.filter(kind="reinspection_opinion", passed=True).count() == 1
    assert [e.action for e in hazard.events.all()] == ["report", "order", "submit", "reinspect"]


def test_an_illegal_transition_answers_409_with_a_reason(city, api_for):
    inspection, _failed = complete_with_failures(city, 1)
    hazard = inspection.hazards.get()
    response = api_for(city.xuecheng).post(f"/api/hazards/{hazard.pk}/transition/", {"action": "submit"},
                                           format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "wrong_state"
    detail = response.json()["detail"]
    assert hazard.status not in detail  # the status is named in the user's language, not by its code
    with translation.override("zh-hans"):
        assert str(HazardStatus(hazard.status).label) in detail, detail


def test_a_unit_manager_cannot_close_its_own_hazard(city):
    inspection, _failed = complete_with_failures(city, 1)
    hazard = inspection.hazards.get()
    services.order(city.xuecheng, [hazard], timezone.localdate() + timedelta(days=5))
    with pytest.raises(PermissionDenied):
        services.transition(city.danwei, hazard, "reinspect", {"passed": True})


def test_a_failed_reinspection_sends_the_hazard_back_with_a_new_deadline(city):
    inspection, _failed = complete_with_failures(city, 1)
    hazard = inspection.hazards.get()
    services.order(city.xuecheng, [hazard], timezone.localdate() + timedelta(days=5))
    with pytest.raises(ValidationError):
        services.reinspect(city.xuecheng, [hazard], {hazard.pk: False})  # no new deadline given
    services.reinspect(city.xuecheng, [hazard], {hazard.pk: False}, date.today() + timedelta(days=20))
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.RECTIFYING


def test_outsiders_get_404(city, api_for):
    inspection, _failed = complete_with_failures(city, 1)
    hazard = inspection.hazards.get()
    assert api_for(city.tengzhou).get(f"/api/hazards/{hazard.pk}/").status_code == 404
    with pytest.raises(PermissionDenied):
        services.transition(city.tengzhou, hazard, "confirm")
    assert Hazard.objects.filter(pk=hazard.pk).exists()


def test_transition_error_is_raised_for_wrong_state(city):
    inspection, _failed = complete_with_failures(city, 1)
    hazard = inspection.hazards.get()
    with pytest.raises(TransitionError):
        services.transition(city.xuecheng, hazard, "confirm")


def test_unit_timeline_and_word_record(city, client):
    inspection, _failed = complete_with_failures(city, 1)
    hazard = inspection.hazards.get()
    document = services.order(city.xuecheng, [hazard], timezone.localdate() + timedelta(days=10))
    client.force_login(city.xuecheng)
    page = client.get(f"/hazards/units/{city.xc_hotel.pk}/timeline/").content.decode()
    assert f"/inspections/{inspection.pk}/" in page and f"/hazards/{hazard.pk}/" in page
    assert document.number in page
    response = client.get(f"/inspections/{inspection.pk}/record/?format=docx")
    from docx import Document

    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    assert "张经理" in text and "发现火灾隐患：1 处" in text
    client.force_login(city.tengzhou)
    assert client.get(f"/hazards/units/{city.xc_hotel.pk}/timeline/").status_code == 404
    assert client.get(f"/inspections/{inspection.pk}/record/?format=docx").status_code == 404


def test_admin_configures_reward_tiers_and_recusals_but_not_the_ledger(city, client):
    inspection, _failed = complete_with_failures(city, 1)
    hazard = inspection.hazards.get()
    client.force_login(city.admin)
    assert client.get("/admin/hazards/rewardtier/add/").status_code == 200
    assert client.get("/admin/inspections/recusal/add/").status_code == 200
    assert client.get(f"/admin/hazards/hazard/{hazard.pk}/change/").status_code == 200  # a read-only view
    response = client.post(f"/admin/hazards/hazard/{hazard.pk}/change/", {"status": "closed"})
    assert response.status_code == 403
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.CONFIRMED


def test_the_running_deadline_follows_the_status(city):
    inspection, _failed = complete_with_failures(city, 1)
    hazard = inspection.hazards.get()
    assert hazard.deadline_at is None
    services.order(city.xuecheng, [hazard], timezone.localdate() + timedelta(days=10))
    hazard.refresh_from_db()
    assert hazard.deadline_at == hazard.due_at
    services.transition(city.danwei, hazard, "submit", {"note": "已整改"})
    hazard.refresh_from_db()
    assert hazard.deadline_at == hazard.reinspect_due_at != hazard.due_at
    assert not Hazard.objects.overdue().exists()
    assert Hazard.objects.overdue(now=hazard.reinspect_due_at + timedelta(seconds=1)).get() == hazard
    services.reinspect(city.xuecheng, [hazard], {hazard.pk: True})
    hazard.refresh_from_db()
    assert hazard.deadline_at is None and not hazard.overdue
