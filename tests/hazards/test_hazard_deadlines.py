"""Hazard deadlines in working days across the 2026 holidays, and the escalation of an overdue
rectification through the deadline engine (core.deadlines.run_due with an explicit ``now``).

The official 2026 calendar (国办发明电〔2025〕7号, firegov/kernels/rules/cn_calendar.json):
Mid-Autumn 09-25..09-27 and National Day 10-01..10-07 are off; Sunday 09-20 and Saturday 10-10 are
make-up working days. Spring Festival 02-15..02-23 is off; Saturday 02-14 and 02-28 are worked.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.utils import timezone

from firegov.core import deadlines, worktime
from firegov.core.models import Deadline, DeadlineEvent, DeadlineState, Notification
from firegov.hazards import services
from firegov.hazards.models import HazardStatus
from firegov.kernels.workdays import load_calendar_data
from tests.hazards._support import Clock, at, end_of, new_hazard


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def school(city):
    """The Xuecheng primary school managed by `danwei` (department: 薛城区教育和体育局, officer
    `xc_jiaoyu`; brigade: xuecheng and xc_dd). Deadlines the registry opened are cancelled so that
    only the hazards' deadlines are live."""
    city.xc_school.managers.add(city.danwei)
    Deadline.objects.filter(state__in=deadlines.LIVE).update(state=DeadlineState.CANCELLED, next_fire_at=None)
    return city.xc_school


def rectify_deadline(hazard):
    return Deadline.objects.get(purpose=services.RECTIFY, object_id=str(hazard.pk))


def recipients(kind, **filters):
    return sorted(Notification.objects.filter(kind=kind, **filters).values_list("recipient__username", flat=True))


def ordered_hazard(city, unit, clock, ordered_at, due):
    clock.set(ordered_at)
    hazard = new_hazard(city.xuecheng, unit)
    services.order(city.xuecheng, [hazard], due)
    hazard.refresh_from_db()
    return hazard


# --------------------------------------------------------------------------- the calendar itself


def test_the_official_2026_national_day_calendar_as_shipped(db):
    year = load_calendar_data()["years"]["2026"]
    national_day = next(h for h in year["holidays"] if h["zh"] == "国庆节")
    assert (national_day["start"], national_day["end"]) == ("2026-10-01", "2026-10-07")
    assert {w["date"] for w in year["workdays"] if w["for"] == "国庆节"} == {"2026-09-20", "2026-10-10"}
    assert date(2026, 10, 10).weekday() == 5  # a Saturday, worked
    assert worktime.is_workday(date(2026, 10, 10))
    assert not any(worktime.is_workday(date(2026, 10, d)) for d in range(1, 8))
    assert not worktime.is_workday(date(2026, 10, 11))  # Sunday


# --------------------------------------------------------------------------- re-inspection due dates


def test_reinspection_due_three_workdays_after_the_deadline_when_nobody_applies(city, school, clock):
    """消防监督检查规定 Art. 20: 复查 within 3 working days after the rectification deadline expires or
    the application, whichever comes first. Serving the notice already fixes the first date."""
    hazard = ordered_hazard(city, school, clock, at(2026, 9, 21, 10), date(2026, 9, 29))
    # by hand: 09-30 Wed (1), 10-01..10-07 off, 10-08 Thu (2), 10-09 Fri (3)
    assert hazard.reinspect_due_at == end_of(2026, 10, 9)
    assert timezone.localtime(hazard.reinspect_due_at).date() == worktime.add_workdays(date(2026, 9, 29), 3)
    deadline = Deadline.objects.get(purpose=services.REINSPECT, object_id=str(hazard.pk))
    assert deadline.due_at == end_of(2026, 10, 9) and deadline.state == "open"
    # nobody applies and nobody re-inspects: the brigade is reminded, then its supervisor told daily
    assert deadlines.run_due(now=end_of(2026, 10, 9), purposes=[services.REINSPECT]) == 2
    assert recipients("deadline.remind") == ["xc_dd", "xuecheng"]
    assert recipients("deadline.escalate") == ["xc_dd"]


def test_a_late_application_does_not_push_the_reinspection_back(city, school, clock):
    hazard = ordered_hazard(city, school, clock, at(2026, 9, 21, 10), date(2026, 9, 29))
    clock.set(at(2026, 9, 30, 10))  # Wednesday, the day before National Day; the deadline has passed
    hazard = services.transition(city.danwei, hazard, "submit", {"note": "已整改"})
    # still 3 working days after the deadline (10-09), not after the application (10-10)
    assert hazard.reinspect_due_at == end_of(2026, 10, 9)
    assert hazard.submitted_at == at(2026, 9, 30, 10)
    deadline = Deadline.objects.get(purpose=services.REINSPECT, object_id=str(hazard.pk))
    assert deadline.due_at == hazard.reinspect_due_at and deadline.state == "open"


