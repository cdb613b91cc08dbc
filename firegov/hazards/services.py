"""Domain writes of the hazard closed loop (整改一个、销号一个), major-hazard cases and public reports.

Every status change goes through :func:`transition` (hazards), :func:`case_transition` and
:func:`report_transition`, which read the tables in :mod:`firegov.hazards.lifecycle`. Deadlines are
working days from :mod:`firegov.core.worktime` and run in the deadline engine; documents are numbered
by :mod:`firegov.core.numbering`; photos are evidence attachments.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from firegov.core import deadlines, notify, numbering, worktime
from firegov.core.attachments import refused_as
from firegov.core.attachments import store as store_attachment
from firegov.core.lifecycle import TransitionError, actions_from, check, role_of
from firegov.core.models import Agency, AgencyKind, Role, User
from firegov.core.scoping import agencies_covering, require_visible
from firegov.hazards import categories, judging, lifecycle
from firegov.hazards.models import (  # noqa: F401 - OPEN/DONE/overdue_q are used by the pages
    DONE_STATUSES as DONE,
)
from firegov.hazards.models import (
    CaseEvent,
    CaseStatus,
    DocumentType,
    Hazard,
    HazardDocument,
    HazardEvent,
    HazardSource,
    HazardStatus,
    MajorHazardCase,
    Severity,
)
from firegov.registry.models import Unit
from firegov.registry.services import unit_audience

SERVE_NOTICE = "hazards.serve_notice"
RECTIFY = "hazards.rectify"
REINSPECT = "hazards.reinspect"
CASE_DECISION = "hazards.major_decision"
CASE_NOTICE = "hazards.major_notice"
CASE_RECTIFY = "hazards.major_rectify"
CASE_PROGRESS = "hazards.major_progress"
PROGRESS_INTERVAL_DAYS = 30  # a listed major hazard reports its progress at least once a month

POLICIES = {
    "hazard-serve-notice": ("隐患通知书送达期限 / Serve the rectification notice", [
        {"offset_workdays": -1, "action": "remind", "audience": "brigade"},
        {"offset_minutes": 0, "action": "escalate", "audience": "supervisor", "repeat_minutes": 24 * 60},
    ]),
    "hazard-rectify": ("隐患整改期限 / Hazard rectification deadline", [
        {"offset_workdays": -3, "action": "remind", "audience": "unit_managers"},
        {"offset_workdays": -1, "action": "remind", "audience": "unit_managers"},
        {"offset_minutes": 0, "action": "escalate", "audience": "brigade", "repeat_minutes": 24 * 60},
        {"offset_workdays": 3, "action": "escalate", "audience": "department", "repeat_minutes": 7 * 24 * 60},
    ]),
    "hazard-reinspect": ("隐患复查期限 / Re-inspection deadline", [
        {"offset_workdays": -1, "action": "remind", "audience": "brigade"},
        {"offset_minutes": 0, "action": "escalate", "audience": "supervisor", "repeat_minutes": 24 * 60},
    ]),
    "major-hazard-decision": ("重大火灾隐患判定期限 / Major hazard decision deadline", [
        {"offset_workdays": -2, "action": "remind", "audience": "supervisor"},
        {"offset_minutes": 0, "action": "escalate", "audience": "detachment", "repeat_minutes": 24 * 60},
    ]),
    "major-hazard-notice": ("重大火灾隐患整改通知书送达期限 / Serve the major hazard notice", [
        {"offset_workdays": -1, "action": "remind", "audience": "supervisor"},
        {"offset_minutes": 0, "action": "escalate", "audience": "detachment", "repeat_minutes": 24 * 60},
    ]),
    "major-hazard-progress": ("挂牌督办整改进展报告 / Monthly progress of a listed major hazard", [
        {"offset_workdays": -3, "action": "remind", "audience": "unit_managers"},
        {"offset_minutes": 0, "action": "escalate", "audience": "supervisor", "repeat_minutes": 7 * 24 * 60},
    ]),
    "major-hazard-rectify": ("挂牌督办整改期限 / Listed major hazard deadline", [
        {"offset_workdays": -10, "action": "remind", "audience": "unit_managers"},
        {"offset_workdays": -3, "action": "remind", "audience": "supervisor"},
        {"offset_minutes": 0, "action": "escalate", "audience": "detachment", "repeat_minutes": 7 * 24 * 60},
    ]),
}


# --------------------------------------------------------------------------- helpers


def _funds(value) -> Decimal:
    try:
        funds = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError({"funds": _("Enter an amount in 10k yuan.")}) from None
    if not funds.is_finite() or funds < 0 or funds >= Decimal("1e10"):
        raise ValidationError({"funds": _("Enter an amount in 10k yuan.")})
    return funds


def _next_progress_report(case, since: datetime, now: datetime | None = None) -> None:
    """Periodic progress (定期报告整改进展): the next report of a listed case is due a month after it
    was listed, or after its last report (``since``)."""
    due = end_of_day(timezone.localdate(since) + timedelta(days=PROGRESS_INTERVAL_DAYS))
    deadlines.register(case, CASE_PROGRESS, f"{case.unit.name}：挂牌督办重大火灾隐患整改进展报告", due,
                       "major-hazard-progress", now=now or since)


def end_of_day(day) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, 23, 59, 59))


def due_after_workdays(start: datetime, workdays: int) -> datetime:
    return end_of_day(worktime.add_workdays(timezone.localtime(start).date(), workdays))


def reinspection_due(due_at: datetime | None, submitted_at: datetime | None) -> datetime | None:
    """复查 is due within 3 working days after the rectification deadline expires or the unit applies,
    whichever comes first (消防监督检查规定 第二十条): an early application brings it forward, a late
    one does not push it back."""
    starts = [t for t in (due_at, submitted_at) if t is not None]
    return due_after_workdays(min(starts), lifecycle.REINSPECT_WORKDAYS) if starts else None


def schedule_reinspection(hazard: Hazard, now: datetime | None = None) -> None:
    """Set the hazard's re-inspection date and (re)register its deadline with the brigade."""
    hazard.reinspect_due_at = reinspection_due(hazard.due_at, hazard.submitted_at)
    deadlines.register(hazard, REINSPECT, f"{hazard.unit.name}：隐患复查", hazard.reinspect_due_at,
                       "hazard-reinspect", now=now)


