"""Public hazard reports (举报投诉): submission without login, tracking by code, triage to the
responsible brigade, checking within 24 hours (blocked exits, switched-off facilities) or 3 working
days (消防监督检查规定 第十八条), the answer to the reporter, and rewards to the first valid reporter."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

import filetype
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from firegov.core import deadlines, notify
from firegov.core import lifecycle as lc
from firegov.core.attachments import IMAGE_TYPES, refused_as
from firegov.core.attachments import store as store_attachment
from firegov.core.models import Region, Role, User
from firegov.core.scoping import can_see, require_visible
from firegov.hazards import categories
from firegov.hazards.lifecycle import REPORT_TRANSITIONS
from firegov.hazards.models import Hazard, HazardSource, PublicReport, ReportStatus, RewardTier
from firegov.inspections.models import InspectionKind, InspectionStatus
from firegov.registry.models import Unit

CHECK = "hazards.report_check"
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: codes are read out over the phone
CODE_LENGTH = 10
MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 5 * 1024 * 1024
URGENT_CHECK_HOURS = 24
CHECK_WORKDAYS = 3
PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ]{5,18}$")
OPEN_INSPECTION = (InspectionStatus.PLANNED, InspectionStatus.IN_PROGRESS)

POLICIES = {
    "report-check-urgent": ("紧急举报24小时内核查 / Urgent report: check within 24 hours", [
        {"offset_minutes": -6 * 60, "action": "remind", "audience": "brigade"},
        {"offset_minutes": 0, "action": "escalate", "audience": "supervisor", "repeat_minutes": 4 * 60},
    ]),
    "report-check": ("举报3个工作日内核查 / Report: check within 3 working days", [
        {"offset_workdays": -1, "action": "remind", "audience": "brigade"},
        {"offset_minutes": 0, "action": "escalate", "audience": "supervisor", "repeat_minutes": 24 * 60},
    ]),
}


def connect() -> None:
    for code, (name, steps) in POLICIES.items():
        deadlines.define_policy(code, name, steps)
    deadlines.register_audience("hazards.publicreport", report_audience)
    from firegov.inspections.services import inspection_completed

    inspection_completed.connect(check_done, dispatch_uid="hazards.report_check_done")


def report_audience(report: PublicReport, audience: str):
    if report.agency_id is None:
        return User.objects.none()
    roles = [Role.BRIGADE_SUPERVISOR] if audience == "supervisor" else [Role.INSPECTOR, Role.BRIGADE_SUPERVISOR]
    return User.objects.filter(agency=report.agency, role__in=roles, is_active=True)


def client_hash(ip: str) -> str:
    """Reports keep a keyed hash of the client address, never the address itself."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{ip}".encode()).hexdigest()


