"""The one deadline-and-escalation engine, driven through its public functions.

Times are chosen around the 2026 National Day holiday (国庆节, 10-01..10-07 off, 09-20 and 10-10
worked): a deadline due Thursday 2026-10-08 17:00 is reminded on the two working days before it,
which are 09-29 and 09-30, not on the holiday.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from firegov.core import deadlines
from firegov.core.deadlines import PolicyError, validate_steps
from firegov.core.models import Deadline, DeadlineEvent, DeadlineState, EscalationPolicy, Notification
from firegov.registry.models import Unit
from firegov.registry.services import MISSING_MANAGER

SH = ZoneInfo("Asia/Shanghai")
PURPOSE = "test.rectify"
TITLE = "薛城区实验小学：整改消防通道"


def at(month, day, hour=17, minute=0, year=2026):
    return datetime(year, month, day, hour, minute, tzinfo=SH)


DUE = at(10, 8)  # Thursday, first working day after National Day
MAIN_STEPS = [
    {"offset_workdays": -2, "action": "remind", "audience": "unit_managers"},  # 09-29 09:00
    {"offset_workdays": -1, "action": "remind", "audience": "unit_managers"},  # 09-30 09:00
    {"offset_minutes": 0, "action": "escalate", "audience": "brigade", "repeat_minutes": 60},  # 10-08 17:00
    {"offset_minutes": 24 * 60, "action": "escalate", "audience": "department"},  # 10-09 17:00
    {"offset_minutes": 2 * 24 * 60, "action": "remind", "audience": "unit_managers"},  # 10-10 17:00
]


@pytest.fixture
def school(city):
    """The Xuecheng primary school: managers danwei (+ an inactive one), brigade xuecheng/xc_dd,
    department officer xc_jiaoyu. Deadlines the registry itself opened for the city are cancelled
    so that only the test's deadline is live."""
    for unit in Unit.objects.all():
        deadlines.cancel(unit, MISSING_MANAGER)
    assert not Deadline.objects.filter(state__in=deadlines.LIVE).exists()
    unit = city.xc_school
    retired = type(city.danwei).objects.create_user("retired_manager", is_active=False)
    unit.managers.add(city.danwei, retired)
    return unit


@pytest.fixture
def policy(db):
    return EscalationPolicy.objects.create(code="test-rectify", name="测试整改", steps=MAIN_STEPS)


def make_policy(code, steps):
    return EscalationPolicy.objects.create(code=code, name=code, steps=steps)


def fired(deadline):
    """(step, action, audience, recipients) of every event, oldest first."""
    return list(DeadlineEvent.objects.filter(deadline=deadline).order_by("fired_at", "pk")
                .values_list("step", "action", "audience", "recipients"))


def recipients(kind, since=None):
    qs = Notification.objects.filter(kind=kind)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    return sorted(qs.values_list("recipient__username", flat=True))


def reload(deadline):
    return Deadline.objects.get(pk=deadline.pk)


# ------------------------------------------------------------------ timing across a holiday


def test_reminders_fall_on_working_days_before_national_day(school, policy):
    deadline = deadlines.register(school, PURPOSE, TITLE, DUE, policy.code, now=at(9, 20, 9))
    assert deadline.state == DeadlineState.OPEN
    assert deadline.next_step == 0
    assert deadline.next_fire_at == at(9, 29, 9)
    assert deadlines.step_time(DUE, MAIN_STEPS[1]) == at(9, 30, 9)  # not 10-07: 10-01..10-07 are off