def responsible_brigade_for_path(region_path: str) -> Agency | None:
    """The brigade whose region is the deepest ancestor of ``region_path``."""
    brigades = agencies_covering(region_path, AgencyKind.BRIGADE)
    return max(brigades, key=lambda a: len(a.region_path), default=None)


def responsible_brigade(unit: Unit) -> Agency | None:
    return responsible_brigade_for_path(unit.region_path)


def _users(queryset):
    return queryset.filter(is_active=True)


# --------------------------------------------------------------------------- hazards


def check_category(code: str):
    try:
        return categories.get(code)
    except KeyError:
        raise ValidationError({"category": _("Unknown hazard category.")}) from None


def check_gb35181(items) -> list[str]:
    items = [str(i).strip() for i in (items or []) if str(i).strip()]
    unknown = [i for i in items if i not in judging.all_items()]
    if unknown:
        raise ValidationError({"gb35181": _("Unknown GB 35181 item: %(items)s") % {"items": ", ".join(unknown)}})
    return sorted(set(items), key=items.index)


def manual_sources(user) -> tuple[str, ...]:
    """The sources a hazard recorded by hand may have, the default first: a grid worker's patrol, a
    unit's self-inspection, for the others an inspection or a campaign's special action, and for fire
    officers, who also patrol (网格巡查), a patrol. Hazards of fire monitoring and of public reports come
    only from those pipelines."""
    role = role_of(user)
    if role == Role.GRID_WORKER:
        return (HazardSource.PATROL,)
    if role == Role.UNIT_MANAGER:
        return (HazardSource.SELF,)
    if role in lifecycle.FIRE_OFFICERS:
        return (HazardSource.INSPECTION, HazardSource.CAMPAIGN, HazardSource.PATROL)
    return (HazardSource.INSPECTION, HazardSource.CAMPAIGN)


@transaction.atomic
def report_hazard(user, unit: Unit, data: dict, *, source: str = HazardSource.INSPECTION, inspection=None,
                  photos=(), checklist_item: str = "") -> Hazard:
    """Record a hazard found by ``user``. A fire officer's own finding is confirmed at once; others
    (grid workers, departments, units) wait for confirmation by the brigade or the department."""
    role = role_of(user)
    if role not in lifecycle.FINDERS:
        raise PermissionDenied(_("Your role may not record hazards."))
    require_visible(user, Unit.objects.alive(), unit.pk)
    category = check_category(data.get("category", ""))
    description = (data.get("description") or "").strip()
    if not description:
        raise ValidationError({"description": _("Describe the hazard.")})
    hazard = Hazard(
        unit=unit, source=source, category=category.code, description=description,
        location=(data.get("location") or "")[:200], lat=data.get("lat"), lng=data.get("lng"),
        severity=data.get("severity") or Severity.GENERAL,
        gb35181=check_gb35181(data.get("gb35181")),
        fixable_at_once=bool(data.get("fixable_at_once")), found_by=user,
        found_at=data.get("found_at") or timezone.now(), inspection=inspection, checklist_item=checklist_item,
        agency=responsible_brigade(unit),
    )
    hazard.full_clean(exclude=["region_path", "sector", "notice"])
    confirmed = role in lifecycle.FIRE_OFFICERS
    hazard.status = HazardStatus.CONFIRMED if confirmed else HazardStatus.REPORTED
    hazard.save()
    with refused_as("photos"):
        for photo in photos:
            store_attachment(photo, getattr(photo, "name", "photo"), user, subject=hazard, caption="found")
    _event(hazard, "report", "", hazard.status, user, data.get("note", ""))
    if confirmed:
        _register_serve_notice(hazard)
    else:
        notify.notify(_brigade_users(hazard), "hazard.reported", f"新报告隐患待确认：{unit.name}",
                      hazard.description[:200], f"/hazards/{hazard.pk}/")
    return hazard