def test_an_extension_moves_the_reinspection(city, school, clock):
    hazard = ordered_hazard(city, school, clock, at(2026, 9, 21, 10), date(2026, 9, 29))
    clock.set(at(2026, 9, 28, 10))
    hazard = services.transition(city.xc_supervisor, hazard, "extend", {"due": date(2026, 10, 16), "note": "需采购"})
    # 10-19 Mon (1), 10-20 (2), 10-21 (3)
    assert hazard.reinspect_due_at == end_of(2026, 10, 21)
    live = Deadline.objects.get(purpose=services.REINSPECT, object_id=str(hazard.pk), state="open")
    assert live.due_at == end_of(2026, 10, 21)


def test_reinspection_due_three_workdays_after_an_early_application(city, school, clock):
    """The unit applies for re-inspection (submits) before its deadline: 消防监督检查规定 Art. 20 counts
    the 3 working days from the application, so the re-inspection is due 10-10, not 3 working days
    after the rectification deadline (10-20)."""
    hazard = ordered_hazard(city, school, clock, at(2026, 9, 21, 10), date(2026, 10, 20))
    clock.set(at(2026, 9, 30, 10))
    hazard = services.transition(city.danwei, hazard, "submit", {"note": "已提前整改完毕"})
    assert hazard.reinspect_due_at == end_of(2026, 10, 10)


def test_reinspection_due_across_the_spring_festival(city, school, clock):
    hazard = ordered_hazard(city, school, clock, at(2026, 2, 2, 10), date(2026, 2, 27))
    clock.set(at(2026, 2, 13, 16))  # Friday, an early application
    hazard = services.transition(city.danwei, hazard, "submit", {"note": "已整改"})
    # by hand: 02-14 Sat make-up day (1), 02-15..02-23 off, 02-24 Tue (2), 02-25 Wed (3)
    assert hazard.reinspect_due_at == end_of(2026, 2, 25)
    assert timezone.localtime(hazard.reinspect_due_at).date() == worktime.add_workdays(date(2026, 2, 13), 3)


def test_reinspection_due_from_a_weekend_submission(city, school, clock):
    hazard = ordered_hazard(city, school, clock, at(2026, 11, 2, 10), date(2026, 11, 20))
    clock.set(at(2026, 11, 7, 11))  # Saturday, not a make-up day; an early application
    hazard = services.transition(city.danwei, hazard, "submit", {"note": "已整改"})
    assert hazard.reinspect_due_at == end_of(2026, 11, 11)  # Mon 9 (1), Tue 10 (2), Wed 11 (3)


def test_the_rectification_deadline_is_the_end_of_the_given_day(city, school, clock):
    hazard = ordered_hazard(city, school, clock, at(2026, 9, 30, 10), date(2026, 10, 8))
    assert hazard.due_at == end_of(2026, 10, 8)
    assert rectify_deadline(hazard).due_at == end_of(2026, 10, 8)


def test_the_serve_notice_deadline_of_a_law_enforcement_inspection_skips_national_day(city, school, clock):
    from tests.hazards.test_closed_loop import complete_with_failures

    clock.set(at(2026, 9, 29, 15))
    inspection, _failed = complete_with_failures(city, 1)
    hazard = inspection.hazards.get()
    deadline = Deadline.objects.get(purpose=services.SERVE_NOTICE, object_id=str(hazard.pk))
    # 09-30 (1), 10-01..10-07 off, 10-08 (2), 10-09 (3)
    assert deadline.due_at == end_of(2026, 10, 9)
    assert deadline.state == "open"
    clock.set(at(2026, 10, 8, 10))
    services.order(city.xuecheng, [hazard], date(2026, 10, 30))
    deadline.refresh_from_db()
    assert deadline.state == DeadlineState.DONE


def test_correcting_on_the_spot_cancels_the_serve_notice_deadline(city, school, clock):
    from tests.hazards.test_closed_loop import complete_with_failures

    clock.set(at(2026, 9, 29, 15))
    inspection, _failed = complete_with_failures(city, 1)
    hazard = services.transition(city.xuecheng, inspection.hazards.get(), "correct", {"note": "当场改正"})
    assert hazard.status == HazardStatus.CORRECTED
    assert Deadline.objects.get(purpose=services.SERVE_NOTICE, object_id=str(hazard.pk)).state == "cancelled"


