"""The hazard ledger (火灾隐患台账) and its closed loop, major fire hazards (重大火灾隐患) under
government supervision (挂牌督办), and public hazard reports (举报投诉) with rewards."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from firegov.core.models import Agency, Region, Sector
from firegov.core.scopespec import ScopeSpec
from firegov.inspections.models import Inspection
from firegov.registry.models import Unit


class HazardSource(models.TextChoices):
    INSPECTION = "inspection", _("Inspection")
    PATROL = "patrol", _("Grid patrol")
    SELF = "self", _("Self-inspection")
    REPORT = "report", _("Public report")
    DEVICE = "device", _("Device")
    CAMPAIGN = "campaign", _("Campaign")


class Severity(models.TextChoices):
    GENERAL = "general", _("General")
    MAJOR = "major", _("Major")


class HazardStatus(models.TextChoices):
    REPORTED = "reported", _("Reported")
    CONFIRMED = "confirmed", _("Confirmed")
    ORDERED = "ordered", _("Ordered to rectify")
    RECTIFYING = "rectifying", _("Rectifying")
    SUBMITTED = "submitted", _("Rectification submitted")
    CLOSED = "closed", _("Closed out")
    CORRECTED = "corrected", _("Corrected on the spot")
    INVALID = "invalid", _("Invalid")


OPEN_STATUSES = (HazardStatus.REPORTED, HazardStatus.CONFIRMED, HazardStatus.ORDERED, HazardStatus.RECTIFYING,
                 HazardStatus.SUBMITTED)
DONE_STATUSES = (HazardStatus.CLOSED, HazardStatus.CORRECTED)
# Past due: the rectification deadline (ordered, rectifying) or the re-inspection deadline (submitted).
RECTIFY_DUE_STATUSES = (HazardStatus.ORDERED, HazardStatus.RECTIFYING)


def overdue_q(now=None) -> models.Q:
    """Past the deadline that is running: see Hazard.deadline_at."""
    return models.Q(deadline_at__lt=now or timezone.now())


def running_deadline(status: str, due_at, reinspect_due_at):
    """The deadline a hazard is being held to in ``status``: the rectification deadline while it is
    ordered or rectifying, the re-inspection deadline once submitted, none otherwise."""
    if status in RECTIFY_DUE_STATUSES:
        return due_at
    if status == HazardStatus.SUBMITTED:
        return reinspect_due_at
    return None


RUNNING = models.Q(deadline_at__isnull=False)


class HazardQuerySet(models.QuerySet):
    def overdue(self, now=None):
        return self.filter(overdue_q(now))


class Hazard(models.Model):
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="hazards")
    source = models.CharField(_("source"), max_length=12, choices=HazardSource.choices)
    category = models.CharField(_("category"), max_length=40)
    description = models.TextField(_("description"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.GENERAL)
    gb35181 = models.JSONField(_("GB 35181 items"), default=list, blank=True)
    fixable_at_once = models.BooleanField(_("can be corrected at once"), default=False)
    found_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("found by"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    found_at = models.DateTimeField(_("found at"), default=timezone.now)
    inspection = models.ForeignKey(Inspection, verbose_name=_("inspection"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="hazards")
    checklist_item = models.CharField(_("checklist item"), max_length=20, blank=True)
    agency = models.ForeignKey(Agency, verbose_name=_("responsible agency"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="hazards")
    status = models.CharField(_("status"), max_length=12, choices=HazardStatus.choices,
                              default=HazardStatus.REPORTED)
    notice = models.ForeignKey("HazardDocument", verbose_name=_("rectification notice"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="hazards")
    due_at = models.DateTimeField(_("rectify by"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reinspect_due_at = models.DateTimeField(_("re-inspect by"), null=True, blank=True)
    interim_measures = models.TextField(_("interim measures"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The running deadline, kept by save(): one indexed column answers "overdue" for every status.
    deadline_at = models.DateTimeField(null=True, blank=True, editable=False)
    region_path = models.CharField(max_length=24, editable=False)
    sector = models.CharField(max_length=20, choices=Sector.choices, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = HazardQuerySet.as_manager()
    SCOPE = ScopeSpec(region_field="region_path", sector_field="sector", manager_field="unit__managers")

    class Meta:
        verbose_name = _("hazard")
        verbose_name_plural = _("hazards")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["region_path", "id"], name="hz_region"),
            models.Index(fields=["status", "region_path", "id"], name="hz_status"),
            # Measured at 3,000,000 hazards (docs/benchmarks.md): overdue by region, and by sector for
            # department officers; open hazards and categories of a sector.
            models.Index(fields=["deadline_at", "region_path", "sector"], condition=RUNNING,
                         name="hz_deadline"),
            models.Index(fields=["sector", "deadline_at", "region_path"], condition=RUNNING,
                         name="hz_sector_deadline"),
            models.Index(fields=["sector", "status", "region_path"], name="hz_sector_status"),
            models.Index(fields=["category", "sector", "region_path"], name="hz_category"),
            models.Index(fields=["sector", "region_path"], name="hz_sector"),
            models.Index(fields=["unit", "-id"], name="hz_unit"),
            models.Index(fields=["found_at"], name="hz_found"),
            # Campaign indicators count found / rectified by region path from this index alone
            # (bulletin and dispatch sheet at 3,000,000 hazards, docs/benchmarks.md).
            models.Index(fields=["region_path", "found_at", "closed_at"], name="hz_count"),
            models.Index(fields=["closed_at"], name="hz_closed"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.unit.name}"

    def save(self, *args, **kwargs):
        self.region_path = self.unit.region_path
        self.sector = self.unit.sector
        self.deadline_at = running_deadline(self.status, self.due_at, self.reinspect_due_at)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "deadline_at"}
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def overdue(self) -> bool:
        deadline = running_deadline(self.status, self.due_at, self.reinspect_due_at)
        return bool(deadline and deadline < timezone.now())


class HazardEvent(models.Model):
    """The timeline: one row per transition, written in the transition's transaction."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=20)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    inspection = models.ForeignKey(Inspection, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    document = models.ForeignKey("HazardDocument", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")

    class Meta:
        ordering = ["hazard", "at", "id"]
        indexes = [models.Index(fields=["hazard", "at"], name="hz_event_hazard")]

    def __str__(self):
        return f"{self.action} → {self.to_status}"


