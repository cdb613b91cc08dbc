"""The device simulator (``firegov simulate``) against a real gateway on a real TCP port, and against the
machine's real Mosquitto broker with MQTT ingestion running: what it sends is stored, its alarms are
raised, it answers the centre's requests, it reconnects, and it gives up on denied frames."""

from __future__ import annotations

import asyncio
import io
import time
import uuid
from contextlib import redirect_stdout

import pytest
from django.db.models import Q

from firegov import cli
from firegov.iot.models import Alarm, Device, Event
from firegov.iot.simulate import (
    SimConfig,
    SimulationError,
    Simulator,
    device_code,
    local_now,
    register,
    send_fire_alarm,
    token_for,
)
from tests.conftest import require_service
from tests.iot.conftest import RunningGateway, wait_for
from tests.iot.test_mqtt import BROKER, RunningIngest, broker_up

BASE = 700_000


def alarm_events(channel: str):
    return Event.objects.filter(Q(conditions__fire=True) | Q(conditions__fault=True), channel=channel,
                                device__code__startswith="SIM-")


def simulate(config: SimConfig, duration: float):
    return asyncio.run(Simulator(config).run(duration))


def test_simulated_devices_send_status_analog_and_alarms_that_are_stored(gateway, city):
    assert register(4, BASE) == (4, 0)
    summary = simulate(SimConfig(devices=4, rate=80, port=gateway.port, base_address=BASE, alarm_share=0.25,
                                 window=2, seed=7), duration=2.0)
    s = summary.stats
    assert s.sent >= 100 and s.alarms >= 10 and s.heartbeats == 4  # one hello per connection
    assert (s.confirmed, s.denied, s.failed, summary.unconfirmed) == (s.sent, 0, 0, 0)
    assert summary.p50_ms is not None and summary.p99_ms >= summary.p50_ms
    # A frame is confirmed only once stored: every alarm object sent is an event now, on the right devices.
    assert alarm_events("gb26875").count() == s.alarms
    assert Event.objects.filter(device__code__startswith="SIM-").count() == s.readings
    devices = Device.objects.filter(code__startswith="SIM-")
    assert sorted(d.address for d in devices) == [BASE, BASE + 1, BASE + 2, BASE + 3]
    assert all(d.online and d.last_seen_at for d in devices)
    kinds = set(Event.objects.filter(device__in=devices).values_list("kind", flat=True))
    assert {"status", "analog"} <= kinds
    assert Alarm.objects.filter(device__in=devices, type__in=["fire", "fault"]).exists()
    assert Event.objects.filter(device__in=devices, kind="analog", point__key="11-1-101").exists()


def test_one_fire_alarm_from_one_device_is_confirmed_and_raises_the_alarm(gateway, city):
    register(1, BASE)
    confirm = send_fire_alarm(BASE, port=gateway.port, comp_addr=31, desc="三楼走廊")
    assert confirm is not None and (confirm.command, confirm.destination) == (3, BASE)
    alarm = Alarm.objects.get()
    assert (alarm.type, alarm.device.code, alarm.point.comp_addr, alarm.point.label) == (
        "fire", device_code(BASE), 31, "三楼走廊")


def test_an_unknown_device_is_denied_and_the_frame_given_up_after_its_retries(gateway, city):
    assert send_fire_alarm(BASE + 99, port=gateway.port) is None  # not registered

    async def run():
        async with Simulator(SimConfig(devices=1, rate=0, port=gateway.port, base_address=BASE + 99, hello=False,
                                       heartbeat_s=0, retries=1, timeout=2)) as sim:
            answer = await sim.alarm(0)
            return answer, sim.summary()

    answer, summary = asyncio.run(run())
    assert answer is None
    assert (summary.stats.denied, summary.stats.retransmitted, summary.stats.failed) == (2, 1, 1)
    assert not Event.objects.exists() and not Alarm.objects.exists()


def test_the_devices_answer_polls_and_clock_sync_and_stay_connected(transactional_db, city):
    register(2, BASE, heartbeat_s=1)
    running = RunningGateway(timeout=0.5, retries=1).start()
    try:
        async def run():
            config = SimConfig(devices=2, rate=0, port=running.port, base_address=BASE, heartbeat_s=0,
                               clock_skew_s=-3600)
            async with Simulator(config) as sim:
                await asyncio.sleep(3.5)  # silent for more than the 1 s report interval: polled with read 81
                skews = [abs((d.now() - local_now()).total_seconds()) for d in sim.devices]
                return sim.summary(), skews, running.call(lambda: len(running.gateway.connections))

        summary, skews, connections = asyncio.run(run())
    finally:
        running.stop()
    s = summary.stats
    assert s.clock_syncs == 2 and s.controls == 2  # the hello was an hour off: each device got clock sync 90
    assert max(skews) < 2  # and its clock now runs on the centre's time
    assert s.polls >= 2  # read 81 answered with response 21...
    assert connections == 2  # ...so the gateway kept both connections
    assert s.reconnects == 0
    assert Event.objects.filter(device__code__startswith="SIM-", kind="status", point=None).count() >= 2


