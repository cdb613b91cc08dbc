"""The alarm lifecycle for each role, through the REST API: acknowledge, assign, comment, verify,
forward to 119 (through a real HTTP endpoint standing for the command centre), escalation at the
second level through the deadline engine, and the consoles' live bus."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from firegov.core import deadlines
from firegov.core.models import Deadline, DeadlineState, Notification, Role, User
from firegov.iot import forwarding, live, services
from firegov.iot.lifecycle import FIRE_PURPOSE, PURPOSES
from firegov.iot.models import Alarm, AlarmNote, Device, Forwarding
from firegov.iot.normalise import Reading
from tests.conftest import listening, make_unit, require_service
from tests.core.test_notify import Gateway as CommandCentre


@pytest.fixture
def site(city):
    """A hotel in Xuecheng managed by danwei, with a smoke detector; a second one in Tengzhou."""
    device = Device.objects.create(unit=city.xc_hotel, kind="smoke", name="烟感-301", code="NB-301")
    tz_unit = make_unit(city.tz_grid, "滕州商场", place_type="mall")
    tz_device = Device.objects.create(unit=tz_unit, kind="smoke", name="烟感-1", code="NB-TZ1")
    city.xc_operator = User.objects.create_user("xc_jk", role=Role.MONITORING_OPERATOR, agency=city.xc_brigade)
    return device, tz_device


def fire(device, at=None, point="smoke-301"):
    services.ingest(device, [Reading(kind="status", point=point, label="三楼301房间",
                                     conditions={"fire": True})], received_at=at)
    return Alarm.objects.get(device=device, point_key=point, type="fire", cleared_at__isnull=True)


def fault(device, at=None):
    services.ingest(device, [Reading(kind="status", point="smoke-302", label="三楼302房间",
                                     conditions={"fault": True})], received_at=at)
    return Alarm.objects.get(device=device, type="fault", cleared_at__isnull=True)


def act(api, alarm, **data):
    return api.post(f"/api/alarms/{alarm.pk}/transition/", data, format="json")


def received(centre) -> list[tuple[dict, dict]]:
    """What the 119 command centre's endpoint got: (payload, headers) per request."""
    return [(json.loads(r["body"]), r["headers"]) for r in centre.requests]


@pytest.fixture
def centre(settings):
    running = CommandCentre()  # a real HTTP server standing for the 119 centre's integration endpoint
    settings.FIREGOV = {**settings.FIREGOV, "FIRE_WEBHOOK_URL": running.url, "FIRE_WEBHOOK_SECRET": "s3cret"}
    yield running
    running.close()


def test_a_fire_alarm_gets_a_verification_deadline(site, settings):
    device, _ = site
    now = timezone.now()
    alarm = fire(device, now)
    assert alarm.verify_due_at == now + timedelta(seconds=settings.FIREGOV["ALARM_VERIFY_S"])
    deadline = Deadline.objects.get(purpose=FIRE_PURPOSE, object_id=str(alarm.pk))
    assert deadline.due_at == alarm.verify_due_at and deadline.state == DeadlineState.OPEN