def test_major_case_deadlines_in_working_days(city, school, clock):
    clock.set(at(2026, 9, 24, 10))
    case = services.propose_case(city.xuecheng, school, [new_hazard(city.xuecheng, school)],
                                 {"place_kinds": ["crowded"], "direct_items": ["6.8"]})
    # 7 working days: 09-28, 29, 30, 10-08, 09, 10 (Sat make-up), 12
    assert case.decision_due == end_of(2026, 10, 12)
    clock.set(at(2026, 10, 9, 16))
    case = services.case_transition(city.xc_supervisor, case, "discuss",
                                    {"participants": ["甲", "乙", "丙"], "conclusion": "构成"})
    case = services.case_transition(city.xc_supervisor, case, "determine", {})
    # 3 working days from Friday 10-09: 10-10 (Sat make-up), 10-12, 10-13
    assert case.notice_due == end_of(2026, 10, 13)


# --------------------------------------------------------------------------- escalation


def test_the_rectify_policy_step_times_skip_the_holiday(city, school, clock):
    hazard = ordered_hazard(city, school, clock, at(2026, 9, 21, 10), date(2026, 10, 8))
    deadline = rectify_deadline(hazard)
    assert deadline.policy.code == "hazard-rectify"
    assert deadline.state == "open" and deadline.due_at == end_of(2026, 10, 8)
    steps = deadline.policy.steps
    assert [deadlines.step_time(deadline.due_at, s) for s in steps] == [
        at(2026, 9, 28, 9),         # 3 working days before: 09-30, 09-29, 09-28
        at(2026, 9, 30, 9),         # 1 working day before: the eve of the holiday
        end_of(2026, 10, 8),        # at the deadline
        at(2026, 10, 12, 9),        # 3 working days after: 10-09, 10-10 (Sat), 10-12
    ]
    assert deadline.next_fire_at == at(2026, 9, 28, 9)


def test_an_overdue_hazard_reminds_the_unit_then_escalates_to_the_brigade(city, school, clock):
    hazard = ordered_hazard(city, school, clock, at(2026, 9, 21, 10), date(2026, 10, 8))
    deadline = rectify_deadline(hazard)

    assert deadlines.run_due(now=at(2026, 9, 28, 8, 59), purposes=[services.RECTIFY]) == 0
    assert deadlines.run_due(now=at(2026, 9, 28, 9), purposes=[services.RECTIFY]) == 1
    assert recipients("deadline.remind") == ["danwei"]
    reminder = Notification.objects.get(kind="deadline.remind")
    assert reminder.subject.startswith("[提醒] ") and school.name in reminder.subject
    assert "2026-10-08 23:59" in reminder.subject
    assert deadlines.run_due(now=at(2026, 9, 30, 9), purposes=[services.RECTIFY]) == 1
    assert recipients("deadline.remind") == ["danwei", "danwei"]
    assert not Notification.objects.filter(kind="deadline.escalate").exists()

    # nothing during the holiday, nor on the last day before the deadline passes
    assert deadlines.run_due(now=at(2026, 10, 5, 12), purposes=[services.RECTIFY]) == 0
    assert deadlines.run_due(now=at(2026, 10, 8, 23, 59), purposes=[services.RECTIFY]) == 0
    # overdue: the brigade (inspector and supervisor) is told, not the unit or the department
    assert deadlines.run_due(now=end_of(2026, 10, 8), purposes=[services.RECTIFY]) == 1
    assert recipients("deadline.escalate") == ["xc_dd", "xuecheng"]
    escalation = Notification.objects.filter(kind="deadline.escalate").first()
    assert escalation.subject.startswith("[逾期] ")
    # repeated daily while nobody acts
    assert deadlines.run_due(now=at(2026, 10, 9, 23, 59), purposes=[services.RECTIFY]) == 0
    assert deadlines.run_due(now=end_of(2026, 10, 9), purposes=[services.RECTIFY]) == 1
    assert recipients("deadline.escalate") == ["xc_dd", "xc_dd", "xuecheng", "xuecheng"]
    # three working days after the deadline the department is told as well
    assert deadlines.run_due(now=at(2026, 10, 12, 9), purposes=[services.RECTIFY]) == 2  # the pending brigade repeat and the department
    assert recipients("deadline.escalate", recipient=city.xc_jiaoyu) == ["xc_jiaoyu"]
    events = list(DeadlineEvent.objects.filter(deadline=deadline).order_by("fired_at", "pk")
                  .values_list("action", "audience"))
    assert events[:3] == [("remind", "unit_managers"), ("remind", "unit_managers"), ("escalate", "brigade")]
    assert events[-1] == ("escalate", "department")
    assert rectify_deadline(hazard).state == "open"