def test_dropped_connections_are_made_again_and_the_traffic_goes_on(gateway, city):
    register(3, BASE)

    async def run():
        async with Simulator(SimConfig(devices=3, rate=30, port=gateway.port, base_address=BASE, window=4)) as sim:
            await sim.load(duration=1.0)
            before = sim.stats.confirmed
            gateway.call(lambda: [c.abort("test") for c in list(gateway.gateway.connections)])
            await sim.load(duration=3.0)
            await sim.drain(5)
            return before, sim.summary()

    before, summary = asyncio.run(run())
    s = summary.stats
    assert s.reconnects == 3
    assert s.confirmed > before + 30  # confirmed on the new connections
    assert s.failed == 0 and summary.unconfirmed == 0
    assert summary.connected == 3


def test_register_refuses_a_range_holding_a_real_device(monitored):
    with pytest.raises(SimulationError):
        register(10, monitored.address - 5)
    assert not Device.objects.filter(code__startswith="SIM-").exists()


def test_register_again_keeps_the_devices_and_restores_their_tokens(city):
    register(2, BASE)
    device = Device.objects.get(address=BASE)
    device.active = False
    device.token_hash = ""
    device.save()
    assert register(2, BASE) == (0, 2)
    device.refresh_from_db()
    assert device.active and device.token_matches(token_for(device.code))


def test_the_command_line_registers_runs_and_reports(gateway, city):
    out = io.StringIO()
    with redirect_stdout(out):
        code = cli.main(["simulate", "--devices", "3", "--rate", "30", "--duration", "1.5", "--port", str(gateway.port),
                         "--base-address", str(BASE), "--register", "--alarm-share", "0.5"])
    text = out.getvalue()
    assert code == 0, text
    figures = {line[:16].strip(): line[16:].split() for line in text.splitlines() if len(line) > 17}
    assert "registered 3 simulated devices" in text
    sent = int(figures["frames sent"][0])
    assert sent >= 30
    assert figures["confirmed"][0] == str(sent)
    assert figures["denied"] == ["0"]
    assert figures["confirm latency"][0] == "p50" and figures["confirm latency"][3] == "p99"
    assert Event.objects.filter(device__code__startswith="SIM-").exists()


# --------------------------------------------------------------------------- MQTT


@pytest.fixture
def ingest(transactional_db, city):
    require_service(broker_up(), "Mosquitto is not listening on 127.0.0.1:1883")
    root = f"fgsim-{uuid.uuid4().hex[:10]}"
    running = RunningIngest(root).start()
    yield root
    running.stop()


def mqtt_config(root: str, **options) -> SimConfig:
    return SimConfig(mqtt_url=f"mqtt://{BROKER[0]}:{BROKER[1]}", topic_root=root, base_address=BASE, **options)


def test_simulated_sensors_publish_the_json_payload_over_mqtt(ingest):
    register(3, BASE, kind="smoke")
    summary = simulate(mqtt_config(ingest, devices=3, rate=40, alarm_share=0.3, window=2, seed=3), duration=2.0)
    s = summary.stats
    assert s.sent >= 60 and s.alarms >= 5
    assert s.confirmed == s.sent and summary.unconfirmed == 0
    # every message is stored, with its token checked; every alarm reading raised or counted an alarm
    assert wait_for(lambda: Event.objects.filter(channel="mqtt").count() == s.readings)
    assert alarm_events("mqtt").count() == s.alarms
    assert s.denied == 0
    assert Alarm.objects.filter(device__code__startswith="SIM-", type__in=["fire", "fault"]).exists()
    stored = Event.objects.filter(channel="mqtt", device__code__startswith="SIM-")
    assert set(stored.values_list("device__address", flat=True)) == {BASE, BASE + 1, BASE + 2}
    assert stored.filter(kind="analog", point__key="pressure").exists()


def test_mqtt_messages_of_unregistered_sensors_are_refused_and_counted_as_denied(ingest):
    async def run():
        async with Simulator(mqtt_config(ingest, devices=2, rate=0, heartbeat_s=0)) as sim:
            await sim.alarm(0)
            await sim.alarm(1)
            deadline = time.monotonic() + 10
            while sim.stats.denied < 4 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            return sim.summary()

    summary = asyncio.run(run())
    assert summary.stats.denied == 4  # two hellos and two alarms, each answered with its error
    assert not Event.objects.exists()


def test_a_fire_alarm_over_mqtt_is_acknowledged_and_stored(ingest):
    register(1, BASE, kind="smoke")

    async def run():
        async with Simulator(mqtt_config(ingest, devices=1, rate=0, hello=False, heartbeat_s=0)) as sim:
            return await sim.alarm(0, comp_addr=5, desc="地下车库")

    assert asyncio.run(run()) is True
    assert wait_for(lambda: Alarm.objects.filter(type="fire").exists())
    alarm = Alarm.objects.get()
    assert (alarm.point.key, alarm.point.label, alarm.device.code) == ("smoke-5", "地下车库", device_code(BASE))