def test_reminders_escalation_and_repeats_fire_at_their_times(school, policy, city):
    deadline = deadlines.register(school, PURPOSE, TITLE, DUE, policy.code, now=at(9, 20, 9))

    assert deadlines.run_due(now=at(9, 29, 8, 59)) == 0
    assert deadlines.run_due(now=at(9, 29)) == 1
    assert fired(deadline) == [(0, "remind", "unit_managers", 1)]
    note = Notification.objects.get(kind="deadline.remind")
    assert note.recipient == city.danwei  # the inactive manager is not told
    assert note.subject == f"[提醒] {TITLE}（期限 2026-10-08 17:00）"
    assert note.link == school.get_absolute_url()

    # nothing during the holiday; the second reminder on 09-30, the last working day before it
    assert deadlines.run_due(now=at(9, 30, 8, 59)) == 0
    assert deadlines.run_due(now=at(9, 30)) == 1
    assert deadlines.run_due(now=at(10, 7, 23)) == 0
    assert recipients("deadline.remind") == ["danwei", "danwei"]

    # escalation to the brigade at the due time, repeated every 60 minutes
    assert deadlines.run_due(now=at(10, 8, 16, 59)) == 0
    assert deadlines.run_due(now=at(10, 8)) == 1
    assert recipients("deadline.escalate") == ["xc_dd", "xuecheng"]
    escalation = Notification.objects.filter(kind="deadline.escalate").first()
    assert escalation.subject.startswith("[逾期] ")
    assert deadlines.run_due(now=at(10, 8, 17, 59)) == 0
    assert deadlines.run_due(now=at(10, 8, 18)) == 1
    assert deadlines.run_due(now=at(10, 8, 19)) == 1
    assert [e[:3] for e in fired(deadline)[2:]] == [(2, "escalate", "brigade")] * 3

    # the repeats stop when the next step's time comes: the department is told at 10-09 17:00
    for hour in range(20, 24):
        deadlines.run_due(now=at(10, 8, hour))
    for hour in range(0, 17):
        deadlines.run_due(now=at(10, 9, hour))
    brigade_events = [e for e in fired(deadline) if e[2] == "brigade"]
    assert len(brigade_events) == 7 + 17  # 17:00 … 23:00 on 10-08, 00:00 … 16:00 on 10-09
    assert deadlines.run_due(now=at(10, 9)) == 1
    assert fired(deadline)[-1] == (3, "escalate", "department", 1)
    assert recipients("deadline.escalate").count("xc_jiaoyu") == 1
    assert deadlines.run_due(now=at(10, 9, 18)) == 0  # the brigade step does not come back

    # a reminder after the due time reads as overdue
    assert deadlines.run_due(now=at(10, 10)) == 1
    assert fired(deadline)[-1][:3] == (4, "remind", "unit_managers")
    last = Notification.objects.filter(kind="deadline.remind").order_by("-created_at", "-pk").first()
    assert last.subject.startswith("[逾期] ")
    assert reload(deadline).next_fire_at is None
    assert deadlines.run_due(now=at(12, 31)) == 0


def test_run_due_is_idempotent_for_the_same_now(school, policy):
    deadline = deadlines.register(school, PURPOSE, TITLE, DUE, policy.code, now=at(9, 20, 9))
    assert deadlines.run_due(now=at(9, 29)) == 1
    assert deadlines.run_due(now=at(9, 29)) == 0
    assert deadlines.run_due(now=at(9, 29, 12)) == 0  # an earlier clock does not fire either
    assert deadlines.run_due(now=at(10, 8)) == 2  # the pending reminder of 09-30 and the escalation
    before = (fired(deadline), Notification.objects.count())
    assert deadlines.run_due(now=at(10, 8)) == 0
    assert (fired(deadline), Notification.objects.count()) == before


# ------------------------------------------------------------------ acknowledge, complete, cancel


