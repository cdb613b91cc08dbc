"""HTTP ingestion with device tokens, the alarm rules on values, and silent devices."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from firegov.iot import normalise, services
from firegov.iot.models import Alarm, Device, Event, Point
from firegov.kernels.gb26875 import decode_frame, encode_adu, encode_frame
from tests.conftest import make_unit

URL = "/api/iot/ingest/"


@pytest.fixture
def sensor(city):
    unit = make_unit(city.xc_grid, "泰山路小学", place_type="school")
    device = Device(unit=unit, kind="water_pressure", name="喷淋末端压力", code="NB-860001")
    token = device.issue_token()
    device.save()
    return device, token


def post(payload, token):
    client = APIClient()
    return client.post(URL, payload, format="json", HTTP_AUTHORIZATION=f"Device {token}")


def test_a_sensor_posts_a_fire_condition_and_a_reading(sensor):
    device, token = sensor
    response = post({"device": device.code, "readings": [
        {"point": "smoke", "condition": "fire", "active": True, "label": "三楼走廊"},
        {"point": "pressure", "value": 0.32, "quantity": "pressure", "unit": "MPa"}]}, token)
    assert response.status_code == 202, response.content
    assert response.json() == {"stored": 2}
    alarm = Alarm.objects.get()
    assert (alarm.type, alarm.point.label, alarm.unit) == ("fire", "三楼走廊", device.unit)
    assert Point.objects.get(key="pressure").last_value == Decimal("0.320")
    device.refresh_from_db()
    assert device.online and device.last_seen_at is not None


@pytest.mark.parametrize("payload,fragment", [
    ([], "JSON object"),
    ({"readings": [{"value": 1}]}, "'device'"),
    ({"device": "NB-860001", "readings": []}, "'readings'"),
    ({"device": "NB-860001", "readings": [{"value": "abc"}]}, "readings[1]: 'value'"),
    ({"device": "NB-860001", "readings": [{"value": "NaN"}]}, "readings[1]: 'value'"),
    ({"device": "NB-860001", "readings": [{"condition": "smoke"}]}, "'condition'"),
    ({"device": "NB-860001", "readings": [{"condition": "fire", "active": "yes"}]}, "'active'"),
    ({"device": "NB-860001", "readings": [{"point": "x" * 41, "value": 1}]}, "'point'"),
    ({"device": "NB-860001", "time": "yesterday", "readings": [{"value": 1}]}, "'time'"),
    ({"device": "NB-860001", "readings": [{}]}, "'value' or a 'condition'"),
    ({"device": "NB-860001", "time": "0001-01-01T00:00:00+08:00", "readings": [{"value": 1}]}, "'time'"),
    ({"device": "NB-860001", "readings": [{"value": 1, "label": "a\x00b"}]}, "'label'"),
])
def test_bad_payloads_are_refused_and_nothing_is_stored(sensor, payload, fragment):
    _, token = sensor
    response = post(payload, token)
    assert response.status_code == 400
    assert fragment in response.json()["error"]
    assert not Event.objects.exists()


def test_wrong_token_unknown_device_and_retired_device(sensor):
    device, token = sensor
    body = {"device": device.code, "readings": [{"value": 1}]}
    assert post(body, "wrong").status_code == 401
    assert post({**body, "device": "NB-000"}, token).status_code == 401
    assert APIClient().post(URL, body, format="json").status_code == 401
    Device.objects.filter(pk=device.pk).update(active=False)
    assert post(body, token).status_code == 403
    assert not Event.objects.exists()


def test_http_and_gb26875_give_the_same_alarm(sensor):
    device, _ = sensor
    frame = decode_frame(encode_frame(serial=1, command=2, source=1, destination=0, sent_at="2026-11-23T10:00:00",
                                      adu=encode_adu(21, [{"flags": ["fire_alarm"], "time": "2026-11-23T10:00:00"}])))
    by_frame = normalise.from_frame(frame)
    _, by_json = normalise.from_payload({"device": "x", "readings": [{"condition": "fire", "active": True}]})
    assert by_frame[0].conditions["fire"] and by_json[0].conditions == {"fire": True}
    services.ingest(device, by_frame, "gb26875")
    services.ingest(device, [normalise.Reading("status", None, {"fire": True})], "http")
    alarm = Alarm.objects.get()
    assert alarm.count == 2 and alarm.type == "fire"


def test_low_pressure_must_last_and_repeat_before_it_alarms(sensor):
    device, _ = sensor
    Point.objects.create(device=device, key="pressure", quantity="pressure", unit_of_measure="MPa",
                         low=Decimal("0.1"), hold_s=60, repeat_n=2)
    start = timezone.now()

    def reading(value, seconds):
        services.ingest(device, [normalise.Reading("analog", "pressure", value=Decimal(value))],
                        received_at=start + timedelta(seconds=seconds))

    reading("0.05", 0)
    reading("0.05", 30)
    assert not Alarm.objects.exists()  # out of range, but not yet for 60 s
    reading("0.04", 61)
    alarm = Alarm.objects.get()
    assert alarm.type == "low_pressure" and "0.04" in alarm.detail
    reading("0.30", 90)
    alarm.refresh_from_db()
    assert alarm.cleared_at is not None


def test_a_point_is_written_when_it_changes_and_every_30_s_when_it_does_not(sensor):
    device, _ = sensor
    start = timezone.now().replace(microsecond=0)

    def reading(value, seconds):
        services.ingest(device, [normalise.Reading("analog", "pressure", value=Decimal(value))],
                        received_at=start + timedelta(seconds=seconds))
        point = Point.objects.get(device=device, key="pressure")
        return point.last_value, (point.last_value_at - start).seconds, (point.last_seen_at - start).seconds

    assert reading("0.32", 0) == (Decimal("0.32"), 0, 0)
    assert reading("0.320", 10) == (Decimal("0.32"), 0, 0)  # the same value again: not written yet
    assert reading("0.33", 20) == (Decimal("0.33"), 20, 20)  # a new value: written at once
    assert reading("0.33", 49) == (Decimal("0.33"), 20, 20)
    assert reading("0.33", 50) == (Decimal("0.33"), 50, 50)  # 30 s since it was written
    assert Event.objects.filter(device=device, kind="analog").count() == 5  # every reading is an event


def test_silent_devices_go_offline_and_come_back(sensor):
    device, _ = sensor
    services.ingest(device, [normalise.Reading("status", "smoke", {"fire": False})])
    device.refresh_from_db()
    later = device.last_seen_at + timedelta(seconds=3 * device.heartbeat_s + 1)
    assert services.mark_silent(later) == 1
    device.refresh_from_db()
    offline = Alarm.objects.get(type="offline")
    assert not device.online and offline.point is None and offline.cleared_at is None
    services.ingest(device, [], received_at=later + timedelta(seconds=5))
    offline.refresh_from_db()
    device.refresh_from_db()
    assert offline.cleared_at is not None and device.online


def test_raised_cleared_and_raised_again_in_one_message(sensor):
    """Regression: the clear used to be written after the new alarm, breaking 'one open alarm'."""
    device, token = sensor
    on, off = {"point": "smoke", "condition": "fire", "active": True}, {"point": "smoke", "condition": "fire",
                                                                        "active": False}
    assert post({"device": device.code, "readings": [on, off, on]}, token).status_code == 202
    assert post({"device": device.code, "readings": [off, on]}, token).status_code == 202
    assert list(Alarm.objects.order_by("id").values_list("cleared_at", flat=True)).count(None) == 1
    assert Alarm.objects.count() == 3


def test_a_reset_then_a_fire_in_one_frame(sensor):
    device, _ = sensor
    services.ingest(device, [normalise.Reading("status", "1-1-5", {"fire": True})])
    services.ingest(device, [normalise.Reading("operation", "1-1", detail={"flags": ["reset"]}),
                             normalise.Reading("status", "1-1-5", {"fire": True})])
    assert Alarm.objects.filter(cleared_at__isnull=True).count() == 1


def test_pressure_jumping_from_below_low_to_above_high_keeps_one_alarm(sensor):
    device, _ = sensor
    Point.objects.create(device=device, key="pressure", quantity="pressure", low=Decimal("0.1"), high=Decimal("1.2"))
    services.ingest(device, [normalise.Reading("analog", "pressure", value=Decimal("0.05"))])
    services.ingest(device, [normalise.Reading("analog", "pressure", value=Decimal("1.5"))])
    assert list(Alarm.objects.filter(cleared_at__isnull=True).values_list("type", flat=True)) == ["value"]


def test_a_device_clock_far_off_and_nul_in_descriptions(sensor):
    device, _ = sensor
    frame = decode_frame(encode_frame(serial=1, command=2, source=1, destination=0, sent_at="2026-11-23T10:00:00",
                                      adu=encode_adu(28, [{"time": "2099-12-31T23:59:59"}])))
    services.ingest(device, normalise.from_frame(frame), "gb26875")
    device.refresh_from_db()
    assert device.clock_offset_s == 2**31 - 1
    status = encode_adu(2, [{"sys_type": 1, "sys_addr": 1, "comp_type": 40, "comp_addr": 7, "status": 2,
                             "desc": "A\x00B", "time": "2026-11-23T10:00:00"}])
    frame = decode_frame(encode_frame(serial=2, command=2, source=1, destination=0, sent_at="2026-11-23T10:00:00",
                                      adu=status))
    services.ingest(device, normalise.from_frame(frame), "gb26875")
    assert Point.objects.get(key="1-1-7").label == "AB"
