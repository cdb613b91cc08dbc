"""Conditions that last become hazards of the unit, close when the device recovers; repeated false
alarms become a hazard; per-unit online and false-alarm rates are kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from firegov.hazards.models import Hazard, HazardEvent
from firegov.iot import services
from firegov.iot.models import Alarm, Device, UnitMonitoringDay
from firegov.iot.normalise import Reading


@pytest.fixture
def panel(city):
    return Device.objects.create(unit=city.xc_hotel, kind="uitd", name="1号传输装置", code="UITD-1", address=4242)


def condition(device, point, kind, active, at, label="二层感烟探测器"):
    services.ingest(device, [Reading(kind="status", point=point, label=label, conditions={kind: active})],
                    received_at=at)


def test_a_fault_lasting_a_day_becomes_a_hazard_and_closes_when_repaired(panel, city, settings):
    settings.FIREGOV = {**settings.FIREGOV, "HAZARD_AFTER_H": 24}
    t0 = timezone.now() - timedelta(hours=30)
    condition(panel, "1-1-201", "fault", True, t0)
    condition(panel, "1-1-202", "fault", True, timezone.now() - timedelta(hours=2))  # too recent
    created = services.raise_hazards()
    assert len(created) == 1
    hazard = created[0]
    assert (hazard.unit, hazard.source, hazard.category, hazard.status) == (
        city.xc_hotel, "device", "fire_alarm_faulty", "reported")
    assert "二层感烟探测器" in hazard.description and "持续 30 小时" in hazard.description
    assert hazard.agency == city.xc_brigade
    alarm = Alarm.objects.get(point_key="1-1-201")
    assert alarm.hazard == hazard
    assert services.raise_hazards() == []  # one hazard per lasting condition
    # The unit repairs the detector: the device says so, and the hazard closes as corrected.
    condition(panel, "1-1-201", "fault", False, timezone.now())
    hazard.refresh_from_db()
    assert hazard.status == "corrected" and hazard.closed_at is not None
    event = HazardEvent.objects.filter(hazard=hazard).last()
    assert event.action == "device_recovered" and f"#{alarm.pk}" in event.note


def test_a_recovery_after_the_brigade_ordered_rectification_only_goes_on_the_timeline(panel, city, settings):
    t0 = timezone.now() - timedelta(hours=30)
    condition(panel, "1-1-201", "shielded", True, t0)
    hazard, = services.raise_hazards()
    Hazard.objects.filter(pk=hazard.pk).update(status="ordered")
    condition(panel, "1-1-201", "shielded", False, timezone.now())
    hazard.refresh_from_db()
    assert hazard.status == "ordered"  # the unit still submits and the brigade re-inspects
    assert HazardEvent.objects.filter(hazard=hazard, action="device_recovered").exists()


def test_offline_and_low_pressure_become_hazards_of_their_own_category(city, settings):
    sensor = Device.objects.create(unit=city.xc_school, kind="water_pressure", name="喷淋末端", code="NB-P1",
                                   heartbeat_s=60)
    long_ago = timezone.now() - timedelta(hours=48)
    services.ingest(sensor, [Reading(kind="analog", point="p", value=1, quantity="pressure", unit="MPa")],
                    received_at=long_ago)
    sensor.points.filter(key="p").update(low=0.1)
    services.ingest(sensor, [Reading(kind="analog", point="p", value=0.02, quantity="pressure", unit="MPa")],
                    received_at=long_ago + timedelta(minutes=1))
    assert services.mark_silent(long_ago + timedelta(hours=1)) == 1
    categories = sorted(h.category for h in services.raise_hazards())
    assert categories == ["facility_damaged", "hydrant_no_water"]


def test_repeated_false_alarms_become_a_hazard(panel, city, settings):
    settings.FIREGOV = {**settings.FIREGOV, "FALSE_ALARMS_HAZARD": 3, "FALSE_ALARMS_DAYS": 30}
    for i in range(3):
        condition(panel, f"1-1-30{i}", "fire", True, timezone.now(), label=f"厨房感烟{i}")
        alarm = Alarm.objects.get(point_key=f"1-1-30{i}")
        if i < 2:
            services.act(city.danwei, alarm, "verify", {"verdict": "false_alarm"})
            assert services.raise_hazards() == []
    services.act(city.danwei, alarm, "verify", {"verdict": "false_alarm"})
    hazard, = services.raise_hazards()
    assert "误报 3 次" in hazard.description and hazard.category == "fire_alarm_faulty"
    assert Alarm.objects.filter(hazard=hazard).count() == 3
    for alarm in Alarm.objects.filter(hazard=hazard):  # each link is in the alarm's history
        assert [e.changes_dict["hazard"] for e in LogEntry.objects.get_for_object(alarm)
                if "hazard" in e.changes_dict and e.action == LogEntry.Action.UPDATE] == [["None", str(hazard.pk)]]
    assert services.raise_hazards() == []


def test_online_and_false_alarm_rates_per_unit(panel, city):
    other = Device.objects.create(unit=city.xc_hotel, kind="smoke", name="烟感", code="NB-9")
    now = timezone.now()
    condition(panel, "1-1-1", "fire", True, now)
    services.act(city.danwei, Alarm.objects.get(), "verify", {"verdict": "false_alarm"})
    Device.objects.filter(pk=panel.pk).update(online=True)
    Device.objects.filter(pk=other.pk).update(online=False)
    assert services.sample_rates(now) == 1
    assert services.sample_rates(now) == 1  # the second hour of the day
    row = UnitMonitoringDay.objects.get(unit=city.xc_hotel)
    assert (row.device_samples, row.online_samples, row.fire_alarms, row.false_alarms) == (4, 2, 1, 1)
    rates, = services.unit_rates(UnitMonitoringDay.objects.all(), timezone.localdate(now))
    assert rates["online_rate"] == 0.5 and rates["false_rate"] == 1.0