def test_operator_verifies_a_real_fire_and_it_is_forwarded_to_119(site, city, api_for, centre,
                                                                django_capture_on_commit_callbacks):
    device, _ = site
    alarm = fire(device)
    api = api_for(city.xc_operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = act(api, alarm, action="verify", verdict="real_fire", note="电话确认三楼起火")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "verified" and body["verdict"] == "real_fire"
    assert body["acknowledged_at"] and body["verified_by"] == city.xc_operator.pk
    alarm.refresh_from_db()
    assert alarm.forwarded_at, "the fire was not forwarded"
    (payload, headers), = received(centre)
    assert payload["alarm"] == alarm.pk and payload["unit"]["name"] == "薛城宾馆"
    assert payload["place"] == "" and payload["point"] == "三楼301房间"
    assert headers["X-Firegov-Signature"].startswith("sha256=")
    sent = Forwarding.objects.get(alarm=alarm)
    assert sent.status == "sent" and sent.attempts == 1 and sent.answer.startswith("HTTP 200")
    assert sent.requested_at <= sent.sent_at and sent.seconds < 3  # GB 50440: within 3 s of confirmation
    assert not deadlines.is_live(alarm, FIRE_PURPOSE)
    notes = list(AlarmNote.objects.filter(alarm=alarm).values_list("action", "text"))
    assert notes == [("verify", "电话确认三楼起火")]
    assert api.get(f"/api/alarms/{alarm.pk}/forwardings/").json()[0]["status"] == "sent"


def test_a_failed_forwarding_is_retried_and_a_missing_forwarder_is_said(site, city, api_for, settings,
                                                                      django_capture_on_commit_callbacks):
    device, _ = site
    alarm = fire(device)
    settings.FIREGOV = {**settings.FIREGOV, "FIRE_WEBHOOK_URL": "http://127.0.0.1:9/down"}  # nothing listens
    with django_capture_on_commit_callbacks(execute=True):
        assert act(api_for(city.xc_operator), alarm, action="verify", verdict="real_fire").status_code == 200
    sent = Forwarding.objects.get(alarm=alarm)
    assert (sent.status, sent.attempts) == ("pending", 1) and sent.answer
    running = CommandCentre()
    try:
        settings.FIREGOV = {**settings.FIREGOV, "FIRE_WEBHOOK_URL": running.url}
        assert forwarding.retry_pending() == 0  # the first attempt may still be under way: not yet
        assert not running.requests
        Forwarding.objects.filter(pk=sent.pk).update(last_attempt_at=timezone.now() - timedelta(seconds=6))
        assert forwarding.retry_pending() == 1
    finally:
        running.close()
    sent.refresh_from_db()
    assert (sent.status, sent.attempts) == ("sent", 2)
    alarm.refresh_from_db()
    assert alarm.forwarded_at == sent.sent_at
    # Without a forwarder configured the record says so at once, and is not retried for ever.
    other = fire(device, point="smoke-305")
    settings.FIREGOV = {**settings.FIREGOV, "FIRE_WEBHOOK_URL": ""}
    with django_capture_on_commit_callbacks(execute=True):
        act(api_for(city.xc_operator), other, action="verify", verdict="real_fire")
    missing = Forwarding.objects.get(alarm=other)
    assert missing.status == "failed" and "FIREGOV_FIRE_WEBHOOK_URL" in missing.answer


def test_a_false_alarm_is_not_forwarded(site, city, api_for, centre, django_capture_on_commit_callbacks):
    device, _ = site
    alarm = fire(device)
    with django_capture_on_commit_callbacks(execute=True):
        response = act(api_for(city.danwei), alarm, action="verify", verdict="false_alarm", note="厨房油烟")
    assert response.status_code == 200 and response.json()["verdict"] == "false_alarm"
    assert not centre.requests and not Forwarding.objects.exists()
    # A verified alarm takes comments but no second verdict, and only a real fire is forwarded.
    assert act(api_for(city.danwei), alarm, action="verify", verdict="real_fire").status_code == 409
    assert act(api_for(city.xc_operator), alarm, action="forward").status_code == 400
    assert act(api_for(city.danwei), alarm, action="comment", note="已清洁探测器").status_code == 200


def test_a_pending_forwarding_is_neither_sent_twice_nor_forwarded_again(site, city, api_for, settings,
                                                                        django_capture_on_commit_callbacks):
    device, _ = site
    alarm = fire(device)
    settings.FIREGOV = {**settings.FIREGOV, "FIRE_WEBHOOK_URL": "http://127.0.0.1:9/down"}
    with django_capture_on_commit_callbacks(execute=False):  # the first send has not happened yet
        assert act(api_for(city.xc_operator), alarm, action="verify", verdict="real_fire").status_code == 200
    pending = Forwarding.objects.get(alarm=alarm)
    Forwarding.objects.filter(pk=pending.pk).update(attempts=1, last_attempt_at=timezone.now())  # in flight
    assert forwarding.send(pending.pk) is False
    assert Forwarding.objects.get(pk=pending.pk).attempts == 1  # not claimed a second time
    response = act(api_for(city.xc_operator), alarm, action="forward")
    assert response.status_code == 400 and Forwarding.objects.count() == 1


@pytest.mark.parametrize(("who", "expected"), [
    ("xc_operator", 200), ("jiankong", 200), ("xuecheng", 200), ("danwei", 200),
    ("tengzhou", 404),   # another county's brigade: outside the jurisdiction
    ("wangge", 404),     # grid workers do not see monitoring
    ("xc_jiaoyu", 403),  # departments watch their sector's alarms but do not handle them
])
def test_who_may_acknowledge(site, city, api_for, who, expected):
    device, _ = site
    alarm = fault(device)
    assert act(api_for(getattr(city, who)), alarm, action="acknowledge").status_code == expected


def test_roles_that_see_but_may_not_act(site, city, api_for):
    device, _ = site
    alarm = fault(device)
    response = act(api_for(city.danwei), alarm, action="assign", assignee=city.xc_operator.pk)
    assert response.status_code == 403  # a unit manager may not dispatch the centre's people
    assert act(api_for(city.xc_operator), alarm, action="acknowledge").status_code == 200
    assert act(api_for(city.xc_operator), alarm, action="acknowledge").status_code == 409  # already


def test_only_fire_alarms_are_verified(site, city, api_for):
    device, _ = site
    alarm = fault(device)
    response = act(api_for(city.xc_operator), alarm, action="verify", verdict="false_alarm")
    assert response.status_code == 400 and "verdict" in response.json()
    response = act(api_for(city.xc_operator), fire(device), action="verify", verdict="maybe")
    assert response.status_code == 400


def test_assign_to_someone_who_can_handle_it(site, city, api_for):
    device, _ = site
    alarm = fault(device)
    api = api_for(city.xc_operator)
    other_county = act(api, alarm, action="assign", assignee=city.tengzhou.pk)
    missing = act(api, alarm, action="assign", assignee=987_654_321)
    assert other_county.status_code == missing.status_code == 400
    assert other_county.json() == missing.json()  # whether the other county's user exists is not told
    assert act(api, alarm, action="assign", assignee=city.wangge.pk).status_code == 400  # cannot handle alarms
    response = act(api, alarm, action="assign", assignee=city.danwei.pk, note="请到三楼查看")
    assert response.status_code == 200
    assert response.json()["assignee"] == city.danwei.pk and response.json()["acknowledged_at"]
    note = Notification.objects.get(recipient=city.danwei, kind="alarm.assigned")
    assert note.link == f"/monitoring/alarms/{alarm.pk}/"
    assert act(api, alarm, action="comment", note="").status_code == 400
    notes = api.get(f"/api/alarms/{alarm.pk}/notes/").json()
    assert [n["action"] for n in notes] == ["assign"] and notes[0]["data"]["assignee"] == city.danwei.pk


def test_an_unverified_fire_escalates_to_the_unit_then_the_brigade_every_so_often(site, city):
    device, _ = site
    t0 = timezone.now()
    alarm = fire(device, t0)
    due = alarm.verify_due_at
    assert deadlines.run_due(due - timedelta(seconds=1), purposes=PURPOSES) == 0
    assert deadlines.run_due(due, purposes=PURPOSES) == 1  # the unit's managers, at once
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["danwei"]
    assert deadlines.run_due(due + timedelta(seconds=59), purposes=PURPOSES) == 0
    assert deadlines.run_due(due + timedelta(seconds=60), purposes=PURPOSES) == 1  # repeated after 60 s
    assert deadlines.run_due(due + timedelta(seconds=120), purposes=PURPOSES) == 1  # now the brigade
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"danwei", "xuecheng", "xc_dd"}
    # Acknowledging stops the escalation.
    services.act(city.xc_operator, alarm, "acknowledge")
    assert deadlines.run_due(due + timedelta(hours=1), purposes=PURPOSES) == 0


