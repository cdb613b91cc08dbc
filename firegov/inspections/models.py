"""Inspections (消防监督检查 and the checks of departments, grids and units) and random draws
(双随机、一公开: annual plans, committed draws, recusals)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from firegov.core.models import Agency, Sector
from firegov.core.scopespec import ScopeSpec
from firegov.registry.models import Unit


class InspectionKind(models.TextChoices):
    RANDOM = "random", _("Random spot check")
    ROUTINE = "routine", _("Routine key-unit check")
    COMPLAINT = "complaint", _("Complaint or report check")
    REINSPECTION = "reinspection", _("Re-inspection")
    JOINT = "joint", _("Joint inspection")
    EXPERT = "expert", _("Expert inspection")
    CAMPAIGN = "campaign", _("Special campaign check")
    PATROL = "patrol", _("Grid patrol")
    SELF = "self", _("Unit self-inspection")


# Fire supervision by law (消防监督检查规定 第十四条): at least two inspectors, who show credentials.
LAW_ENFORCEMENT_KINDS = frozenset({
    InspectionKind.RANDOM, InspectionKind.ROUTINE, InspectionKind.COMPLAINT, InspectionKind.REINSPECTION,
    InspectionKind.JOINT, InspectionKind.CAMPAIGN,
})
MIN_LAW_ENFORCEMENT_INSPECTORS = 2


class InspectionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class InspectionResult(models.TextChoices):
    PASSED = "passed", _("No hazard found")
    HAZARDS = "hazards", _("Hazards found")


class Inspection(models.Model):
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="inspections")
    kind = models.CharField(_("kind"), max_length=16, choices=InspectionKind.choices)
    status = models.CharField(_("status"), max_length=12, choices=InspectionStatus.choices,
                              default=InspectionStatus.PLANNED)
    agency = models.ForeignKey(Agency, verbose_name=_("lead agency"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="inspections")
    agencies = models.ManyToManyField(Agency, verbose_name=_("participating agencies"), blank=True,
                                      related_name="joint_inspections")
    inspectors = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("inspectors"), blank=True,
                                        related_name="inspections")
    experts = models.CharField(_("experts"), max_length=300, blank=True,
                               help_text=_("Names of the experts of an expert inspection, separated by commas."))
    checklist = models.CharField(_("checklist"), max_length=60, blank=True)
    checklist_version = models.CharField(max_length=20, blank=True)
    planned_for = models.DateField(_("planned for"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    findings = models.TextField(_("findings"), blank=True)
    record_number = models.CharField(_("record number"), max_length=60, blank=True, editable=False,
                                     help_text=_("Number of the inspection record (消防监督检查记录) of a "
                                                 "law-enforcement inspection, given on completion."))
    result = models.CharField(_("result"), max_length=10, choices=InspectionResult.choices, blank=True)
    signed_by = models.CharField(_("signed by (unit representative)"), max_length=60, blank=True)
    signature = models.ForeignKey("core.Attachment", verbose_name=_("signature"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    refused_to_sign = models.BooleanField(_("refused to sign"), default=False)
    refusal_note = models.CharField(_("refusal note"), max_length=200, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    assignment = models.OneToOneField("DrawAssignment", verbose_name=_("draw"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="inspection")
    publish_due = models.DateField(_("publish by"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    region_path = models.CharField(max_length=24, editable=False)
    sector = models.CharField(max_length=20, choices=Sector.choices, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    SCOPE = ScopeSpec(region_field="region_path", sector_field="sector", manager_field="unit__managers")

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["region_path", "id"], name="insp_region"),
            models.Index(fields=["status", "region_path"], name="insp_status"),
            models.Index(fields=["kind", "region_path"], name="insp_kind"),
            models.Index(fields=["unit", "-completed_at"], name="insp_unit_done"),
            models.Index(fields=["publish_due"], condition=models.Q(published_at__isnull=True),
                         name="insp_publish_pending"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.unit.name}"

    def save(self, *args, **kwargs):
        self.region_path = self.unit.region_path
        self.sector = self.unit.sector
        super().save(*args, **kwargs)

    @property
    def is_law_enforcement(self) -> bool:
        return self.kind in LAW_ENFORCEMENT_KINDS

    @property
    def publication_overdue(self) -> bool:
        return bool(self.publish_due and self.published_at is None and self.publish_due < timezone.localdate())


class AnswerResult(models.TextChoices):
    PASS = "pass", _("Pass")
    FAIL = "fail", _("Fail")
    NA = "na", _("Not applicable")


class InspectionAnswer(models.Model):
    """One checklist item as answered, with the item's text and mapping copied at the time."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="answers")
    position = models.PositiveSmallIntegerField(default=0)
    item = models.CharField(_("item"), max_length=20)
    text = models.CharField(_("question"), max_length=300)
    result = models.CharField(_("result"), max_length=4, choices=AnswerResult.choices, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    hazard_category = models.CharField(_("hazard category"), max_length=40, blank=True)
    gb35181 = models.CharField(_("GB 35181 item"), max_length=10, blank=True)
    photo_required = models.BooleanField(default=False)

    class Meta:
        ordering = ["inspection", "position"]
        constraints = [models.UniqueConstraint(fields=["inspection", "item"], name="uniq_inspection_item")]

    def __str__(self):
        return f"{self.item} {self.get_result_display()}"


class Recusal(models.Model):
    """A declared conflict of interest (回避): the inspector is never drawn for the unit."""

    class Reason(models.TextChoices):
        CONFLICT = "conflict", _("Conflict of interest")
        RELATIVE = "relative", _("A relative's unit")

    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("inspector"), on_delete=models.CASCADE,
                                  related_name="recusals")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="recusals")
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    declared_at = models.DateTimeField(_("declared at"), default=timezone.now)
    region_path = models.CharField(max_length=24, editable=False)

    SCOPE = ScopeSpec(region_field="region_path")

    class Meta:
        verbose_name = _("recusal")
        verbose_name_plural = _("recusals")
        constraints = [models.UniqueConstraint(fields=["inspector", "unit"], name="uniq_recusal")]

    def __str__(self):
        return f"{self.inspector} / {self.unit}"

    def save(self, *args, **kwargs):
        self.region_path = self.unit.region_path
        super().save(*args, **kwargs)