@transaction.atomic
def report_device_hazard(unit: Unit, category: str, description: str, location: str, found_at: datetime) -> Hazard:
    """A hazard found by fire monitoring (a fault, shielded point, offline device… that has lasted, or
    repeated false alarms). Nobody found it in person, so the brigade confirms it, as it does for
    reports by grid workers; the unit's managers are told too."""
    hazard = Hazard(unit=unit, source=HazardSource.DEVICE, category=check_category(category).code,
                    description=description, location=location[:200], found_at=found_at,
                    agency=responsible_brigade(unit), status=HazardStatus.REPORTED)
    hazard.save()
    _event(hazard, "report", "", hazard.status, None, "")
    notify.notify([*_brigade_users(hazard), *unit.managers.filter(is_active=True)], "hazard.device",
                  f"物联网监测发现隐患：{unit.name}", description[:200], f"/hazards/{hazard.pk}/")
    return hazard


@transaction.atomic
def device_recovered(hazard_id: int, note: str, at: datetime) -> Hazard:
    """The condition behind a device hazard has ended. A hazard nobody has acted on yet is closed as
    corrected (整改一个、销号一个); one already under a rectification notice keeps its course (the unit
    still submits and the brigade re-inspects), with the recovery on its timeline."""
    hazard = Hazard.objects.select_for_update(of=("self",)).select_related("unit").get(pk=hazard_id)
    before = hazard.status
    if hazard.status in (HazardStatus.REPORTED, HazardStatus.CONFIRMED):
        hazard.status, hazard.closed_at = HazardStatus.CORRECTED, at
        hazard.save()
        deadlines.cancel(hazard, SERVE_NOTICE)
    _event(hazard, "device_recovered", before, hazard.status, None, note)
    return hazard


def _register_serve_notice(hazard: Hazard) -> None:
    """Law enforcement serves a rectification notice within 3 working days of the inspection."""
    if hazard.inspection_id and hazard.inspection.is_law_enforcement:
        start = hazard.inspection.completed_at or hazard.found_at
        deadlines.register(hazard, SERVE_NOTICE, f"{hazard.unit.name}：送达责令限期改正通知书",
                           due_after_workdays(start, lifecycle.NOTICE_WORKDAYS), "hazard-serve-notice")


def _event(hazard, action, from_status, to_status, actor, note="", data=None, inspection=None, document=None):
    return HazardEvent.objects.create(hazard=hazard, action=action, from_status=from_status, to_status=to_status,
                                      actor=actor, note=note or "", data=data or {}, inspection=inspection,
                                      document=document)


def _brigade_users(hazard: Hazard):
    return hazard_audience(hazard, "brigade")


def _need(data: dict, key: str, message: str):
    value = data.get(key)
    if value in (None, "", [], ()):
        raise ValidationError({key: message})
    return value


def _future_due(value, now) -> datetime:
    if hasattr(value, "hour"):
        due = value
    else:
        due = end_of_day(value)
    if due <= now:
        raise ValidationError({"due": _("The deadline must be in the future.")})
    return due


def _may_end_unchecked(user, hazard: Hazard) -> bool:
    finder = hazard.found_by
    return lifecycle.may_end_unchecked(role_of(user), role_of(finder) if finder is not None else None)


def available_actions(user, hazard: Hazard) -> list:
    """The transitions ``user`` may take on ``hazard`` now, for its page."""
    steps = actions_from(lifecycle.HAZARD_TRANSITIONS, hazard.status, role_of(user))
    return [s for s in steps if s.action not in lifecycle.ENDS_UNCHECKED or _may_end_unchecked(user, hazard)]


