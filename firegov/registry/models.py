"""The premises registry: units (社会单位/场所), buildings, residential communities (住宅小区),
fire lanes (消防车通道) and micro fire stations (微型消防站)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from firegov.core.models import Agency, Region, Sector
from firegov.core.scopespec import ScopeSpec
from firegov.kernels.place_types import PLACE_TYPES


def place_type_choices():
    return [(code, pt.zh) for code, pt in PLACE_TYPES.items()]


class UnitStatus(models.TextChoices):
    OPERATING = "operating", _("Operating")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


# Classification flags stored on the unit (indexed for filters), in display order.
CLASSIFICATION_FLAGS = [
    ("key_unit", _("Key unit")),
    ("high_risk", _("High-risk unit")),
    ("crowded_place", _("Crowded place")),
    ("public_gathering", _("Public gathering place")),
    ("high_rise", _("High-rise")),
    ("super_high_rise", _("Super high-rise")),
    ("large_complex", _("Large commercial complex")),
    ("underground", _("Underground place")),
    ("hazmat", _("Flammable and explosive hazardous materials")),
    ("gaodidahua", _("High-rise / underground / large / chemical")),
    ("nine_small", _("Nine small places")),
    ("three_in_one", _("Three-in-one place")),
]


ALIVE = models.Q(deleted_at__isnull=True)
INDEXED_FLAGS = ["key_unit", "high_risk", "crowded_place", "public_gathering", "high_rise", "large_complex",
                 "underground", "hazmat", "gaodidahua", "nine_small", "three_in_one", "super_high_rise"]


class UnitQuerySet(models.QuerySet):
    def alive(self):
        return self.filter(ALIVE)


class Unit(models.Model):
    name = models.CharField(_("name"), max_length=200)
    uscc = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    address = models.CharField(_("address"), max_length=300)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="units")
    region_path = models.CharField(max_length=24, editable=False)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    place_type = models.CharField(_("place type"), max_length=40, choices=place_type_choices)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    department = models.ForeignKey(
        Agency, verbose_name=_("supervising department"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="supervised_units", limit_choices_to={"kind": "department"},
    )
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices, blank=True, editable=False)
    legal_representative = models.CharField(_("legal representative"), max_length=60, blank=True)
    legal_representative_phone = models.CharField(_("legal representative phone"), max_length=40, blank=True)
    responsible_person = models.CharField(_("fire safety responsible person"), max_length=60, blank=True)
    responsible_phone = models.CharField(_("responsible person phone"), max_length=40, blank=True)
    safety_manager = models.CharField(_("fire safety manager"), max_length=60, blank=True)
    safety_manager_phone = models.CharField(_("fire safety manager phone"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=UnitStatus.choices, default="operating")
    managers = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("unit managers"), blank=True,
                                      related_name="managed_units")

    key_unit = models.BooleanField(_("key unit"), default=False)
    high_risk = models.BooleanField(_("high-risk unit"), null=True, blank=True)
    crowded_place = models.BooleanField(_("crowded place"), default=False)
    public_gathering = models.BooleanField(_("public gathering place"), default=False)
    high_rise = models.BooleanField(_("high-rise"), default=False)
    super_high_rise = models.BooleanField(_("super high-rise"), default=False)
    large_complex = models.BooleanField(_("large commercial complex"), default=False)
    underground = models.BooleanField(_("underground place"), default=False)
    hazmat = models.BooleanField(_("hazardous materials"), default=False)
    gaodidahua = models.BooleanField(_("high/underground/large/chemical"), default=False)
    nine_small = models.BooleanField(_("nine small places"), default=False)
    three_in_one = models.BooleanField(_("three-in-one"), default=False)
    classification = models.JSONField(_("classification reasons"), default=list, blank=True, editable=False)
    classified_with = models.CharField(max_length=200, blank=True, editable=False)

    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)

    objects = UnitQuerySet.as_manager()

    SCOPE = ScopeSpec(region_field="region_path", sector_field="sector", manager_field="managers")

    class Meta:
        ordering = ["-id"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [
            models.UniqueConstraint(fields=["uscc"], condition=~models.Q(uscc=""), name="uniq_unit_uscc"),
        ]
        # Every list reads live units only, so the indexes are partial (deleted_at IS NULL): counts and
        # pages of a region, a sector, a place type or a classification are answered from small
        # indexes. Measured in bench/units_list.py (docs/benchmarks.md).
        indexes = [
            # A plain index: SQLite's planner does not use a partial one for COUNT(*) (166 -> 12 ms).
            models.Index(fields=["deleted_at", "id"], name="unit_alive_id"),
            # Units live on a past day, counted from the index alone (campaign indicators).
            models.Index(fields=["region_path", "created_at", "deleted_at"], name="unit_dated"),
            models.Index(fields=["region_path", "id"], condition=ALIVE, name="unit_alive_region"),
            models.Index(fields=["sector", "region_path"], condition=ALIVE, name="unit_alive_sector"),
            # A department officer's deep pages: an index-only backward scan on PostgreSQL (200 -> 6 ms).
            models.Index(fields=["sector", "id"], include=["region_path"], condition=ALIVE,
                         name="unit_alive_sector_id"),
            models.Index(fields=["place_type", "region_path"], condition=ALIVE, name="unit_alive_type"),
            models.Index(fields=["status", "region_path"], condition=ALIVE, name="unit_alive_status"),
            models.Index(fields=["department", "region_path"], condition=ALIVE, name="unit_alive_department"),
            *(models.Index(fields=["region_path"], condition=ALIVE & models.Q(**{flag: True}), name=f"unit_flag_{flag}")
              for flag in INDEXED_FLAGS),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        from firegov.registry.classification import apply_classification

        self.region_path = self.region.path
        self.sector = self.department.sector if self.department_id else ""
        apply_classification(self)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = set(kwargs["update_fields"]) | {
                "region_path", "sector", "classification", "classified_with", "updated_at",
                *(flag for flag, _label in CLASSIFICATION_FLAGS),
            }
        super().save(*args, **kwargs)
        if kwargs.get("update_fields") is None or {"name", "address"} & set(kwargs["update_fields"]):
            from firegov.registry.search import index_unit

            index_unit(self)

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("registry:unit-detail", args=[self.pk])

    @property
    def place_type_label(self) -> str:
        pt = PLACE_TYPES.get(self.place_type)
        return pt.zh if pt else self.place_type

    def flags(self):
        return [(name, label) for name, label in CLASSIFICATION_FLAGS if getattr(self, name)]


class Building(models.Model):
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="buildings")
    name = models.CharField(_("name"), max_length=100)
    height_m = models.FloatField(_("height (m)"), null=True, blank=True)
    floors_above = models.PositiveSmallIntegerField(_("floors above ground"), null=True, blank=True)
    floors_below = models.PositiveSmallIntegerField(_("floors below ground"), null=True, blank=True)
    area_m2 = models.FloatField(_("building area (m²)"), null=True, blank=True)
    built_year = models.PositiveSmallIntegerField(_("year built"), null=True, blank=True)
    structure = models.CharField(_("structure"), max_length=40, blank=True)

    SCOPE = ScopeSpec(region_field="unit__region_path", sector_field="unit__sector", manager_field="unit__managers")

    class Meta:
        ordering = ["unit", "name"]
        verbose_name = _("building")
        verbose_name_plural = _("buildings")

    def __str__(self) -> str:
        return self.name


class UnitBigram(models.Model):
    """One two-character search key of a unit's name or address (see ``firegov.kernels.bigrams``).

    Kept by ``Unit.save()`` and ``registry.search``; searching for units reads it before matching
    the names and addresses themselves. Not audited: it is derived from audited fields.
    """

    pk = models.CompositePrimaryKey("bigram", "unit")
    bigram = models.CharField(max_length=2)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("search key")

    def __str__(self) -> str:
        return self.bigram


class Community(models.Model):
    """A residential community (住宅小区); old when built before 2000 (老旧小区)."""

    OLD_BEFORE_YEAR = 2000

    name = models.CharField(_("name"), max_length=120)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT,
                               related_name="communities")
    region_path = models.CharField(max_length=24, editable=False, db_index=True)
    sector = models.CharField(max_length=20, default=Sector.HOUSING, editable=False)
    address = models.CharField(_("address"), max_length=300)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    built_year = models.PositiveSmallIntegerField(_("year built"), null=True, blank=True)
    buildings = models.PositiveIntegerField(_("residential buildings"), default=0)
    households = models.PositiveIntegerField(_("households"), default=0)
    parking_spaces = models.PositiveIntegerField(_("parking spaces"), default=0)
    vehicles = models.PositiveIntegerField(_("registered vehicles"), default=0)
    ebike_charging_points = models.PositiveIntegerField(_("e-bike charging points"), default=0)
    property_company = models.CharField(_("property management company"), max_length=120, blank=True)
    property_phone = models.CharField(_("property phone"), max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    SCOPE = ScopeSpec(region_field="region_path", sector_field="sector")

    class Meta:
        ordering = ["region_path", "name"]
        verbose_name = _("residential community")
        verbose_name_plural = _("residential communities")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.region_path = self.region.path
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("registry:community-detail", args=[self.pk])

    @property
    def is_old(self) -> bool:
        return self.built_year is not None and self.built_year < self.OLD_BEFORE_YEAR


class LaneStatus(models.TextChoices):
    CLEAR = "clear", _("Clear")
    OCCUPIED = "occupied", _("Occupied")
    BLOCKED = "blocked", _("Blocked")


class OwnedByUnitOrCommunity(models.Model):
    """A record kept by a unit or a community; it lies in its owner's jurisdiction."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.region_path = (self.community or self.unit).region_path
        super().save(*args, **kwargs)


