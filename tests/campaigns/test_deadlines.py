"""Milestones, report due days and accountability follow-ups run on the core deadline engine."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from firegov.campaigns import services
from firegov.campaigns.models import Accountability, Milestone, Task
from firegov.core import deadlines
from firegov.core.models import Deadline, Notification
from tests.campaigns.conftest import YEAR

pytestmark = pytest.mark.django_db


def _deadline(subject, purpose):
    return Deadline.objects.get(content_type=ContentType.objects.get_for_model(subject), object_id=str(subject.pk),
                                purpose=purpose)


def test_a_milestone_is_reminded_escalated_and_done(city, plan, api_for):  # noqa: F811
    campaign, top, schools, lanes, hospitals = plan
    due = min(timezone.localdate() + timedelta(days=14), campaign.ends_on)
    task = services.add_task(city.zhidui, campaign, {"title": "校园消防设施改造", "lead": city.edu,
                                                     "milestones": [{"title": "完成招标", "due_on": due}]}, top)
    milestone = task.milestones.get()
    deadline = _deadline(milestone, "milestone")
    assert deadline.state == "open" and deadline.policy.code == "campaign-milestone"
    if deadline.next_fire_at < deadline.due_at:  # the reminder three working days before, when still ahead
        deadlines.run_due(deadline.next_fire_at)
        assert Notification.objects.filter(recipient=city.jiaoyu).exists()  # the lead agency
    deadlines.run_due(deadline.due_at + timedelta(minutes=5))
    assert Notification.objects.filter(recipient=city.zhidui).exists()  # escalated to the issuer
    refused = api_for(city.xc_jiaoyu).post(f"/api/tasks/{task.pk}/milestone/", {"milestone": milestone.pk},
                                           format="json")
    assert refused.status_code == 404  # the county bureau does not see the city bureau's task
    answer = api_for(city.jiaoyu).post(f"/api/tasks/{task.pk}/milestone/", {"milestone": milestone.pk},
                                       format="json")
    assert answer.status_code == 200, answer.content
    assert _deadline(milestone, "milestone").state == "done"
    assert Milestone.objects.get(pk=milestone.pk).done_on == timezone.localdate()


def test_last_months_reports_fall_due_on_the_fifth(city, plan, api_for):  # noqa: F811
    campaign, top, schools, lanes, hospitals = plan
    first = date(YEAR, 11, 1)
    assert services.register_report_deadlines(first) == 3  # the leaves 1.1, 1.2 and 2
    deadline = _deadline(schools, f"report:{YEAR}-10")
    assert timezone.localtime(deadline.due_at).date() == date(YEAR, 11, 5)
    report = api_for(city.jiaoyu).post("/api/progress-reports/", {"task": schools.pk, "period": f"{YEAR}-10",
                                                                  "done": "推进", "percent": 20}, format="json").json()
    api_for(city.jiaoyu).post(f"/api/progress-reports/{report['id']}/transition/", {"action": "submit"}, format="json")
    assert _deadline(schools, f"report:{YEAR}-10").state == "done"
    assert services.register_report_deadlines(first) == 2  # a second run registers only what is still due
    assert Task.objects.filter(campaign=campaign).count() == 4


def test_an_accountability_follow_up_falls_due(city, plan, api_for):  # noqa: F811
    campaign, *_ = plan
    created = api_for(city.zhidui).post("/api/accountability/", {
        "campaign": campaign.pk, "agency": city.edu.pk, "kind": "interview", "reason": "推进不力",
        "follow_up_due": (timezone.localdate() + timedelta(days=20)).isoformat()}, format="json").json()
    record = Accountability.objects.get(pk=created["id"])
    assert _deadline(record, "follow-up").state == "open"
    api_for(city.jiaoyu).post(f"/api/accountability/{record.pk}/follow-up/", {"follow_up": "已整改"}, format="json")
    assert _deadline(record, "follow-up").state == "done"