def transition(user, hazard: Hazard, action: str, data: dict | None = None, files=()) -> Hazard:
    """Take ``action`` on ``hazard`` (see lifecycle.HAZARD_TRANSITIONS) as ``user``."""
    data = dict(data or {})
    note = (data.get("note") or "").strip()
    # Serving a notice and re-inspecting make numbered documents for one or more hazards: their own
    # services lock, check and record.
    if action == "order":
        order(user, [hazard], data.get("due"), note=note)
        hazard.refresh_from_db()
        return hazard
    if action == "reinspect":
        reinspect(user, [hazard], {hazard.pk: _parse_bool(data.get("passed"))}, data.get("due"), note=note,
                  files=files)
        hazard.refresh_from_db()
        return hazard
    with transaction.atomic():
        require_visible(user, Hazard.objects.all(), hazard.pk)
        hazard = (Hazard.objects.select_for_update(of=("self",)).select_related("unit", "inspection", "found_by")
                  .get(pk=hazard.pk))
        step = check(lifecycle.HAZARD_TRANSITIONS, action, hazard, user)
        if action in lifecycle.ENDS_UNCHECKED and not _may_end_unchecked(user, hazard):
            raise PermissionDenied(_("A hazard found by the fire service, by fire monitoring or from a public report "
                                     "is ended by a fire officer, or through the notice and the re-inspection."))
        now = timezone.now()
        before = hazard.status
        if "note" in step.needs and not note:
            raise ValidationError({"note": _("Say why.")})
        if action == "interim":
            hazard.interim_measures = note
        if action == "extend":
            due = _future_due(_need(data, "due", _("Give the new deadline.")), now)
            if hazard.due_at is not None and due <= hazard.due_at:
                raise ValidationError({"due": _("An extension must end after the current deadline, %(date)s.")
                                       % {"date": timezone.localdate(hazard.due_at).isoformat()}})
            hazard.due_at = due
            deadlines.register(hazard, RECTIFY, f"{hazard.unit.name}：隐患整改期限（已延期）", hazard.due_at,
                               "hazard-rectify")
            schedule_reinspection(hazard)
        if action == "submit":
            if not files and not note:
                raise ValidationError({"evidence": _("Attach photos or describe what was done.")})
            hazard.submitted_at = now
            deadlines.acknowledge(hazard, RECTIFY)
            schedule_reinspection(hazard, now)
            notify.notify(_brigade_users(hazard), "hazard.submitted", f"隐患整改已提交，请复查：{hazard.unit.name}",
                          note[:200], f"/hazards/{hazard.pk}/")
        if action in ("correct", "invalidate"):
            hazard.closed_at = now if action == "correct" else None
            deadlines.cancel(hazard, SERVE_NOTICE)
        hazard.status = step.target
        hazard.save()
        with refused_as("photos"):
            for upload in files:
                store_attachment(upload, getattr(upload, "name", "photo"), user, subject=hazard, caption=action)
        _event(hazard, action, before, hazard.status, user, note,
               {"due": hazard.due_at.isoformat()} if action == "extend" else None)
    return hazard


def _parse_bool(value) -> bool | None:
    if isinstance(value, bool) or value is None:
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "pass", "passed", "on"):
        return True
    if text in ("0", "false", "no", "fail", "failed", "off"):
        return False
    return None


def _law_agency(user) -> Agency:
    agency = user.agency
    if agency is None or agency.kind not in (AgencyKind.BRIGADE, AgencyKind.DETACHMENT, AgencyKind.STATION):
        raise PermissionDenied(_("Only a fire rescue agency issues this document."))
    return agency


@transaction.atomic
def order(user, hazards: list[Hazard], due, note: str = "") -> HazardDocument:
    """Serve one 责令限期改正通知书 for hazards of one unit: numbered, with a deadline in the future."""
    if not hazards:
        raise ValidationError({"hazards": _("Choose at least one hazard.")})
    unit_ids = {h.unit_id for h in hazards}
    if len(unit_ids) != 1:
        raise ValidationError({"hazards": _("One notice covers hazards of one unit only.")})
    now = timezone.now()
    locked = []
    for hazard in hazards:
        require_visible(user, Hazard.objects.all(), hazard.pk)
        current = Hazard.objects.select_for_update(of=("self",)).select_related("unit", "inspection").get(pk=hazard.pk)
        check(lifecycle.HAZARD_TRANSITIONS, "order", current, user)
        locked.append(current)
    due_at = _future_due(_need({"due": due}, "due", _("Give the rectification deadline.")), now)
    agency = _law_agency(user) if not user.is_system_admin else (locked[0].agency or _law_agency(user))
    unit = locked[0].unit
    document = HazardDocument.objects.create(
        kind=DocumentType.NOTICE, number=numbering.next_number(agency, DocumentType.NOTICE), unit=unit,
        agency=agency, inspection=locked[0].inspection, issued_by=user, issued_at=now, due_at=due_at,
        items=[{"hazard": h.pk, "category": h.category, "description": h.description} for h in locked], note=note,
    )
    for hazard in locked:
        before = hazard.status
        hazard.status, hazard.notice, hazard.due_at = HazardStatus.ORDERED, document, due_at
        schedule_reinspection(hazard, now)
        hazard.save()
        deadlines.complete(hazard, SERVE_NOTICE)
        deadlines.register(hazard, RECTIFY, f"{unit.name}：隐患整改期限", due_at, "hazard-rectify")
        _event(hazard, "order", before, hazard.status, user, note, {"due": due_at.isoformat()}, document=document)
    notify.notify(unit.managers.all(), "hazard.ordered", f"责令限期改正通知书 {document.number}",
                  _("Rectify by %(date)s.") % {"date": timezone.localtime(due_at).date().isoformat()},
                  f"/hazards/documents/{document.pk}/")
    return document


