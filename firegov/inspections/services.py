"""Domain writes of inspections: plan, answer the checklist, complete (hazards from failed items in
the same step, through the ``inspection_completed`` signal that the hazards app listens to), publish
random-check results (一公开)."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from firegov.core import deadlines, numbering, worktime
from firegov.core import lifecycle as lc
from firegov.core.attachments import refused_as
from firegov.core.attachments import store as store_attachment
from firegov.core.models import Attachment, Role, User
from firegov.core.scoping import can_see, known_agencies, require_visible
from firegov.inspections.models import (
    LAW_ENFORCEMENT_KINDS,
    MIN_LAW_ENFORCEMENT_INSPECTORS,
    AnswerResult,
    Inspection,
    InspectionAnswer,
    InspectionKind,
    InspectionResult,
    InspectionStatus,
)
from firegov.kernels import checklists
from firegov.registry.models import Unit

# Sent after an inspection is completed, inside its transaction: (inspection, user, failed answers,
# hazard drafts from the form). The hazards app turns the failed items into hazards.
inspection_completed = Signal()

PUBLISH = "inspections.publish"
PUBLISH_POLICY = "inspection-publish"
PUBLISH_STEPS = [
    {"offset_workdays": -3, "action": "remind", "audience": "inspectors"},
    {"offset_minutes": 0, "action": "escalate", "audience": "supervisor", "repeat_minutes": 24 * 60},
]

# Who may open an inspection of each kind.
KIND_ROLES: dict[str, frozenset[str]] = {
    InspectionKind.RANDOM: lc.FIRE_OFFICERS,
    InspectionKind.ROUTINE: lc.FIRE_OFFICERS,
    InspectionKind.COMPLAINT: lc.FIRE_OFFICERS,
    InspectionKind.REINSPECTION: lc.FIRE_OFFICERS,
    InspectionKind.CAMPAIGN: lc.FIRE_OFFICERS,
    InspectionKind.JOINT: lc.FIRE_OFFICERS | {lc.DEPARTMENT},
    InspectionKind.EXPERT: lc.FIRE_LEADERS | {lc.DEPARTMENT},
    InspectionKind.PATROL: lc.FIRE_OFFICERS | {lc.GRID},
    InspectionKind.SELF: frozenset({lc.UNIT}),
}
LAW_ENFORCEMENT_ROLES = frozenset({Role.INSPECTOR, Role.BRIGADE_SUPERVISOR, Role.DETACHMENT})

# The inspection's own lifecycle. "members": the inspection's inspectors (and its creator) only.
TRANSITIONS = lc.table(
    lc.transition("start", "planned", "in_progress", lc.FINDERS, (), "Start", "开始检查"),
    lc.transition("complete", "planned in_progress", "completed", lc.FINDERS, (), "Complete", "完成检查"),
    lc.transition("cancel", "planned in_progress", "cancelled", lc.FINDERS, ("note",), "Cancel", "取消检查"),
    lc.transition("publish", "completed", "completed", lc.FIRE_OFFICERS, (), "Publish result", "公示结果"),
)


def connect() -> None:
    deadlines.define_policy(PUBLISH_POLICY, "双随机结果公示期限 / Publish random-check result", PUBLISH_STEPS)
    deadlines.register_audience("inspections.inspection", inspection_audience)


def inspection_audience(inspection: Inspection, audience: str):
    if audience == "inspectors":
        return inspection.inspectors.filter(is_active=True)
    if audience == "supervisor" and inspection.agency_id:
        return User.objects.filter(agency=inspection.agency, role=Role.BRIGADE_SUPERVISOR, is_active=True)
    return User.objects.none()


def officers_for(user):
    """The fire supervision inspectors ``user`` may put on an inspection: active, of an agency of the
    user's jurisdiction or above it (the detachment's staff join a county's inspections)."""
    return User.objects.filter(is_active=True, role__in=list(LAW_ENFORCEMENT_ROLES),
                               agency__in=known_agencies(user)).order_by("username")


def nameable_people(user, unit: Unit):
    """Whom ``user`` may name on an inspection of ``unit`` through the API: the staff of the agencies
    of the user's jurisdiction and above it, the unit's managers (self-inspection), and the user;
    active accounts only.
    Whether each may inspect is check_inspectors' matter; anyone else is as unknown as a missing id."""
    return User.objects.filter(Q(agency__in=known_agencies(user)) | Q(pk=user.pk) | Q(pk__in=unit.managers.values("pk")),
                               is_active=True)