def test_submitting_acknowledges_and_stops_the_escalation(city, school, clock):
    hazard = ordered_hazard(city, school, clock, at(2026, 9, 21, 10), date(2026, 10, 8))
    assert deadlines.run_due(now=end_of(2026, 10, 8)) == 3  # two reminders, then the escalation
    assert recipients("deadline.escalate") == ["xc_dd", "xuecheng"]

    clock.set(at(2026, 10, 9, 10))
    services.transition(city.danwei, hazard, "submit", {"note": "已整改"})
    deadline = rectify_deadline(hazard)
    assert deadline.state == DeadlineState.ACKNOWLEDGED
    assert deadline.next_fire_at is None
    # no daily repeat, no department escalation
    deadlines.run_due(now=end_of(2026, 10, 9))
    deadlines.run_due(now=at(2026, 10, 12, 9))
    assert recipients("deadline.escalate") == ["xc_dd", "xuecheng"]
    assert not DeadlineEvent.objects.filter(deadline=deadline, audience="department").exists()


def test_submitting_on_time_registers_the_reinspection_deadline(city, school, clock):
    hazard = ordered_hazard(city, school, clock, at(2026, 9, 21, 10), date(2026, 10, 8))
    clock.set(at(2026, 10, 8, 10))
    hazard = services.transition(city.danwei, hazard, "submit", {"note": "已整改"})
    assert hazard.reinspect_due_at == end_of(2026, 10, 12)  # 10-09 (1), 10-10 Sat make-up (2), 10-12 (3)
    reinspect = Deadline.objects.get(purpose=services.REINSPECT, object_id=str(hazard.pk))
    assert reinspect.policy.code == "hazard-reinspect"
    # the unit was never escalated: the deadline was acknowledged before it passed
    deadlines.run_due(now=at(2026, 10, 9, 12))
    assert not Notification.objects.filter(kind="deadline.escalate").exists()


def test_closing_completes_the_deadlines(city, school, clock):
    hazard = ordered_hazard(city, school, clock, at(2026, 9, 21, 10), date(2026, 10, 8))
    clock.set(at(2026, 9, 29, 10))
    hazard = services.transition(city.danwei, hazard, "submit", {"note": "已整改"})
    clock.set(at(2026, 9, 30, 10))
    hazard = services.transition(city.xuecheng, hazard, "reinspect", {"passed": True})
    assert hazard.status == HazardStatus.CLOSED
    for purpose in (services.RECTIFY, services.REINSPECT):
        deadline = Deadline.objects.get(purpose=purpose, object_id=str(hazard.pk))
        assert deadline.state == DeadlineState.DONE, purpose
        assert deadline.closed_at == at(2026, 9, 30, 10)
        assert deadline.next_fire_at is None
    before = Notification.objects.filter(kind__startswith="deadline.").count()
    assert deadlines.run_due(now=at(2026, 12, 31, 12)) == 0
    assert Notification.objects.filter(kind__startswith="deadline.").count() == before


def test_a_failed_reinspection_reopens_the_rectify_deadline(city, school, clock):
    hazard = ordered_hazard(city, school, clock, at(2026, 9, 21, 10), date(2026, 9, 29))
    clock.set(at(2026, 9, 29, 10))
    hazard = services.transition(city.danwei, hazard, "submit", {"note": "已整改"})
    assert rectify_deadline(hazard).state == DeadlineState.ACKNOWLEDGED
    clock.set(at(2026, 9, 30, 10))
    services.transition(city.xuecheng, hazard, "reinspect", {"passed": False, "due": date(2026, 10, 16)})
    deadline = Deadline.objects.get(purpose=services.RECTIFY, object_id=str(hazard.pk), state="open")
    assert deadline.due_at == end_of(2026, 10, 16)
    assert deadline.next_fire_at == at(2026, 10, 13, 9)  # 3 working days before: 10-15, 10-14, 10-13
    assert deadlines.run_due(now=end_of(2026, 10, 16)) == 3
    assert recipients("deadline.escalate") == ["xc_dd", "xuecheng"]