class FireLane(OwnedByUnitOrCommunity):
    """A fire lane (消防车通道) and its markings (标识化管理: side lines, centre boxes, entrance grid)."""

    community = models.ForeignKey(Community, verbose_name=_("community"), null=True, blank=True,
                                  on_delete=models.CASCADE, related_name="fire_lanes")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="fire_lanes")
    region_path = models.CharField(max_length=24, editable=False, db_index=True)
    name = models.CharField(_("name"), max_length=120)
    length_m = models.FloatField(_("length (m)"), null=True, blank=True)
    width_m = models.FloatField(_("net width (m)"), null=True, blank=True)
    side_lines = models.BooleanField(_("side no-parking lines painted"), default=False)
    centre_boxes = models.BooleanField(_("centre boxes painted"), default=False)
    entrance_grid = models.BooleanField(_("entrance grid painted"), default=False)
    warning_signs = models.PositiveSmallIntegerField(_("warning signs"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=LaneStatus.choices, default="clear")
    last_checked = models.DateField(_("last checked"), null=True, blank=True)

    SCOPE = ScopeSpec(region_field="region_path")

    class Meta:
        ordering = ["name"]
        verbose_name = _("fire lane")
        verbose_name_plural = _("fire lanes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(community__isnull=False) | models.Q(unit__isnull=False),
                name="lane_has_owner",
            )
        ]

    def __str__(self) -> str:
        return self.name


    @property
    def fully_marked(self) -> bool:
        return self.side_lines and self.centre_boxes and self.entrance_grid and self.warning_signs > 0


class MicroFireStation(OwnedByUnitOrCommunity):
    """A micro fire station (微型消防站) kept by a unit or a community."""

    name = models.CharField(_("name"), max_length=120)
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="micro_stations")
    community = models.ForeignKey(Community, verbose_name=_("community"), null=True, blank=True,
                                  on_delete=models.CASCADE, related_name="micro_stations")
    region_path = models.CharField(max_length=24, editable=False, db_index=True)
    leader = models.CharField(_("station leader"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    members = models.PositiveSmallIntegerField(_("members"), default=0)
    equipment = models.TextField(_("equipment"), blank=True)
    last_drill = models.DateField(_("last drill"), null=True, blank=True)

    SCOPE = ScopeSpec(region_field="region_path")

    class Meta:
        ordering = ["name"]
        verbose_name = _("micro fire station")
        verbose_name_plural = _("micro fire stations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(community__isnull=False) | models.Q(unit__isnull=False),
                name="station_has_owner",
            )
        ]

    def __str__(self) -> str:
        return self.name