def check_inspectors(kind: str, unit: Unit, inspectors: list[User]) -> None:
    """Law-enforcement inspections need at least two fire officers whose jurisdiction covers the unit."""
    if kind not in LAW_ENFORCEMENT_KINDS:
        return
    distinct = {u.pk: u for u in inspectors}.values()
    if len(distinct) < MIN_LAW_ENFORCEMENT_INSPECTORS:
        raise ValidationError({"inspectors": _("A law-enforcement inspection needs at least two inspectors.")})
    for person in distinct:
        if person.role not in LAW_ENFORCEMENT_ROLES or not person.is_active:
            raise ValidationError({"inspectors": _("%(name)s is not a fire supervision inspector.")
                                   % {"name": person.get_full_name() or person.username}})
        if not can_see(person, Unit.objects.alive(), unit.pk):
            raise ValidationError({"inspectors": _("The unit is outside the jurisdiction of %(name)s.")
                                   % {"name": person.get_full_name() or person.username}})


def unit_flags(unit: Unit) -> set[str]:
    """The unit's classification flags as the checklist kernel reads them (it knows crowded_place)."""
    return {name for name in ("crowded_place", "public_gathering", "hazmat", "nine_small", "three_in_one",
                              "high_rise", "large_complex", "key_unit", "underground") if getattr(unit, name)}


def choose_template(unit: Unit, kind: str, template_id: str | None = None):
    if template_id:
        try:
            return checklists.template(template_id)
        except KeyError:
            raise ValidationError({"checklist": _("Unknown checklist.")}) from None
    return checklists.templates_for(unit.place_type, unit_flags(unit), kind)[0]


@transaction.atomic
def create_inspection(user, unit: Unit, kind: str, *, inspectors=(), agencies=(), planned_for: date | None = None,
                      checklist: str | None = None, experts: str = "", assignment=None) -> Inspection:
    role = lc.role_of(user)
    if kind not in KIND_ROLES:
        raise ValidationError({"kind": _("Unknown inspection kind.")})
    if role not in KIND_ROLES[kind]:
        raise PermissionDenied(_("Your role may not open this kind of inspection."))
    require_visible(user, Unit.objects.alive(), unit.pk)
    if kind == InspectionKind.SELF and not unit.managers.filter(pk=user.pk).exists():
        raise PermissionDenied
    people = list(inspectors) or [user]
    check_inspectors(kind, unit, people)
    if kind == InspectionKind.EXPERT and not experts.strip():
        raise ValidationError({"experts": _("Name the experts of an expert inspection.")})
    if kind == InspectionKind.JOINT:  # 联合检查: the lead agency and at least one other take part
        taking_part = {a.pk for a in agencies} | {p.agency_id for p in people} | {user.agency_id}
        if len(taking_part - {None}) < 2:
            raise ValidationError({"agencies": _("A joint inspection needs at least two agencies: name the "
                                                 "other participating agencies.")})
    template = choose_template(unit, kind, checklist)
    inspection = Inspection.objects.create(
        unit=unit, kind=kind, agency=user.agency, planned_for=planned_for, checklist=template.id,
        checklist_version=str(template.version), experts=experts.strip(), created_by=user, assignment=assignment,
    )
    inspection.inspectors.set(people)
    if agencies:
        inspection.agencies.set(agencies)
    InspectionAnswer.objects.bulk_create([
        InspectionAnswer(inspection=inspection, position=i, item=item.code, text=item.zh[:300],
                         hazard_category=item.hazard_category, gb35181=item.gb35181 or "",
                         photo_required=item.photo_required_on_fail)
        for i, item in enumerate(template.items)
    ])
    return inspection


def is_member(user, inspection: Inspection) -> bool:
    return (user.is_system_admin or inspection.created_by_id == user.pk
            or inspection.inspectors.filter(pk=user.pk).exists()
            or (user.role == Role.BRIGADE_SUPERVISOR and inspection.agency_id == user.agency_id))


def _locked(user, inspection: Inspection, action: str) -> Inspection:
    require_visible(user, Inspection.objects.all(), inspection.pk)
    current = Inspection.objects.select_for_update(of=("self",)).select_related("unit", "agency").get(pk=inspection.pk)
    lc.check(TRANSITIONS, action, current, user)
    if action != "publish" and not is_member(user, current):
        raise PermissionDenied(_("Only the inspection's own inspectors may do this."))
    return current


@transaction.atomic
def start(user, inspection: Inspection) -> Inspection:
    inspection = _locked(user, inspection, "start")
    inspection.status, inspection.started_at = InspectionStatus.IN_PROGRESS, timezone.now()
    inspection.save()
    return inspection


@transaction.atomic
def record_answers(user, inspection: Inspection, answers: dict[str, dict], photos: dict | None = None) -> Inspection:
    """Save checklist answers ({item: {"result": pass|fail|na, "note": …}}) and photos per item.

    Can be called many times while the inspection is open (the phone form saves as it goes)."""
    inspection = _locked(user, inspection, "complete")
    if inspection.status == InspectionStatus.PLANNED:
        inspection.status, inspection.started_at = InspectionStatus.IN_PROGRESS, timezone.now()
        inspection.save()
    rows = {a.item: a for a in inspection.answers.all()}
    errors = {}
    for item, answer in answers.items():
        row = rows.get(item)
        if row is None:
            errors[item] = _("Unknown checklist item.")
            continue
        result = (answer.get("result") or "").strip()
        if result and result not in AnswerResult.values:
            errors[item] = _("Answer pass, fail or not applicable.")
            continue
        row.result, row.note = result, (answer.get("note") or "")[:300]
    if errors:
        raise ValidationError(errors)
    InspectionAnswer.objects.bulk_update(rows.values(), ["result", "note"])
    for item, files in (photos or {}).items():
        if item not in rows:
            raise ValidationError({item: _("Unknown checklist item.")})
        with refused_as(item):
            for upload in files:
                store_attachment(upload, getattr(upload, "name", "photo"), user, subject=inspection, caption=item)
    return inspection