def test_an_extension_moves_the_deadline_and_restarts_the_reminders(city, school, clock):
    hazard = ordered_hazard(city, school, clock, at(2026, 9, 21, 10), date(2026, 10, 8))
    assert deadlines.run_due(now=end_of(2026, 10, 8)) == 3
    clock.set(at(2026, 10, 9, 10))
    services.transition(city.xc_supervisor, hazard, "extend", {"due": date(2026, 10, 20), "note": "需采购设备"})
    deadline = Deadline.objects.get(purpose=services.RECTIFY, object_id=str(hazard.pk), state="open")
    assert deadline.due_at == end_of(2026, 10, 20)
    assert deadline.next_fire_at == at(2026, 10, 15, 9)  # 10-19, 10-16, 10-15
    assert deadlines.run_due(now=at(2026, 10, 15, 8)) == 0
    assert deadlines.run_due(now=at(2026, 10, 15, 9)) == 1
    assert recipients("deadline.remind") == ["danwei"] * 3


# --------------------------------------------------------------------------- upgrading an older database


def test_backfill_brings_an_older_databases_deadlines_up_to_date(city, school, clock):
    """What an older firegov left: no re-inspection deadline for a hazard nobody applied for, one
    counted from a late application, and a determined case with no service deadline. The command
    sets them by the present rules, leaves the rest alone, and a second run changes nothing."""
    from django.core.management import call_command

    from tests.hazards.test_major_cases import propose, put_case_in

    ordered = ordered_hazard(city, school, clock, at(2026, 9, 21, 10), date(2026, 9, 29))
    late = ordered_hazard(city, school, clock, at(2026, 9, 21, 11), date(2026, 9, 29))
    clock.set(at(2026, 9, 30, 10))
    late = services.transition(city.danwei, late, "submit", {"note": "已整改"})
    closed = ordered_hazard(city, school, clock, at(2026, 9, 21, 12), date(2026, 9, 29))
    # The older version: the re-inspection date only from an application, and from the application.
    Deadline.objects.filter(purpose=services.REINSPECT, object_id__in=[str(ordered.pk), str(closed.pk)]).delete()
    type(ordered).objects.filter(pk=ordered.pk).update(reinspect_due_at=None)
    type(closed).objects.filter(pk=closed.pk).update(status=HazardStatus.CLOSED, reinspect_due_at=None)
    old_late = services.due_after_workdays(late.submitted_at, 3)  # 10-10, the make-up Saturday
    type(late).objects.filter(pk=late.pk).update(reinspect_due_at=old_late)
    Deadline.objects.filter(purpose=services.REINSPECT, object_id=str(late.pk)).update(due_at=old_late)
    determined = put_case_in(propose(city, school), "determined")
    type(determined).objects.filter(pk=determined.pk).update(notice_due=end_of(2026, 10, 12))
    listed = put_case_in(propose(city, school), "listed")  # listed 2026-09-21, no progress deadline yet
    type(listed).objects.filter(pk=listed.pk).update(notice_due=end_of(2026, 10, 12))
    assert not Deadline.objects.filter(purpose=services.CASE_NOTICE).exists()
    assert not Deadline.objects.filter(purpose=services.CASE_PROGRESS).exists()
    out = io.StringIO()
    call_command("backfill_deadlines", "--dry-run", stdout=out)
    assert "2 hazards and 1 major-hazard cases would be brought up to date; 1 listed" in out.getvalue()
    assert not Deadline.objects.filter(purpose=services.REINSPECT, object_id=str(ordered.pk)).exists()
    call_command("backfill_deadlines", stdout=out)
    for hazard in (ordered, late):
        hazard.refresh_from_db()
        assert hazard.reinspect_due_at == end_of(2026, 10, 9), hazard  # 3 working days after 09-29
        deadline = Deadline.objects.get(purpose=services.REINSPECT, object_id=str(hazard.pk))
        assert (deadline.state, deadline.due_at) == ("open", end_of(2026, 10, 9))
    assert hazard.deadline_at == end_of(2026, 10, 9)  # the submitted hazard's running deadline moved too
    closed.refresh_from_db()
    assert closed.reinspect_due_at is None
    assert not Deadline.objects.filter(purpose=services.REINSPECT, object_id=str(closed.pk)).exists()
    notice = Deadline.objects.get(purpose=services.CASE_NOTICE)
    assert (notice.object_id, notice.due_at, notice.state) == (str(determined.pk), end_of(2026, 10, 12), "open")
    progress = Deadline.objects.get(purpose=services.CASE_PROGRESS)
    assert (progress.object_id, progress.due_at, progress.state) == (str(listed.pk), end_of(2026, 10, 21), "open")
    again = io.StringIO()
    call_command("backfill_deadlines", stdout=again)
    assert "0 hazards and 0 major-hazard cases brought up to date; 0 listed" in again.getvalue()
