"""Fire monitoring in the demo city: devices on a few hundred units and a month of alarm history.

Key units get a user information transmission device (UITD, 用户信息传输装置) in front of their fire
alarm panel, with its detectors, manual call points and pumps as points on real floors of their
buildings; some also get NB-IoT smoke detectors, water pressure sensors on the sprinkler end or
electrical fire monitors. The month of history is what a monitoring centre sees: many false alarms
verified within a minute or two, a few tests, one or two real fires forwarded to 119, faults that
are repaired within hours or days, water pressure dips, devices offline for a while; and the daily
online and false-alarm rates kept per unit. The simulator (``firegov simulate``) keeps the devices
online while ``firegov demo`` runs.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from firegov.core.models import Role, User
from firegov.iot.models import (
    Alarm,
    AlarmNote,
    AlarmType,
    Channel,
    Device,
    Event,
    Forwarding,
    ForwardStatus,
    Point,
    UnitMonitoringDay,
    Verdict,
)
from firegov.iot.services import SEVERITY
from firegov.registry.models import Unit

UITD_BASE_ADDRESS = 370_400_000_000  # 6-byte addresses of the demo UITDs: base + n
UITD_HEARTBEAT_S = 300
DAYS = 30
# (system type 1 = fire alarm system; component types of GB/T 26875.3 Table 3)
PANEL_POINTS = [(21, "感烟火灾探测器"), (21, "感烟火灾探测器"), (21, "感烟火灾探测器"), (22, "感温火灾探测器"),
                (23, "手动火灾报警按钮"), (31, "消火栓按钮"), (16, "喷淋泵"), (17, "消火栓泵")]
ROOMS = ["走廊", "大厅", "楼梯间", "配电室", "厨房", "库房", "办公室", "客房", "机房", "商铺"]


def _pick_units(rng: random.Random, units: list[Unit], count: int) -> list[Unit]:
    preferred = [u for u in units if u.key_unit or u.crowded_place]
    others = [u for u in units if u not in set(preferred)]
    rng.shuffle(preferred)
    rng.shuffle(others)
    return (preferred + others)[:count]


def load_monitoring(rng: random.Random, units: list[Unit], now: datetime, count: int = 300) -> dict:
    chosen = _pick_units(rng, [u for u in units if u.lat is not None], count)
    devices, points = [], []
    for n, unit in enumerate(chosen):
        building = unit.buildings.first()
        uitd = Device(unit=unit, kind="uitd", name=f"{unit.name[:20]} 用户信息传输装置", code=f"UITD-{n + 1:05d}",
                      address=UITD_BASE_ADDRESS + n, vendor_profile="2012", building=building, floor="1F",
                      room="消防控制室", heartbeat_s=UITD_HEARTBEAT_S, online=True, last_seen_at=now,
                      installed_at=now - timedelta(days=rng.randint(60, 900)))
        devices.append(uitd)
        if rng.random() < 0.3:
            devices.append(Device(unit=unit, kind="water_pressure", name="喷淋末端压力", code=f"NB-WP-{n + 1:05d}",
                                  building=building, floor="B1", room="水泵房", heartbeat_s=3600, online=True,
                                  last_seen_at=now, installed_at=now - timedelta(days=rng.randint(60, 400))))
        if rng.random() < 0.2:
            devices.append(Device(unit=unit, kind="electrical", name="电气火灾监控", code=f"NB-EL-{n + 1:05d}",
                                  building=building, floor="1F", room="配电室", heartbeat_s=3600, online=True,
                                  last_seen_at=now, installed_at=now - timedelta(days=rng.randint(60, 400))))
    for device in devices:
        device.save()
        unit = device.unit
        building = device.building
        floors = (building.floors_above or 3) if building else 3
        if device.kind == "uitd":
            for zone, (comp_type, label) in enumerate(PANEL_POINTS, start=1):
                floor = rng.randint(1, max(1, min(floors, 30)))
                comp_addr = zone * 65536 + rng.randint(1, 60)  # the 2012 view: point (high) then zone (low)
                points.append(Point(device=device, key=f"1-1-{comp_addr}", label=label, sys_type=1, sys_addr=1,
                                    comp_type=comp_type, comp_addr=comp_addr, building=building, floor=f"{floor}F",
                                    room=rng.choice(ROOMS), region_path=device.region_path, last_seen_at=now))
        elif device.kind == "water_pressure":
            points.append(Point(device=device, key="pressure", label="喷淋末端试水压力", quantity="pressure",
                                unit_of_measure="MPa", low=Decimal("0.05"), high=Decimal("1.2"), hold_s=300,
                                building=building, floor="B1", room="水泵房", region_path=device.region_path,
                                last_value=Decimal("0.32"), last_value_at=now, last_seen_at=now))
        else:
            points.append(Point(device=device, key="residual", label="剩余电流", quantity="residual_current",
                                unit_of_measure="mA", high=Decimal("300"), repeat_n=3, building=building,
                                floor="1F", room="配电室", region_path=device.region_path,
                                last_value=Decimal("42"), last_value_at=now, last_seen_at=now))
    Point.objects.bulk_create(points)
    alarms = _history(rng, devices, now)
    _rates(rng, devices, now)
    return {"devices": len(devices), "points": len(points), "alarms": alarms}


def _history(rng: random.Random, devices: list[Device], now: datetime) -> int:
    """A month of alarms with their events, notes and forwardings, all finished (the live ones come
    from the simulator)."""
    operator = User.objects.filter(role=Role.MONITORING_OPERATOR, is_active=True).order_by("pk").first()
    points_of: dict[int, list[Point]] = {}
    for point in Point.objects.filter(device__in=devices):
        points_of.setdefault(point.device_id, []).append(point)
    alarms: list[tuple[Alarm, dict]] = []
    start = now - timedelta(days=DAYS)
    real_fires = 0
    busy: dict[tuple, list[tuple[datetime, datetime]]] = {}  # one open alarm per device, point and type
    false_alarms: dict[int, int] = {}  # kept under the false-alarm hazard threshold
    for device in devices:
        points = points_of.get(device.pk, [])
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3, 5])):  # some units' detectors are noisy
            at = start + timedelta(seconds=rng.randint(0, DAYS * 86400 - 3600))
            if device.kind == "uitd":
                point = rng.choice([p for p in points if p.comp_type in (21, 22, 23)])
                kind = rng.choices([AlarmType.FIRE, AlarmType.FAULT, AlarmType.SHIELDED, AlarmType.OFFLINE],
                                   weights=[6, 3, 1, 1])[0]
            elif device.kind == "water_pressure":
                point, kind = points[0], rng.choice([AlarmType.LOW_PRESSURE, AlarmType.OFFLINE])
            else:
                point, kind = points[0], rng.choice([AlarmType.ELECTRICAL, AlarmType.OFFLINE])
            if kind == AlarmType.OFFLINE:
                point = None
            alarm = Alarm(device=device, point=point, unit=device.unit, type=kind, severity=SEVERITY[kind],
                          first_at=at, last_at=at, changed_at=at, region_path=device.region_path,
                          sector=device.sector, point_key=point.key if point else "")
            plan: dict = {}
            if kind == AlarmType.FIRE:
                alarm.verify_due_at = at + timedelta(seconds=180)
                verdict = rng.choices([Verdict.FALSE_ALARM, Verdict.TEST, Verdict.FAULT, Verdict.REAL_FIRE],
                                      weights=[80, 10, 8, 2 if real_fires < 2 else 0])[0]
                if verdict == Verdict.FALSE_ALARM:
                    if false_alarms.get(device.unit_id, 0) >= 2:
                        verdict = Verdict.TEST
                    false_alarms[device.unit_id] = false_alarms.get(device.unit_id, 0) + 1
                real_fires += verdict == Verdict.REAL_FIRE
                took = timedelta(seconds=rng.randint(20, 170))
                alarm.verdict, alarm.verified_at, alarm.verified_by = verdict, at + took, operator
                alarm.acknowledged_at, alarm.acknowledged_by = at + took, operator
                alarm.cleared_at = at + took + timedelta(minutes=rng.randint(2, 20))  # the panel is reset
                plan = {"verify": took, "verdict": verdict}
            else:
                lasted = timedelta(minutes=rng.randint(10, 60 * 20))  # repaired before it becomes a hazard
                alarm.cleared_at = min(at + lasted, now - timedelta(minutes=5))
                alarm.acknowledged_at = at + timedelta(minutes=rng.randint(1, 12))
                alarm.acknowledged_by = operator
                if kind == AlarmType.LOW_PRESSURE:
                    alarm.detail = f"0.0{rng.randint(1, 4)} MPa < 0.050"
                elif kind == AlarmType.ELECTRICAL:
                    alarm.detail = f"{rng.randint(310, 520)} mA > 300.000"
            alarm.last_at = alarm.cleared_at
            alarm.changed_at = alarm.cleared_at
            key = (device.pk, alarm.point_key, kind)
            if any(alarm.first_at <= end and start_ <= alarm.cleared_at for start_, end in busy.get(key, ())):
                continue  # it would overlap an alarm of the same point and type
            busy.setdefault(key, []).append((alarm.first_at, alarm.cleared_at))
            alarms.append((alarm, plan))
    Alarm.objects.bulk_create([a for a, _plan in alarms])
    notes, events, forwardings = [], [], []
    for alarm, plan in alarms:
        condition = {AlarmType.LOW_PRESSURE: None, AlarmType.ELECTRICAL: None}.get(alarm.type, alarm.type)
        channel = Channel.TCP if alarm.device.kind == "uitd" else Channel.MQTT
        if alarm.type == AlarmType.OFFLINE:
            events.append(Event(device=alarm.device, alarm=alarm, channel=Channel.SYSTEM, kind="offline",
                                conditions={"offline": True}, received_at=alarm.first_at,
                                region_path=alarm.region_path))
        elif condition:
            for at, active in ((alarm.first_at, True), (alarm.cleared_at, False)):
                events.append(Event(device=alarm.device, point=alarm.point, alarm=alarm, channel=channel,
                                    kind="status", conditions={condition: active}, received_at=at,
                                    device_time=at - timedelta(seconds=1), region_path=alarm.region_path))
        else:
            events.append(Event(device=alarm.device, point=alarm.point, alarm=alarm, channel=channel, kind="analog",
                                value=Decimal(alarm.detail.split()[0]), received_at=alarm.first_at,
                                region_path=alarm.region_path))
        if alarm.acknowledged_at and not plan:
            notes.append(AlarmNote(alarm=alarm, action="acknowledge", author=alarm.acknowledged_by,
                                   at=alarm.acknowledged_at))
        if plan:
            text = {Verdict.FALSE_ALARM: "电话联系单位消防控制室，现场确认为误报", Verdict.TEST: "单位报备的联动测试",
                    Verdict.FAULT: "探测器故障，已通知维保单位", Verdict.REAL_FIRE: "现场确认起火，已转报119"}
            notes.append(AlarmNote(alarm=alarm, action="verify", author=alarm.verified_by, at=alarm.verified_at,
                                   text=text[plan["verdict"]], data={"verdict": plan["verdict"],
                                                                     "seconds": plan["verify"].total_seconds()}))
            if plan["verdict"] == Verdict.REAL_FIRE:
                sent = alarm.verified_at + timedelta(milliseconds=rng.randint(300, 1800))
                forwardings.append(Forwarding(alarm=alarm, forwarder="webhook", requested_by=alarm.verified_by,
                                              requested_at=alarm.verified_at, sent_at=sent, attempts=1,
                                              last_attempt_at=alarm.verified_at, status=ForwardStatus.SENT,
                                              answer="HTTP 200", payload={"alarm": alarm.pk,
                                                                          "unit": {"name": alarm.unit.name}}))
                Alarm.objects.filter(pk=alarm.pk).update(forwarded_at=sent)
    Event.objects.bulk_create(events)
    AlarmNote.objects.bulk_create(notes)
    Forwarding.objects.bulk_create(forwardings)
    return len(alarms)


def _rates(rng: random.Random, devices: list[Device], now: datetime) -> None:
    """The daily rows the hourly job would have written: 24 samples a day of each unit's devices."""
    by_unit: dict[int, list[Device]] = {}
    for device in devices:
        by_unit.setdefault(device.unit_id, []).append(device)
    fires: dict[tuple[int, object], list[int]] = {}
    for unit_id, day, verdict in Alarm.objects.filter(type=AlarmType.FIRE, device__in=devices).values_list(
            "unit_id", "verified_at", "verdict"):
        key = (unit_id, timezone.localtime(day).date())
        counts = fires.setdefault(key, [0, 0])
        counts[0] += 1
        counts[1] += verdict == Verdict.FALSE_ALARM
    rows = []
    today = timezone.localtime(now).date()
    for unit_id, unit_devices in by_unit.items():
        unit = unit_devices[0].unit
        for offset in range(DAYS, 0, -1):
            day = today - timedelta(days=offset)
            samples = 24 * len(unit_devices)
            offline = rng.choices([0, 0, 0, 0, 1, 2, 6], k=1)[0] if samples else 0
            fire, false = fires.get((unit_id, day), [0, 0])
            rows.append(UnitMonitoringDay(unit=unit, day=day, device_samples=samples,
                                          online_samples=max(0, samples - offline), fire_alarms=fire,
                                          false_alarms=false, region_path=unit.region_path, sector=unit.sector))
    UnitMonitoringDay.objects.bulk_create(rows)