def test_acknowledge_stops_escalations_but_not_later_reminders(school, policy):
    deadline = deadlines.register(school, PURPOSE, TITLE, DUE, policy.code, now=at(9, 20, 9))
    deadlines.run_due(now=at(9, 29))
    deadlines.run_due(now=at(9, 30))
    deadlines.run_due(now=at(10, 8))
    deadlines.run_due(now=at(10, 8, 18))
    assert len(fired(deadline)) == 4

    assert deadlines.acknowledge(school, PURPOSE) == 1
    assert deadlines.acknowledge(school, PURPOSE) == 0  # already acknowledged
    deadline = reload(deadline)
    assert deadline.state == DeadlineState.ACKNOWLEDGED
    assert deadline.next_step == 4 and deadline.next_fire_at == at(10, 10)

    for moment in [at(10, 8, 19), at(10, 8, 23), at(10, 9), at(10, 9, 23)]:
        assert deadlines.run_due(now=moment) == 0  # no repeat, no department escalation
    assert deadlines.run_due(now=at(10, 10)) == 1  # the later reminder still comes
    assert [e[:3] for e in fired(deadline)[4:]] == [(4, "remind", "unit_managers")]
    assert "xc_jiaoyu" not in recipients("deadline.escalate")


def test_acknowledge_before_due_skips_the_escalation_steps(school, policy):
    deadline = deadlines.register(school, PURPOSE, TITLE, DUE, policy.code, now=at(9, 20, 9))
    deadlines.run_due(now=at(9, 29))
    deadlines.acknowledge(school, PURPOSE)
    deadline = reload(deadline)
    assert (deadline.next_step, deadline.next_fire_at) == (1, at(9, 30, 9))  # reminders continue
    assert deadlines.run_due(now=at(9, 30)) == 1
    assert deadlines.run_due(now=at(10, 9, 23)) == 0
    assert deadlines.run_due(now=at(10, 10)) == 1
    assert [e[1] for e in fired(deadline)] == ["remind", "remind", "remind"]
    assert recipients("deadline.escalate") == []


def test_acknowledge_ends_a_repeating_reminder(school):
    make_policy("nag", [
        {"offset_minutes": -60, "action": "remind", "audience": "unit_managers", "repeat_minutes": 15},
        {"offset_minutes": 0, "action": "escalate", "audience": "brigade"},
    ])
    deadline = deadlines.register(school, PURPOSE, TITLE, DUE, "nag", now=at(10, 8, 9))
    assert deadlines.run_due(now=at(10, 8, 16)) == 1
    assert deadlines.run_due(now=at(10, 8, 16, 15)) == 1
    assert deadlines.acknowledge(school, PURPOSE) == 1
    assert deadlines.run_due(now=at(10, 8, 16, 20)) == 0
    assert deadlines.run_due(now=at(10, 8, 16, 30)) == 0
    assert deadlines.run_due(now=at(10, 8, 18)) == 0
    assert len(fired(deadline)) == 2
    assert reload(deadline).next_fire_at is None


def test_complete_stops_everything(school, policy):
    deadline = deadlines.register(school, PURPOSE, TITLE, DUE, policy.code, now=at(9, 20, 9))
    deadlines.run_due(now=at(9, 29))
    assert deadlines.complete(school, PURPOSE) == 1
    assert deadlines.complete(school, PURPOSE) == 0
    deadline = reload(deadline)
    assert deadline.state == DeadlineState.DONE
    assert deadline.closed_at is not None and deadline.next_fire_at is None
    for moment in [at(9, 30), at(10, 8), at(10, 9), at(10, 10), at(12, 31)]:
        assert deadlines.run_due(now=moment) == 0
    assert len(fired(deadline)) == 1
    assert deadlines.acknowledge(school, PURPOSE) == 0

    # a new registration after completion is a new deadline; the closed one keeps its history
    again = deadlines.register(school, PURPOSE, TITLE, at(10, 16), policy.code, now=at(10, 12, 9))
    assert again.pk != deadline.pk
    assert reload(deadline).state == DeadlineState.DONE


def test_cancel_closes_as_cancelled(school, policy):
    deadline = deadlines.register(school, PURPOSE, TITLE, DUE, policy.code, now=at(9, 20, 9))
    assert deadlines.cancel(school, PURPOSE) == 1
    assert reload(deadline).state == DeadlineState.CANCELLED
    assert deadlines.run_due(now=at(10, 9)) == 0


