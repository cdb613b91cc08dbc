"""Organisation, people and the shared services every firegov capability uses.

Glossary: 行政区划 administrative region; 网格 grid (the smallest patrol area); 支队 fire rescue
detachment (city); 大队 brigade (county); 消防救援站 station; 消安委办 safety committee office;
行业部门 industry department; 派出所 police station; 街道办 street office; 社区 community.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from firegov.core.scopespec import ScopeSpec
from firegov.kernels.bigrams import is_ideograph

digits_only = RegexValidator(r"^\d+$", _("Only digits are allowed."))


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County / district")
    STREET = "street", _("Street / town")
    COMMUNITY = "community", _("Community / village")
    GRID = "grid", _("Grid")


LEVEL_ORDER = [choice.value for choice in RegionLevel]
# Digits each level adds to the region path: GB/T 2260 gives 2+2+2 for province/city/county;
# below the county firegov keeps its own 3-digit codes (the statistical 乡/村 pattern).
LEVEL_DIGITS = {"province": 2, "city": 2, "county": 2, "street": 3, "community": 3, "grid": 3}


class Region(models.Model):
    """A node of the administrative tree 省 → 市 → 县/区 → 街道/乡镇 → 社区/村 → 网格.

    ``path`` is the code prefix that makes subtree queries an index range scan: 37 (Shandong),
    3704 (Zaozhuang), 370403 (Xuecheng), 370403001 (a street), and so on. ``code`` is the official
    GB/T 2260 code for the upper three levels (370403) and equals ``path`` below them.
    """

    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=12, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(_("path"), max_length=24, unique=True, validators=[digits_only])
    code = models.CharField(_("code"), max_length=24, unique=True, validators=[digits_only])
    official_code = models.BooleanField(_("official GB/T 2260 code"), default=False)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)

    SCOPE = ScopeSpec(region_field="path")

    class Meta:
        ordering = ["path"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name

    @property
    def region_path(self) -> str:
        return self.path

    def ancestors(self):
        prefixes = []
        cut = 0
        for level in LEVEL_ORDER:
            cut += LEVEL_DIGITS[level]
            if cut >= len(self.path):
                break
            prefixes.append(self.path[:cut])
        return Region.objects.filter(path__in=prefixes).order_by("path")

    def full_name(self) -> str:
        return "".join(r.name for r in self.ancestors() if r.level != RegionLevel.PROVINCE) + self.name


class AgencyKind(models.TextChoices):
    DETACHMENT = "detachment", _("Fire rescue detachment")
    BRIGADE = "brigade", _("Fire rescue brigade")
    STATION = "station", _("Fire rescue station")
    GOVERNMENT = "government", _("People's government")
    SAFETY_COMMITTEE = "safety_committee", _("Fire safety committee office")
    DEPARTMENT = "department", _("Industry department")
    POLICE = "police", _("Police station")
    STREET_OFFICE = "street_office", _("Street / town office")
    COMMUNITY = "community", _("Community committee")


class Sector(models.TextChoices):
    EDUCATION = "education", _("Education")
    CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs")
    HOUSING = "housing", _("Housing and urban-rural development")
    CULTURE_TOURISM = "culture_tourism", _("Culture and tourism")
    HEALTH = "health", _("Health")
    RELIGION = "religion", _("Ethnic and religious affairs")
    COMMERCE = "commerce", _("Commerce")
    MARKET_REGULATION = "market_regulation", _("Market regulation")
    EMERGENCY = "emergency", _("Emergency management")
    TRANSPORT = "transport", _("Transport")
    INDUSTRY_IT = "industry_it", _("Industry and information technology")
    PUBLIC_SECURITY = "public_security", _("Public security")
    SPORTS = "sports", _("Sports")
    HERITAGE = "heritage", _("Cultural heritage")
    OTHER = "other", _("Other")


class Agency(models.Model):
    """An organisation taking part: fire rescue bodies, government, departments, streets, communities."""

    name = models.CharField(_("name"), max_length=120)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=AgencyKind.choices)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices, blank=True)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="agencies")
    region_path = models.CharField(max_length=24, editable=False, db_index=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent agency"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    doc_prefix = models.CharField(
        _("document number prefix"), max_length=20, blank=True,
        help_text=_("Prefix of this agency's document numbers, e.g. 枣薛消."),
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)

    SCOPE = ScopeSpec(region_field="region_path")

    class Meta:
        ordering = ["region_path", "kind", "name"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.region_path = self.region.path
        if self.kind != AgencyKind.DEPARTMENT:
            self.sector = ""
        super().save(*args, **kwargs)


class Role(models.TextChoices):
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    DETACHMENT = "detachment", _("Detachment staff")
    BRIGADE_SUPERVISOR = "brigade_supervisor", _("Brigade supervisor")
    INSPECTOR = "inspector", _("Inspector")
    DEPARTMENT_OFFICER = "department_officer", _("Department officer")
    GRID_WORKER = "grid_worker", _("Street / grid worker")
    UNIT_MANAGER = "unit_manager", _("Unit manager")
    MONITORING_OPERATOR = "monitoring_operator", _("Monitoring operator")


class User(AbstractUser):
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_full_name(self) -> str:
        """A Chinese name family name first, without a space (郭文); other names as Django writes them."""
        first, last = self.first_name.strip(), self.last_name.strip()
        if any(is_ideograph(c) for c in first + last):
            return f"{last}{first}"
        return super().get_full_name()

    @property
    def is_system_admin(self) -> bool:
        return self.is_superuser or self.role == Role.SYSTEM_ADMIN


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Public holiday (off)")
    WORKDAY = "workday", _("Make-up working day")


class CalendarDay(models.Model):
    """An admin's addition to the packaged official calendar (e.g. next year's State Council notice)."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=CalendarDayKind.choices)
    name = models.CharField(_("name"), max_length=40, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class DocumentKind(models.Model):
    """A kind of numbered document, e.g. 责令限期改正通知书 with the word 限 → 枣薛消限字〔2026〕第0001号."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    word = models.CharField(_("word"), max_length=8, help_text=_("The character(s) before 字, e.g. 限."))
    digits = models.PositiveSmallIntegerField(_("digits"), default=4)

    class Meta:
        verbose_name = _("document kind")
        verbose_name_plural = _("document kinds")

    def __str__(self) -> str:
        return self.name


class DocumentSequence(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    kind = models.ForeignKey(DocumentKind, on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "kind", "year"], name="uniq_doc_sequence")]

    def __str__(self) -> str:
        return f"{self.agency} {self.kind} {self.year}: {self.last}"


class Attachment(models.Model):
    """Evidence: a photo or document stored by content hash, never overwritten."""

    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=40, blank=True, db_index=True)
    subject = GenericForeignKey("content_type", "object_id")
    original_name = models.CharField(_("file name"), max_length=200)
    stored_name = models.CharField(max_length=120, editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    original_sha256 = models.CharField(_("SHA-256 as uploaded"), max_length=64)
    size = models.PositiveBigIntegerField(_("size"))
    mime_type = models.CharField(_("type"), max_length=80)
    reencoded = models.BooleanField(_("re-encoded"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.PROTECT
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    caption = models.CharField(_("caption"), max_length=200, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return f"{self.original_name} ({self.sha256[:12]})"


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=60)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"])]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.subject


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class Delivery(models.Model):
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("channel"), max_length=20)
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices, default="pending")
    attempts = models.PositiveSmallIntegerField(default=0)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notification", "channel"], name="uniq_delivery")]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.channel}: {self.status}"


class EscalationPolicy(models.Model):
    """How a kind of deadline reminds and escalates, as data.

    ``steps`` is a list of {"offset_minutes" | "offset_workdays": int (negative = before the due
    time), "action": "remind" | "escalate", "audience": str, "repeat_minutes": int (optional, repeat
    until acknowledged)}. Audiences are resolved by the app that owns the subject.
    """

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=120)
    steps = models.JSONField(_("steps"), default=list)

    class Meta:
        verbose_name = _("escalation policy")
        verbose_name_plural = _("escalation policies")

    def __str__(self) -> str:
        return self.name


class DeadlineState(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Deadline(models.Model):
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=40)
    subject = GenericForeignKey("content_type", "object_id")
    purpose = models.CharField(_("purpose"), max_length=60)
    title = models.CharField(_("title"), max_length=200)
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.PROTECT)
    due_at = models.DateTimeField(_("due at"))
    state = models.CharField(_("state"), max_length=12, choices=DeadlineState.choices, default="open")
    next_step = models.PositiveSmallIntegerField(default=0)
    next_fire_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "purpose"],
                condition=models.Q(state__in=["open", "acknowledged"]),
                name="uniq_live_deadline",
            )
        ]
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")

    def __str__(self) -> str:
        return self.title


class DeadlineEvent(models.Model):
    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="events")
    step = models.PositiveSmallIntegerField()
    action = models.CharField(max_length=12)
    audience = models.CharField(max_length=40)
    fired_at = models.DateTimeField(default=timezone.now)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["fired_at"]

    def __str__(self) -> str:
        return f"{self.deadline_id} step {self.step} {self.action}"
