"""Storing normalised readings and keeping alarms (the pipeline after decoding).

:func:`ingest_batch` takes readings from any channel (GB/T 26875.3 gateway, MQTT, HTTP) for many
devices and, in one transaction: creates the points it has not seen, records every occurrence as an
:class:`~firegov.iot.models.Event`, opens, counts and clears alarms (one open alarm per device, point
and type), applies each point's limits to analog values, and marks the devices seen. The gateway
confirms a frame only after this transaction has committed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from firegov.iot.models import Alarm, AlarmSeverity, AlarmType, Channel, Device, Event, Point
from firegov.iot.normalise import Reading
from firegov.kernels.gb26875.views import component_type_name

SEVERITY = {
    AlarmType.FIRE: AlarmSeverity.CRITICAL, AlarmType.FAULT: AlarmSeverity.MAJOR,
    AlarmType.SUPERVISORY: AlarmSeverity.MAJOR, AlarmType.START: AlarmSeverity.INFO,
    AlarmType.SHIELDED: AlarmSeverity.MINOR, AlarmType.POWER: AlarmSeverity.MAJOR,
    AlarmType.OFFLINE: AlarmSeverity.MAJOR, AlarmType.VALUE: AlarmSeverity.MAJOR,
    AlarmType.LOW_PRESSURE: AlarmSeverity.MAJOR, AlarmType.ELECTRICAL: AlarmSeverity.MAJOR,
}
# A reset of the panel (operation bit 0) ends these conditions on every point of the device.
RESET_CLEARS = (AlarmType.FIRE, AlarmType.SUPERVISORY, AlarmType.START)
# Writing "last seen" for every heartbeat of 10,000 devices would be most of the database's work.
SEEN_RESOLUTION = timedelta(seconds=30)
ELECTRICAL_COMPONENTS = {16, 17, 18}
LIMIT_ALARMS = (AlarmType.VALUE, AlarmType.LOW_PRESSURE, AlarmType.ELECTRICAL)
MAX_OFFSET = 2**31 - 1  # a device clock in 2099 must not overflow the column


@dataclass
class Batch:
    """The readings of one frame or message."""

    device: Device
    readings: list[Reading]
    channel: str
    received_at: datetime


def _points(items: list[Batch]) -> dict[tuple[int, str], Point]:
    wanted: dict[tuple[int, str], tuple[Device, Reading]] = {}
    for item in items:
        for reading in item.readings:
            if reading.point is not None:
                wanted.setdefault((item.device.pk, reading.point), (item.device, reading))
    if not wanted:
        return {}
    device_ids = {device_id for device_id, _ in wanted}
    keys = {key for _, key in wanted}
    found = {(p.device_id, p.key): p for p in Point.objects.filter(device_id__in=device_ids, key__in=keys)}
    missing = []
    for (device_id, key), (device, reading) in wanted.items():
        if (device_id, key) in found:
            continue
        info = reading.point_info
        label = reading.label or (component_type_name(info["comp_type"]) if "comp_type" in info else key)
        missing.append(Point(device=device, key=key, label=label[:100], region_path=device.region_path,
                             quantity=reading.quantity, unit_of_measure=reading.unit,
                             **{k: info.get(k) for k in ("sys_type", "sys_addr", "comp_type", "comp_addr")}))
    if missing:
        Point.objects.bulk_create(missing, ignore_conflicts=True)
        for p in Point.objects.filter(device_id__in={p.device_id for p in missing}, key__in={p.key for p in missing}):
            found[(p.device_id, p.key)] = p
    return found


class _Alarms:
    """The open alarms of the devices in a batch, opened, counted and cleared as readings come."""

    def __init__(self, devices: Iterable[Device]):
        self.open: dict[tuple[int, str, str], Alarm] = {}
        for alarm in Alarm.objects.filter(device__in=list(devices), cleared_at__isnull=True):
            self.open[(alarm.device_id, alarm.point_key, alarm.type)] = alarm
        self.changed: set[Alarm] = set()

    def set(self, device: Device, point: Point | None, kind: str, at: datetime, detail: str = "") -> Alarm:
        key = (device.pk, point.key if point else "", kind)
        alarm = self.open.get(key)
        if alarm is None:
            alarm = Alarm(device=device, point=point, unit=device.unit, type=kind, severity=SEVERITY[kind],
                          detail=detail[:200], first_at=at, last_at=at)
            alarm.save()
            self.open[key] = alarm
        else:
            alarm.count += 1
            alarm.last_at = at
            if detail:
                alarm.detail = detail[:200]
            self.changed.add(alarm)
        return alarm

    def clear(self, device: Device, point_key: str, kind: str, at: datetime) -> Alarm | None:
        """Clear at once (not at the end of the batch): the same condition may be raised again next."""
        alarm = self.open.pop((device.pk, point_key, kind), None)
        if alarm is not None:
            alarm.cleared_at = at
            self.changed.discard(alarm)
            Alarm.objects.filter(pk=alarm.pk).update(cleared_at=at, count=alarm.count, last_at=alarm.last_at,
                                                     detail=alarm.detail)
        return alarm

    def clear_device(self, device: Device, kinds: Iterable[str], at: datetime) -> None:
        for (device_id, point_key, kind) in list(self.open):
            if device_id == device.pk and kind in kinds:
                self.clear(device, point_key, kind, at)

    def save(self) -> None:
        if self.changed:
            Alarm.objects.bulk_update(self.changed, ["count", "last_at", "detail", "cleared_at"])


def _limits(device: Device, point: Point, value: Decimal, at: datetime) -> tuple[str, bool, str]:
    """The condition a value sets or clears against the point's limits, with a description."""
    if device.kind == "electrical" or (point.comp_type in ELECTRICAL_COMPONENTS):
        kind = AlarmType.ELECTRICAL
    elif point.quantity in ("pressure", "level") or device.kind in ("water_pressure", "water_level"):
        kind = AlarmType.LOW_PRESSURE if point.low is not None and value < point.low else AlarmType.VALUE
    else:
        kind = AlarmType.VALUE
    low = point.low is not None and value < point.low
    high = point.high is not None and value > point.high
    detail = ""
    if low:
        detail = f"{value} {point.unit_of_measure} < {point.low}".strip()
    elif high:
        detail = f"{value} {point.unit_of_measure} > {point.high}".strip()
    outside = low or high
    if outside:
        point.out_since = point.out_since or at
        point.out_count += 1
        if (at - point.out_since).total_seconds() < point.hold_s or point.out_count < point.repeat_n:
            return kind, False, detail  # not yet: the condition must last and repeat
        return kind, True, detail
    point.out_since = None
    point.out_count = 0
    return kind, False, detail