def test_deadlines_are_per_subject_and_purpose(school, policy, city):
    deadlines.register(school, PURPOSE, TITLE, DUE, policy.code, now=at(9, 20, 9))
    other = deadlines.register(city.xc_hotel, PURPOSE, "薛城宾馆", DUE, policy.code, now=at(9, 20, 9))
    deadlines.register(school, "test.other", TITLE, DUE, policy.code, now=at(9, 20, 9))
    assert Deadline.objects.filter(state__in=deadlines.LIVE).count() == 3
    deadlines.complete(school, PURPOSE)
    assert Deadline.objects.filter(state__in=deadlines.LIVE).count() == 2
    assert deadlines.run_due(now=at(9, 29)) == 2
    assert fired(other) == [(0, "remind", "unit_managers", 1)]  # danwei manages the hotel too


# ------------------------------------------------------------------ registration


def test_reregister_moves_the_due_time(school, policy):
    deadline = deadlines.register(school, PURPOSE, TITLE, DUE, policy.code, now=at(9, 20, 9))
    deadlines.run_due(now=at(9, 29))
    deadlines.run_due(now=at(9, 30))
    deadlines.run_due(now=at(10, 8))
    deadlines.acknowledge(school, PURPOSE)

    # an extension to Friday 10-16: same row, open again, steps counted from the new due time
    moved = deadlines.register(school, PURPOSE, TITLE + "（延期）", at(10, 16), policy.code, now=at(10, 9, 9))
    assert moved.pk == deadline.pk
    moved = reload(moved)
    assert moved.state == DeadlineState.OPEN
    assert moved.due_at == at(10, 16) and moved.title.endswith("（延期）")
    assert (moved.next_step, moved.next_fire_at) == (0, at(10, 14, 9))
    assert Deadline.objects.filter(content_type=moved.content_type, object_id=moved.object_id).count() == 1

    assert deadlines.run_due(now=at(10, 13)) == 0
    assert deadlines.run_due(now=at(10, 14)) == 1
    assert deadlines.run_due(now=at(10, 15)) == 1
    assert deadlines.run_due(now=at(10, 16, 16)) == 0
    assert deadlines.run_due(now=at(10, 16)) == 1
    assert [e[:3] for e in fired(moved)[3:]] == [
        (0, "remind", "unit_managers"), (1, "remind", "unit_managers"), (2, "escalate", "brigade")]


def test_registration_skips_reminders_already_past(school, policy):
    # registered on 09-30 early morning: the 09-29 reminder is pointless, the 09-30 one is still ahead
    deadline = deadlines.register(school, PURPOSE, TITLE, DUE, policy.code, now=at(9, 30, 7))
    assert (deadline.next_step, deadline.next_fire_at) == (1, at(9, 30, 9))
    assert deadlines.run_due(now=at(9, 30, 8, 59)) == 0

    # registered during the holiday: no reminder is left, the escalation waits for the due time
    deadlines.complete(school, PURPOSE)
    deadline = deadlines.register(school, PURPOSE, TITLE, DUE, policy.code, now=at(10, 3, 9))
    assert (deadline.next_step, deadline.next_fire_at) == (2, DUE)
    assert deadlines.run_due(now=at(10, 3, 9)) == 0
    assert deadlines.run_due(now=DUE) == 1
    assert fired(deadline) == [(2, "escalate", "brigade", 2)]


def test_registration_after_the_due_time_fires_past_escalations_at_once(school, policy):
    # registered on 10-09 18:00: both reminders are pointless, both escalations are overdue
    deadline = deadlines.register(school, PURPOSE, TITLE, DUE, policy.code, now=at(10, 9, 18))
    assert deadline.next_step == 2 and deadline.next_fire_at == DUE
    assert deadlines.run_due(now=at(10, 9, 18)) == 2
    assert [e[:3] for e in fired(deadline)] == [(2, "escalate", "brigade"), (3, "escalate", "department")]
    assert recipients("deadline.remind") == []
    assert recipients("deadline.escalate") == ["xc_dd", "xc_jiaoyu", "xuecheng"]
    assert deadlines.run_due(now=at(10, 9, 18)) == 0
    assert reload(deadline).next_fire_at == at(10, 10)  # the later reminder is still ahead
    assert deadlines.run_due(now=at(10, 10)) == 1