@transaction.atomic
def reinspect(user, hazards: list[Hazard], results: dict[int, bool | None], due=None, note: str = "",
              files=()) -> HazardDocument:
    """Re-inspect (复查) hazards of one unit: the passed ones close (销号), the others go back to
    rectifying with a new deadline. One numbered 复查意见书 records the outcome."""
    if not hazards or len({h.unit_id for h in hazards}) != 1:
        raise ValidationError({"hazards": _("One re-inspection covers hazards of one unit.")})
    now = timezone.now()
    locked = []
    for hazard in hazards:
        require_visible(user, Hazard.objects.all(), hazard.pk)
        current = Hazard.objects.select_for_update(of=("self",)).select_related("unit").get(pk=hazard.pk)
        check(lifecycle.HAZARD_TRANSITIONS, "reinspect", current, user)
        if results.get(hazard.pk) is None:
            raise ValidationError({"passed": _("Say whether each hazard passed the re-inspection.")})
        locked.append(current)
    failed = [h for h in locked if not results[h.pk]]
    due_at = _future_due(_need({"due": due}, "due", _("Give the new deadline for what failed.")), now) \
        if failed else None
    agency = _law_agency(user) if not user.is_system_admin else (locked[0].agency or _law_agency(user))
    unit = locked[0].unit
    document = HazardDocument.objects.create(
        kind=DocumentType.REINSPECTION, number=numbering.next_number(agency, DocumentType.REINSPECTION),
        unit=unit, agency=agency, issued_by=user, issued_at=now, due_at=due_at, passed=not failed,
        items=[{"hazard": h.pk, "category": h.category, "description": h.description, "passed": results[h.pk]}
               for h in locked], note=note,
    )
    for hazard in locked:
        before = hazard.status
        with refused_as("photos"):
            for upload in files:
                store_attachment(upload, getattr(upload, "name", "photo"), user, subject=hazard, caption="reinspect")
        deadlines.complete(hazard, REINSPECT)
        if results[hazard.pk]:
            hazard.status, hazard.closed_at = HazardStatus.CLOSED, now
            deadlines.complete(hazard, RECTIFY)
        else:
            hazard.status, hazard.due_at, hazard.submitted_at = HazardStatus.RECTIFYING, due_at, None
            deadlines.register(hazard, RECTIFY, f"{unit.name}：隐患复查不合格，重新整改", due_at, "hazard-rectify")
            schedule_reinspection(hazard, now)
        hazard.save()
        _event(hazard, "reinspect", before, hazard.status, user, note, {"passed": results[hazard.pk]},
               document=document)
    notify.notify(unit.managers.all(), "hazard.reinspected", f"复查意见书 {document.number}",
                  _("All hazards passed the re-inspection.") if not failed else
                  _("%(n)d hazard(s) failed the re-inspection.") % {"n": len(failed)},
                  f"/hazards/documents/{document.pk}/")
    return document


def hazard_audience(hazard: Hazard, audience: str):
    if audience == "brigade" and hazard.agency_id:
        return _users(User.objects.filter(agency=hazard.agency, role__in=[Role.INSPECTOR, Role.BRIGADE_SUPERVISOR]))
    if audience == "supervisor":
        agency = hazard.agency or responsible_brigade(hazard.unit)
        return _users(User.objects.filter(agency=agency, role=Role.BRIGADE_SUPERVISOR))
    return unit_audience(hazard.unit, audience)


# --------------------------------------------------------------------------- major hazard cases


def _case_event(case, action, before, actor, note="", data=None):
    CaseEvent.objects.create(case=case, action=action, from_status=before, to_status=case.status, actor=actor,
                             note=note or "", data=data or {})