def test_a_fault_that_clears_stops_being_chased(site, settings):
    device, _ = site
    t0 = timezone.now()
    alarm = fault(device, t0)
    assert deadlines.is_live(alarm, "alarm.acknowledge")
    services.ingest(device, [Reading(kind="status", point="smoke-302", conditions={"fault": False})],
                    received_at=t0 + timedelta(seconds=5))
    assert not deadlines.is_live(alarm, "alarm.acknowledge")
    assert deadlines.run_due(t0 + timedelta(days=1), purposes=PURPOSES) == 0


def test_changes_are_announced_on_the_live_bus_after_commit(site, city, django_capture_on_commit_callbacks):
    device, _ = site
    published = []
    bus = live.LocalBus()
    bus.publish = published.append
    live._bus = bus
    try:
        with django_capture_on_commit_callbacks(execute=True):
            alarm = fire(device)
        assert published == [{"alarms": [alarm.pk]}]
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.act(city.xc_operator, alarm, "acknowledge")
        assert published == [{"alarms": [alarm.pk]}]  # not before the commit
        for callback in callbacks:
            callback()
        assert published[-1] == {"alarms": [alarm.pk]} and len(published) == 2
    finally:
        live.reset()


@override_settings(REDIS_URL="redis://127.0.0.1:6379/0")
def test_the_redis_bus_carries_messages_between_processes():
    import asyncio

    require_service(listening("127.0.0.1", 6379), "Redis is not listening on 127.0.0.1:6379")
    live.reset()
    try:
        assert isinstance(live.bus(), live.RedisBus)

        async def roundtrip():
            stream = live.subscribe()
            first = asyncio.ensure_future(stream.__anext__())
            await asyncio.sleep(0.3)  # subscribed
            live.bus().publish({"alarms": [7, 9]})
            message = await asyncio.wait_for(first, 5)
            await stream.aclose()
            return message

        assert asyncio.run(roundtrip()) == {"alarms": [7, 9]}
    finally:
        live.reset()