class DrawPlan(models.Model):
    """A brigade's annual random-inspection plan (双随机抽查计划): strata, quotas, rules as data."""

    agency = models.ForeignKey(Agency, verbose_name=_("brigade"), on_delete=models.PROTECT, related_name="draw_plans")
    year = models.PositiveSmallIntegerField(_("year"))
    name = models.CharField(_("name"), max_length=120)
    rules = models.JSONField(_("rules"), default=dict,
                             help_text=_("Strata with their quotas (per month or per year), inspectors per unit, "
                                         "exclusions."))
    publish_within_workdays = models.PositiveSmallIntegerField(_("publish results within (working days)"),
                                                               default=20)
    region_path = models.CharField(max_length=24, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    SCOPE = ScopeSpec(region_field="region_path")

    class Meta:
        verbose_name = _("draw plan")
        verbose_name_plural = _("draw plans")
        ordering = ["-year", "agency"]
        constraints = [models.UniqueConstraint(fields=["agency", "year"], name="uniq_plan_agency_year")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.region_path = self.agency.region_path
        super().save(*args, **kwargs)


class DrawState(models.TextChoices):
    COMMITTED = "committed", _("Seed committed")
    DRAWN = "drawn", _("Drawn")


class DrawQuerySet(models.QuerySet):
    """Draws change one by one through Draw.save, which knows what may change; never in bulk."""

    def update(self, **kwargs):
        raise ValueError("draws are changed through Draw.save only")

    def delete(self):
        raise ValueError("draws are never deleted")


# What a draw's commit fixes for good. Its inputs (units, inspectors, rules) are fixed as well when
# they were frozen at the commit, i.e. when inputs_sha256 is set: draws committed before inputs were
# frozen at commit (inputs_sha256 empty) get their inputs at the draw, as they did then.
COMMITTED_FIELDS = ("plan", "period", "seed_sha256", "seed", "committed_by", "committed_at", "inputs_sha256")
FROZEN_INPUTS = ("units", "inspectors", "rules")


class Draw(models.Model):
    """One draw of a plan. The commit freezes the inputs (unit directory, inspector directory, rules)
    and publishes their SHA-256 digests with the seed's; the draw itself, its inputs and the revealed
    seed are then kept unchanged so that anyone can re-run it (``firegov draw verify``)."""

    plan = models.ForeignKey(DrawPlan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="draws")
    period = models.CharField(_("period"), max_length=7, help_text=_("YYYY-MM"))
    seed_sha256 = models.CharField(_("seed commitment (SHA-256)"), max_length=64)
    seed = models.CharField(_("seed"), max_length=64, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=DrawState.choices, default=DrawState.COMMITTED)
    committed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    committed_at = models.DateTimeField(_("committed at"), default=timezone.now)
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    drawn_at = models.DateTimeField(_("drawn at"), null=True, blank=True)
    units = models.JSONField(default=list, editable=False)
    inspectors = models.JSONField(default=list, editable=False)
    rules = models.JSONField(default=dict, editable=False)
    inputs_sha256 = models.JSONField(_("input digests (SHA-256)"), default=dict, editable=False,
                                     help_text=_("Published at the commit; empty for draws committed "
                                                 "before the inputs were frozen at the commit."))
    result = models.JSONField(default=dict, editable=False)
    region_path = models.CharField(max_length=24, editable=False)

    objects = DrawQuerySet.as_manager()

    SCOPE = ScopeSpec(region_field="region_path")

    class Meta:
        verbose_name = _("draw")
        verbose_name_plural = _("draws")
        ordering = ["-committed_at"]
        constraints = [models.UniqueConstraint(fields=["plan", "period"], name="uniq_draw_period")]

    def __str__(self):
        return f"{self.plan} {self.period}"

    def save(self, *args, **kwargs):
        stored = type(self).objects.filter(pk=self.pk).values("state", "inputs_sha256").first() if self.pk else None
        if stored is not None:
            if stored["state"] == DrawState.DRAWN:
                raise ValueError("a completed draw is immutable")
            fixed = COMMITTED_FIELDS + (FROZEN_INPUTS if stored["inputs_sha256"] else ())
            written = kwargs.get("update_fields")
            self._refuse_changes([f for f in fixed if written is None or f in written])
        self.region_path = self.plan.region_path
        super().save(*args, **kwargs)

    def _refuse_changes(self, names: list[str]) -> None:
        columns = [self._meta.get_field(name).attname for name in names]
        stored = type(self).objects.filter(pk=self.pk).values(*columns).first() or {}
        changed = [name for name, column in zip(names, columns, strict=True)
                   if stored.get(column) != getattr(self, column)]
        if changed:
            raise ValueError(f"a committed draw's {', '.join(changed)} never change")

    def delete(self, *args, **kwargs):
        raise ValueError("draws are never deleted")


class DrawAssignment(models.Model):
    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="assignments")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    stratum = models.CharField(max_length=40)
    order = models.PositiveIntegerField()
    inspectors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")

    class Meta:
        ordering = ["draw", "order"]
        constraints = [models.UniqueConstraint(fields=["draw", "unit"], name="uniq_draw_unit")]

    def __str__(self):
        return f"{self.draw} #{self.order}"

    def save(self, *args, **kwargs):
        # Written once by the draw; ``verify`` would find a change, but none should be possible.
        if self.pk is not None and type(self).objects.filter(pk=self.pk).exists():
            raise ValueError("a drawn assignment never changes")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("drawn assignments are never deleted")
