"""Fire monitoring (城市消防远程监控): devices and their points, the events they send, and alarms.

- A :class:`Device` is a user information transmission device (用户信息传输装置, speaking GB/T
  26875.3 over TCP, identified by its 48-bit address) or a sensor reporting over MQTT or HTTP
  (NB-IoT smoke detector, water pressure or level sensor, electrical fire monitor), identified by its
  code and authenticated by a per-device token.
- A :class:`Point` is what a device reports on: a facility system or component of the panel behind a
  UITD (system type, system address, component address), or a sensor channel, mapped to a building,
  floor and room.
- An :class:`Event` is one normalised occurrence, whatever the channel; every one is kept.
- An :class:`Alarm` is the open condition built from events: one open alarm per (device, point, type),
  counting repeats.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from firegov.core.models import Sector
from firegov.core.scopespec import ScopeSpec
from firegov.kernels.gb26875.views import ADDRESS_PROFILES
from firegov.registry.models import Building, Unit


class DeviceKind(models.TextChoices):
    UITD = "uitd", _("User information transmission device")
    SMOKE = "smoke", _("Wireless smoke detector")
    WATER_PRESSURE = "water_pressure", _("Water pressure sensor")
    WATER_LEVEL = "water_level", _("Water level sensor")
    ELECTRICAL = "electrical", _("Electrical fire monitor")
    GAS = "gas", _("Combustible gas detector")


class Channel(models.TextChoices):
    TCP = "gb26875", _("GB/T 26875.3 (TCP)")
    MQTT = "mqtt", _("MQTT")
    HTTP = "http", _("HTTP")
    SYSTEM = "system", _("Monitoring centre")


SCOPE = ScopeSpec(region_field="region_path", sector_field="sector", manager_field="unit__managers")


class Device(models.Model):
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="devices")
    kind = models.CharField(_("kind"), max_length=16, choices=DeviceKind.choices)
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("device code"), max_length=40, unique=True,
                            help_text=_("Serial number or IMEI; MQTT and HTTP messages name the device by it."))
    address = models.BigIntegerField(_("GB/T 26875.3 address"), null=True, blank=True, unique=True,
                                     help_text=_("The 6-byte source address the device sends (UITD only)."))
    vendor_profile = models.CharField(_("address format"), max_length=12, blank=True,
                                      choices=[(key, key) for key in ADDRESS_PROFILES])
    token_hash = models.CharField(max_length=64, blank=True, editable=False)
    building = models.ForeignKey(Building, verbose_name=_("building"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    floor = models.CharField(_("floor"), max_length=20, blank=True)
    room = models.CharField(_("room"), max_length=60, blank=True)
    heartbeat_s = models.PositiveIntegerField(_("expected report interval (s)"), default=60)
    active = models.BooleanField(_("in service"), default=True)
    online = models.BooleanField(_("online"), default=False)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    software_version = models.CharField(_("software version"), max_length=20, blank=True)
    clock_offset_s = models.IntegerField(_("device clock offset (s)"), null=True, blank=True)
    installed_at = models.DateTimeField(_("installed at"), default=timezone.now)
    region_path = models.CharField(max_length=24, editable=False)
    sector = models.CharField(max_length=20, choices=Sector.choices, blank=True, editable=False)

    SCOPE = SCOPE

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["unit", "name"]
        indexes = [
            models.Index(fields=["region_path", "id"], name="dev_region"),
            models.Index(fields=["active", "online", "last_seen_at"], name="dev_seen"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.region_path = self.unit.region_path
        self.sector = self.unit.sector
        super().save(*args, **kwargs)

    def issue_token(self) -> str:
        """A new secret for MQTT and HTTP ingestion; only its SHA-256 is kept. Returns the secret."""
        token = secrets.token_urlsafe(24)
        self.token_hash = hashlib.sha256(token.encode()).hexdigest()
        return token

    def token_matches(self, token: str) -> bool:
        if not self.token_hash or not token:
            return False
        return secrets.compare_digest(self.token_hash, hashlib.sha256(token.encode()).hexdigest())


class Point(models.Model):
    """A component or system behind a UITD (key ``sys_type-sys_addr-comp_addr``), or a sensor channel."""

    device = models.ForeignKey(Device, verbose_name=_("device"), on_delete=models.CASCADE, related_name="points")
    key = models.CharField(_("point key"), max_length=40)
    label = models.CharField(_("label"), max_length=100, blank=True)
    sys_type = models.PositiveSmallIntegerField(_("system type"), null=True, blank=True)
    sys_addr = models.PositiveSmallIntegerField(_("system address"), null=True, blank=True)
    comp_type = models.PositiveSmallIntegerField(_("component type"), null=True, blank=True)
    comp_addr = models.BigIntegerField(_("component address"), null=True, blank=True)
    building = models.ForeignKey(Building, verbose_name=_("building"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    floor = models.CharField(_("floor"), max_length=20, blank=True)
    room = models.CharField(_("room"), max_length=60, blank=True)
    quantity = models.CharField(_("quantity"), max_length=24, blank=True)
    unit_of_measure = models.CharField(_("unit of measure"), max_length=12, blank=True)
    low = models.DecimalField(_("low limit"), max_digits=10, decimal_places=3, null=True, blank=True)
    high = models.DecimalField(_("high limit"), max_digits=10, decimal_places=3, null=True, blank=True)
    hold_s = models.PositiveIntegerField(_("alarm after out of range for (s)"), default=0)
    repeat_n = models.PositiveSmallIntegerField(_("alarm after readings out of range"), default=1)
    out_since = models.DateTimeField(null=True, blank=True, editable=False)
    out_count = models.PositiveIntegerField(default=0, editable=False)
    last_value = models.DecimalField(_("last value"), max_digits=12, decimal_places=3, null=True, blank=True)
    last_value_at = models.DateTimeField(_("last reading"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    region_path = models.CharField(max_length=24, editable=False)

    class Meta:
        verbose_name = _("monitored point")
        verbose_name_plural = _("monitored points")
        ordering = ["device", "key"]
        constraints = [models.UniqueConstraint(fields=["device", "key"], name="point_key")]

    def __str__(self) -> str:
        return self.label or self.key

    def save(self, *args, **kwargs):
        self.region_path = self.device.region_path
        super().save(*args, **kwargs)

    @property
    def place(self) -> str:
        """Where it is: building, floor and room as far as known."""
        parts = [self.building.name if self.building_id else "", self.floor, self.room]
        return " ".join(p for p in parts if p)


class AlarmType(models.TextChoices):
    FIRE = "fire", _("Fire alarm")
    FAULT = "fault", _("Fault")
    SUPERVISORY = "supervisory", _("Supervisory")
    START = "start", _("Start / feedback")
    SHIELDED = "shielded", _("Shielded")
    POWER = "power", _("Power fault")
    OFFLINE = "offline", _("Offline")
    VALUE = "value", _("Value out of range")
    LOW_PRESSURE = "low_pressure", _("Low water pressure")
    ELECTRICAL = "electrical", _("Residual current / temperature high")


class AlarmSeverity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    MAJOR = "major", _("Major")
    MINOR = "minor", _("Minor")
    INFO = "info", _("Information")


class Verdict(models.TextChoices):
    REAL_FIRE = "real_fire", _("Real fire")
    FALSE_ALARM = "false_alarm", _("False alarm")
    TEST = "test", _("Test")
    FAULT = "fault", _("Device fault")


class Alarm(models.Model):
    device = models.ForeignKey(Device, verbose_name=_("device"), on_delete=models.PROTECT, related_name="alarms")
    point = models.ForeignKey(Point, verbose_name=_("point"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="alarms")
    point_key = models.CharField(max_length=40, blank=True, editable=False)  # "" for the device itself
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="alarms")
    type = models.CharField(_("type"), max_length=16, choices=AlarmType.choices)
    severity = models.CharField(_("severity"), max_length=8, choices=AlarmSeverity.choices)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    count = models.PositiveIntegerField(_("occurrences"), default=1)
    first_at = models.DateTimeField(_("first received"))
    last_at = models.DateTimeField(_("last received"))
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("acknowledged by"), null=True,
                                        blank=True, on_delete=models.PROTECT, related_name="+")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    verdict = models.CharField(_("verdict"), max_length=12, choices=Verdict.choices, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("verified by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    verify_due_at = models.DateTimeField(_("verify by"), null=True, blank=True)
    forwarded_at = models.DateTimeField(_("forwarded to 119 at"), null=True, blank=True)
    hazard = models.ForeignKey("hazards.Hazard", verbose_name=_("hazard"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="alarms")
    # Every change (new occurrence, clearing, a step of the lifecycle) moves this: consoles catch up
    # from it when a live message was missed.
    changed_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    region_path = models.CharField(max_length=24, editable=False)
    sector = models.CharField(max_length=20, choices=Sector.choices, blank=True, editable=False)

    SCOPE = ScopeSpec(region_field="region_path", sector_field="sector", manager_field="unit__managers")

    class Meta:
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")
        ordering = ["-last_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["device", "point_key", "type"], condition=models.Q(cleared_at__isnull=True),
                                    name="alarm_one_open"),
        ]
        indexes = [
            models.Index(fields=["region_path", "-last_at"], name="alarm_region"),
            models.Index(fields=["type", "first_at"], name="alarm_type_day"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.point or self.device}"

    def save(self, *args, **kwargs):
        self.region_path = self.unit.region_path
        self.sector = self.unit.sector
        self.point_key = self.point.key if self.point_id else ""
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return f"/monitoring/alarms/{self.pk}/"

    @property
    def active(self) -> bool:
        return self.cleared_at is None

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    STATUS_LABELS = {"active": _("Active"), "active_ack": _("Active, acknowledged"), "cleared": _("Cleared"),
                     "cleared_ack": _("Cleared, acknowledged"), "verified": _("Verified")}

    @property
    def status(self) -> str:
        """The lifecycle state the transition table reads: active or cleared × acknowledged or not,
        and ``verified`` once an operator has given the verdict."""
        if self.verdict:
            return "verified"
        return ("active" if self.cleared_at is None else "cleared") + ("_ack" if self.acknowledged_at else "")

    def get_status_display(self) -> str:
        return str(self.STATUS_LABELS[self.status])


class AlarmNote(models.Model):
    """The alarm's timeline: acknowledgements, assignments, comments, verdicts, forwarding and
    escalations, each with who and when (second precision)."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="notes")
    action = models.CharField(_("action"), max_length=16)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("text"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("alarm note")
        verbose_name_plural = _("alarm notes")
        ordering = ["alarm", "at", "id"]
        indexes = [models.Index(fields=["alarm", "at"], name="alarm_note")]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d %H:%M:%S}"


class ForwardStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Forwarding(models.Model):
    """One forwarding of a confirmed fire to the 119 command centre (城市消防通信指挥中心), with every
    timestamp: requested, each attempt, and the centre's answer."""

    alarm = models.ForeignKey(Alarm, on_delete=models.PROTECT, related_name="forwardings")
    forwarder = models.CharField(_("forwarder"), max_length=40)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField(_("requested at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=ForwardStatus.choices,
                              default=ForwardStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(_("answer"), max_length=300, blank=True)
    payload = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("forwarding to 119")
        verbose_name_plural = _("forwardings to 119")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.alarm_id} → {self.forwarder} ({self.status})"

    @property
    def seconds(self) -> float | None:
        """From the operator's verdict to the centre's acceptance."""
        return (self.sent_at - self.requested_at).total_seconds() if self.sent_at else None


class UnitMonitoringDay(models.Model):
    """Per unit and day: the online rate (hourly samples of its devices) and the fire alarms verified,
    of which false (误报率). Kept by a periodic job; the basis of per-unit rates and the charts."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    device_samples = models.PositiveIntegerField(default=0)
    online_samples = models.PositiveIntegerField(default=0)
    fire_alarms = models.PositiveIntegerField(default=0)
    false_alarms = models.PositiveIntegerField(default=0)
    region_path = models.CharField(max_length=24, editable=False)
    sector = models.CharField(max_length=20, choices=Sector.choices, blank=True, editable=False)

    SCOPE = ScopeSpec(region_field="region_path", sector_field="sector", manager_field="unit__managers")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "day"], name="unit_monitoring_day")]
        indexes = [models.Index(fields=["day", "region_path"], name="umd_day")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.day}"


class Event(models.Model):
    """One normalised occurrence from any channel (every repeat is kept)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="events")
    point = models.ForeignKey(Point, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    alarm = models.ForeignKey(Alarm, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    kind = models.CharField(max_length=16)
    conditions = models.JSONField(default=dict, blank=True)  # condition -> set (True) / cleared (False)
    value = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    device_time = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(db_index=True)
    region_path = models.CharField(max_length=24, editable=False)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["device", "-received_at"], name="event_device")]

    def __str__(self) -> str:
        return f"{self.kind} {self.received_at:%Y-%m-%d %H:%M:%S}"
