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

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from firegov.core import bulk, deadlines, notify
from firegov.core.lifecycle import actions_from, check, role_of
from firegov.core.models import Agency, Role, User
from firegov.core.scoping import as_pk, can_see, prefixes, require_visible
from firegov.hazards.models import Hazard
from firegov.hazards.services import device_recovered, report_device_hazard
from firegov.iot import forwarding as forwarding_module
from firegov.iot import live
from firegov.iot.lifecycle import (
    ACK_POLICY,
    ACK_PURPOSE,
    ALARM_TRANSITIONS,
    FALSE_ALARM_CATEGORY,
    FIRE_POLICY,
    FIRE_PURPOSE,
    HANDLERS,
    HAZARD_CATEGORY,
)
from firegov.iot.models import (
    Alarm,
    AlarmNote,
    AlarmSeverity,
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
from firegov.iot.normalise import Reading
from firegov.kernels.gb26875.views import component_type_name
from firegov.registry.models import Unit
from firegov.registry.services import unit_audience

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
EVENT_COLUMNS = ("device", "point", "alarm", "channel", "kind", "conditions", "value", "detail", "device_time",
                 "received_at", "region_path")


@dataclass
class Batch:
    """The readings of one frame or message."""

    device: Device
    readings: list[Reading]
    channel: str
    received_at: datetime


POINT_STATE = ("label", "last_value", "out_since", "out_count")


def _point_state(point: Point) -> tuple:
    return tuple(getattr(point, f) for f in POINT_STATE)
POINT_WRITE = ("last_seen_at", "last_value", "last_value_at", "label", "out_since", "out_count")
POINT_COLUMNS = tuple(f.column for f in Point._meta.concrete_fields)


def _fetch_points(pairs: list[tuple[int, str]]) -> list[Point]:
    """Exactly these (device, key) points, the pairs sent as one JSON parameter, not ``device IN … AND
    key IN …``, which returns every key of every device in the batch."""
    table = connection.ops.quote_name(Point._meta.db_table)
    fields = [Point._meta.get_field("device"), Point._meta.get_field("key")]
    sql = (f"SELECT {', '.join(POINT_COLUMNS)} FROM {table} WHERE (device_id, key) IN "
           f"(SELECT device_id, key FROM ({bulk.rows_from_json(fields, connection)}) AS wanted)")
    return list(Point.objects.raw(sql, [bulk.as_json(pairs)]))


def _points(items: list[Batch]) -> dict[tuple[int, str], Point]:
    wanted: dict[tuple[int, str], tuple[Device, Reading]] = {}
    for item in items:
        for reading in item.readings:
            if reading.point is not None:
                wanted.setdefault((item.device.pk, reading.point), (item.device, reading))
    if not wanted:
        return {}
    found = {(p.device_id, p.key): p for p in _fetch_points(list(wanted))}
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
        bulk.insert_new(missing)  # another writer may have made some of them just now
        for p in _fetch_points([(p.device_id, p.key) for p in missing]):
            found[(p.device_id, p.key)] = p
    return found


def _save_points(points: Iterable[Point], before: dict[int, tuple], at_least: timedelta) -> None:
    """Write the points whose state changed (value, label, out-of-range count); a point that only
    reports the same again is written every ``at_least``, so its "last seen" and "last reading" lag
    by at most that much."""
    rows = []
    for point in points:
        state = before.get(point.pk)
        seen = state[-1] if state else None
        if (state is None or state[:-1] != _point_state(point)
                or seen is None or point.last_seen_at - seen >= at_least):
            rows.append((point.pk, *(getattr(point, f) for f in POINT_WRITE)))
    bulk.update_rows(Point, POINT_WRITE, rows)


class _Alarms:
    """The open alarms of the devices in a batch, opened, counted and cleared as readings come."""

    def __init__(self, devices: Iterable[Device]):
        self.open: dict[tuple[int, str, str], Alarm] = {}
        for alarm in Alarm.objects.filter(device__in=list(devices), cleared_at__isnull=True):
            self.open[(alarm.device_id, alarm.point_key, alarm.type)] = alarm
        self.changed: set[Alarm] = set()
        self.touched: set[int] = set()  # alarms to announce on the live bus after commit
        self.policies: dict = {}  # escalation policies read once per batch

    def set(self, device: Device, point: Point | None, kind: str, at: datetime, detail: str = "") -> Alarm:
        key = (device.pk, point.key if point else "", kind)
        alarm = self.open.get(key)
        if alarm is None:
            alarm = Alarm(device=device, point=point, unit=device.unit, type=kind, severity=SEVERITY[kind],
                          detail=detail[:200], first_at=at, last_at=at, changed_at=at)
            if kind == AlarmType.FIRE:
                alarm.verify_due_at = at + timedelta(seconds=settings.FIREGOV["ALARM_VERIFY_S"])
            alarm.save()
            _watch(alarm, self.policies)
            self.open[key] = alarm
        else:
            alarm.count += 1
            alarm.last_at = alarm.changed_at = at
            if detail:
                alarm.detail = detail[:200]
            self.changed.add(alarm)
        self.touched.add(alarm.pk)
        return alarm

    def clear(self, device: Device, point_key: str, kind: str, at: datetime) -> Alarm | None:
        """Clear at once (not at the end of the batch): the same condition may be raised again next."""
        alarm = self.open.pop((device.pk, point_key, kind), None)
        if alarm is not None:
            alarm.cleared_at = alarm.changed_at = at
            self.changed.discard(alarm)
            Alarm.objects.filter(pk=alarm.pk).update(cleared_at=at, count=alarm.count, last_at=alarm.last_at,
                                                     detail=alarm.detail, changed_at=at)
            if kind != AlarmType.FIRE:  # the device recovered: nobody needs chasing; a fire still needs its verdict
                deadlines.complete(alarm, ACK_PURPOSE)
            recovered(alarm, at)
            self.touched.add(alarm.pk)
        return alarm

    def clear_device(self, device: Device, kinds: Iterable[str], at: datetime) -> None:
        for (device_id, point_key, kind) in list(self.open):
            if device_id == device.pk and kind in kinds:
                self.clear(device, point_key, kind, at)

    def save(self) -> None:
        if self.changed:
            Alarm.objects.bulk_update(self.changed, ["count", "last_at", "detail", "cleared_at", "changed_at"])
        live.publish_alarms(self.touched)


def _watch(alarm: Alarm, policies: dict | None = None) -> None:
    """A new alarm gets its deadline: a fire must be verified, other major alarms acknowledged; past
    it, the escalation policy chases the unit's managers and then the brigade. ``policies``: the
    escalation policies already read in this transaction, by code."""
    if alarm.type == AlarmType.FIRE:
        purpose, code, due = FIRE_PURPOSE, "alarm-verify", alarm.verify_due_at
    elif alarm.severity in (AlarmSeverity.CRITICAL, AlarmSeverity.MAJOR):
        purpose, code = ACK_PURPOSE, "alarm-acknowledge"
        due = alarm.first_at + timedelta(seconds=settings.FIREGOV["ALARM_ACK_S"])
    else:
        return
    policies = {} if policies is None else policies
    if code not in policies:
        policies[code] = deadlines.get_policy(code)
    where = alarm.point.place if alarm.point_id and alarm.point.place else alarm.device.name
    title = f"{alarm.unit.name}：{alarm.get_type_display()}（{where}）"
    deadlines.register(alarm, purpose, title, due, code, now=alarm.first_at, policy=policies[code], new=True)


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
def ingest_batch(items: list[Batch]) -> int:
    """Store the readings of many frames or messages and apply the alarm rules; one transaction.
    Returns the number of events stored."""
    points = _points(items)
    before = {p.pk: (*_point_state(p), p.last_seen_at) for p in points.values()}
    alarms = _Alarms({item.device for item in items})
    events: list[tuple] = []
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
            events.append((device.pk, point.pk if point else None, alarm.pk if alarm else None, item.channel,
                           reading.kind, conditions, reading.value, reading.detail, reading.device_time, at,
                           device.region_path))
    stored = bulk.insert_rows(Event, EVENT_COLUMNS, events)
    alarms.save()
    _save_points(touched_points.values(), before, SEEN_RESOLUTION)
    _mark_seen(items)
    return stored


def _mark_seen(items: list[Batch]) -> None:
    latest: dict[int, tuple[Device, datetime]] = {}
    for item in items:
        seen = latest.get(item.device.pk)
        if seen is None or item.received_at > seen[1]:
            latest[item.device.pk] = (item.device, item.received_at)
    rows = []
    for device, at in latest.values():
        if device.online and device.last_seen_at and at - device.last_seen_at < SEEN_RESOLUTION:
            continue
        rows.append((device.pk, at, True))
        device.last_seen_at, device.online = at, True
    bulk.update_rows(Device, ("last_seen_at", "online"), rows)


def ingest(device: Device, readings: list[Reading], channel: str = Channel.HTTP,
           received_at: datetime | None = None) -> int:
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


# --------------------------------------------------------------------------- the alarm lifecycle


def _note(alarm: Alarm, action: str, user, text: str = "", data: dict | None = None, at: datetime | None = None):
    return AlarmNote.objects.create(alarm=alarm, action=action, author=user, text=text, data=data or {},
                                    at=at or timezone.now())


def _acknowledge(alarm: Alarm, user, now: datetime) -> None:
    if alarm.acknowledged_at is None:
        alarm.acknowledged_at, alarm.acknowledged_by = now, user
        deadlines.acknowledge(alarm, ACK_PURPOSE)
        deadlines.acknowledge(alarm, FIRE_PURPOSE)


def _assignee(alarm: Alarm, value) -> User:
    """An active user who may handle ``alarm``. One answer for every refusal: a missing user and
    one of another county are not told apart."""
    assignee = User.objects.filter(pk=as_pk(value), is_active=True).first()
    if assignee is None or role_of(assignee) not in HANDLERS or not can_see(assignee, Alarm.objects.all(), alarm.pk):
        raise ValidationError({"assignee": _("Choose an active user who can handle alarms of this unit.")})
    return assignee


def act(user, alarm: Alarm, action: str, data: dict | None = None) -> Alarm:
    """Take ``action`` (see lifecycle.ALARM_TRANSITIONS) on ``alarm`` as ``user``: checks the role, the
    jurisdiction and the state, writes the timeline note, and tells the consoles."""
    data = dict(data or {})
    note = (data.get("note") or "").strip()
    forwarding = None
    with transaction.atomic():
        require_visible(user, Alarm.objects.all(), alarm.pk)
        alarm = (Alarm.objects.select_for_update(of=("self",)).select_related("unit", "device", "point")
                 .get(pk=alarm.pk))
        step = check(ALARM_TRANSITIONS, action, alarm, user)
        now = timezone.now()
        extra: dict = {}
        if action == "acknowledge":
            _acknowledge(alarm, user, now)
        elif action == "assign":
            alarm.assignee = _assignee(alarm, data.get("assignee"))
            _acknowledge(alarm, user, now)
            extra = {"assignee": alarm.assignee.pk, "name": str(alarm.assignee)}
            notify.notify([alarm.assignee], "alarm.assigned", f"报警已指派给您：{alarm.unit.name} {alarm}",
                          note[:200], alarm.get_absolute_url())
        elif action == "comment":
            if not note:
                raise ValidationError({"note": _("Write the comment.")})
        elif action == "verify":
            if alarm.type != AlarmType.FIRE:
                raise ValidationError({"verdict": _("Only fire alarms are verified; acknowledge the others.")})
            verdict = data.get("verdict")
            if verdict not in Verdict.values:
                raise ValidationError({"verdict": _("Choose real fire, false alarm, test or device fault.")})
            _acknowledge(alarm, user, now)
            alarm.verdict, alarm.verified_at, alarm.verified_by = verdict, now, user
            deadlines.complete(alarm, FIRE_PURPOSE)
            extra = {"verdict": verdict, "seconds": round((now - alarm.first_at).total_seconds(), 1)}
            if verdict == Verdict.REAL_FIRE:
                forwarding = _forwarding(alarm, user, now)
        elif action == "forward":
            if alarm.verdict != Verdict.REAL_FIRE:
                raise ValidationError({"verdict": _("Only a confirmed fire is forwarded to 119.")})
            if alarm.forwarded_at is not None or alarm.forwardings.exclude(status=ForwardStatus.FAILED).exists():
                raise ValidationError({"forward": _("This fire has already been forwarded to 119.")})
            forwarding = _forwarding(alarm, user, now)
        alarm.changed_at = now
        alarm.save()
        _note(alarm, step.action, user, note, extra, now)
        live.publish_alarms([alarm.pk])
        if forwarding is not None:
            forwarding_id = forwarding.pk
            # At once after commit, in this request: GB 50440 allows 3 s to reach 119. Failures are
            # retried by the minute job.
            transaction.on_commit(lambda: forwarding_module.send(forwarding_id))
    return alarm


def _forwarding(alarm: Alarm, user, now: datetime) -> Forwarding:
    unit = alarm.unit
    point = alarm.point
    payload = {
        "alarm": alarm.pk,
        "type": alarm.type,
        "first_at": alarm.first_at.isoformat(),
        "verified_at": now.isoformat(),
        "verified_by": {"name": str(user), "phone": getattr(user, "phone", "")},
        "unit": {"name": unit.name, "address": unit.address, "lat": unit.lat, "lng": unit.lng,
                 "credit_code": getattr(unit, "credit_code", ""),
                 "contacts": [{"role": role, "name": name, "phone": phone} for role, name, phone in (
                     ("responsible", unit.responsible_person, unit.responsible_phone),
                     ("safety_manager", unit.safety_manager, unit.safety_manager_phone)) if name or phone]},
        "place": point.place if point else "",
        "point": point.label if point else "",
        "device": alarm.device.code,
    }
    try:
        name = getattr(import_string(settings.FIREGOV["FIRE_FORWARDER"]), "name", "")
    except ImportError:
        name = settings.FIREGOV["FIRE_FORWARDER"]  # the attempt records the error; the verdict stands
    return Forwarding.objects.create(alarm=alarm, forwarder=name[:40], requested_by=user, requested_at=now,
                                     payload=payload)


def alarm_audience(alarm: Alarm, audience: str):
    if audience == "operators":
        centres = Agency.objects.filter(region_path__in=prefixes(alarm.region_path))
        return User.objects.filter(agency__in=centres, role=Role.MONITORING_OPERATOR, is_active=True)
    return unit_audience(alarm.unit, audience)


def possible_assignees(alarm: Alarm) -> list[User]:
    """Who an alarm may be handed to: the centre's operators, the unit's managers, the brigade."""
    people = {u.pk: u for audience in ("operators", "unit_managers", "brigade") for u in alarm_audience(alarm, audience)}
    return sorted(people.values(), key=lambda u: (u.role, u.username))


def actions_for(user, alarm: Alarm) -> list:
    """The steps ``user`` may take on ``alarm`` now (for the buttons)."""
    steps = actions_from(ALARM_TRANSITIONS, alarm.status, role_of(user))
    forwardable = (alarm.verdict == Verdict.REAL_FIRE and alarm.forwarded_at is None
                   and not alarm.forwardings.exclude(status=ForwardStatus.FAILED).exists())
    return [s for s in steps if (s.action != "verify" or alarm.type == AlarmType.FIRE)
            and (s.action != "forward" or forwardable)]


# --------------------------------------------------------------------------- faults that become hazards


def raise_hazards(now: datetime | None = None) -> list[Hazard]:
    """Open a hazard of the unit for every condition that has lasted beyond FIREGOV_HAZARD_AFTER_H hours
    (fault, shielded point, offline device, power fault, low pressure, electrical), and for units
    with FIREGOV_FALSE_ALARMS_HAZARD false alarms in FIREGOV_FALSE_ALARMS_DAYS days."""
    now = now or timezone.now()
    created = []
    limit = now - timedelta(hours=settings.FIREGOV["HAZARD_AFTER_H"])
    lasting = (Alarm.objects.filter(cleared_at__isnull=True, hazard__isnull=True, first_at__lte=limit,
                                    type__in=list(HAZARD_CATEGORY))
               .select_related("unit", "device", "point", "point__building"))
    for alarm in lasting:
        where = alarm.point.place if alarm.point_id else ""
        what = f"{alarm.point.label}（{alarm.point.key}）" if alarm.point_id else alarm.device.name
        hours = int((now - alarm.first_at).total_seconds() // 3600)
        description = (f"物联网监测：{alarm.device.name} {what} {alarm.get_type_display()}"
                       f"持续 {hours} 小时（自 {timezone.localtime(alarm.first_at):%Y-%m-%d %H:%M}）未恢复。"
                       f"{alarm.detail}")
        with transaction.atomic():
            # Claim the alarm first: if the device recovered meanwhile, or another run took it, no hazard.
            hazard = report_device_hazard(alarm.unit, HAZARD_CATEGORY[alarm.type], description, where, now)
            if not Alarm.objects.filter(pk=alarm.pk, cleared_at__isnull=True, hazard__isnull=True).update(
                    hazard=hazard, changed_at=now):
                transaction.set_rollback(True)
                continue
            _note(alarm, "hazard", None, "", {"hazard": hazard.pk}, now)
        created.append(hazard)
    since = now - timedelta(days=settings.FIREGOV["FALSE_ALARMS_DAYS"])
    threshold = settings.FIREGOV["FALSE_ALARMS_HAZARD"]
    noisy = (Alarm.objects.filter(verdict=Verdict.FALSE_ALARM, verified_at__gte=since, hazard__isnull=True)
             .values("unit").annotate(n=Count("pk")).filter(n__gte=threshold))
    for row in noisy:
        unit = Unit.objects.get(pk=row["unit"])
        alarms = list(Alarm.objects.filter(unit=unit, verdict=Verdict.FALSE_ALARM, verified_at__gte=since,
                                           hazard__isnull=True).select_related("point", "unit"))
        places = sorted({a.point.label for a in alarms if a.point_id})[:5]
        description = (f"物联网监测：{settings.FIREGOV['FALSE_ALARMS_DAYS']} 日内误报 {len(alarms)} 次"
                       f"（{'、'.join(places)}），火灾探测器需检修或更换。")
        with transaction.atomic():
            hazard = report_device_hazard(unit, FALSE_ALARM_CATEGORY, description, "", now)
            for alarm in alarms:  # each link in the alarm's history; the consoles see it
                alarm.hazard, alarm.changed_at = hazard, now
                alarm.save(update_fields=["hazard", "changed_at"])
        created.append(hazard)
    return created


def recovered(alarm: Alarm, at: datetime) -> None:
    """A condition that had become a hazard has ended: close the link on the hazard's timeline."""
    if alarm.type in HAZARD_CATEGORY:  # read again: the hazard job may have linked it since the batch began
        alarm.hazard_id = Alarm.objects.filter(pk=alarm.pk).values_list("hazard_id", flat=True).first()
    if alarm.hazard_id and alarm.type in HAZARD_CATEGORY:
        device_recovered(alarm.hazard_id, f"物联网监测：{alarm.get_type_display()}已于 "
                                          f"{timezone.localtime(at):%Y-%m-%d %H:%M:%S} 恢复（报警 #{alarm.pk}）。", at)


# --------------------------------------------------------------------------- rates


def sample_rates(now: datetime | None = None) -> int:
    """Hourly: add each unit's devices and online devices to today's row (the online rate), and count
    today's verified fire alarms and false alarms. Returns the rows written."""
    now = now or timezone.now()
    day = timezone.localtime(now).date()
    start = timezone.make_aware(datetime(day.year, day.month, day.day))
    end = start + timedelta(days=1)
    devices = {r["unit"]: r for r in Device.objects.filter(active=True).values("unit").annotate(
        n=Count("pk"), online_n=Count("pk", filter=Q(online=True)))}
    verified = {r["unit"]: r for r in Alarm.objects.filter(type=AlarmType.FIRE, verified_at__gte=start,
                                                             verified_at__lt=end).values("unit").annotate(
        n=Count("pk"), false_n=Count("pk", filter=Q(verdict=Verdict.FALSE_ALARM)))}
    units = {u.pk: u for u in Unit.objects.filter(pk__in=set(devices) | set(verified))}
    written = 0
    for unit_id, unit in units.items():
        with transaction.atomic():
            row, _created = UnitMonitoringDay.objects.select_for_update().get_or_create(
                unit=unit, day=day, defaults={"region_path": unit.region_path, "sector": unit.sector})
            if unit_id in devices:
                row.device_samples += devices[unit_id]["n"]
                row.online_samples += devices[unit_id]["online_n"]
            row.fire_alarms = verified.get(unit_id, {}).get("n", 0)
            row.false_alarms = verified.get(unit_id, {}).get("false_n", 0)
            row.save()
        written += 1
    return written


def unit_rates(queryset, since) -> list[dict]:
    """Per unit since ``since`` (a date), from the kept days: online rate and false-alarm rate."""
    rows = (queryset.filter(day__gte=since).values("unit", "unit__name").annotate(
        devices=Sum("device_samples"), online=Sum("online_samples"), fires=Sum("fire_alarms"),
        false=Sum("false_alarms")))
    result = []
    for r in rows:
        result.append({"unit": r["unit"], "name": r["unit__name"],
                       "online_rate": r["online"] / r["devices"] if r["devices"] else None,
                       "false_rate": r["false"] / r["fires"] if r["fires"] else None,
                       "fires": r["fires"], "false": r["false"]})
    return result


def connect() -> None:
    deadlines.define_policy("alarm-verify", "火警核实 / Verify a fire alarm", FIRE_POLICY)
    deadlines.define_policy("alarm-acknowledge", "报警响应 / Acknowledge an alarm", ACK_POLICY)
    deadlines.register_audience("iot.alarm", alarm_audience)