@transaction.atomic
def propose_case(user, unit: Unit, hazards: list[Hazard], data: dict) -> MajorHazardCase:
    """Propose a major-hazard determination; the judge kernel gives the first opinion."""
    role = role_of(user)
    if role not in lifecycle.FIRE_OFFICERS:
        raise PermissionDenied(_("Only fire rescue officers propose a major hazard."))
    require_visible(user, Unit.objects.alive(), unit.pk)
    for hazard in hazards:
        require_visible(user, Hazard.objects.all(), hazard.pk)
        if hazard.unit_id != unit.pk:
            raise ValidationError({"hazards": _("All hazards must belong to the unit.")})
    # GB 35181-2017 5.1.2: an element evidenced only by hazards that can be corrected at once does not
    # count; the kernel lists it as ignored. Elements the officer records without a hazard count.
    at_once = ({i for h in hazards if h.fixable_at_once for i in h.gb35181}
               - {i for h in hazards if not h.fixable_at_once for i in h.gb35181})

    def marked(items):
        if not isinstance(items, list):
            return items or []  # the kernel refuses anything else with a clear error
        out = []
        for entry in items:
            if isinstance(entry, str) and entry in at_once:
                entry = {"item": entry, "correctable_at_once": True}
            elif isinstance(entry, dict) and isinstance(entry.get("item"), str) and entry["item"] in at_once:
                entry = {**entry, "correctable_at_once": True}
            out.append(entry)
        return out

    judgement = judging.judge_unit(unit, marked(data.get("items")), marked(data.get("direct_items")),
                                   data.get("exemptions") or [], data.get("place_kinds") or None)
    now = timezone.now()
    case = MajorHazardCase.objects.create(
        unit=unit, agency=user.agency if user.agency_id else responsible_brigade(unit),
        standard=judgement["standard"], place_kinds=judgement["place_kinds"],
        items=list(data.get("items") or []), direct_items=list(data.get("direct_items") or []),
        exemptions=list(data.get("exemptions") or []), judgement=judgement, proposed_by=user, proposed_at=now,
        decision_due=due_after_workdays(now, lifecycle.MAJOR_DECISION_WORKDAYS),
    )
    case.hazards.set(hazards)
    _case_event(case, "propose", "", user, data.get("note", ""), {"major": judgement["major"]})
    deadlines.register(case, CASE_DECISION, f"{unit.name}：重大火灾隐患判定", case.decision_due,
                       "major-hazard-decision")
    return case


def _people(value, field: str) -> list[str]:
    if isinstance(value, str):
        value = [p.strip() for p in value.replace("，", ",").replace("\n", ",").split(",")]
    people = [str(p).strip() for p in (value or []) if str(p).strip()]
    if len(set(people)) != len(people):
        raise ValidationError({field: _("A person is listed twice.")})
    return people