def _normalise(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", text or "").lower()


def fingerprint(region: Region, place: str, address: str) -> str:
    return hashlib.sha256(f"{region.path}|{_normalise(place)}|{_normalise(address)}".encode()).hexdigest()


def new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
        if not PublicReport.objects.filter(tracking_code=code).exists():
            return code


def _check_photos(photos) -> None:
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": _("At most %(n)d photos.") % {"n": MAX_PHOTOS}})
    for photo in photos:
        if photo.size > MAX_PHOTO_BYTES:
            raise ValidationError({"photos": _("Each photo must be smaller than 5 MB.")})
        head = photo.read(262)
        photo.seek(0)
        kind = filetype.guess(head)
        if kind is None or kind.mime not in IMAGE_TYPES:
            raise ValidationError({"photos": _("Only photos (JPEG, PNG or WebP) can be attached.")})


def submit(data: dict, photos=(), ip: str = "", now=None) -> PublicReport:
    """Take a public report. Returns it with its tracking code; a second report of the same place
    within the duplicate window is kept but linked to the first and marked duplicate."""
    now = now or timezone.now()
    errors = {}
    region = data.get("region")
    if not isinstance(region, Region):
        errors["region"] = _("Choose the area.")
    for field, limit in (("place", 120), ("address", 200), ("description", 2000)):
        value = (data.get(field) or "").strip()
        if not value:
            errors[field] = _("This field is required.")
        elif len(value) > limit:
            errors[field] = _("At most %(n)d characters.") % {"n": limit}
    phone = (data.get("contact_phone") or "").strip()
    if phone and not PHONE_RE.match(phone):
        errors["contact_phone"] = _("Enter a valid phone number.")
    category = (data.get("category") or "").strip()
    if category and not categories.exists(category):
        errors["category"] = _("Unknown hazard category.")
    if errors:
        raise ValidationError(errors)
    photos = list(photos)
    _check_photos(photos)
    who = client_hash(ip or "unknown")
    hour_ago = now - timedelta(hours=1)
    limit = settings.FIREGOV["REPORTS_PER_HOUR"]
    if PublicReport.objects.filter(client_hash=who, submitted_at__gte=hour_ago).count() >= limit:
        raise ValidationError({"__all__": _("Too many reports from this connection. Please try again later.")})
    with transaction.atomic():
        print_ = fingerprint(region, data["place"], data["address"])
        window = now - timedelta(hours=settings.FIREGOV["REPORT_DUPLICATE_HOURS"])
        first = (PublicReport.objects.filter(fingerprint=print_, submitted_at__gte=window, duplicate_of__isnull=True)
                 .exclude(status=ReportStatus.INVALID).order_by("submitted_at").first())
        from firegov.hazards.services import responsible_brigade_for_path

        report = PublicReport(
            tracking_code=new_code(), region=region, place=data["place"].strip(), address=data["address"].strip(),
            description=data["description"].strip(), category=category,
            contact_name=(data.get("contact_name") or "").strip()[:40], contact_phone=phone,
            submitted_at=now, client_hash=who, fingerprint=print_,
            urgent=bool(category) and categories.get(category).urgent,
            agency=responsible_brigade_for_path(region.path),
        )
        if first is not None:
            report.status, report.duplicate_of = ReportStatus.DUPLICATE, first
            report.agency = first.agency
        report.save()
        with refused_as("photos"):
            for photo in photos:
                store_attachment(photo, getattr(photo, "name", "photo"), None, subject=report, caption="report")
        if first is None:
            _schedule_check(report, now)
            if report.agency_id is not None:
                _tell_brigade(report)
    return report


def _tell_brigade(report: PublicReport) -> None:
    notify.notify(report_audience(report, "brigade"), "report.assigned", f"新举报待核查：{report.place}",
                  report.description[:200], f"/hazards/reports/{report.pk}/")


def _schedule_check(report: PublicReport, now) -> None:
    """The check is due 24 hours (urgent) or 3 working days after the report reached its first
    agency (``triaged_at``: on submission, or when triaged by hand). Moving it to another agency
    keeps that clock; classifying it anew counts again from the same moment."""
    from firegov.hazards.services import due_after_workdays

    if report.agency_id is None:
        return
    report.status = ReportStatus.ASSIGNED
    report.triaged_at = report.triaged_at or now
    if report.urgent:
        report.check_due = report.triaged_at + timedelta(hours=URGENT_CHECK_HOURS)
        policy = "report-check-urgent"
    else:
        report.check_due = due_after_workdays(report.triaged_at, CHECK_WORKDAYS)
        policy = "report-check"
    report.save(update_fields=["status", "triaged_at", "check_due", "updated_at"])
    deadlines.register(report, CHECK, f"举报核查：{report.place}", report.check_due, policy, now=now)


def track(code: str) -> PublicReport | None:
    code = (code or "").strip().upper()
    if not code or len(code) != CODE_LENGTH:
        return None
    return PublicReport.objects.filter(tracking_code=code).first()


def _locked(user, report: PublicReport, action: str) -> PublicReport:
    require_visible(user, PublicReport.objects.all(), report.pk)
    lc.check_role(REPORT_TRANSITIONS, action, user)
    current = PublicReport.objects.select_for_update().get(pk=report.pk)
    lc.check(REPORT_TRANSITIONS, action, current, user)
    return current


@transaction.atomic
def assign(user, report: PublicReport, agency, category: str | None = None) -> PublicReport:
    """Triage by hand: a report with no brigade found for its area, or one moved to another agency
    before its complaint inspection is opened. ``category`` (when given) classifies it anew: a
    blocked or locked exit or switched-off facilities must be checked within 24 hours, anything
    else within 3 working days, counted from when the report first reached an agency."""
    report = _locked(user, report, "assign")
    if report.inspection_id and report.inspection.status != InspectionStatus.CANCELLED:
        raise lc.TransitionError(_("This report already has a complaint inspection."), "inspection_open")
    if agency is None or not can_see(user, type(agency).objects.all(), agency.pk):
        raise ValidationError({"agency": _("Choose an agency in your jurisdiction.")})
    if category is not None:
        category = category.strip()
        if category and not categories.exists(category):
            raise ValidationError({"category": _("Unknown hazard category.")})
        report.category, report.urgent = category, bool(category) and categories.get(category).urgent
    moved = report.agency_id != agency.pk
    report.agency = agency
    report.save()
    _schedule_check(report, timezone.now())
    if moved:
        _tell_brigade(report)
    return report


@transaction.atomic
def open_inspection(user, report: PublicReport, unit: Unit | None, inspectors=()) -> PublicReport:
    """Open the complaint inspection (举报投诉核查) of the reported unit: a law-enforcement inspection
    by at least two inspectors, planned for the check deadline. Completing it marks the check done
    (``check_done``); the answer to the reporter follows with ``conclude``."""
    from firegov.inspections.services import create_inspection

    report = _locked(user, report, "inspect")
    if report.inspection_id and report.inspection.status != InspectionStatus.CANCELLED:
        raise lc.TransitionError(_("This report already has a complaint inspection."), "inspection_open")
    if unit is None:
        raise ValidationError({"unit": _("Choose the registered unit to inspect.")})
    planned = timezone.localdate(report.check_due) if report.check_due else None
    inspection = create_inspection(user, unit, InspectionKind.COMPLAINT, inspectors=list(inspectors),
                                   planned_for=planned)
    report.unit, report.inspection = unit, inspection
    report.save()
    notify.notify(inspection.inspectors.exclude(pk=user.pk), "report.inspection", f"举报核查：{report.place}",
                  report.description[:200], f"/inspections/{inspection.pk}/")
    return report


def check_done(sender, inspection, **kwargs) -> None:
    """A completed complaint inspection is the check of its reports: their check deadline is met."""
    if inspection.kind != InspectionKind.COMPLAINT:
        return
    for report in PublicReport.objects.filter(inspection=inspection):
        deadlines.complete(report, CHECK)


@transaction.atomic
def mark_duplicate(user, report: PublicReport, original: PublicReport | None) -> PublicReport:
    """A report of something already reported earlier (missed by the automatic place match): it joins
    the earlier report, whose answer the reporter then sees, and needs no check of its own."""
    report = _locked(user, report, "duplicate")
    if original is not None and original.duplicate_of_id:
        original = original.duplicate_of
    if (original is None or original.pk == report.pk or original.submitted_at > report.submitted_at
            or not can_see(user, PublicReport.objects.all(), original.pk)):
        raise ValidationError({"duplicate_of": _("Choose an earlier report in your jurisdiction.")})
    if report.inspection_id and report.inspection.status in OPEN_INSPECTION:
        raise lc.TransitionError(_("Complete or cancel the complaint inspection first."), "inspection_open")
    report.status, report.duplicate_of = ReportStatus.DUPLICATE, original
    report.save()
    deadlines.complete(report, CHECK)
    for joined in PublicReport.objects.filter(duplicate_of=report):  # no chains: they follow to the original
        joined.duplicate_of = original
        joined.save()
    return report


@transaction.atomic
def conclude(user, report: PublicReport, valid: bool, result: str, unit: Unit | None = None,
             category: str = "") -> PublicReport:
    """Record the check's outcome and tell the reporter (shown on the tracking page). A valid report
    on a registered unit becomes a hazard in the ledger (source: public report)."""
    report = _locked(user, report, "confirm" if valid else "reject")
    result = (result or "").strip()
    if not result:
        raise ValidationError({"result": _("Write the answer to the reporter.")})
    inspection = report.inspection
    if inspection is not None and inspection.status in OPEN_INSPECTION:
        raise lc.TransitionError(_("Complete or cancel the complaint inspection first."), "inspection_open")
    now = timezone.now()
    if inspection is not None and inspection.status == InspectionStatus.COMPLETED:
        # The complaint inspection decided what the ledger holds: its hazards, preferably one of the
        # reported category; no second hazard for the same finding.
        if valid:
            found = list(inspection.hazards.order_by("pk"))
            same = [h for h in found if h.category == (category or report.category)]
            report.hazard = (same or found or [None])[0]
    else:
        report.unit = unit  # the one checked now, not the unit of a cancelled complaint inspection
        if valid and unit is not None:
            from firegov.hazards.services import report_hazard

            report.hazard = report_hazard(user, unit, {
                "category": category or report.category or "other", "description": report.description,
                "location": report.address,
            }, source=HazardSource.REPORT)
    report.status = ReportStatus.VALID if valid else ReportStatus.INVALID
    report.result, report.answered_at = result, now
    report.save()
    deadlines.complete(report, CHECK)
    return report


def first_valid(report: PublicReport) -> bool:
    """Rewards go to the first valid reporter of a place (or of the hazard) only, and a place (or a
    hazard) is rewarded once."""
    rewarded = PublicReport.objects.exclude(pk=report.pk).exclude(reward_tier="")
    if rewarded.filter(fingerprint=report.fingerprint).exists() or (
            report.hazard_id and rewarded.filter(hazard=report.hazard_id).exists()):
        return False
    earlier = PublicReport.objects.filter(status=ReportStatus.VALID, submitted_at__lt=report.submitted_at)
    if report.hazard_id:
        earlier = earlier.filter(hazard=report.hazard) | earlier.filter(fingerprint=report.fingerprint)
    else:
        earlier = earlier.filter(fingerprint=report.fingerprint)
    return not earlier.exists()


def _leader_locked(user, report: PublicReport, refusal: str) -> PublicReport:
    """The report, locked, for a brigade head or the detachment (rewards are theirs to decide)."""
    if lc.role_of(user) not in lc.FIRE_LEADERS:
        raise PermissionDenied(refusal)
    require_visible(user, PublicReport.objects.all(), report.pk)
    return PublicReport.objects.select_for_update().get(pk=report.pk)


@transaction.atomic
def award(user, report: PublicReport, tier: RewardTier) -> PublicReport:
    report = _leader_locked(user, report, _("Your role may not grant rewards."))
    if report.status != ReportStatus.VALID:
        raise lc.TransitionError(_("Only a confirmed report is rewarded."), "not_valid")
    if report.reward_tier:
        raise lc.TransitionError(_("This report already has a reward."), "rewarded")
    if not first_valid(report):
        raise lc.TransitionError(_("Another report of the same place was confirmed or rewarded first."), "not_first")
    hazard = Hazard.objects.filter(pk=report.hazard_id).first()
    if tier.severity == "major" and (hazard is None or hazard.severity != "major"):
        raise ValidationError({"tier": _("This tier is for major hazards.")})
    if tier.urgent and not report.urgent:
        raise ValidationError({"tier": _("This tier is for urgent reports.")})
    report.reward_tier, report.reward_amount = tier.code, tier.amount
    report.save()
    return report


@transaction.atomic
def record_payment(user, report: PublicReport, reference: str) -> PublicReport:
    report = _leader_locked(user, report, _("Your role may not record payments."))
    if not report.reward_tier:
        raise lc.TransitionError(_("No reward has been granted."), "no_reward")
    if report.reward_paid_at:
        raise lc.TransitionError(_("The reward is already paid."), "paid")
    if not (reference or "").strip():
        raise ValidationError({"reference": _("Give the payment reference.")})
    report.reward_paid_at, report.reward_reference = timezone.now(), reference.strip()[:60]
    report.save()
    return report