def test_past_negative_escalation_fires_at_once(school):
    make_policy("early-escalation", [
        {"offset_minutes": -120, "action": "remind", "audience": "unit_managers"},
        {"offset_minutes": -60, "action": "escalate", "audience": "brigade"},
    ])
    deadline = deadlines.register(school, PURPOSE, TITLE, DUE, "early-escalation", now=at(10, 8, 16, 30))
    assert (deadline.next_step, deadline.next_fire_at) == (1, at(10, 8, 16))
    assert deadlines.run_due(now=at(10, 8, 16, 30)) == 1
    assert fired(deadline) == [(1, "escalate", "brigade", 2)]


def test_register_uses_the_clock_by_default(school):
    make_policy("soon", [{"offset_minutes": -30, "action": "remind", "audience": "unit_managers"},
                         {"offset_minutes": 0, "action": "escalate", "audience": "brigade"}])
    from django.utils import timezone

    now = timezone.now()
    deadline = deadlines.register(school, PURPOSE, TITLE, now + timedelta(minutes=10), "soon")
    assert deadline.next_step == 1  # the reminder 20 minutes ago was skipped
    assert deadlines.run_due(now=now + timedelta(minutes=10)) == 1


def test_unknown_audience_or_subject_without_resolver_fires_to_nobody(school, city):
    make_policy("odd", [{"offset_minutes": 0, "action": "escalate", "audience": "nobody-knows"}])
    deadline = deadlines.register(school, PURPOSE, TITLE, DUE, "odd", now=at(9, 20))
    # an Agency has no audience resolver: the step is recorded with no recipients
    agency_deadline = deadlines.register(city.xc_brigade, PURPOSE, "大队", DUE, "odd", now=at(9, 20))
    assert deadlines.run_due(now=DUE) == 2
    assert fired(deadline) == [(0, "escalate", "nobody-knows", 0)]
    assert fired(agency_deadline) == [(0, "escalate", "nobody-knows", 0)]
    assert not Notification.objects.exists()


# ------------------------------------------------------------------ policy validation


@pytest.mark.parametrize(("steps", "message"), [
    (None, "non-empty list"),
    ([], "non-empty list"),
    ({"offset_minutes": 0}, "non-empty list"),
    (["remind"], "step 1: must be an object"),
    ([{"action": "remind", "audience": "a"}],
     "step 1: give exactly one of offset_minutes, offset_seconds, offset_workdays"),
    ([{"offset_minutes": 0, "offset_seconds": 0, "action": "remind", "audience": "a"}], "step 1: give exactly one"),
    ([{"offset_seconds": 0, "action": "escalate", "audience": "a", "repeat_seconds": 0}],
     "step 1: repeat_seconds must be a positive integer"),
    ([{"offset_seconds": 0, "action": "escalate", "audience": "a", "repeat_seconds": 5, "repeat_minutes": 1}],
     "step 1: give repeat_minutes or repeat_seconds, not both"),
    ([{"offset_minutes": 0, "offset_workdays": 0, "action": "remind", "audience": "a"}],
     "step 1: give exactly one"),
    ([{"offset_minutes": 1.5, "action": "remind", "audience": "a"}], "step 1: the offset must be an integer"),
    ([{"offset_workdays": "-1", "action": "remind", "audience": "a"}], "step 1: the offset must be an integer"),
    ([{"offset_minutes": True, "action": "remind", "audience": "a"}], "step 1: the offset must be an integer"),
    ([{"offset_minutes": 0, "action": "remind", "audience": "a"},
      {"offset_minutes": 0, "action": "call", "audience": "a"}], "step 2: action must be remind or escalate"),
    ([{"offset_minutes": 0, "action": "remind"}], "step 1: audience is required"),
    ([{"offset_minutes": 0, "action": "remind", "audience": ""}], "step 1: audience is required"),
    ([{"offset_minutes": 0, "action": "escalate", "audience": "a", "repeat_minutes": 0}],
     "step 1: repeat_minutes must be a positive integer"),
    ([{"offset_minutes": 0, "action": "escalate", "audience": "a", "repeat_minutes": -5}],
     "step 1: repeat_minutes must be a positive integer"),
    ([{"offset_minutes": 0, "action": "escalate", "audience": "a", "repeat_minutes": "60"}],
     "step 1: repeat_minutes must be a positive integer"),
    ([{"offset_minutes": 0, "action": "escalate", "audience": "a", "repeat_minutes": True}],
     "step 1: repeat_minutes must be a positive integer"),
])
def test_validate_steps_rejects_bad_policies(steps, message):
    with pytest.raises(PolicyError, match=message):
        validate_steps(steps)


