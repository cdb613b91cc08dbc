"""Major fire hazard cases (重大火灾隐患): proposal with the GB 35181 judge kernel, collective discussion,
expert review, determination with a numbered 重大火灾隐患整改通知书, listing for government supervision
(挂牌督办), progress, rectification, acceptance, re-opening and de-listing; the public page; and the
case transition table role by role."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from firegov.core import deadlines, worktime
from firegov.core.lifecycle import MONITORING, TransitionError
from firegov.core.models import Deadline, DeadlineState
from firegov.hazards import services
from firegov.hazards.lifecycle import CASE_TRANSITIONS
from firegov.hazards.models import CaseStatus, HazardDocument, MajorHazardCase, Severity
from tests.hazards._support import ROLES, Clock, at, end_of, new_hazard, user_for

EXPERTS = ["专家甲", "专家乙", "专家丙", "专家丁", "专家戊", "专家己", "专家庚"]
PARTICIPANTS = ["张大队长", "李参谋", "王监督员"]
ALL_CASE_STATES = list(CaseStatus.values)
CASE_ACTIONS = sorted(CASE_TRANSITIONS)

# Written out by hand: where each action leads.
EXPECTED_TARGET = {
    "discuss": "discussed", "expert_review": "expert_reviewed", "determine": "determined", "reject": "rejected",
    "serve": None, "list": "listed", "progress": "listed", "rectified": "rectified", "accept": "accepted", "reopen": "listed",
    "delist": "delisted",
}


def listing(**overrides):
    data = {"listing_level": "county", "listing_authority": "薛城区人民政府", "plan": "三个月内增设安全出口",
            "rectify_due": timezone.localdate() + timedelta(days=90), "officials": "王副区长；张校长",
            "funds": "12.50"}
    data.update(overrides)
    return data


def case_payload(action):
    return {
        "discuss": {"participants": list(PARTICIPANTS), "conclusion": "构成重大火灾隐患"},
        "expert_review": {"experts": list(EXPERTS), "experts_agreeing": 7, "conclusion": "专家一致同意"},
        "determine": {},
        "serve": {"received_by": "王校长"},
        "reject": {"note": "不构成重大火灾隐患"},
        "list": listing(),
        "progress": {"note": "已完成一半"},
        "rectified": {"note": "整改完毕，申请验收"},
        "accept": {},
        "reopen": {"note": "安全出口宽度仍不足"},
        "delist": {},
    }[action]


def api_case_payload(action):
    data = {"action": action, **case_payload(action)}
    if "rectify_due" in data:
        data["rectify_due"] = data["rectify_due"].isoformat()
    return data


@pytest.fixture
def school(city):
    city.xc_school.managers.add(city.danwei)
    return city.xc_school


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def propose(city, unit, by=None, hazards=None, **data):
    hazards = hazards if hazards is not None else [new_hazard(city.xuecheng, unit)]
    data.setdefault("place_kinds", ["crowded"])
    data.setdefault("direct_items", ["6.8"])
    return services.propose_case(by or city.xuecheng, unit, hazards, data)


def put_case_in(case, status):
    """Move ``case`` straight into ``status`` with the records that status implies."""
    now = timezone.now()
    fields = {"status": status, "notice_served_at": None}
    if status in ("discussed", "expert_reviewed", "determined", "rejected", "listed", "rectified", "accepted",
                  "delisted"):
        fields.update(participants=list(PARTICIPANTS), conclusion="构成重大火灾隐患")
    if status == "expert_reviewed":
        fields.update(experts=list(EXPERTS), experts_agreeing=7)
    if status in ("determined", "listed", "rectified", "accepted", "delisted"):
        fields.update(determined_at=now)
    if status in ("listed", "rectified", "accepted", "delisted"):
        fields.update(listing_level="county", listing_authority="薛城区人民政府", plan="整改方案",
                      rectify_due=timezone.localdate() + timedelta(days=60), officials="王副区长", listed_at=now)
    if status in ("rectified", "accepted", "delisted"):
        fields.update(rectified_at=now)
    if status in ("accepted", "delisted"):
        fields.update(accepted_at=now)
    MajorHazardCase.objects.filter(pk=case.pk).update(**fields)
    case.refresh_from_db()
    return case


def run(user, case, action, **data):
    return services.case_transition(user, case, action, data)


# --------------------------------------------------------------------------- propose


def test_propose_stores_the_judge_kernel_result_and_a_7_workday_decision_deadline(city, school, clock):
    clock.set(at(2026, 9, 24, 10))  # Thursday before the Mid-Autumn (09-25..27) and National Day holidays
    hazard = new_hazard(city.xuecheng, school)
    case = propose(city, school, hazards=[hazard])
    assert case.status == "proposed"
    assert case.judgement["major"] is True
    assert case.judgement["rule"] == "5.2.2"
    assert case.judgement["direct"] == ["6.8"]
    assert case.place_kinds == ["crowded"] and case.direct_items == ["6.8"]
    assert case.agency == city.xc_brigade
    assert list(case.hazards.all()) == [hazard]
    # 09-28, 29, 30 | 10-01..07 off | 10-08, 09, 10 (Saturday, make-up day) | 10-11 Sunday | 10-12
    assert case.decision_due == end_of(2026, 10, 12)
    assert timezone.localtime(case.decision_due).date() == worktime.add_workdays(date(2026, 9, 24), 7)
    deadline = Deadline.objects.get(purpose=services.CASE_DECISION, object_id=str(case.pk))
    assert deadline.state == "open" and deadline.due_at == case.decision_due
    assert [e.action for e in case.events.all()] == ["propose"]


def test_a_proposal_the_kernel_does_not_find_major_is_stored_as_such(city, school):
    case = propose(city, school, place_kinds=["crowded"], direct_items=[], items=["7.3.3"])
    assert case.judgement["major"] is False
    assert case.items == ["7.3.3"]


def _evidence(city, unit, items, at_once):
    return services.report_hazard(city.xuecheng, unit, {
        "category": "exits_noncompliant", "description": "疏散楼梯被封堵", "gb35181": items,
        "fixable_at_once": at_once})


def test_an_element_evidenced_only_by_a_hazard_corrected_at_once_does_not_count(city, school):
    """GB 35181-2017 5.1.2: only hazards that cannot be corrected at once are elements."""
    at_once = _evidence(city, school, ["6.8"], True)
    case = propose(city, school, hazards=[at_once], direct_items=["6.8"])
    assert case.judgement["major"] is False
    assert case.judgement["ignored"] == ["6.8"] and case.direct_items == ["6.8"]
    lasting = _evidence(city, school, ["6.8"], False)
    case = propose(city, school, hazards=[at_once, lasting], direct_items=["6.8"])
    assert case.judgement["major"] is True and case.judgement["ignored"] == []


def test_an_element_the_officer_records_without_a_hazard_counts(city, school):
    at_once = _evidence(city, school, ["7.3.3"], True)
    case = propose(city, school, hazards=[at_once], direct_items=["6.8"], items=["7.3.3"])
    assert case.judgement["major"] is True and case.judgement["ignored"] == ["7.3.3"]


def test_the_case_form_leaves_elements_of_hazards_corrected_at_once_unticked(city, school, login):
    _evidence(city, school, ["6.8"], True)
    _evidence(city, school, ["7.3.3"], False)
    page = login(city.xuecheng).get(f"/hazards/major/new/?unit={school.pk}").content.decode()
    assert 'value="7.3.3" checked' in page and 'value="6.8" checked' not in page


def test_unknown_gb35181_items_are_refused(city, school):
    with pytest.raises(ValidationError):
        propose(city, school, direct_items=["9.9"])
    assert not MajorHazardCase.objects.exists()


def test_hazards_of_another_unit_are_refused(city, school):
    other = new_hazard(city.xuecheng, city.xc_hotel)
    with pytest.raises(ValidationError) as refused:
        propose(city, school, hazards=[other])
    assert "hazards" in refused.value.message_dict


@pytest.mark.parametrize("role", ROLES)
def test_who_may_propose_via_the_api(city, school, api_for, role):
    hazard = new_hazard(city.xuecheng, school)
    response = api_for(user_for(city, role)).post("/api/major-hazards/", {
        "unit": school.pk, "hazards": [hazard.pk], "place_kinds": ["crowded"], "direct_items": ["6.8"]},
        format="json")
    expected = {"system_admin": 201, "detachment": 201, "brigade_supervisor": 201, "inspector": 201,
                "department_officer": 403, "grid_worker": 403, "unit_manager": 403,
                "monitoring_operator": 404}[role]
    assert response.status_code == expected, response.content
    if expected == 201:
        body = response.json()
        assert body["status"] == "proposed" and body["judgement"]["major"] is True
        assert body["decision_due"]
    else:
        assert not MajorHazardCase.objects.exists()


def test_an_inspector_of_another_county_cannot_propose_or_see_a_case(city, school, api_for):
    hazard = new_hazard(city.xuecheng, school)
    response = api_for(city.tengzhou).post("/api/major-hazards/", {
        "unit": school.pk, "hazards": [hazard.pk], "place_kinds": ["crowded"], "direct_items": ["6.8"]},
        format="json")
    assert response.status_code in (400, 404)
    assert not MajorHazardCase.objects.exists()
    case = propose(city, school, hazards=[hazard])
    api = api_for(city.tengzhou)
    assert api.get(f"/api/major-hazards/{case.pk}/").status_code == 404
    response = api.post(f"/api/major-hazards/{case.pk}/transition/", api_case_payload("discuss"), format="json")
    assert response.status_code == 404


def test_a_unit_manager_sees_only_cases_of_its_units(city, api_for):
    case = propose(city, city.xc_school)  # danwei manages the hotel, not the school
    api = api_for(city.danwei)
    assert api.get("/api/major-hazards/").json()["results"] == []
    response = api.post(f"/api/major-hazards/{case.pk}/transition/", {"action": "progress", "note": "x"},
                        format="json")
    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        run(city.danwei, put_case_in(case, "listed"), "progress", note="x")
    hotel_case = propose(city, city.xc_hotel)
    assert [c["id"] for c in api.get("/api/major-hazards/").json()["results"]] == [hotel_case.pk]


# --------------------------------------------------------------------------- discuss


def test_discussion_needs_three_distinct_participants_and_a_conclusion(city, school):
    case = propose(city, school)
    for participants in (["张三", "李四"], ["张三", "张三", "李四"], ["张三", " 张三", "李四", "王五"], []):
        with pytest.raises(ValidationError) as refused:
            run(city.xc_supervisor, case, "discuss", participants=participants, conclusion="构成")
        assert "participants" in refused.value.message_dict, participants
    with pytest.raises(ValidationError):
        run(city.xc_supervisor, case, "discuss", participants=PARTICIPANTS)
    case.refresh_from_db()
    assert case.status == "proposed" and case.participants == []
    case = run(city.xc_supervisor, case, "discuss", participants="张三，李四,王五", conclusion="构成重大火灾隐患")
    assert case.status == "discussed"
    assert case.participants == ["张三", "李四", "王五"]
    assert case.conclusion == "构成重大火灾隐患"


def test_discussion_with_two_participants_answers_400_via_the_api(city, school, api_for):
    case = propose(city, school)
    response = api_for(city.xc_supervisor).post(f"/api/major-hazards/{case.pk}/transition/", {
        "action": "discuss", "participants": ["张三", "李四"], "conclusion": "构成"}, format="json")
    assert response.status_code == 400
    assert "participants" in response.json()


# --------------------------------------------------------------------------- expert review


def test_expert_review_needs_seven_experts(city, school):
    case = propose(city, school)
    with pytest.raises(ValidationError) as refused:
        run(city.xc_supervisor, case, "expert_review", experts=EXPERTS[:6], experts_agreeing=6)
    assert "experts" in refused.value.message_dict
    with pytest.raises(ValidationError):
        run(city.xc_supervisor, case, "expert_review", experts=EXPERTS[:6] + [EXPERTS[0]], experts_agreeing=5)
    case = run(city.xc_supervisor, case, "expert_review", experts=EXPERTS, experts_agreeing=7)
    assert case.status == "expert_reviewed" and case.experts == EXPERTS and case.experts_agreeing == 7


@pytest.mark.parametrize("agreeing", [8, -1, "", None, "many"])
def test_expert_review_refuses_an_impossible_vote(city, school, agreeing):
    case = run(city.xc_supervisor, propose(city, school), "discuss", participants=PARTICIPANTS, conclusion="构成")
    with pytest.raises(ValidationError) as refused:
        run(city.xc_supervisor, case, "expert_review", experts=EXPERTS, experts_agreeing=agreeing)
    assert "experts_agreeing" in refused.value.message_dict
    case.refresh_from_db()
    assert case.status == "discussed" and case.experts_agreeing is None


# --------------------------------------------------------------------------- determine


def _reviewed(city, unit, panel, agreeing):
    case = run(city.xc_supervisor, propose(city, unit), "discuss", participants=PARTICIPANTS, conclusion="构成")
    return run(city.xc_supervisor, case, "expert_review", experts=panel, experts_agreeing=agreeing)


@pytest.mark.parametrize(("panel", "agreeing"), [(7, 4), (9, 5), (12, 7)])
def test_determination_is_refused_when_fewer_than_two_thirds_of_experts_agree(city, school, panel, agreeing):
    experts = [f"专家{i}" for i in range(panel)]
    case = _reviewed(city, school, experts, agreeing)
    with pytest.raises(TransitionError) as refused:
        run(city.xc_supervisor, case, "determine")
    assert refused.value.code == "experts"
    case.refresh_from_db()
    assert case.status == "expert_reviewed" and case.notice is None
    assert not HazardDocument.objects.filter(kind="major_hazard_notice").exists()
    assert set(case.hazards.values_list("severity", flat=True)) == {Severity.GENERAL}


def test_determination_refusal_answers_409_with_its_code(city, school, api_for):
    case = _reviewed(city, school, EXPERTS, 4)
    response = api_for(city.xc_supervisor).post(f"/api/major-hazards/{case.pk}/transition/",
                                                {"action": "determine"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "experts"


@pytest.mark.parametrize(("panel", "agreeing"), [(9, 6), (12, 8), (7, 5), (7, 7)])
def test_exactly_two_thirds_or_more_may_determine(city, school, clock, panel, agreeing):
    clock.set(at(2026, 9, 30, 15))
    experts = [f"专家{i}" for i in range(panel)]
    case = _reviewed(city, school, experts, agreeing)
    case = run(city.xc_supervisor, case, "determine")
    assert case.status == "determined"
    assert case.determined_at == at(2026, 9, 30, 15)


def test_determination_issues_a_numbered_major_hazard_notice_and_marks_the_hazards(city, school, clock):
    clock.set(at(2026, 9, 30, 15))
    hazards = [new_hazard(city.xuecheng, school, "安全出口数量不足"), new_hazard(city.xuecheng, school, "疏散楼梯堵塞")]
    case = propose(city, school, hazards=hazards)
    case = run(city.xc_supervisor, case, "discuss", participants=PARTICIPANTS, conclusion="构成重大火灾隐患")
    case = run(city.xc_supervisor, case, "determine")
    assert case.status == "determined"
    notice = case.notice
    assert notice.kind == "major_hazard_notice"
    assert notice.number == "枣薛消重字〔2026〕第0001号"
    assert notice.agency == city.xc_brigade and notice.unit == school
    assert sorted(i["hazard"] for i in notice.items) == sorted(h.pk for h in hazards)
    for hazard in hazards:
        hazard.refresh_from_db()
        assert hazard.severity == Severity.MAJOR
        # the change is in the hazard's history
        changes = [e.changes_dict for e in LogEntry.objects.get_for_object(hazard).order_by("timestamp", "pk")
                   if "severity" in e.changes_dict]
        assert [c["severity"] for c in changes] == [["None", "general"], ["general", "major"]]
    # notice within 3 working days of the decision: 10-08, 10-09, 10-10 (make-up Saturday)
    assert case.notice_due == end_of(2026, 10, 10)
    decision = Deadline.objects.get(purpose=services.CASE_DECISION, object_id=str(case.pk))
    assert decision.state == DeadlineState.DONE
    # the next case of the same brigade takes the next number
    other = propose(city, school)
    other = run(city.xc_supervisor, other, "discuss", participants=PARTICIPANTS, conclusion="构成")
    assert run(city.xc_supervisor, other, "determine").notice.number == "枣薛消重字〔2026〕第0002号"


def test_the_major_hazard_notice_is_served_within_3_working_days_or_the_detachment_is_told(city, school, clock,
                                                                                            api_for, login):
    from firegov.core.models import Notification

    clock.set(at(2026, 9, 30, 15))
    case = propose(city, school)
    case = run(city.xc_supervisor, case, "discuss", participants=PARTICIPANTS, conclusion="构成重大火灾隐患")
    case = run(city.xc_supervisor, case, "determine")
    served = Deadline.objects.get(purpose=services.CASE_NOTICE, object_id=str(case.pk))
    assert served.state == "open" and served.due_at == case.notice_due == end_of(2026, 10, 10)
    assert "2026-10-10" in login(city.xuecheng).get(f"/hazards/major/{case.pk}/").content.decode()
    # not served: the brigade head is reminded the working day before, the detachment told after
    assert deadlines.run_due(now=end_of(2026, 10, 10), purposes=[services.CASE_NOTICE]) == 2
    assert Notification.objects.filter(kind="deadline.escalate", recipient=city.zhidui).exists()
    assert Notification.objects.filter(kind="deadline.remind", recipient=city.xc_supervisor).exists()
    clock.set(at(2026, 10, 12, 9))
    api = api_for(city.xuecheng)
    missing = api.post(f"/api/major-hazards/{case.pk}/transition/", {"action": "serve", "received_by": " "},
                       format="json")
    assert missing.status_code == 400 and "received_by" in missing.json()
    done = api.post(f"/api/major-hazards/{case.pk}/transition/", {"action": "serve", "received_by": "王校长"},
                    format="json")
    assert done.status_code == 200, done.content
    assert done.json()["notice_received_by"] == "王校长" and done.json()["status"] == "determined"
    served.refresh_from_db()
    assert served.state == DeadlineState.DONE
    again = api.post(f"/api/major-hazards/{case.pk}/transition/", {"action": "serve", "received_by": "王校长"},
                     format="json")
    assert again.status_code == 409 and again.json()["code"] == "served"
    event = case.events.order_by("id").last()
    assert event.action == "serve" and event.data == {"received_by": "王校长"}
    assert 'value="serve"' not in login(city.xuecheng).get(f"/hazards/major/{case.pk}/").content.decode()


def test_a_notice_not_served_before_listing_can_still_be_served(city, school):
    case = run(city.xc_supervisor, _determined(city, school), "list", **listing())
    case = run(city.xuecheng, case, "serve", received_by="王校长")
    assert case.status == "listed" and case.notice_served_at is not None
    assert Deadline.objects.get(purpose=services.CASE_NOTICE, object_id=str(case.pk)).state == DeadlineState.DONE


@pytest.mark.parametrize("items", [[{"item": "6.8"}], [["6.8"]], 5, "6.8"])
def test_odd_item_shapes_get_a_clear_answer_not_a_server_error(city, school, api_for, items):
    hazard = _evidence(city, school, ["6.8"], True)
    response = api_for(city.xuecheng).post("/api/major-hazards/", {
        "unit": school.pk, "hazards": [hazard.pk], "place_kinds": ["crowded"], "direct_items": items},
        format="json")
    assert response.status_code in (201, 400), response.content
    if response.status_code == 201:  # the object form: still not counted, it is correctable at once
        assert response.json()["judgement"]["ignored"] == ["6.8"]


def test_determination_needs_a_collective_discussion_even_after_expert_review(city, school):
    """GB 35181-2017 4.2 b): a collective discussion (>= 3 people) is always part of the determination;
    an expert review (4.2 c) is added for complex cases, it does not replace the discussion."""
    case = propose(city, school)
    case = run(city.xc_supervisor, case, "expert_review", experts=EXPERTS, experts_agreeing=7)
    assert case.participants == []
    with pytest.raises((TransitionError, ValidationError)):
        run(city.xc_supervisor, case, "determine")
    case.refresh_from_db()
    assert case.status == "expert_reviewed"


# --------------------------------------------------------------------------- reject


def test_reject_needs_a_reason_and_closes_the_decision_deadline(city, school):
    case = propose(city, school)
    with pytest.raises(ValidationError):
        run(city.xc_supervisor, case, "reject")
    case = run(city.xc_supervisor, case, "reject", note="经集体讨论不构成重大火灾隐患")
    assert case.status == "rejected"
    assert case.conclusion == "经集体讨论不构成重大火灾隐患"
    assert Deadline.objects.get(purpose=services.CASE_DECISION, object_id=str(case.pk)).state == "done"
    with pytest.raises(TransitionError):
        run(city.xc_supervisor, case, "determine")


# --------------------------------------------------------------------------- list


def _determined(city, unit):
    case = run(city.xc_supervisor, propose(city, unit), "discuss", participants=PARTICIPANTS, conclusion="构成")
    return run(city.xc_supervisor, case, "determine")


@pytest.mark.parametrize("field", ["listing_level", "listing_authority", "plan", "rectify_due", "officials", "funds"])
def test_listing_needs_every_field(city, school, field):
    case = _determined(city, school)
    for empty in (None, ""):
        with pytest.raises(ValidationError) as refused:
            run(city.xc_supervisor, case, "list", **listing(**{field: empty}))
        assert field in refused.value.message_dict
    case.refresh_from_db()
    assert case.status == "determined" and case.listed_at is None


def test_listing_refuses_an_unknown_level_and_a_bad_date(city, school):
    case = _determined(city, school)
    with pytest.raises(ValidationError):
        run(city.xc_supervisor, case, "list", **listing(listing_level="galaxy"))
    with pytest.raises(ValidationError) as refused:
        run(city.xc_supervisor, case, "list", **listing(rectify_due="2026-13-45"))
    assert "rectify_due" in refused.value.message_dict
    case.refresh_from_db()
    assert case.status == "determined"


@pytest.mark.parametrize("funds", ["-1", "abc", "NaN", "Infinity", "1e12"])
def test_listing_refuses_funds_that_are_no_amount(city, school, funds):
    case = _determined(city, school)
    with pytest.raises(ValidationError) as refused:
        run(city.xc_supervisor, case, "list", **listing(funds=funds))
    assert "funds" in refused.value.message_dict
    case.refresh_from_db()
    assert case.status == "determined"


def test_listing_accepts_no_funds_needed(city, school):
    """Zero is an answer (the unit pays from its running budget); a missing amount is not."""
    case = run(city.xc_supervisor, _determined(city, school), "list", **listing(funds="0"))
    assert case.status == "listed" and case.funds == 0


def test_listing_refuses_a_rectification_deadline_in_the_past(city, school):
    """Like a rectification notice (whose deadline must lie in the future), a listed major hazard
    cannot be given a deadline that has already passed."""
    case = _determined(city, school)
    with pytest.raises(ValidationError):
        run(city.xc_supervisor, case, "list", **listing(rectify_due=timezone.localdate() - timedelta(days=30)))


def test_listing_via_the_api_registers_the_rectification_deadline(city, school, api_for):
    case = _determined(city, school)
    due = timezone.localdate() + timedelta(days=90)
    response = api_for(city.xc_supervisor).post(f"/api/major-hazards/{case.pk}/transition/", {
        "action": "list", "listing_level": "county", "listing_authority": "薛城区人民政府", "plan": "整改方案",
        "rectify_due": due.isoformat(), "officials": "王副区长", "funds": "30"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "listed" and body["rectify_due"] == due.isoformat() and body["listed_at"]
    deadline = Deadline.objects.get(purpose=services.CASE_RECTIFY, object_id=str(case.pk))
    assert deadline.state == "open"
    assert timezone.localtime(deadline.due_at).date() == due


def test_listing_via_the_api_without_a_field_answers_400(city, school, api_for):
    case = _determined(city, school)
    response = api_for(city.xc_supervisor).post(f"/api/major-hazards/{case.pk}/transition/", {
        "action": "list", "listing_level": "county", "listing_authority": "薛城区人民政府",
        "rectify_due": (timezone.localdate() + timedelta(days=90)).isoformat(), "officials": "王副区长"},
        format="json")
    assert response.status_code == 400
    assert "plan" in response.json()


# --------------------------------------------------------------------------- after listing


def _listed(city, unit):
    return run(city.xc_supervisor, _determined(city, unit), "list", **listing())


def test_progress_rectified_reopen_accept_delist(city, school):
    case = _listed(city, school)
    rectify = lambda: Deadline.objects.get(purpose=services.CASE_RECTIFY, object_id=str(case.pk),  # noqa: E731
                                           state__in=["open", "acknowledged"])
    assert rectify().state == "open"

    with pytest.raises(ValidationError):
        run(city.danwei, case, "progress")
    case = run(city.danwei, case, "progress", note="已拆除违章隔断")
    assert case.status == "listed"
    case = run(city.xc_jiaoyu, case, "progress", note="教育局督导检查")
    assert case.status == "listed"
    assert [e.action for e in case.events.filter(action="progress")] == ["progress", "progress"]

    with pytest.raises(ValidationError):
        run(city.danwei, case, "rectified")
    case = run(city.danwei, case, "rectified", note="整改完毕")
    assert case.status == "rectified" and case.rectified_at is not None
    assert rectify().state == "acknowledged"

    with pytest.raises(ValidationError):
        run(city.xc_supervisor, case, "reopen")
    case = run(city.xc_supervisor, case, "reopen", note="疏散宽度仍不足")
    assert case.status == "listed" and case.rectified_at is None

    case = run(city.danwei, case, "rectified", note="再次整改完毕")
    case = run(city.xc_supervisor, case, "accept")
    assert case.status == "accepted" and case.accepted_at is not None
    assert Deadline.objects.filter(purpose=services.CASE_RECTIFY, object_id=str(case.pk),
                                   state="done").exists()
    assert not Deadline.objects.filter(purpose=services.CASE_RECTIFY, object_id=str(case.pk),
                                       state__in=["open", "acknowledged"]).exists()

    case = run(city.xc_supervisor, case, "delist")
    assert case.status == "delisted" and case.delisted_at is not None
    assert [e.action for e in case.events.all()] == [
        "propose", "discuss", "determine", "list", "progress", "progress", "rectified", "reopen", "rectified",
        "accept", "delist"]
    for action in CASE_ACTIONS:
        with pytest.raises(TransitionError):
            run(city.admin, case, action, **case_payload(action))


def test_a_listed_case_reports_its_progress_every_month(city, school, clock):
    """定期报告: listing asks for the first progress report within a month; each report asks for the
    next one a month later; a late report escalates to the brigade's supervisor; rectification
    ends the reports, and a failed acceptance starts them again."""
    from firegov.core.models import Notification

    def progress():
        return Deadline.objects.filter(purpose=services.CASE_PROGRESS, object_id=str(case.pk))

    clock.set(at(2026, 9, 1, 10))
    case = _listed(city, school)
    due = progress().get(state="open").due_at
    assert due == end_of(2026, 10, 1)
    clock.set(at(2026, 9, 20, 10))
    case = run(city.danwei, case, "progress", note="已拆除违章隔断")
    assert progress().get(state="open").due_at == end_of(2026, 10, 20)
    deadlines.run_due(now=at(2026, 10, 21, 9))
    assert Notification.objects.filter(recipient=city.xc_supervisor, kind="deadline.escalate",
                                       subject__contains="整改进展报告").exists()
    clock.set(at(2026, 10, 22, 10))
    case = run(city.danwei, case, "rectified", note="整改完毕")
    assert not progress().filter(state__in=["open", "acknowledged"]).exists()
    case = run(city.xc_supervisor, case, "reopen", note="疏散宽度仍不足")
    assert progress().get(state="open").due_at == end_of(2026, 11, 21)


def test_an_overdue_listed_case_escalates_to_the_detachment(city, school, clock):
    from firegov.core.models import Notification

    clock.set(at(2026, 10, 12, 10))
    case = run(city.xc_supervisor, _determined(city, school), "serve", received_by="王校长")
    case = run(city.xc_supervisor, case, "list", **listing(rectify_due=date(2026, 12, 31)))
    deadlines.run_due(now=at(2026, 12, 31, 23))
    rectify = Notification.objects.filter(kind="deadline.escalate", subject__contains=school.name).exclude(
        subject__contains="进展报告")  # the monthly progress reports, missed too, escalate on their own
    assert not rectify.exists()
    deadlines.run_due(now=at(2027, 1, 4, 10))
    escalated = rectify.all()
    assert sorted(escalated.values_list("recipient__username", flat=True)) == ["zhidui"]
    assert Deadline.objects.get(purpose=services.CASE_RECTIFY, object_id=str(case.pk)).state == "open"


def test_reopening_rearms_the_rectification_deadline(city, school, clock):
    """Not accepted (验收未通过) sends the case back to rectifying: its deadline must escalate again to
    the detachment when it passes (reporting 'rectified' only acknowledged it)."""
    from firegov.core import deadlines
    from firegov.core.models import Notification

    clock.set(at(2026, 10, 12, 10))
    case = run(city.xc_supervisor, _determined(city, school), "list", **listing(rectify_due=date(2026, 12, 31)))
    clock.set(at(2026, 11, 2, 10))
    case = run(city.danwei, case, "rectified", note="整改完毕")
    clock.set(at(2026, 11, 3, 10))
    case = run(city.xc_supervisor, case, "reopen", note="仍不合格")
    assert case.status == "listed"
    deadlines.run_due(now=at(2027, 1, 4, 10))  # past the deadline (2026-12-31 23:59:59)
    escalated = Notification.objects.filter(kind="deadline.escalate", recipient=city.zhidui,
                                            subject__contains=school.name)
    assert escalated.exists(), "the re-opened case's overdue deadline did not escalate to the detachment"
    deadline = Deadline.objects.get(purpose=services.CASE_RECTIFY, object_id=str(case.pk),
                                    state__in=["open", "acknowledged"])
    assert deadline.state == DeadlineState.OPEN


def test_the_public_page_shows_listed_cases_until_delisted(city, school, client):
    page = client.get("/public/major-hazards/")
    assert page.status_code == 200
    assert school.name not in page.content.decode()

    case = _determined(city, school)
    assert school.name not in client.get("/public/major-hazards/").content.decode()

    case = run(city.xc_supervisor, case, "list", **listing(listing_authority="薛城区人民政府"))
    html = client.get("/public/major-hazards/").content.decode()
    assert school.name in html and "薛城区人民政府" in html

    case = run(city.danwei, case, "rectified", note="整改完毕")
    assert school.name in client.get("/public/major-hazards/").content.decode()
    case = run(city.xc_supervisor, case, "accept")
    assert school.name in client.get("/public/major-hazards/").content.decode()

    run(city.xc_supervisor, case, "delist")
    page = client.get("/public/major-hazards/")
    assert page.status_code == 200
    assert school.name not in page.content.decode()


def test_a_rejected_case_is_never_public(city, school, client):
    run(city.xc_supervisor, propose(city, school), "reject", note="不构成")
    assert school.name not in client.get("/public/major-hazards/").content.decode()


# --------------------------------------------------------------------------- the table, role by role


def test_case_table_matches_the_expected_targets():
    assert set(CASE_TRANSITIONS) == set(EXPECTED_TARGET)
    for action, step in CASE_TRANSITIONS.items():
        assert step.target == EXPECTED_TARGET[action], action
        assert step.sources <= set(ALL_CASE_STATES), action
        assert step.roles <= set(ROLES), action
        assert MONITORING not in step.roles, action


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", CASE_ACTIONS)
def test_case_transition_for_every_role_and_state(city, school, action, role):
    step = CASE_TRANSITIONS[action]
    user = user_for(city, role)
    base = propose(city, school)
    for state in ALL_CASE_STATES:
        case = put_case_in(MajorHazardCase.objects.get(pk=base.pk), state)
        if state not in step.sources:
            with pytest.raises(TransitionError) as refused:
                run(user, case, action, **case_payload(action))
            assert refused.value.code == "wrong_state", state
        elif role not in step.roles:
            with pytest.raises(PermissionDenied) as refused:
                run(user, case, action, **case_payload(action))
            assert str(refused.value), state
        else:
            result = run(user, case, action, **case_payload(action))
            assert result.status == (EXPECTED_TARGET[action] or state), state
            assert case.events.order_by("-id").first().actor == user
            continue
        case.refresh_from_db()
        assert case.status == state


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", CASE_ACTIONS)
def test_case_api_for_every_role(city, school, api_for, action, role):
    step = CASE_TRANSITIONS[action]
    api = api_for(user_for(city, role))
    source = sorted(step.sources)[0]
    wrong = next(s for s in ALL_CASE_STATES if s not in step.sources)
    case = put_case_in(propose(city, school), source)
    response = api.post(f"/api/major-hazards/{case.pk}/transition/", api_case_payload(action), format="json")
    if role == MONITORING:
        expected = 404  # may not see cases at all
    elif role in step.roles:
        expected = 200
    else:
        expected = 403
    assert response.status_code == expected, response.content
    if expected == 200:
        assert response.json()["status"] == (EXPECTED_TARGET[action] or source)
    case = put_case_in(propose(city, school), wrong)
    response = api.post(f"/api/major-hazards/{case.pk}/transition/", api_case_payload(action), format="json")
    assert response.status_code == (404 if role == MONITORING else 409), response.content
    if role != MONITORING:
        assert response.json()["code"] == "wrong_state"


EXPLICIT_CASE = [
    ("unit_manager", "progress", "listed", True),
    ("unit_manager", "rectified", "listed", True),
    ("unit_manager", "accept", "rectified", False),
    ("unit_manager", "delist", "accepted", False),
    ("unit_manager", "determine", "discussed", False),
    ("department_officer", "progress", "listed", True),
    ("department_officer", "rectified", "listed", False),
    ("department_officer", "list", "determined", False),
    ("grid_worker", "progress", "listed", False),
    ("inspector", "determine", "discussed", False),
    ("inspector", "discuss", "proposed", False),
    ("inspector", "progress", "listed", True),
    ("brigade_supervisor", "determine", "discussed", True),
    ("brigade_supervisor", "list", "determined", True),
    ("detachment", "delist", "accepted", True),
    ("monitoring_operator", "progress", "listed", False),
]


@pytest.mark.parametrize(("role", "action", "state", "ok"), EXPLICIT_CASE)
def test_explicit_case_role_expectations(city, school, role, action, state, ok):
    case = put_case_in(propose(city, school), state)
    user = user_for(city, role)
    if ok:
        assert run(user, case, action, **case_payload(action)).status == (EXPECTED_TARGET[action] or state)
    else:
        with pytest.raises(PermissionDenied):
            run(user, case, action, **case_payload(action))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_determination_does_not_undo_a_hazards_transition_it_waited_for(city, school):
    """Determining a case saves each hazard's severity. A hazard closed meanwhile by another
    request (whose transaction holds the row) keeps its closing: the determination waits for the
    row and reads it afresh, instead of writing back the deadline it had read before."""
    import threading

    from django.db import connection, transaction

    from firegov.hazards.models import Hazard

    if connection.vendor != "postgresql":
        pytest.skip("row locks (SELECT … FOR UPDATE) are a PostgreSQL matter; SQLite serialises all writers")
    hazard = new_hazard(city.xuecheng, school)
    services.order(city.xuecheng, [hazard], timezone.localdate() + timedelta(days=10))
    past = timezone.now() - timedelta(days=1)
    Hazard.objects.filter(pk=hazard.pk).update(due_at=past, deadline_at=past)  # now overdue
    hazard.refresh_from_db()
    assert hazard.deadline_at is not None and hazard.overdue
    case = propose(city, school, hazards=[hazard])
    case = run(city.xc_supervisor, case, "discuss", participants=PARTICIPANTS, conclusion="构成重大火灾隐患")
    holding, done, errors = threading.Event(), threading.Event(), []

    def close_meanwhile():
        try:
            with transaction.atomic():
                Hazard.objects.select_for_update().get(pk=hazard.pk)
                Hazard.objects.filter(pk=hazard.pk).update(status="closed", closed_at=timezone.now(), deadline_at=None)
                holding.set()
                done.wait(1.0)  # the determination starts meanwhile and must wait for this row
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    other = threading.Thread(target=close_meanwhile)
    other.start()
    assert holding.wait(10)
    run(city.xc_supervisor, case, "determine")
    done.set()
    other.join(10)
    assert errors == []
    hazard.refresh_from_db()
    assert (hazard.status, hazard.severity, hazard.deadline_at, hazard.overdue) == ("closed", "major", None, False)


def test_the_case_timeline_speaks_the_readers_language(city, school, client):
    """The timeline listed the codes ("discuss", "discussed") instead of the steps' names."""
    case = run(city.xc_supervisor, propose(city, school), "discuss", participants=PARTICIPANTS, conclusion="构成")
    client.force_login(city.xc_supervisor)
    page = client.get(f"/hazards/major/{case.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "<td>集体讨论</td>" in page and "<td>discuss</td>" not in page
    from django.utils import translation

    with translation.override("zh-hans"):
        assert f"<td>{CaseStatus.DISCUSSED.label}</td>" in page and "<td>discussed</td>" not in page
