"""What each hazard transition needs: a future deadline for a notice, a deadline and a reason for an
extension, photos or a note for a submission, pass/fail (and a new deadline when failing) for a
re-inspection; one notice per unit; documents numbered per agency, per kind and per year."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from firegov.core.lifecycle import TransitionError
from firegov.core.models import Attachment, Deadline
from firegov.hazards import services
from firegov.hazards.models import Hazard, HazardDocument, HazardStatus
from tests.hazards._support import Clock, at, end_of, new_hazard, photo, put_in


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def hotel_hazard(city):
    return new_hazard(city.xuecheng, city.xc_hotel)


def ordered(city, hazard, due=None):
    services.order(city.xuecheng, [hazard], due or timezone.localdate() + timedelta(days=10))
    hazard.refresh_from_db()
    return hazard


def assert_unchanged(hazard, status):
    hazard.refresh_from_db()
    assert hazard.status == status


# --------------------------------------------------------------------------- order


@pytest.mark.parametrize("due", [None, ""])
def test_order_needs_a_deadline(city, hotel_hazard, due):
    with pytest.raises(ValidationError) as refused:
        services.transition(city.xuecheng, hotel_hazard, "order", {"due": due})
    assert "due" in refused.value.message_dict
    assert_unchanged(hotel_hazard, "confirmed")
    assert not HazardDocument.objects.exists()


def test_order_needs_a_deadline_in_the_future(city, hotel_hazard, clock):
    clock.set(at(2026, 6, 10, 10))
    for due in (date(2026, 6, 9), date(2025, 12, 31), at(2026, 6, 10, 9, 59)):
        with pytest.raises(ValidationError) as refused:
            services.transition(city.xuecheng, hotel_hazard, "order", {"due": due})
        assert "due" in refused.value.message_dict, due
    assert_unchanged(hotel_hazard, "confirmed")
    assert not HazardDocument.objects.exists()
    hazard = services.transition(city.xuecheng, hotel_hazard, "order", {"due": date(2026, 6, 30)})
    assert hazard.status == "ordered"
    assert hazard.due_at == end_of(2026, 6, 30)  # the whole last day counts
    assert hazard.notice.due_at == hazard.due_at


def test_order_via_the_api_without_a_deadline_answers_400(city, hotel_hazard, api_for):
    response = api_for(city.xuecheng).post(f"/api/hazards/{hotel_hazard.pk}/transition/", {"action": "order"},
                                           format="json")
    assert response.status_code == 400
    assert "due" in response.json()
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = api_for(city.xuecheng).post(f"/api/hazards/{hotel_hazard.pk}/transition/",
                                           {"action": "order", "due": past}, format="json")
    assert response.status_code == 400
    assert_unchanged(hotel_hazard, "confirmed")


def test_one_notice_covers_one_unit_only(city):
    hotel = new_hazard(city.xuecheng, city.xc_hotel)
    school = new_hazard(city.xuecheng, city.xc_school)
    with pytest.raises(ValidationError) as refused:
        services.order(city.xuecheng, [hotel, school], timezone.localdate() + timedelta(days=10))
    assert "hazards" in refused.value.message_dict
    assert not HazardDocument.objects.exists()
    assert set(Hazard.objects.values_list("status", flat=True)) == {"confirmed"}
    with pytest.raises(ValidationError):
        services.order(city.xuecheng, [], timezone.localdate() + timedelta(days=10))


def test_one_notice_may_cover_several_hazards_of_the_unit(city):
    first = new_hazard(city.xuecheng, city.xc_hotel, "安全出口堵塞")
    second = new_hazard(city.xuecheng, city.xc_hotel, "灭火器失效")
    document = services.order(city.xuecheng, [first, second], timezone.localdate() + timedelta(days=10))
    assert document.unit == city.xc_hotel and document.kind == "rectification_order"
    assert sorted(i["hazard"] for i in document.items) == sorted([first.pk, second.pk])
    for hazard in (first, second):
        hazard.refresh_from_db()
        assert hazard.status == "ordered" and hazard.notice == document
        assert Deadline.objects.get(purpose=services.RECTIFY, object_id=str(hazard.pk)).due_at == hazard.due_at


def test_a_department_cannot_issue_a_notice(city):
    hazard = new_hazard(city.xuecheng, city.xc_school)
    with pytest.raises(PermissionDenied):
        services.order(city.xc_jiaoyu, [hazard], timezone.localdate() + timedelta(days=10))
    assert not HazardDocument.objects.exists()


# --------------------------------------------------------------------------- extend


def test_extend_needs_a_deadline_and_a_note(city, hotel_hazard, clock):
    clock.set(at(2026, 6, 10, 10))
    hazard = ordered(city, hotel_hazard, date(2026, 6, 20))
    with pytest.raises(ValidationError) as refused:
        services.transition(city.xc_supervisor, hazard, "extend", {"due": date(2026, 7, 20)})
    assert "note" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.transition(city.xc_supervisor, hazard, "extend", {"note": "需采购设备"})
    assert "due" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.transition(city.xc_supervisor, hazard, "extend", {"note": "需采购设备", "due": date(2026, 6, 1)})
    assert "due" in refused.value.message_dict
    hazard.refresh_from_db()
    assert hazard.status == "ordered" and hazard.due_at == end_of(2026, 6, 20)

    hazard = services.transition(city.xc_supervisor, hazard, "extend", {"note": "需采购设备", "due": date(2026, 7, 20)})
    assert hazard.status == "rectifying" and hazard.due_at == end_of(2026, 7, 20)
    deadline = Deadline.objects.get(purpose=services.RECTIFY, object_id=str(hazard.pk), state="open")
    assert deadline.due_at == end_of(2026, 7, 20)
    event = hazard.events.order_by("-id").first()
    assert event.action == "extend" and event.note == "需采购设备"


@pytest.mark.parametrize("due", [date(2026, 6, 15), date(2026, 6, 20)])
def test_an_extension_never_shortens_the_deadline(city, hotel_hazard, clock, due):
    """An "extension" to an earlier day, or to the same day, is no extension (it was accepted)."""
    clock.set(at(2026, 6, 10, 10))
    hazard = ordered(city, hotel_hazard, date(2026, 6, 20))
    with pytest.raises(ValidationError) as refused:
        services.transition(city.xc_supervisor, hazard, "extend", {"note": "需采购设备", "due": due})
    assert "due" in refused.value.message_dict
    assert "2026-06-20" in refused.value.message_dict["due"][0]
    hazard.refresh_from_db()
    assert hazard.status == "ordered" and hazard.due_at == end_of(2026, 6, 20)


def test_extend_via_the_api_without_a_note_answers_400(city, hotel_hazard, api_for):
    hazard = ordered(city, hotel_hazard)
    response = api_for(city.xc_supervisor).post(f"/api/hazards/{hazard.pk}/transition/", {
        "action": "extend", "due": (timezone.localdate() + timedelta(days=40)).isoformat()}, format="json")
    assert response.status_code == 400
    assert "note" in response.json()


@pytest.mark.parametrize("action", ["invalidate", "interim"])
def test_actions_that_need_a_note(city, hotel_hazard, action):
    hazard = ordered(city, hotel_hazard) if action == "interim" else hotel_hazard
    before = hazard.status
    for note in (None, "", "   "):
        with pytest.raises(ValidationError) as refused:
            services.transition(city.xuecheng, hazard, action, {"note": note})
        assert "note" in refused.value.message_dict
    assert_unchanged(hazard, before)
    hazard = services.transition(city.xuecheng, hazard, action, {"note": "设置临时围挡"})
    assert hazard.status == ("invalid" if action == "invalidate" else "rectifying")
    if action == "interim":
        assert hazard.interim_measures == "设置临时围挡"


# --------------------------------------------------------------------------- submit


def test_submit_needs_photos_or_a_note(city, hotel_hazard):
    hazard = ordered(city, hotel_hazard)
    planned = hazard.reinspect_due_at  # 3 working days after the deadline, until the unit applies
    with pytest.raises(ValidationError) as refused:
        services.transition(city.danwei, hazard, "submit", {})
    assert "evidence" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.transition(city.danwei, hazard, "submit", {"note": "  "})
    hazard.refresh_from_db()
    assert hazard.status == "ordered" and hazard.submitted_at is None and hazard.reinspect_due_at == planned


def test_submit_with_a_photo_only(city, hotel_hazard):
    hazard = ordered(city, hotel_hazard)
    hazard = services.transition(city.danwei, hazard, "submit", {}, files=[photo("after.jpg")])
    assert hazard.status == "submitted" and hazard.submitted_at is not None
    assert Attachment.objects.filter(object_id=str(hazard.pk), caption="submit").count() == 1


def test_submit_with_a_note_only(city, hotel_hazard):
    hazard = services.transition(city.danwei, ordered(city, hotel_hazard), "submit", {"note": "已清理杂物"})
    assert hazard.status == "submitted"
    assert hazard.events.order_by("-id").first().note == "已清理杂物"


def test_submit_via_the_api_with_photos(city, hotel_hazard, api_for):
    hazard = ordered(city, hotel_hazard)
    api = api_for(city.danwei)
    response = api.post(f"/api/hazards/{hazard.pk}/transition/", {"action": "submit"}, format="multipart")
    assert response.status_code == 400
    response = api.post(f"/api/hazards/{hazard.pk}/transition/", {"action": "submit", "photos": [photo()]},
                        format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"
    assert Attachment.objects.filter(object_id=str(hazard.pk), caption="submit").count() == 1


# --------------------------------------------------------------------------- reinspect


def test_reinspect_needs_pass_or_fail(city, hotel_hazard, api_for):
    hazard = services.transition(city.danwei, ordered(city, hotel_hazard), "submit", {"note": "已整改"})
    for passed in (None, "", "maybe"):
        with pytest.raises(ValidationError) as refused:
            services.transition(city.xuecheng, hazard, "reinspect", {"passed": passed})
        assert "passed" in refused.value.message_dict
    response = api_for(city.xuecheng).post(f"/api/hazards/{hazard.pk}/transition/", {"action": "reinspect"},
                                           format="json")
    assert response.status_code == 400
    assert_unchanged(hazard, "submitted")
    assert not HazardDocument.objects.filter(kind="reinspection_opinion").exists()


def test_a_failed_reinspection_needs_a_new_future_deadline(city, hotel_hazard, clock):
    clock.set(at(2026, 6, 1, 10))
    hazard = ordered(city, hotel_hazard, date(2026, 6, 10))
    clock.set(at(2026, 6, 8, 10))
    hazard = services.transition(city.danwei, hazard, "submit", {"note": "已整改"})
    clock.set(at(2026, 6, 9, 10))
    with pytest.raises(ValidationError) as refused:
        services.transition(city.xuecheng, hazard, "reinspect", {"passed": False})
    assert "due" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.transition(city.xuecheng, hazard, "reinspect", {"passed": False, "due": date(2026, 6, 8)})
    assert_unchanged(hazard, "submitted")
    assert not HazardDocument.objects.filter(kind="reinspection_opinion").exists()

    hazard = services.transition(city.xuecheng, hazard, "reinspect",
                                 {"passed": False, "due": date(2026, 6, 30), "note": "灭火器仍未更换"})
    assert hazard.status == "rectifying"
    assert hazard.due_at == end_of(2026, 6, 30)
    # the next re-inspection: 3 working days after the new deadline (07-01, 07-02, 07-03), or earlier
    # if the unit applies earlier
    assert hazard.submitted_at is None and hazard.reinspect_due_at == end_of(2026, 7, 3)
    opinion = HazardDocument.objects.get(kind="reinspection_opinion")
    assert opinion.passed is False and opinion.due_at == end_of(2026, 6, 30)
    assert Deadline.objects.get(purpose=services.RECTIFY, object_id=str(hazard.pk), state="open").due_at == \
        end_of(2026, 6, 30)
    reinspections = Deadline.objects.filter(purpose=services.REINSPECT, object_id=str(hazard.pk)).order_by("pk")
    assert [(d.state, d.due_at) for d in reinspections] == [("done", end_of(2026, 6, 11)),
                                                             ("open", end_of(2026, 7, 3))]


def test_a_passed_reinspection_needs_no_deadline_and_closes(city, hotel_hazard):
    hazard = services.transition(city.danwei, ordered(city, hotel_hazard), "submit", {"note": "已整改"})
    hazard = services.transition(city.xuecheng, hazard, "reinspect", {"passed": "pass"})
    assert hazard.status == "closed" and hazard.closed_at is not None
    assert HazardDocument.objects.get(kind="reinspection_opinion").passed is True


def test_one_reinspection_covers_one_unit(city):
    hotel = put_in(new_hazard(city.xuecheng, city.xc_hotel), "submitted")
    school = put_in(new_hazard(city.xuecheng, city.xc_school), "submitted")
    with pytest.raises(ValidationError):
        services.reinspect(city.xuecheng, [hotel, school], {hotel.pk: True, school.pk: True})
    assert set(Hazard.objects.values_list("status", flat=True)) == {"submitted"}


def test_a_mixed_reinspection_closes_the_passed_and_returns_the_failed(city):
    good = put_in(new_hazard(city.xuecheng, city.xc_hotel, "安全出口堵塞"), "submitted")
    bad = put_in(new_hazard(city.xuecheng, city.xc_hotel, "灭火器失效"), "submitted")
    due = timezone.localdate() + timedelta(days=15)
    opinion = services.reinspect(city.xuecheng, [good, bad], {good.pk: True, bad.pk: False}, due)
    assert opinion.passed is False
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.status == HazardStatus.CLOSED and bad.status == HazardStatus.RECTIFYING
    assert {i["hazard"]: i["passed"] for i in opinion.items} == {good.pk: True, bad.pk: False}


# --------------------------------------------------------------------------- numbering


def test_notice_numbers_are_sequential_per_agency_per_year(city, clock):
    clock.set(at(2026, 3, 2, 10))
    due = date(2026, 3, 31)
    numbers = [services.order(city.xuecheng, [new_hazard(city.xuecheng, city.xc_hotel)], due).number
               for _ in range(3)]
    assert numbers == ["枣薛消限字〔2026〕第0001号", "枣薛消限字〔2026〕第0002号", "枣薛消限字〔2026〕第0003号"]
    # another brigade counts on its own
    tz = services.order(city.tengzhou, [new_hazard(city.tengzhou, city.tz_school)], due)
    assert tz.number == "枣滕消限字〔2026〕第0001号"
    assert services.order(city.xc_supervisor, [new_hazard(city.xuecheng, city.xc_school)], due).number == \
        "枣薛消限字〔2026〕第0004号"
    # the detachment's own notices carry its prefix
    assert services.order(city.zhidui, [new_hazard(city.xuecheng, city.xc_school)], due).number == \
        "枣消限字〔2026〕第0001号"
    # a re-inspection opinion is another kind with its own sequence
    hazard = Hazard.objects.filter(unit=city.xc_hotel).order_by("id").first()
    opinion = services.reinspect(city.xuecheng, [hazard], {hazard.pk: True})
    assert opinion.number == "枣薛消复字〔2026〕第0001号"
    # a new year starts again at 0001
    clock.set(at(2027, 1, 4, 10))
    assert services.order(city.xuecheng, [new_hazard(city.xuecheng, city.xc_hotel)], date(2027, 1, 30)).number == \
        "枣薛消限字〔2027〕第0001号"


def test_a_refused_notice_uses_no_number(city, clock):
    clock.set(at(2026, 3, 2, 10))
    hazard = new_hazard(city.xuecheng, city.xc_hotel)
    with pytest.raises(ValidationError):
        services.order(city.xuecheng, [hazard], date(2026, 3, 1))
    with pytest.raises(TransitionError):
        services.order(city.xuecheng, [put_in(new_hazard(city.xuecheng, city.xc_hotel), "closed")],
                       date(2026, 3, 31))
    assert services.order(city.xuecheng, [hazard], date(2026, 3, 31)).number == "枣薛消限字〔2026〕第0001号"


def test_an_admin_notice_is_numbered_by_the_hazards_brigade(city, clock):
    clock.set(at(2026, 3, 2, 10))
    hazard = new_hazard(city.xuecheng, city.xc_hotel)
    assert services.order(city.admin, [hazard], date(2026, 3, 31)).number == "枣薛消限字〔2026〕第0001号"