@transaction.atomic
def ingest_batch(items: list[Batch]) -> list[Event]:
    """Store the readings of many frames or messages and apply the alarm rules; one transaction."""
    points = _points(items)
    alarms = _Alarms({item.device for item in items})
    events: list[Event] = []
    touched_points: dict[int, Point] = {}
    for item in items:
        device, at = item.device, item.received_at
        if alarms.clear(device, "", AlarmType.OFFLINE, at) is not None:
            device.online = False  # whatever this copy of the device says: have it marked online again
        for reading in item.readings:
            point = points.get((device.pk, reading.point)) if reading.point is not None else None
            point_key = point.key if point else ""
            alarm = None
            conditions = dict(reading.conditions)
            if point is not None:
                point.last_seen_at = at
                touched_points[point.pk] = point
                if reading.kind == "info" and reading.label and point.label != reading.label:
                    point.label = reading.label[:100]
            if reading.kind == "analog" and point is not None and reading.value is not None:
                point.last_value, point.last_value_at = reading.value, at
                kind, active, detail = _limits(device, point, reading.value, at)
                if active:
                    for other in LIMIT_ALARMS:  # from below the low limit to above the high one
                        if other != kind:
                            alarms.clear(device, point_key, other, at)
                    alarm = alarms.set(device, point, kind, at, detail)
                elif point.out_since is None:  # back within limits
                    for limit_kind in LIMIT_ALARMS:
                        alarm = alarms.clear(device, point_key, limit_kind, at) or alarm
            for condition, active in conditions.items():
                if active:
                    alarm = alarms.set(device, point, condition, at, reading.label)
                else:
                    alarms.clear(device, point_key, condition, at)
            if reading.kind == "operation" and "reset" in reading.detail.get("flags", ()):
                alarms.clear_device(device, RESET_CLEARS, at)
            if reading.kind == "info":
                version = reading.detail.get("software_version")
                if version and device.software_version != version:
                    device.software_version = version
                    Device.objects.filter(pk=device.pk).update(software_version=version)
                if "clock" in reading.detail and reading.device_time is not None:
                    offset = max(-MAX_OFFSET, min(MAX_OFFSET, round((reading.device_time - at).total_seconds())))
                    device.clock_offset_s = offset
                    Device.objects.filter(pk=device.pk).update(clock_offset_s=offset)
                continue  # configuration and clocks are kept on the device and point, not as events
            events.append(Event(device=device, point=point, alarm=alarm, channel=item.channel, kind=reading.kind,
                                conditions=conditions, value=reading.value, detail=reading.detail,
                                device_time=reading.device_time, received_at=at, region_path=device.region_path))
    Event.objects.bulk_create(events)
    alarms.save()
    if touched_points:
        Point.objects.bulk_update(list(touched_points.values()),
                                  ["last_seen_at", "last_value", "last_value_at", "label", "out_since", "out_count"])
    _mark_seen(items)
    return events


def _mark_seen(items: list[Batch]) -> None:
    latest: dict[int, tuple[Device, datetime]] = {}
    for item in items:
        seen = latest.get(item.device.pk)
        if seen is None or item.received_at > seen[1]:
            latest[item.device.pk] = (item.device, item.received_at)
    for device, at in latest.values():
        if device.online and device.last_seen_at and at - device.last_seen_at < SEEN_RESOLUTION:
            continue
        Device.objects.filter(pk=device.pk).update(last_seen_at=at, online=True)
        device.last_seen_at, device.online = at, True


def ingest(device: Device, readings: list[Reading], channel: str = Channel.HTTP,
           received_at: datetime | None = None) -> list[Event]:
    return ingest_batch([Batch(device, readings, channel, received_at or timezone.now())])


def mark_silent(now: datetime | None = None) -> int:
    """Devices silent for three report intervals go offline with an offline alarm. Returns how many."""
    now = now or timezone.now()
    count = 0
    for device in Device.objects.filter(active=True, online=True).select_related("unit"):
        if device.last_seen_at and now - device.last_seen_at <= timedelta(seconds=3 * device.heartbeat_s):
            continue
        with transaction.atomic():
            Device.objects.filter(pk=device.pk).update(online=False)
            device.online = False
            alarms = _Alarms([device])
            alarm = alarms.set(device, None, AlarmType.OFFLINE, now,
                               f"{device.last_seen_at:%Y-%m-%d %H:%M:%S}" if device.last_seen_at else "")
            alarms.save()
            Event.objects.create(device=device, alarm=alarm, channel=Channel.SYSTEM, kind="offline",
                                 conditions={"offline": True}, received_at=now, region_path=device.region_path)
        count += 1
    return count
