"""Campaigns (专项整治行动) run on lists: the task list (任务清单) as a tree with lead and cooperating
agencies, phases, milestones (时间表) and a roadmap (路线图); the progress list (推进清单) as monthly
progress reports of each responsible agency. A lower level derives its own lists from its parent's
(the brigade copies the city's lists, narrows the scope, adds items); each copied task keeps the link
to the task it came from, so progress rolls up.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from firegov.core.models import Agency, Region
from firegov.core.scopespec import ScopeSpec


class CampaignKind(models.TextChoices):
    MULTI_YEAR = "multi_year", _("Multi-year rectification campaign")
    WINTER_SPRING = "winter_spring", _("Winter-spring fire prevention")
    SPECIAL = "special", _("Special rectification")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Under way")
    CLOSED = "closed", _("Closed")


class Campaign(models.Model):
    """A campaign of one issuing agency over its region. ``parent`` is the campaign whose lists this
    one derives from (a county's lists of the city's campaign)."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=CampaignKind.choices, default=CampaignKind.MULTI_YEAR)
    issuer = models.ForeignKey(Agency, verbose_name=_("issuing agency"), on_delete=models.PROTECT,
                               related_name="campaigns")
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=24, editable=False, db_index=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    description = models.TextField(_("description"), blank=True)
    public = models.BooleanField(_("shown to the public"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=CampaignStatus.choices,
                              default=CampaignStatus.ACTIVE)
    parent = models.ForeignKey("self", verbose_name=_("derived from"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="derived")
    # The campaign's hazard list (隐患清单): hazards of its region found within its period, of these
    # categories and sources (all when empty).
    hazard_categories = models.JSONField(_("hazard categories"), default=list, blank=True)
    hazard_sources = models.JSONField(_("hazard sources"), default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    # Plans issued above apply below: a county sees its city's campaign (ancestors), a city its
    # counties' derived lists (subtree).
    SCOPE = ScopeSpec(region_field="region_path", with_ancestors=True)

    class Meta:
        ordering = ["-starts_on", "id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")),
                                              name="campaign_period")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.region_path = self.region.path
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("campaigns:detail", args=[self.pk])


class Phase(models.Model):
    """A phase of a campaign, e.g. 动员部署 / 排查整治 / 集中攻坚 / 巩固提升."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="phases")
    name = models.CharField(_("name"), max_length=60)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))

    class Meta:
        ordering = ["campaign", "starts_on", "id"]
        verbose_name = _("phase")
        verbose_name_plural = _("phases")

    def __str__(self) -> str:
        return self.name


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Task(models.Model):
    """One item of a campaign's task list, at any depth (大项 / 项 / 子项 …). ``code`` is the dotted
    number within the campaign ("2.3.1"); ``source`` is the parent campaign's task it was copied
    from. Exactly one lead agency (牵头) is accountable; cooperating agencies (配合) help."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="tasks")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    code = models.CharField(_("code"), max_length=40)
    sort_key = models.CharField(max_length=120, editable=False)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    lead = models.ForeignKey(Agency, verbose_name=_("lead agency"), on_delete=models.PROTECT,
                             related_name="led_tasks")
    cooperating = models.ManyToManyField(Agency, verbose_name=_("cooperating agencies"), blank=True,
                                         related_name="cooperating_tasks")
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(max_length=24, editable=False)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    roadmap = models.TextField(_("roadmap"), blank=True)
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=2, default=Decimal(1),
                                 validators=[MinValueValidator(Decimal("0.01"))])
    status = models.CharField(_("status"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    status_on = models.DateField(_("status since"), null=True, blank=True)  # done or cancelled on this day
    source = models.ForeignKey("self", verbose_name=_("copied from"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="copies")
    added_later = models.BooleanField(_("added during the campaign"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    SCOPE = ScopeSpec(region_field="campaign__region_path", with_ancestors=True, agency_fields=("lead", "cooperating"))

    class Meta:
        ordering = ["campaign", "sort_key"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        constraints = [models.UniqueConstraint(fields=["campaign", "code"], name="task_code")]
        indexes = [models.Index(fields=["campaign", "sort_key"], name="task_tree")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def save(self, *args, **kwargs):
        self.region_path = self.region.path
        self.sort_key = sort_key(self.code)
        super().save(*args, **kwargs)

    @property
    def depth(self) -> int:
        return self.code.count(".")

    def cooperating_names(self) -> str:
        """The cooperating agencies' names as a Chinese list reads (prefetch ``cooperating``)."""
        return "、".join(agency.name for agency in self.cooperating.all())


def sort_key(code: str) -> str:
    """Codes sort as numbers part by part ("2.10" after "2.9"): each part zero-padded to 4 digits."""
    return ".".join(part.zfill(4) for part in code.split("."))


class Milestone(models.Model):
    """A dated step of a task (时间表)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("title"), max_length=200)
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        ordering = ["task", "due_on", "id"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self) -> str:
        return self.title


class ReportStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("progress report", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("progress report", "Submitted")
    ACCEPTED = "accepted", pgettext_lazy("progress report", "Accepted")
    RETURNED = "returned", pgettext_lazy("progress report", "Returned")


class ProgressReport(models.Model):
    """What one responsible agency did on one task in one period (monthly by default: "2026-03")."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="reports")
    agency = models.ForeignKey(Agency, verbose_name=_("reporting agency"), on_delete=models.PROTECT,
                               related_name="progress_reports")
    period = models.CharField(_("reporting month"), max_length=10)
    done = models.TextField(_("work done"))
    percent = models.DecimalField(_("percent complete"), max_digits=5, decimal_places=2,
                                  validators=[MinValueValidator(0), MaxValueValidator(100)])
    difficulties = models.TextField(_("difficulties and blockages"), blank=True)
    escalate = models.BooleanField(_("ask the government to coordinate"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    comment = models.TextField(_("reviewer's comment"), blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    SCOPE = ScopeSpec(region_field="task__campaign__region_path", with_ancestors=True, agency_fields=("agency",))

    class Meta:
        ordering = ["-period", "task__sort_key", "id"]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        constraints = [models.UniqueConstraint(fields=["task", "agency", "period"], name="one_report_a_period")]

    def __str__(self) -> str:
        return f"{self.task.code} {self.period}"


class ReportEvent(models.Model):
    """The timeline of a progress report: one row per step, written in the step's transaction."""

    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=20)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["report", "at", "id"]

    def __str__(self) -> str:
        return f"{self.action} → {self.to_status}"


class Direction(models.TextChoices):
    AT_LEAST = "at_least", _("at least")
    AT_MOST = "at_most", _("at most")


class Target(models.Model):
    """A quantitative target of a task with its value for each date ("达标率 70% by 2020-12-31, 80% by
    2021-12-31, 100% by 2022-12-31"). ``indicator`` names one of firegov.campaigns.indicators, computed
    over the task's region since the campaign began; empty for a value reported by hand."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="targets")
    label = models.CharField(_("target"), max_length=200)
    indicator = models.CharField(_("indicator"), max_length=40, blank=True)
    params = models.JSONField(_("indicator parameters"), default=dict, blank=True)
    unit = models.CharField(_("unit of measure"), max_length=20, blank=True)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, default=Direction.AT_LEAST)
    steps = models.JSONField(_("values by date"), default=list)  # [{"by": "YYYY-MM-DD", "value": "70"}], by date

    class Meta:
        ordering = ["task", "id"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")

    def __str__(self) -> str:
        return self.label


class TargetValue(models.Model):
    """A value of a manual target on a day, reported with its evidence."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="values")
    on = models.DateField(_("as of"))
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    note = models.TextField(_("note"), blank=True)
    evidence = models.ForeignKey("core.Attachment", verbose_name=_("evidence"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["target", "on", "id"]
        verbose_name = _("target value")
        verbose_name_plural = _("target values")

    def __str__(self) -> str:
        return f"{self.value} @ {self.on}"


class MeasureKind(models.TextChoices):
    REGULATION = "regulation", _("Regulation")
    POLICY = "policy", _("Policy")
    MECHANISM = "mechanism", _("Mechanism")
    STANDARD = "standard", _("Standard")


class MeasureStatus(models.TextChoices):
    DRAFTING = "drafting", _("Drafting")
    ISSUED = "issued", _("Issued")
    IN_FORCE = "in_force", _("In force")


class Measure(models.Model):
    """An institutional measure of the campaign (措施清单: 制度措施): a regulation, policy, mechanism or
    standard with its owner, from drafting to issued to in force, and its document."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="measures")
    task = models.ForeignKey(Task, verbose_name=_("task"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="measures")
    title = models.CharField(_("title"), max_length=300)
    kind = models.CharField(_("kind"), max_length=12, choices=MeasureKind.choices)
    owner = models.ForeignKey(Agency, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="measures")
    status = models.CharField(_("status"), max_length=10, choices=MeasureStatus.choices, default=MeasureStatus.DRAFTING)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    in_force_on = models.DateField(_("in force from"), null=True, blank=True)
    document_number = models.CharField(_("document number"), max_length=60, blank=True)
    document = models.ForeignKey("core.Attachment", verbose_name=_("document"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    added_later = models.BooleanField(_("added during the campaign"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    SCOPE = ScopeSpec(region_field="campaign__region_path", with_ancestors=True, agency_fields=("owner",))

    class Meta:
        ordering = ["campaign", "id"]
        verbose_name = _("measure")
        verbose_name_plural = _("measures")

    def __str__(self) -> str:
        return self.title


class AccountabilityKind(models.TextChoices):
    WARNING = "warning", _("Warning")
    INTERVIEW = "interview", _("Interview")
    NOTICE = "notice", _("Circulated criticism")


class Accountability(models.Model):
    """A warning or interview of an agency that is behind (推进不力), linked to the tasks concerned,
    with the follow-up it owes."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="accountability")
    agency = models.ForeignKey(Agency, verbose_name=_("agency held to account"), on_delete=models.PROTECT,
                               related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=AccountabilityKind.choices)
    on = models.DateField(_("date"))
    reason = models.TextField(_("reason"))
    tasks = models.ManyToManyField(Task, verbose_name=_("tasks"), blank=True, related_name="accountability")
    follow_up_due = models.DateField(_("follow-up due"), null=True, blank=True)
    follow_up = models.TextField(_("follow-up"), blank=True)
    followed_up_on = models.DateField(_("followed up on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    SCOPE = ScopeSpec(region_field="campaign__region_path", with_ancestors=True, agency_fields=("agency",))

    class Meta:
        ordering = ["campaign", "-on", "id"]
        verbose_name = _("accountability record")
        verbose_name_plural = _("accountability records")

    def __str__(self) -> str:
        return f"{self.agency} {self.get_kind_display()}"


class CampaignDocument(models.Model):
    """A dispatch sheet or bulletin stored by the periodic job (its file is evidence: SHA-256)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=10, choices=[("dispatch", _("Dispatch sheet")),
                                                               ("bulletin", _("Bulletin"))])
    period = models.CharField(_("period"), max_length=10)
    file = models.ForeignKey("core.Attachment", on_delete=models.PROTECT, related_name="+")
    generated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["campaign", "-period", "kind"]
        constraints = [models.UniqueConstraint(fields=["campaign", "kind", "period"], name="one_document_a_period")]

    def __str__(self) -> str:
        return f"{self.kind} {self.period}"
