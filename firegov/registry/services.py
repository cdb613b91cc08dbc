"""Domain writes of the premises registry. Views, API and imports all come through here."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.translation import gettext as _

from firegov.core import deadlines, worktime
from firegov.core.models import Agency, AgencyKind, Region, Role, User
from firegov.core.roles import can
from firegov.core.scoping import agencies_covering, can_see, known_agencies, require_visible
from firegov.kernels.place_types import AttributeValueError, validate_attributes
from firegov.registry.models import Community, Unit

MISSING_MANAGER = "registry.key_unit_manager"
MISSING_RECORD_POLICY = "registry-missing-record"
MISSING_RECORD_WORKDAYS = 10
MISSING_RECORD_STEPS = [
    {"offset_workdays": -5, "action": "remind", "audience": "unit_managers"},
    {"offset_workdays": -1, "action": "remind", "audience": "unit_managers"},
    {"offset_minutes": 0, "action": "escalate", "audience": "brigade", "repeat_minutes": 7 * 24 * 60},
]

UNIT_FIELDS = [
    "name", "uscc", "address", "region", "lat", "lng", "place_type", "attributes", "department",
    "legal_representative", "legal_representative_phone", "responsible_person", "responsible_phone",
    "safety_manager", "safety_manager_phone", "status",
]


def clean_attributes(raw: dict) -> dict:
    """Validate unit attributes with the kernel's table; a ValidationError names the field."""
    try:
        return validate_attributes({k: v for k, v in (raw or {}).items() if v not in (None, "")})
    except AttributeValueError as exc:
        raise ValidationError({"attributes": f"{exc.field}: {exc.message_zh}"}) from exc


def check_region_in_scope(user, region: Region) -> None:
    if not can_see(user, Region.objects.all(), region.pk):
        raise ValidationError({"region": _("This region is outside your jurisdiction.")})


def check_department_in_scope(user, department: Agency | None, region: Region | None = None) -> None:
    """An industry department of the user's jurisdiction or above it (a city bureau supervises
    units in its counties) whose region contains the unit's."""
    if department is None:
        return
    if department.kind != AgencyKind.DEPARTMENT or not known_agencies(user).filter(pk=department.pk).exists():
        raise ValidationError({"department": _("Choose an industry department.")})
    if region is not None and not region.path.startswith(department.region_path):
        raise ValidationError({"department": _("%(agency)s does not supervise units in %(region)s.")
                               % {"agency": department, "region": region}})
    if user.role == Role.DEPARTMENT_OFFICER and department.sector != user.agency.sector:
        raise ValidationError({"department": _("You can only assign units to your own sector.")})


@transaction.atomic
def save_unit(user, data: dict, unit: Unit | None = None) -> Unit:
    """Create (unit=None) or change a unit after checking role, jurisdiction and values."""
    action = "add" if unit is None else "change"
    if not can(user, action, "registry.unit"):
        raise PermissionDenied
    if unit is not None:
        require_visible(user, Unit.objects.alive(), unit.pk)
    unit = unit or Unit()
    # From the database: a bound form has already written the new values onto ``unit``.
    before = Unit.objects.filter(pk=unit.pk).values_list("department_id", "region_id").first() if unit.pk else None
    for field in UNIT_FIELDS:
        if field in data:
            setattr(unit, field, data[field])
    if user.role == Role.UNIT_MANAGER:
        # A unit keeps its own record but cannot move itself to another region or department.
        original = Unit.objects.get(pk=unit.pk)
        unit.region, unit.department, unit.status = original.region, original.department, original.status
    unit.attributes = clean_attributes(unit.attributes)
    unit.uscc = (unit.uscc or "").strip().upper()
    if before is None or unit.region_id != before[1]:
        check_region_in_scope(user, unit.region)
    if (unit.department_id, unit.region_id) != before:
        check_department_in_scope(user, unit.department, unit.region)
    if user.role == Role.DEPARTMENT_OFFICER and unit.department is None:
        raise ValidationError({"department": _("Choose an industry department.")})
    unit.full_clean(exclude=["managers", "region_path", "sector", "classification", "classified_with"])
    unit.save()
    return unit


