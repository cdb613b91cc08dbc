"""The check of a public report (举报核查): the complaint inspection opened from the report, its
completion meeting the check deadline, the conclusion taking the inspection's findings, marking a
report as a duplicate by hand, every report action for every role, and bad references from outside."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from firegov.core.lifecycle import TransitionError
from firegov.core.models import Deadline, Notification
from firegov.hazards import reports
from firegov.hazards.models import Hazard, PublicReport, ReportStatus
from firegov.inspections import services as inspections
from firegov.inspections.models import Inspection, InspectionKind, InspectionStatus
from tests.hazards.test_reports import live_check, submit, tiers  # noqa: F401 - fixture
from tests.inspections.helpers import answer_all, failing_items, officer


def team(city):
    return [city.xuecheng.pk, city.xc_supervisor.pk]


def inspect(api, report, unit, people):
    return api.post(f"/api/reports/{report.pk}/inspect/", {"unit": unit.pk, "inspectors": people}, format="json")


def finish(user, inspection, fail=0):
    answer_all(user, inspection, failing_items(inspection, fail))
    return inspections.complete(user, inspection, {"signed_by": "张经理"})


# --------------------------------------------------------------------------- the complaint inspection


def test_a_report_opens_a_complaint_inspection_for_its_check(city, api_for):
    report = submit(city)
    response = inspect(api_for(city.xuecheng), report, city.xc_hotel, team(city))
    assert response.status_code == 200, response.content
    report.refresh_from_db()
    inspection = report.inspection
    assert response.json()["inspection"] == inspection.pk
    assert inspection.kind == InspectionKind.COMPLAINT and inspection.status == InspectionStatus.PLANNED
    assert inspection.unit == city.xc_hotel == report.unit
    assert set(inspection.inspectors.values_list("pk", flat=True)) == set(team(city))
    assert inspection.planned_for == timezone.localdate(report.check_due)
    assert report.status == ReportStatus.ASSIGNED  # still to be answered
    assert live_check(report).count() == 1  # the check is not done by opening it
    notified = Notification.objects.filter(kind="report.inspection", link=f"/inspections/{inspection.pk}/")
    assert set(notified.values_list("recipient__username", flat=True)) == {"xc_dd"}  # not the opener


def test_a_complaint_inspection_needs_two_inspectors_and_stores_nothing_otherwise(city, api_for):
    report = submit(city)
    response = inspect(api_for(city.xuecheng), report, city.xc_hotel, [city.xuecheng.pk])
    assert response.status_code == 400 and "inspectors" in response.json()
    report.refresh_from_db()
    assert report.inspection is None and report.unit is None
    assert not Inspection.objects.exists()


def test_inspectors_outside_the_jurisdiction_are_refused(city, api_for):
    report = submit(city)
    stranger = officer(city, "tz_li", agency=city.tz_brigade)
    for people in ([city.xuecheng.pk, stranger.pk], [city.xuecheng.pk, city.jiaoyu.pk], ["x", 1], "1,2"):
        response = inspect(api_for(city.xuecheng), report, city.xc_hotel, people)
        assert response.status_code == 400, (people, response.content)
        assert "inspectors" in response.json()
    assert not Inspection.objects.exists()


def test_one_open_complaint_inspection_at_a_time_and_another_after_a_cancellation(city, api_for):
    report = submit(city)
    api = api_for(city.xuecheng)
    assert inspect(api, report, city.xc_hotel, team(city)).status_code == 200
    again = inspect(api, report, city.xc_hotel, team(city))
    assert again.status_code == 409 and Inspection.objects.count() == 1
    first = PublicReport.objects.get(pk=report.pk).inspection
    inspections.cancel(city.xuecheng, first, "地址有误，改查另一家")
    assert inspect(api, report, city.xc_school, team(city)).status_code == 200
    report.refresh_from_db()
    assert report.inspection != first and report.unit == city.xc_school


def test_the_answer_waits_for_the_open_inspection(city, api_for):
    report = submit(city)
    reports.open_inspection(city.xuecheng, report, city.xc_hotel, [city.xuecheng, city.xc_supervisor])
    response = api_for(city.xuecheng).post(
        f"/api/reports/{report.pk}/conclude/", {"valid": True, "result": "属实"}, format="json")
    assert response.status_code == 409
    report.refresh_from_db()
    assert report.status == ReportStatus.ASSIGNED and report.answered_at is None


def test_completing_the_inspection_meets_the_check_and_its_hazard_answers_the_report(city, api_for, client):
    report = submit(city)
    report = reports.open_inspection(city.xuecheng, report, city.xc_hotel, [city.xuecheng, city.xc_supervisor])
    finish(city.xuecheng, report.inspection, fail=2)
    assert not live_check(report).exists()
    assert Deadline.objects.get(purpose=reports.CHECK, object_id=str(report.pk)).state == "done"
    found = set(Hazard.objects.filter(inspection=report.inspection).values_list("pk", flat=True))
    assert len(found) == 2
    response = api_for(city.xuecheng).post(
        f"/api/reports/{report.pk}/conclude/", {"valid": True, "result": "举报属实，已责令整改。"}, format="json")
    assert response.status_code == 200, response.content
    report.refresh_from_db()
    assert report.status == ReportStatus.VALID and report.hazard_id in found
    assert Hazard.objects.count() == 2  # no second hazard for the same finding
    assert "举报属实，已责令整改。" in client.get(f"/public/report/track/?code={report.tracking_code}").content.decode()


def test_the_hazard_of_the_reported_category_is_preferred(city):
    report = submit(city, category="blocked_exit")
    report = reports.open_inspection(city.xuecheng, report, city.xc_hotel, [city.xuecheng, city.xc_supervisor])
    finish(city.xuecheng, report.inspection, fail=3)
    hazards = list(Hazard.objects.filter(inspection=report.inspection).order_by("pk"))
    target = hazards[-1]
    Hazard.objects.filter(pk=target.pk).update(category="blocked_exit")
    Hazard.objects.exclude(pk=target.pk).update(category="extinguisher_missing")
    report = reports.conclude(city.xuecheng, report, True, "属实")
    assert report.hazard_id == target.pk


def test_a_passed_complaint_inspection_makes_no_hazard(city):
    report = submit(city)
    report = reports.open_inspection(city.xuecheng, report, city.xc_hotel, [city.xuecheng, city.xc_supervisor])
    finish(city.xuecheng, report.inspection)
    report = reports.conclude(city.xuecheng, report, False, "现场核查，安全出口畅通。")
    assert report.status == ReportStatus.INVALID and report.hazard is None
    assert not Hazard.objects.exists()


def test_other_inspections_do_not_meet_the_check(city):
    report = submit(city)
    routine = inspections.create_inspection(city.xuecheng, city.xc_hotel, InspectionKind.ROUTINE,
                                            inspectors=[city.xuecheng, city.xc_supervisor])
    finish(city.xuecheng, routine)
    assert live_check(report).count() == 1


def test_the_complaint_inspection_from_the_page(city, login):
    report = submit(city)
    client = login(city.xuecheng)
    page = client.get(f"/hazards/reports/{report.pk}/").content.decode()
    assert 'id="inspect-form"' in page and f'value="{city.xc_supervisor.pk}"' in page
    response = client.post(f"/hazards/reports/{report.pk}/action/", {
        "action": "inspect", "unit": city.xc_hotel.pk, "inspectors": team(city)})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.inspection.kind == InspectionKind.COMPLAINT
    page = client.get(f"/hazards/reports/{report.pk}/").content.decode()
    assert f"/inspections/{report.inspection.pk}/" in page and 'id="inspect-form"' not in page
    assert 'name="action" value="confirm"' not in page  # the answer waits for the inspection


# --------------------------------------------------------------------------- duplicates by hand


def test_a_report_is_joined_to_an_earlier_one_by_hand(city, api_for, client):
    first = submit(city, ip="10.0.0.1")
    later = submit(city, ip="10.0.0.2", place="薛城大酒店", address="泰山路一号")  # not matched automatically
    assert later.status == ReportStatus.ASSIGNED
    response = api_for(city.xuecheng).post(
        f"/api/reports/{later.pk}/duplicate/", {"duplicate_of": first.pk}, format="json")
    assert response.status_code == 200, response.content
    later.refresh_from_db()
    assert later.status == ReportStatus.DUPLICATE and later.duplicate_of == first
    assert not live_check(later).exists() and live_check(first).count() == 1
    reports.conclude(city.xuecheng, first, False, "经核查，出口畅通。")
    assert "经核查，出口畅通。" in client.get(f"/public/report/track/?code={later.tracking_code}").content.decode()


def test_a_duplicate_of_a_duplicate_joins_the_first(city):
    first = submit(city, ip="10.0.0.1")
    second = submit(city, ip="10.0.0.2")  # matched automatically
    third = submit(city, ip="10.0.0.3", place="另一个名字", address="另一地址")
    assert second.duplicate_of == first
    assert reports.mark_duplicate(city.xuecheng, third, second).duplicate_of == first


def test_a_duplicate_needs_an_earlier_visible_report(city, api_for):
    first = submit(city, ip="10.0.0.1")
    later = submit(city, ip="10.0.0.2", place="别处", address="别的路")
    elsewhere = submit(city, region=city.tz_street, ip="10.0.0.3", place="滕州某店")
    api = api_for(city.xuecheng)
    answers = set()
    for target in (later.pk, first.pk + later.pk + elsewhere.pk + 99, elsewhere.pk, "abc", None):
        report = first if target == later.pk else later
        response = api.post(f"/api/reports/{report.pk}/duplicate/", {"duplicate_of": target}, format="json")
        assert response.status_code == 400, (target, response.content)
        answers.add(response.content)
    assert len(answers) == 1  # the same answer whether the report is missing or out of reach
    with pytest.raises(ValidationError):
        reports.mark_duplicate(city.xuecheng, later, later)
    assert PublicReport.objects.filter(status=ReportStatus.DUPLICATE).count() == 0


def test_a_duplicate_by_tracking_code_from_the_page(city, login):
    first = submit(city, ip="10.0.0.1")
    later = submit(city, ip="10.0.0.2", place="薛城大酒店", address="泰山路一号")
    client = login(city.xuecheng)
    response = client.post(f"/hazards/reports/{later.pk}/action/",
                           {"action": "duplicate", "duplicate_of": first.tracking_code.lower()})
    assert response.status_code == 302
    later.refresh_from_db()
    assert later.duplicate_of == first


def test_reports_joined_to_a_duplicate_follow_it_to_the_original(city, client):
    first = submit(city, ip="10.0.0.1")
    second = submit(city, ip="10.0.0.2", place="别处", address="别的路")
    third = submit(city, ip="10.0.0.3", place="别处", address="别的路")  # joined to the second automatically
    assert third.duplicate_of == second
    reports.mark_duplicate(city.xuecheng, second, first)
    third.refresh_from_db()
    assert third.duplicate_of == first
    reports.conclude(city.xuecheng, first, False, "经核查，出口畅通。")
    assert "经核查，出口畅通。" in client.get(f"/public/report/track/?code={third.tracking_code}").content.decode()


def test_hazards_of_a_complaint_inspection_come_from_a_public_report(city):
    report = reports.open_inspection(city.xuecheng, submit(city), city.xc_hotel, [city.xuecheng, city.xc_supervisor])
    finish(city.xuecheng, report.inspection, fail=1)
    assert set(Hazard.objects.values_list("source", flat=True)) == {"report"}


def test_a_report_under_inspection_is_not_marked_duplicate(city):
    first = submit(city, ip="10.0.0.1")
    later = submit(city, ip="10.0.0.2", place="别处", address="别的路")
    reports.open_inspection(city.xuecheng, later, city.xc_hotel, [city.xuecheng, city.xc_supervisor])
    with pytest.raises(TransitionError):
        reports.mark_duplicate(city.xuecheng, later, first)


# --------------------------------------------------------------------------- every action, every role

ACTIONS = {
    "inspect": lambda city, r: {"unit": city.xc_hotel.pk, "inspectors": team(city)},
    "duplicate": lambda city, r: {"duplicate_of": PublicReport.objects.exclude(pk=r.pk).get().pk},
    "conclude": lambda city, r: {"valid": False, "result": "不属实"},
}
ALLOWED = ["admin", "zhidui", "xc_supervisor", "xuecheng"]
HIDDEN = ["tengzhou", "jiaoyu", "xc_jiaoyu", "wangge", "danwei", "jiankong", "nobody"]


def _pair(city):
    first = submit(city, ip="10.0.0.1")
    return first, submit(city, ip="10.0.0.2", place="别处", address="别的路")


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("who", ALLOWED)
def test_fire_officers_of_the_area_may_take_each_action(city, api_for, action, who):
    _first, report = _pair(city)
    response = api_for(getattr(city, who)).post(f"/api/reports/{report.pk}/{action}/",
                                                ACTIONS[action](city, report), format="json")
    assert response.status_code == 200, response.content
    report.refresh_from_db()
    assert (report.inspection_id is not None, report.status) == {
        "inspect": (True, ReportStatus.ASSIGNED), "duplicate": (False, ReportStatus.DUPLICATE),
        "conclude": (False, ReportStatus.INVALID)}[action]


@pytest.mark.parametrize("action", sorted(ACTIONS) + ["assign", "award", "pay"])
@pytest.mark.parametrize("who", HIDDEN)
def test_other_roles_and_areas_get_404_and_change_nothing(city, api_for, action, who):
    _first, report = _pair(city)
    before = PublicReport.objects.values().get(pk=report.pk)
    body = ACTIONS[action](city, report) if action in ACTIONS else {"agency": city.xc_brigade.pk}
    response = api_for(getattr(city, who)).post(f"/api/reports/{report.pk}/{action}/", body, format="json")
    assert response.status_code == 404, response.content
    assert PublicReport.objects.values().get(pk=report.pk) == before
    assert not Inspection.objects.exists()


@pytest.mark.parametrize("who", ALLOWED)
def test_assign_from_triage(city, api_for, who):
    report = submit(city, region=city.city, place="市中心某商场")
    if who == "xuecheng" or who == "xc_supervisor":  # the county does not see a city-level report
        expected = 404
    else:
        expected = 200
    response = api_for(getattr(city, who)).post(f"/api/reports/{report.pk}/assign/",
                                                {"agency": city.tz_brigade.pk}, format="json")
    assert response.status_code == expected, response.content
    report.refresh_from_db()
    assert (report.agency == city.tz_brigade) == (expected == 200)


@pytest.mark.parametrize("who,expected", [("admin", 200), ("zhidui", 200), ("xc_supervisor", 200),
                                          ("xuecheng", 403)])
def test_rewards_and_payments_are_for_leaders(city, api_for, tiers, who, expected):  # noqa: F811
    report = reports.conclude(city.xuecheng, submit(city), True, "属实", city.xc_hotel)
    api = api_for(getattr(city, who))
    assert api.post(f"/api/reports/{report.pk}/award/", {"tier": "general"}, format="json").status_code == expected
    if expected == 200:
        assert api.post(f"/api/reports/{report.pk}/pay/", {"reference": "B-1"}, format="json").status_code == 200
    else:
        reports.award(city.xc_supervisor, report, tiers["general"])
        assert api.post(f"/api/reports/{report.pk}/pay/", {"reference": "B-1"}, format="json").status_code == 403
    report.refresh_from_db()
    assert bool(report.reward_paid_at) == (expected == 200)


# --------------------------------------------------------------------------- bad references from outside

BAD_IDS = ["abc", "1.5", "-3", "٣", "99999999999999999999999", True, [], {"pk": 1}]


@pytest.mark.parametrize("bad", [5, True, 1.5, "1,2", {"a": 1}])
def test_inspectors_that_are_not_a_list_get_400(city, api_for, bad):
    report = submit(city)
    response = api_for(city.xuecheng).post(f"/api/reports/{report.pk}/inspect/",
                                           {"unit": city.xc_hotel.pk, "inspectors": bad}, format="json")
    assert response.status_code == 400 and "inspectors" in response.json()


@pytest.mark.parametrize("bad", ["99999999999999999999999", "1.5", "abc", "-1"])
def test_campaign_api_filters_take_bad_ids_without_error(city, api_for, bad):
    for url in ("/api/tasks/?campaign=", "/api/measures/?owner=", "/api/targets/?task=",
                "/api/accountability/?agency=", "/api/progress-reports/?task="):
        response = api_for(city.zhidui).get(url + bad)
        assert response.status_code == 200 and response.json()["results"] == [], (url, bad)


@pytest.mark.parametrize("bad", BAD_IDS)
def test_bad_references_in_the_api_are_404_or_400_never_500(city, api_for, bad):
    report = submit(city)
    api = api_for(city.zhidui)
    for path, body in (("conclude", {"valid": True, "result": "x", "unit": bad}),
                       ("inspect", {"unit": bad, "inspectors": team(city)}),
                       ("inspect", {"unit": city.xc_hotel.pk, "inspectors": [bad]}),
                       ("assign", {"agency": bad}),
                       ("duplicate", {"duplicate_of": bad})):
        response = api.post(f"/api/reports/{report.pk}/{path}/", body, format="json")
        assert response.status_code in (400, 404, 409), (path, bad, response.status_code)
    report.refresh_from_db()
    assert report.status == ReportStatus.ASSIGNED and not Inspection.objects.exists()


@pytest.mark.parametrize("bad", ["abc", "1.5", "-3", "99999999999999999999999"])
def test_bad_references_on_pages_are_404_never_500(city, login, bad):
    report = submit(city)
    client = login(city.zhidui)
    assert client.post(f"/hazards/reports/{report.pk}/action/",
                       {"action": "confirm", "result": "x", "unit": bad}).status_code == 404
    assert client.post(f"/hazards/reports/{report.pk}/action/",
                       {"action": "inspect", "unit": bad}).status_code == 404
    assert client.get(f"/hazards/new/?unit={bad}").status_code == 404
    assert client.get(f"/hazards/major/new/?unit={bad}").status_code == 404


@pytest.mark.parametrize("bad", ["abc", "1.5", "99999999999999999999999"])
def test_the_inspection_form_takes_bad_ids_without_a_server_error(city, login, bad):
    client = login(city.xuecheng)
    assert client.get(f"/inspections/new/?unit={bad}").status_code == 404
    response = client.post(f"/inspections/new/?unit={city.xc_hotel.pk}",
                           {"kind": "routine", "inspectors": [bad, city.xuecheng.pk], "agencies": [bad]})
    assert response.status_code == 200 and not Inspection.objects.exists()  # the form again, with its error


# --------------------------------------------------------------------------- triage after assignment


def test_a_report_moves_to_another_agency_and_keeps_its_clock(city, api_for):
    report = submit(city, category="")  # 3 working days, automatically the Xuecheng brigade's
    assert report.agency == city.xc_brigade and not report.urgent
    due, started = report.check_due, report.triaged_at
    Notification.objects.all().delete()
    response = api_for(city.zhidui).post(f"/api/reports/{report.pk}/assign/", {"agency": city.tz_brigade.pk},
                                         format="json")
    assert response.status_code == 200, response.content
    report.refresh_from_db()
    assert (report.agency, report.status, report.check_due, report.triaged_at) == (
        city.tz_brigade, ReportStatus.ASSIGNED, due, started)
    assert live_check(report).get().due_at == due
    assert Notification.objects.filter(recipient=city.tengzhou, kind="report.assigned").exists()


@pytest.mark.parametrize("category, urgent", [("blocked_exit", True), ("", False)])
def test_classifying_a_report_anew_sets_its_check_deadline(city, api_for, category, urgent):
    """A report sent without a category (3 working days) that staff recognise as a blocked exit must
    be checked within 24 hours of its arrival, and the other way round."""
    report = submit(city, category="" if urgent else "blocked_exit")
    response = api_for(city.xuecheng).post(f"/api/reports/{report.pk}/assign/",
                                           {"agency": city.xc_brigade.pk, "category": category}, format="json")
    assert response.status_code == 200, response.content
    report.refresh_from_db()
    assert (report.category, report.urgent) == (category, urgent)
    if urgent:
        assert report.check_due == report.triaged_at + timezone.timedelta(hours=reports.URGENT_CHECK_HOURS)
    else:
        assert report.check_due > report.triaged_at + timezone.timedelta(hours=reports.URGENT_CHECK_HOURS)
    assert live_check(report).get().due_at == report.check_due
    assert live_check(report).get().policy.code == ("report-check-urgent" if urgent else "report-check")
    bad = api_for(city.xuecheng).post(f"/api/reports/{report.pk}/assign/",
                                      {"agency": city.xc_brigade.pk, "category": "no_such"}, format="json")
    assert bad.status_code == 400 and "category" in bad.json()


def test_no_move_while_the_complaint_inspection_is_open(city, api_for, client):
    report = submit(city)
    reports.open_inspection(city.xuecheng, report, city.xc_hotel, [city.xuecheng, city.xc_supervisor])
    response = api_for(city.zhidui).post(f"/api/reports/{report.pk}/assign/", {"agency": city.tz_brigade.pk},
                                         format="json")
    assert response.status_code == 409 and response.json()["code"] == "inspection_open"
    report.refresh_from_db()
    assert report.agency == city.xc_brigade
    client.force_login(city.zhidui)
    assert 'id="assign-form"' not in client.get(f"/hazards/reports/{report.pk}/").content.decode()


def test_no_move_after_the_complaint_inspection_either(city, api_for, client):
    """A completed inspection has met the check: moving the report then would open a new, long
    overdue check deadline and take the answer away from the brigade that inspected."""
    report = submit(city)
    reports.open_inspection(city.xuecheng, report, city.xc_hotel, [city.xuecheng, city.xc_supervisor])
    report.refresh_from_db()
    finish(city.xuecheng, report.inspection)
    assert not live_check(report).exists()
    response = api_for(city.zhidui).post(f"/api/reports/{report.pk}/assign/",
                                         {"agency": city.tz_brigade.pk, "category": "blocked_exit"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "inspection_open"
    report.refresh_from_db()
    assert report.agency == city.xc_brigade and not live_check(report).exists()
    client.force_login(city.zhidui)
    assert 'id="assign-form"' not in client.get(f"/hazards/reports/{report.pk}/").content.decode()


def test_the_report_page_moves_and_classifies(city, client):
    report = submit(city, category="")
    client.force_login(city.zhidui)
    assert 'id="assign-form"' in client.get(f"/hazards/reports/{report.pk}/").content.decode()
    response = client.post(f"/hazards/reports/{report.pk}/action/",
                           {"action": "assign", "agency": city.tz_brigade.pk, "category": "locked_exit"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.agency, report.category, report.urgent) == (city.tz_brigade, "locked_exit", True)