def item_photos(inspection: Inspection) -> dict[str, list[Attachment]]:
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_model(Inspection)
    found: dict[str, list[Attachment]] = {}
    for attachment in Attachment.objects.filter(content_type=ct, object_id=str(inspection.pk)).order_by("id"):
        found.setdefault(attachment.caption, []).append(attachment)
    return found


@transaction.atomic
def complete(user, inspection: Inspection, data: dict, signature=None) -> Inspection:
    """Close the inspection: every item answered, photos for failed items that need them, the unit's
    signature or its refusal (law enforcement). Hazards come from the failed items in the same step."""
    inspection = _locked(user, inspection, "complete")
    answers = list(inspection.answers.all())
    unanswered = [a.item for a in answers if not a.result]
    if unanswered:
        raise ValidationError({"answers": _("Answer every item first: %(items)s") % {"items": ", ".join(unanswered)}})
    photos = item_photos(inspection)
    failed = [a for a in answers if a.result == AnswerResult.FAIL]
    missing = [a.item for a in failed if a.photo_required and not photos.get(a.item)]
    if missing:
        raise ValidationError({"photos": _("Take a photo of each failed item: %(items)s") % {"items": ", ".join(missing)}})
    signed_by = (data.get("signed_by") or "").strip()
    refused = bool(data.get("refused_to_sign"))
    if inspection.is_law_enforcement and not (signed_by or refused):
        raise ValidationError({"signed_by": _("Record who signed for the unit, or that the unit refused to sign.")})
    if refused and not (data.get("refusal_note") or "").strip():
        raise ValidationError({"refusal_note": _("Record the circumstances of the refusal.")})
    now = timezone.now()
    if signature is not None:
        with refused_as("signature"):
            inspection.signature = store_attachment(signature, getattr(signature, "name", "signature"), user,
                                                    subject=inspection, caption="signature")
    inspection.findings = (data.get("findings") or "").strip()
    inspection.signed_by, inspection.refused_to_sign = signed_by, refused
    inspection.refusal_note = (data.get("refusal_note") or "").strip()[:200]
    inspection.lat, inspection.lng = data.get("lat") or inspection.lat, data.get("lng") or inspection.lng
    inspection.status, inspection.completed_at = InspectionStatus.COMPLETED, now
    inspection.started_at = inspection.started_at or now
    inspection.result = InspectionResult.HAZARDS if failed or data.get("hazards") else InspectionResult.PASSED
    if inspection.is_law_enforcement and inspection.agency is not None and inspection.agency.doc_prefix:
        inspection.record_number = numbering.next_number(inspection.agency, "inspection_record",
                                                         timezone.localdate(now).year)
    if inspection.kind == InspectionKind.RANDOM:
        days = publish_workdays(inspection)
        due = worktime.deadline(now, days)
        inspection.publish_due = due.date()
        deadlines.register(inspection, PUBLISH, f"{inspection.unit.name}：双随机检查结果公示", due, PUBLISH_POLICY)
    inspection.save()
    inspection_completed.send(sender=Inspection, inspection=inspection, user=user, failed=failed,
                              extra=list(data.get("hazards") or []))
    return inspection


def publish_workdays(inspection: Inspection) -> int:
    if inspection.assignment_id:
        return inspection.assignment.draw.plan.publish_within_workdays
    return settings.FIREGOV["PUBLISH_WORKDAYS"]


@transaction.atomic
def cancel(user, inspection: Inspection, note: str) -> Inspection:
    inspection = _locked(user, inspection, "cancel")
    if not note.strip():
        raise ValidationError({"note": _("Say why.")})
    inspection.status = InspectionStatus.CANCELLED
    inspection.findings = note.strip()
    inspection.save()
    return inspection


@transaction.atomic
def publish(user, inspection: Inspection) -> Inspection:
    """Publish a random-check result on the public page (一公开)."""
    inspection = _locked(user, inspection, "publish")
    if inspection.kind != InspectionKind.RANDOM:
        raise lc.TransitionError(_("Only random-check results are published."), "kind")
    if inspection.published_at is not None:
        raise lc.TransitionError(_("This result is already published."), "published")
    inspection.published_at = timezone.now()
    inspection.save()
    deadlines.complete(inspection, PUBLISH)
    return inspection