def case_transition(user, case: MajorHazardCase, action: str, data: dict | None = None) -> MajorHazardCase:
    data = dict(data or {})
    with transaction.atomic():
        require_visible(user, MajorHazardCase.objects.all(), case.pk)
        case = MajorHazardCase.objects.select_for_update(of=("self",)).select_related("unit", "agency").get(pk=case.pk)
        step = check(lifecycle.CASE_TRANSITIONS, action, case, user)
        before, now = case.status, timezone.now()
        note = (data.get("note") or data.get("conclusion") or "").strip()
        if "note" in step.needs and not note:
            raise ValidationError({"note": _("Say why.")})
        if action == "discuss":
            people = _people(data.get("participants"), "participants")
            if len(people) < lifecycle.MIN_DISCUSSION_PARTICIPANTS:
                raise ValidationError({"participants": _("A collective discussion needs at least 3 participants.")})
            case.participants, case.conclusion = people, _need(data, "conclusion", _("Record the conclusion."))
        if action == "expert_review":
            experts = _people(data.get("experts"), "experts")
            if len(experts) < lifecycle.MIN_EXPERTS:
                raise ValidationError({"experts": _("An expert panel has at least 7 members.")})
            try:
                agreeing = int(data.get("experts_agreeing"))
            except (TypeError, ValueError):
                raise ValidationError({"experts_agreeing": _("Give the number of experts agreeing.")}) from None
            if not 0 <= agreeing <= len(experts):
                raise ValidationError({"experts_agreeing": _("More experts agree than are on the panel.")})
            case.experts, case.experts_agreeing = experts, agreeing
            if data.get("conclusion"):
                case.conclusion = data["conclusion"]
        if action == "determine":
            num, den = lifecycle.EXPERT_APPROVAL
            if len(case.participants) < lifecycle.MIN_DISCUSSION_PARTICIPANTS:
                # GB 35181-2017 4.2 b): the collective discussion is always held; experts only add to it.
                raise TransitionError(_("Record the collective discussion first."), "discussion")
            if case.experts and (case.experts_agreeing or 0) * den < num * len(case.experts):
                raise TransitionError(_("Fewer than two thirds of the experts agree: the case cannot be determined."),
                                      "experts")
            case.determined_at = now
            case.notice_due = due_after_workdays(now, lifecycle.MAJOR_NOTICE_WORKDAYS)
            deadlines.complete(case, CASE_DECISION)
            agency = case.agency
            case.notice = HazardDocument.objects.create(
                kind=DocumentType.MAJOR_NOTICE, number=numbering.next_number(agency, DocumentType.MAJOR_NOTICE),
                unit=case.unit, agency=agency, issued_by=user, issued_at=now, note=case.conclusion,
                items=[{"hazard": h.pk, "description": h.description} for h in case.hazards.all()],
            )
            # Locked: Hazard.save writes deadline_at too, which a transition of the hazard may change.
            for hazard in (case.hazards.exclude(severity=Severity.MAJOR).select_for_update(of=("self",))
                           .select_related("unit").order_by("pk")):
                hazard.severity = Severity.MAJOR
                hazard.save(update_fields=["severity"])  # each change in the hazard's history
            deadlines.register(case, CASE_NOTICE, f"{case.unit.name}：送达重大火灾隐患整改通知书", case.notice_due,
                               "major-hazard-notice")
        if action == "serve":
            if case.notice_served_at:
                raise TransitionError(_("The notice has already been served."), "served")
            received_by = str(data.get("received_by") or "").strip()
            if not received_by:
                raise ValidationError({"received_by": _("Record who received the notice.")})
            case.notice_received_by = received_by[:60]
            case.notice_served_at = now
            deadlines.complete(case, CASE_NOTICE)
        if action == "reject":
            deadlines.complete(case, CASE_DECISION)
            case.conclusion = note
        if action == "list":
            for field in ("listing_level", "listing_authority", "plan", "officials"):
                setattr(case, field, _need(data, field, _("This field is required.")))
            case.rectify_due = _need(data, "rectify_due", _("Give the rectification deadline."))
            if isinstance(case.rectify_due, str):
                from datetime import date

                try:
                    case.rectify_due = date.fromisoformat(case.rectify_due)
                except ValueError:
                    raise ValidationError({"rectify_due": _("Enter a valid date.")}) from None
            if case.rectify_due <= timezone.localdate():
                raise ValidationError({"rectify_due": _("The deadline must be in the future.")})
            case.funds = _funds(_need(data, "funds", _("Give the funds set aside for the rectification.")))
            case.listed_at = now
            deadlines.register(case, CASE_RECTIFY, f"{case.unit.name}：挂牌督办重大火灾隐患整改",
                               end_of_day(case.rectify_due), "major-hazard-rectify")
        if action in ("list", "progress", "reopen"):
            _next_progress_report(case, now)
        if action == "rectified":
            case.rectified_at = now
            deadlines.acknowledge(case, CASE_RECTIFY)
            deadlines.complete(case, CASE_PROGRESS)
        if action == "reopen":
            case.rectified_at = None
            deadlines.register(case, CASE_RECTIFY, f"{case.unit.name}：挂牌督办重大火灾隐患整改（验收未通过）",
                               end_of_day(case.rectify_due), "major-hazard-rectify")
        if action == "accept":
            case.accepted_at = now
            deadlines.complete(case, CASE_RECTIFY)
        if action == "delist":
            case.delisted_at = now
        case.status = step.target or case.status
        case.full_clean(exclude=["region_path", "sector"])
        case.save()
        _case_event(case, action, before, user, note,
                    {"received_by": case.notice_received_by} if action == "serve" else None)
    return case


def case_audience(case: MajorHazardCase, audience: str):
    if audience == "supervisor":
        return _users(User.objects.filter(agency=case.agency, role=Role.BRIGADE_SUPERVISOR))
    return unit_audience(case.unit, audience)


SOURCE_BY_KIND = {"patrol": HazardSource.PATROL, "self": HazardSource.SELF, "campaign": HazardSource.CAMPAIGN,
                  "complaint": HazardSource.REPORT}  # a complaint inspection checks a public report


def hazards_from_inspection(sender, inspection, user, failed, extra=(), **kwargs) -> list[Hazard]:
    """Turn the failed checklist items (and hazards added on the form) of a completed inspection
    into hazards, in the inspection's transaction. The item's photos become the hazard's evidence:
    new attachment rows pointing at the same stored, hashed file."""
    from django.contrib.contenttypes.models import ContentType

    from firegov.inspections.services import item_photos

    source = SOURCE_BY_KIND.get(inspection.kind, HazardSource.INSPECTION)
    photos = item_photos(inspection)
    hazard_ct = ContentType.objects.get_for_model(Hazard)
    created = []
    drafts = [({"category": a.hazard_category, "description": a.text + (f"：{a.note}" if a.note else ""),
                "gb35181": [a.gb35181] if a.gb35181 else []}, a.item) for a in failed]
    drafts += [(dict(d), "") for d in extra]
    for data, item in drafts:
        hazard = report_hazard(user, inspection.unit, data, source=source, inspection=inspection,
                               checklist_item=item)
        for photo in photos.get(item, []) if item else []:
            evidence = copy.copy(photo)  # a new row for the same stored, hashed file
            evidence.pk, evidence.content_type, evidence.object_id = None, hazard_ct, str(hazard.pk)
            evidence.save()
        created.append(hazard)
    return created


