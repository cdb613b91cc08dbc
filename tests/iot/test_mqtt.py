"""MQTT ingestion through the machine's real Mosquitto broker (127.0.0.1:1883).

Each test uses its own topic root so that parallel test processes never take each other's messages.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from decimal import Decimal

import paho.mqtt.client as paho
import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from firegov.iot.models import Alarm, Event, Point
from firegov.iot.runtime import Monitoring, Options
from tests.conftest import listening, require_service
from tests.iot.conftest import wait_for
from tests.iot.test_ingest import sensor  # noqa: F401 - fixture

BROKER = ("127.0.0.1", 1883)


def broker_up() -> bool:
    return listening(*BROKER)


class RunningIngest:
    """Monitoring with MQTT only, on its own event loop in a thread."""

    def __init__(self, root: str):
        self.root = root
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        # One client id per test: parallel tests must not take over each other's broker session.
        self.settings = {"MQTT_URL": f"mqtt://{BROKER[0]}:{BROKER[1]}", "MQTT_TOPIC": f"{root}/up/+",
                         "MQTT_CLIENT_ID": f"ingest-{root}"}
        self.monitoring = Monitoring(Options(tcp=False, mqtt=True, clock=False, heap=False))

    def start(self):
        self.thread.start()
        with override_settings(**self.settings):
            asyncio.run_coroutine_threadsafe(self.monitoring.start(), self.loop).result(10)
        asyncio.run_coroutine_threadsafe(asyncio.wait_for(self.monitoring.mqtt.connected.wait(), 10),
                                         self.loop).result(15)
        time.sleep(0.2)  # the SUBSCRIBE is sent on connect; give the broker a moment to take it
        return self

    def stop(self):
        asyncio.run_coroutine_threadsafe(self.monitoring.stop(), self.loop).result(20)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class Device:
    """A device's own MQTT client: publishes readings and listens for the centre's error replies."""

    def __init__(self, root: str, code: str):
        self.root, self.code = root, code
        self.errors: list[dict] = []
        self.subscribed = threading.Event()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"dev-{uuid.uuid4().hex[:8]}")
        self.client.on_message = lambda c, u, m: self.errors.append(json.loads(m.payload))
        self.client.on_subscribe = lambda *args: self.subscribed.set()
        self.client.connect(*BROKER)
        self.client.loop_start()
        self.client.subscribe(f"{root}/down/{code}/error", qos=1)
        assert self.subscribed.wait(5)

    def publish(self, payload, code: str | None = None):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        info = self.client.publish(f"{self.root}/up/{code or self.code}", data, qos=1)
        info.wait_for_publish(5)

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def mqtt(transactional_db, sensor):  # noqa: F811
    require_service(broker_up(), "Mosquitto is not listening on 127.0.0.1:1883")
    root = f"fgtest-{uuid.uuid4().hex[:10]}"
    running = RunningIngest(root).start()
    device, token = sensor
    client = Device(root, device.code)
    yield running, client, device, token
    client.close()
    running.stop()


def test_a_reading_over_mqtt_is_stored_and_raises_the_alarm(mqtt):
    running, client, device, token = mqtt
    client.publish({"device": device.code, "token": token, "readings": [
        {"point": "smoke", "condition": "fire", "active": True, "label": "三楼走廊"},
        {"point": "pressure", "value": 0.32, "quantity": "pressure", "unit": "MPa"}]})
    assert wait_for(lambda: Event.objects.filter(device=device).count() == 2)
    assert set(Event.objects.values_list("channel", flat=True)) == {"mqtt"}
    alarm = Alarm.objects.get()
    assert (alarm.type, alarm.point.label) == ("fire", "三楼走廊")
    assert Point.objects.get(key="pressure").last_value == Decimal("0.320")
    assert running.monitoring.mqtt.stats.stored == 1


@pytest.mark.parametrize(("payload", "reason"), [
    (b"\xff not json", "the message is not JSON (UTF-8)"),
    ({"device": "NB-860001", "token": "wrong", "readings": [{"point": "p", "value": 1}]},
     "unknown device or wrong token"),
    ({"device": "NB-860001", "readings": [{"point": "p", "value": 1}]}, "unknown device or wrong token"),
    ({"device": "NB-860001", "token": "x", "readings": [{"point": "p", "value": "high"}]},
     "readings[1]: 'value' must be a number"),
    ({"device": "NB-OTHER", "token": "x", "readings": [{"point": "p", "value": 1}]},
     "'device' must be the device code of the topic"),
])
def test_a_refused_message_is_answered_with_its_reason_and_stores_nothing(mqtt, payload, reason):
    running, client, device, token = mqtt
    client.publish(payload)
    assert wait_for(lambda: client.errors), "no error reply"
    assert client.errors == [{"error": reason}]
    assert not Event.objects.exists() and not Alarm.objects.exists()
    # ...and the next good message is taken.
    client.publish({"device": device.code, "token": token, "readings": [{"point": "p", "value": 1}]})
    assert wait_for(lambda: Event.objects.filter(device=device).count() == 1)


def test_a_retired_device_is_refused(mqtt):
    running, client, device, token = mqtt
    device.active = False
    device.save()
    client.publish({"device": device.code, "token": token, "readings": [{"point": "p", "value": 1}]})
    assert wait_for(lambda: client.errors)
    assert client.errors == [{"error": "the device is out of service"}]
    assert not Event.objects.exists()


def test_mqtt_and_http_give_the_same_normalised_events(mqtt):
    running, client, device, token = mqtt
    readings = [{"point": "smoke", "condition": "fire", "active": True, "label": "三楼走廊",
                 "time": "2026-11-20T10:00:00+08:00"},
                {"point": "pressure", "value": 0.12, "quantity": "pressure", "unit": "MPa"},
                {"point": "smoke", "condition": "fire", "active": False}]
    client.publish({"device": device.code, "token": token, "readings": readings})
    assert wait_for(lambda: Event.objects.filter(channel="mqtt").count() == 3)
    response = APIClient().post("/api/iot/ingest/", {"device": device.code, "readings": readings}, format="json",
                                HTTP_AUTHORIZATION=f"Device {token}")
    assert response.status_code == 202

    def shape(channel):
        return [(e.point.key, e.kind, e.conditions, e.value, e.device_time, e.detail)
                for e in Event.objects.filter(channel=channel).select_related("point").order_by("id")]

    assert shape("mqtt") == shape("http")
    assert [(a.type, a.count, a.cleared_at is not None) for a in Alarm.objects.order_by("id")] == [
        ("fire", 1, True), ("fire", 1, True)]


def test_one_device_s_messages_are_stored_in_the_order_they_came(mqtt):
    """Regression: a message arriving while the device was being looked up overtook the one before it
    (a fire cleared could overtake the fire it clears)."""
    running, client, device, token = mqtt
    for value in range(1, 31):
        client.client.publish(f"{client.root}/up/{device.code}", json.dumps(
            {"device": device.code, "token": token, "readings": [{"point": "pressure", "value": value}]}), qos=1)
    assert wait_for(lambda: Event.objects.filter(device=device).count() == 30)
    assert [int(e.value) for e in Event.objects.filter(device=device).order_by("id")] == list(range(1, 31))