class DocumentType(models.TextChoices):
    NOTICE = "rectification_order", _("Rectification notice")
    REINSPECTION = "reinspection_opinion", _("Re-inspection opinion")
    MAJOR_NOTICE = "major_hazard_notice", _("Major hazard rectification notice")


class HazardDocument(models.Model):
    """A numbered enforcement document: 责令限期改正通知书, 复查意见书, 重大火灾隐患整改通知书."""

    kind = models.CharField(_("kind"), max_length=24, choices=DocumentType.choices)
    number = models.CharField(_("number"), max_length=60, unique=True)
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+")
    inspection = models.ForeignKey(Inspection, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    due_at = models.DateTimeField(_("deadline"), null=True, blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    items = models.JSONField(default=list, blank=True)
    note = models.TextField(_("note"), blank=True)
    region_path = models.CharField(max_length=24, editable=False)
    sector = models.CharField(max_length=20, blank=True, editable=False)

    SCOPE = ScopeSpec(region_field="region_path", sector_field="sector", manager_field="unit__managers")

    class Meta:
        verbose_name = _("enforcement document")
        verbose_name_plural = _("enforcement documents")
        ordering = ["-issued_at"]

    def __str__(self):
        return self.number

    def save(self, *args, **kwargs):
        self.region_path = self.unit.region_path
        self.sector = self.unit.sector
        super().save(*args, **kwargs)


# --------------------------------------------------------------------------- major hazards


class CaseStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    DISCUSSED = "discussed", _("Collectively discussed")
    EXPERT_REVIEWED = "expert_reviewed", _("Reviewed by experts")
    DETERMINED = "determined", _("Determined")
    REJECTED = "rejected", _("Not a major hazard")
    LISTED = "listed", _("Listed for supervision")
    RECTIFIED = "rectified", _("Rectified")
    ACCEPTED = "accepted", _("Accepted")
    DELISTED = "delisted", _("De-listed")


class ListingLevel(models.TextChoices):
    PROVINCE = "province", _("Provincial government")
    CITY = "city", _("City government")
    COUNTY = "county", _("County government")


class MajorHazardCase(models.Model):
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="major_cases")
    hazards = models.ManyToManyField(Hazard, verbose_name=_("hazards"), related_name="major_cases")
    agency = models.ForeignKey(Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.PROPOSED)
    standard = models.CharField(_("standard"), max_length=20, default="GB 35181-2017")
    place_kinds = models.JSONField(_("place kinds"), default=list)
    items = models.JSONField(_("composite items"), default=list, blank=True)
    direct_items = models.JSONField(_("direct items"), default=list, blank=True)
    exemptions = models.JSONField(_("exemptions"), default=list, blank=True)
    judgement = models.JSONField(_("judgement"), default=dict, blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    decision_due = models.DateTimeField(_("decide by"), null=True, blank=True)
    participants = models.JSONField(_("discussion participants"), default=list, blank=True)
    experts = models.JSONField(_("expert panel"), default=list, blank=True)
    experts_agreeing = models.PositiveSmallIntegerField(_("experts agreeing"), null=True, blank=True)
    conclusion = models.TextField(_("conclusion"), blank=True)
    determined_at = models.DateTimeField(_("determined at"), null=True, blank=True)
    notice = models.ForeignKey(HazardDocument, verbose_name=_("major hazard notice"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    notice_due = models.DateTimeField(_("serve notice by"), null=True, blank=True)
    notice_served_at = models.DateTimeField(_("notice served at"), null=True, blank=True)
    notice_received_by = models.CharField(_("notice received by"), max_length=60, blank=True)
    listing_level = models.CharField(_("listing level"), max_length=10, choices=ListingLevel.choices, blank=True)
    listing_authority = models.CharField(_("supervising government"), max_length=120, blank=True)
    plan = models.TextField(_("rectification plan"), blank=True)
    funds = models.DecimalField(_("funds (10k yuan)"), max_digits=12, decimal_places=2, null=True, blank=True)
    rectify_due = models.DateField(_("rectify by"), null=True, blank=True)
    officials = models.CharField(_("responsible officials"), max_length=300, blank=True)
    listed_at = models.DateTimeField(_("listed at"), null=True, blank=True)
    rectified_at = models.DateTimeField(_("rectified at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    delisted_at = models.DateTimeField(_("de-listed at"), null=True, blank=True)
    region_path = models.CharField(max_length=24, editable=False)
    sector = models.CharField(max_length=20, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    SCOPE = ScopeSpec(region_field="region_path", sector_field="sector", manager_field="unit__managers")

    class Meta:
        verbose_name = _("major hazard case")
        verbose_name_plural = _("major hazard cases")
        ordering = ["-proposed_at"]

    def __str__(self):
        return f"{self.unit.name} ({self.get_status_display()})"

    def save(self, *args, **kwargs):
        self.region_path = self.unit.region_path
        self.sector = self.unit.sector
        super().save(*args, **kwargs)

    @property
    def public(self) -> bool:
        """Listed major hazards are exposed to the public (社会曝光) until de-listed."""
        return self.status in (CaseStatus.LISTED, CaseStatus.RECTIFIED, CaseStatus.ACCEPTED)


class CaseEvent(models.Model):
    case = models.ForeignKey(MajorHazardCase, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["case", "at", "id"]

    def __str__(self):
        return f"{self.action} → {self.to_status}"


# --------------------------------------------------------------------------- public reports


class ReportStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    ASSIGNED = "assigned", _("Assigned for checking")
    VALID = "valid", _("Confirmed")
    INVALID = "invalid", _("Not confirmed")
    DUPLICATE = "duplicate", _("Duplicate")


class PublicReport(models.Model):
    tracking_code = models.CharField(_("tracking code"), max_length=12, unique=True)
    region = models.ForeignKey(Region, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    place = models.CharField(_("place"), max_length=120)
    address = models.CharField(_("address"), max_length=200)
    description = models.TextField(_("description"))
    category = models.CharField(_("category"), max_length=40, blank=True)
    contact_name = models.CharField(_("contact name"), max_length=40, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    client_hash = models.CharField(max_length=64, editable=False, db_index=True)
    fingerprint = models.CharField(max_length=64, editable=False, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=ReportStatus.choices,
                              default=ReportStatus.RECEIVED)
    urgent = models.BooleanField(_("urgent (check within 24 hours)"), default=False)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, verbose_name=_("responsible agency"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    triaged_at = models.DateTimeField(_("reached its first agency at"), null=True, blank=True)
    check_due = models.DateTimeField(_("check by"), null=True, blank=True)
    inspection = models.ForeignKey(Inspection, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    hazard = models.ForeignKey(Hazard, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    result = models.TextField(_("result told to the reporter"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    reward_tier = models.CharField(_("reward tier"), max_length=40, blank=True)
    reward_amount = models.DecimalField(_("reward (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True)
    reward_paid_at = models.DateTimeField(_("reward paid at"), null=True, blank=True)
    reward_reference = models.CharField(_("payment reference"), max_length=60, blank=True)
    region_path = models.CharField(max_length=24, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    SCOPE = ScopeSpec(region_field="region_path")

    class Meta:
        verbose_name = _("public report")
        verbose_name_plural = _("public reports")
        ordering = ["-submitted_at"]

    def __str__(self):
        return self.tracking_code

    def save(self, *args, **kwargs):
        self.region_path = self.region.path
        super().save(*args, **kwargs)


class RewardTier(models.Model):
    """Configurable reward tiers (举报奖励标准), applied to the first valid report of a hazard."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.GENERAL)
    urgent = models.BooleanField(_("urgent categories only"), default=False)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("reward tier")
        verbose_name_plural = _("reward tiers")
        ordering = ["amount"]

    def __str__(self):
        return f"{self.name} ¥{self.amount}"