# --------------------------------------------------------------------------- upgrades

UNDER_ORDER = (HazardStatus.ORDERED, HazardStatus.RECTIFYING, HazardStatus.SUBMITTED)


def backfill_deadlines(now: datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """Bring the deadlines of a database written by an older firegov up to the present rules, once
    after an upgrade (``firegov manage backfill_deadlines``); running it again changes nothing.

    - An open hazard under a rectification order (ordered, rectifying, submitted) gets the
      re-inspection date of 消防监督检查规定 Art. 20, 3 working days after the deadline or the
      application, whichever comes first, and the brigade's re-inspection deadline. Older versions
      set it only when the unit applied, and then from the application.
    - A determined major-hazard case whose notice has not been recorded as served gets the
      3-working-day service deadline. Listed and later cases are left alone: listing presupposes the
      served notice, which older versions had no field for.
    - A listed case gets its monthly progress-report deadline, a month after its last progress
      report or, without one, after its listing.

    Deadlines already overdue escalate at the next run of the deadline job, as they would have.
    """
    from django.contrib.contenttypes.models import ContentType

    now = now or timezone.now()
    counts = {"hazards": 0, "cases": 0, "progress": 0}
    live = set(deadlines.Deadline.objects.filter(
        content_type=ContentType.objects.get_for_model(Hazard), purpose=REINSPECT,
        state__in=deadlines.LIVE).values_list("object_id", flat=True))
    pending = Hazard.objects.filter(status__in=UNDER_ORDER).exclude(due_at=None, submitted_at=None)
    for pk, due_at, submitted_at, reinspect_due_at in pending.values_list(
            "pk", "due_at", "submitted_at", "reinspect_due_at").iterator(chunk_size=2000):
        if str(pk) in live and reinspect_due_at == reinspection_due(due_at, submitted_at):
            continue
        counts["hazards"] += 1
        if dry_run:
            continue
        with transaction.atomic():  # the row as it is now, locked against a transition meanwhile
            hazard = Hazard.objects.select_for_update(of=("self",)).select_related("unit").filter(
                pk=pk, status__in=UNDER_ORDER).first()
            if hazard is not None:
                schedule_reinspection(hazard, now)
                hazard.save(update_fields=["reinspect_due_at"])
    case_ct = ContentType.objects.get_for_model(MajorHazardCase)
    registered = set(deadlines.Deadline.objects.filter(content_type=case_ct, purpose=CASE_NOTICE)
                     .values_list("object_id", flat=True))
    unserved = MajorHazardCase.objects.filter(status=CaseStatus.DETERMINED, notice_served_at=None).exclude(
        notice_due=None)
    for pk in unserved.values_list("pk", flat=True):
        if str(pk) in registered:
            continue
        counts["cases"] += 1
        if dry_run:
            continue
        with transaction.atomic():  # served meanwhile: no deadline nothing would ever close
            case = unserved.select_for_update(of=("self",)).select_related("unit").filter(pk=pk).first()
            if case is not None:
                deadlines.register(case, CASE_NOTICE, f"{case.unit.name}：送达重大火灾隐患整改通知书", case.notice_due,
                                   "major-hazard-notice", now=now)
    reporting = set(deadlines.Deadline.objects.filter(content_type=case_ct, purpose=CASE_PROGRESS,
                                                      state__in=deadlines.LIVE).values_list("object_id", flat=True))
    listed = MajorHazardCase.objects.filter(status=CaseStatus.LISTED)
    for pk in listed.values_list("pk", flat=True):
        if str(pk) in reporting:
            continue
        counts["progress"] += 1
        if dry_run:
            continue
        with transaction.atomic():
            case = listed.select_for_update(of=("self",)).select_related("unit").filter(pk=pk).first()
            if case is not None:
                last = case.events.filter(action__in=["list", "progress", "reopen"]).order_by("-at").first()
                _next_progress_report(case, last.at if last else (case.listed_at or now), now)
    return counts


def connect() -> None:
    from firegov.inspections.services import inspection_completed

    inspection_completed.connect(hazards_from_inspection, dispatch_uid="hazards.from_inspection")
    for code, (name, steps) in POLICIES.items():
        deadlines.define_policy(code, name, steps)
    deadlines.register_audience("hazards.hazard", hazard_audience)
    deadlines.register_audience("hazards.majorhazardcase", case_audience)
    from firegov.hazards import reports

    reports.connect()