@transaction.atomic
def delete_unit(user, unit: Unit) -> None:
    """Soft delete: the record and its history stay; the unit leaves every list."""
    if not can(user, "delete", "registry.unit"):
        raise PermissionDenied
    require_visible(user, Unit.objects.alive(), unit.pk)
    unit.deleted_at = timezone.now()
    unit.status = "closed"
    unit.save(update_fields=["deleted_at", "status"])
    deadlines.cancel(unit, MISSING_MANAGER)


@transaction.atomic
def save_community(user, data: dict, community: Community | None = None) -> Community:
    action = "add" if community is None else "change"
    if not can(user, action, "registry.community"):
        raise PermissionDenied
    if community is not None:
        require_visible(user, Community.objects.all(), community.pk)
    community = community or Community()
    for field, value in data.items():
        setattr(community, field, value)
    check_region_in_scope(user, community.region)
    community.full_clean()
    community.save()
    return community


PARENT_RESOURCE = {Unit: "registry.unit", Community: "registry.community"}


@transaction.atomic
def save_child(user, parent, child_model, data: dict, child=None):
    """Create or change a building, fire lane or micro fire station of a unit or community.

    Allowed to whoever may change the parent and sees it; the child's jurisdiction is the parent's.
    """
    _check_parent(user, parent)
    child = child or child_model()
    for field, value in data.items():
        setattr(child, field, value)
    setattr(child, "unit" if isinstance(parent, Unit) else "community", parent)
    child.full_clean(exclude=["region_path"])
    child.save()
    return child


@transaction.atomic
def delete_child(user, parent, child) -> None:
    _check_parent(user, parent)
    child.delete()


def _check_parent(user, parent) -> None:
    parent_model = type(parent)
    if not can(user, "change", PARENT_RESOURCE[parent_model]):
        raise PermissionDenied
    base = parent_model.objects.alive() if parent_model is Unit else parent_model.objects.all()
    require_visible(user, base, parent.pk)


def check_required_records(unit: Unit) -> None:
    """A key unit must name its fire safety manager (消防安全管理人, 消防法 第十七条).

    While it has not, a deadline reminds the unit's managers and then escalates to the brigade.
    """
    if unit.deleted_at is None and unit.key_unit and not unit.safety_manager.strip():
        if not deadlines.is_live(unit, MISSING_MANAGER):
            due = worktime.deadline(timezone.now(), MISSING_RECORD_WORKDAYS)
            deadlines.register(unit, MISSING_MANAGER, f"{unit.name}：重点单位须确定消防安全管理人", due,
                               MISSING_RECORD_POLICY)
    else:
        deadlines.complete(unit, MISSING_MANAGER)


def unit_audience(unit: Unit, audience: str):
    if audience == "unit_managers":
        return unit.managers.filter(is_active=True)
    if audience == "brigade":
        roles = [Role.BRIGADE_SUPERVISOR, Role.INSPECTOR]
        brigades = agencies_covering(unit.region_path, AgencyKind.BRIGADE)
        return User.objects.filter(agency__in=brigades, role__in=roles, is_active=True)
    if audience == "detachment":
        detachments = agencies_covering(unit.region_path, AgencyKind.DETACHMENT)
        return User.objects.filter(agency__in=detachments, role=Role.DETACHMENT, is_active=True)
    if audience == "department" and unit.department_id:
        return User.objects.filter(agency=unit.department, role=Role.DEPARTMENT_OFFICER, is_active=True)
    return User.objects.none()


def _unit_saved(sender, instance: Unit, raw=False, **kwargs):
    if not raw:
        check_required_records(instance)


def connect() -> None:
    deadlines.define_policy(MISSING_RECORD_POLICY, "重点单位档案缺项提醒 / Key unit record incomplete",
                            MISSING_RECORD_STEPS)
    deadlines.register_audience("registry.unit", unit_audience)
    post_save.connect(_unit_saved, sender=Unit, dispatch_uid="registry.unit.required_records")