def test_validate_steps_accepts_good_policies():
    validate_steps(MAIN_STEPS)
    validate_steps([{"offset_workdays": 0, "action": "escalate", "audience": "brigade", "repeat_minutes": 1}])


def test_policy_defined_in_code_is_stored_on_first_use(db):
    EscalationPolicy.objects.filter(code="registry-missing-record").delete()  # as after a flush
    policy = deadlines.get_policy("registry-missing-record")
    assert policy.pk is not None
    validate_steps(policy.steps)
    assert deadlines.get_policy("registry-missing-record").pk == policy.pk


def test_define_policy_validates_and_unknown_policies_are_errors(school):
    with pytest.raises(PolicyError, match="step 1: audience is required"):
        deadlines.define_policy("test-bad", "bad", [{"offset_minutes": 0, "action": "remind"}])
    with pytest.raises(PolicyError, match="unknown escalation policy 'test-bad'"):
        deadlines.get_policy("test-bad")
    with pytest.raises(PolicyError, match="unknown escalation policy"):
        deadlines.register(school, PURPOSE, TITLE, DUE, "no-such-policy", now=at(9, 20))
    assert not Deadline.objects.filter(purpose=PURPOSE).exists()


def test_register_rejects_an_invalid_policy(school):
    make_policy("broken", [{"offset_minutes": 0, "action": "shout", "audience": "brigade"}])
    with pytest.raises(PolicyError, match="action must be remind or escalate"):
        deadlines.register(school, PURPOSE, TITLE, DUE, "broken", now=at(9, 20))
    assert not Deadline.objects.filter(purpose=PURPOSE).exists()


def test_second_level_steps_and_repeats_fire_on_time(school):
    """Alarms need seconds: a step 30 s after the due time, repeating every 20 s until acknowledged;
    run_due restricted to some purposes leaves the others alone."""
    make_policy("alarm-test", [
        {"offset_seconds": 30, "action": "escalate", "audience": "unit_managers", "repeat_seconds": 20},
    ])
    due = at(11, 2, 9, 0)
    deadline = deadlines.register(school, "alarm.test", TITLE, due, "alarm-test", now=due)
    other = deadlines.register(school, PURPOSE, TITLE, due, "alarm-test", now=due)
    assert deadline.next_fire_at == due + timedelta(seconds=30)
    assert deadlines.run_due(due + timedelta(seconds=29), purposes=["alarm.test"]) == 0
    assert deadlines.run_due(due + timedelta(seconds=30), purposes=["alarm.test"]) == 1
    deadline.refresh_from_db()
    other.refresh_from_db()
    assert deadline.next_fire_at == due + timedelta(seconds=50)
    assert other.next_fire_at == due + timedelta(seconds=30)  # not its purpose: not fired
    assert deadlines.run_due(due + timedelta(seconds=50), purposes=["alarm.test"]) == 1
    deadlines.acknowledge(school, "alarm.test")
    assert deadlines.run_due(due + timedelta(seconds=200), purposes=["alarm.test"]) == 0
    assert DeadlineEvent.objects.filter(deadline=deadline).count() == 2
