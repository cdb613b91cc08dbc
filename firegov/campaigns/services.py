"""Campaign services: the only code that writes campaigns, tasks and progress reports.

Every call checks the user's role and jurisdiction; refusals are PermissionDenied (without a message
when the object is outside the user's jurisdiction, so that the outside sees 404), ValidationError or
TransitionError (409).
"""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from firegov.campaigns import indicators
from firegov.campaigns.lifecycle import EDITABLE, REPORT_TRANSITIONS
from firegov.campaigns.models import (
    Accountability,
    AccountabilityKind,
    Campaign,
    CampaignDocument,
    CampaignKind,
    CampaignStatus,
    Direction,
    Measure,
    MeasureKind,
    MeasureStatus,
    Milestone,
    Phase,
    ProgressReport,
    ReportEvent,
    ReportStatus,
    Target,
    TargetValue,
    Task,
    TaskStatus,
)
from firegov.core import deadlines
from firegov.core.attachments import refused_as
from firegov.core.attachments import store as store_attachment
from firegov.core.lifecycle import TransitionError, check
from firegov.core.models import Agency, AgencyKind, Region, Role, Sector, User
from firegov.core.roles import can
from firegov.core.scoping import as_pk, known_agencies, require_visible, scope, subtree_q, user_region_path
from firegov.core.views import by_child_region
from firegov.hazards import categories
from firegov.hazards.models import Hazard, HazardSource, HazardStatus, Severity, overdue_q
from firegov.kernels import rollup
from firegov.kernels import timeline as gantt
from firegov.kernels.periods import Period, period_of

MAX_DEPTH = 6
REPORT_DUE_DAY = 5  # a month's progress report is due on the 5th of the next month
MILESTONE, REPORT, FOLLOW_UP = "milestone", "report", "follow-up"
POLICIES = {
    "campaign-milestone": ("专项行动时间节点 / Campaign milestone", [
        {"offset_workdays": -3, "action": "remind", "audience": "lead"},
        {"offset_minutes": 0, "action": "escalate", "audience": "issuer", "repeat_minutes": 7 * 24 * 60},
    ]),
    "campaign-report": ("推进情况报送 / Monthly progress report", [
        {"offset_workdays": -2, "action": "remind", "audience": "lead"},
        {"offset_minutes": 0, "action": "escalate", "audience": "issuer", "repeat_minutes": 3 * 24 * 60},
    ]),
    "campaign-follow-up": ("问责整改落实 / Accountability follow-up", [
        {"offset_workdays": -3, "action": "remind", "audience": "agency"},
        {"offset_minutes": 0, "action": "escalate", "audience": "issuer", "repeat_minutes": 7 * 24 * 60},
    ]),
}
COLOURS = {"red": gettext_lazy("Red: lagging"), "yellow": gettext_lazy("Yellow: watch"),
           "green": gettext_lazy("Green: on schedule"), "grey": gettext_lazy("Cancelled")}


# --------------------------------------------------------------------------- helpers

def _date(value, field: str, required: bool = True) -> date | None:
    if value in (None, ""):
        if required:
            raise ValidationError({field: _("This field is required.")})
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({field: _("Enter a valid date (YYYY-MM-DD).")}) from None


def _text(data: dict, field: str, limit: int, required: bool = True) -> str:
    value = str(data.get(field) or "").strip()
    if required and not value:
        raise ValidationError({field: _("This field is required.")})
    if len(value) > limit:
        raise ValidationError({field: _("At most %(n)d characters.") % {"n": limit}})
    return value


def _decimal(value, field: str, message: str = "") -> Decimal:
    """A finite number of reasonable size (not NaN, which no bound check can order)."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError):
        raise ValidationError({field: message or _("Enter a number.")}) from None
    if not number.is_finite() or abs(number) >= Decimal("1e12"):
        raise ValidationError({field: message or _("Enter a number.")})
    return number


def _inside(path: str, outer: str) -> bool:
    return path.startswith(outer)


def acts_for(user, *agency_ids) -> bool:
    """Whether the user may act for one of these agencies: an administrator, or one of its staff."""
    return user.is_system_admin or user.agency_id in agency_ids


def _require_manager(user, campaign: Campaign | None = None) -> None:
    """Campaign plans are written by the issuing agency (or an administrator)."""
    if not can(user, "change", "campaigns.campaign"):
        raise PermissionDenied(_("Your role may not do this."))
    if campaign is not None and not acts_for(user, campaign.issuer_id):
        raise PermissionDenied(_("Only the issuing agency changes this campaign's lists."))


def _agency(value, field: str, within: str, user) -> Agency:
    """An agency whose region lies inside ``within`` or above it (a city department leads tasks
    of a county's list too), among those the user knows of: the user's jurisdiction and above it.
    Any other gets the answer a missing one gets, not its name."""
    try:
        agency = known_agencies(user).get(pk=as_pk(getattr(value, "pk", value)))
    except Agency.DoesNotExist:
        raise ValidationError({field: _("Choose an existing agency.")}) from None
    if not (_inside(agency.region_path, within) or _inside(within, agency.region_path)):
        raise ValidationError({field: _("%(agency)s works outside this campaign's region.") % {"agency": agency}})
    return agency


def _region(value, field: str, within: str, among=None) -> Region:
    """A region inside ``within``, one of ``among`` (all regions by default; a region outside the
    user's jurisdiction then gets the answer a missing one gets)."""
    try:
        region = (Region.objects.all() if among is None else among).get(pk=as_pk(getattr(value, "pk", value)))
    except Region.DoesNotExist:
        raise ValidationError({field: _("Choose an existing region.")}) from None
    if not _inside(region.path, within):
        raise ValidationError({field: _("The region must lie within %(region)s.") % {"region": within}})
    return region


# --------------------------------------------------------------------------- campaigns and lists

def create_campaign(user, data: dict, phases: list[dict] | None = None) -> Campaign:
    """A campaign of the user's agency over its region (or a region below it)."""
    _require_manager(user)
    issuer = user.agency
    if user.is_system_admin and data.get("issuer"):
        issuer = Agency.objects.filter(pk=getattr(data["issuer"], "pk", data["issuer"])).first()
    if issuer is None:
        raise ValidationError({"issuer": _("Choose the issuing agency.")})
    region = _region(data.get("region") or issuer.region_id, "region", issuer.region_path,
                     scope(user, Region.objects.all()))
    kind = data.get("kind") or CampaignKind.MULTI_YEAR
    if kind not in CampaignKind.values:
        raise ValidationError({"kind": _("Unknown kind of campaign.")})
    starts, ends = _date(data.get("starts_on"), "starts_on"), _date(data.get("ends_on"), "ends_on")
    if ends < starts:
        raise ValidationError({"ends_on": _("The end comes before the start.")})
    hazard_categories, hazard_sources = _check_hazard_filters(data)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            hazard_categories=hazard_categories, hazard_sources=hazard_sources,
            name=_text(data, "name", 200), kind=kind, issuer=issuer, region=region,
            starts_on=starts, ends_on=ends, description=_text(data, "description", 5000, required=False),
            public=bool(data.get("public")), created_by=user,
        )
        for phase in phases or []:
            add_phase(user, campaign, phase)
    return campaign


def add_phase(user, campaign: Campaign, data: dict) -> Phase:
    _require_manager(user, campaign)
    starts, ends = _date(data.get("starts_on"), "starts_on"), _date(data.get("ends_on"), "ends_on")
    if ends < starts or starts < campaign.starts_on or ends > campaign.ends_on:
        raise ValidationError({"starts_on": _("A phase lies within the campaign's period, start before end.")})
    return Phase.objects.create(campaign=campaign, name=_text(data, "name", 60), starts_on=starts, ends_on=ends)


def _next_code(campaign: Campaign, parent: Task | None) -> str:
    siblings = Task.objects.filter(campaign=campaign, parent=parent).values_list("code", flat=True)
    last = max((int(code.rsplit(".", 1)[-1]) for code in siblings), default=0)
    return f"{parent.code}.{last + 1}" if parent else str(last + 1)


def _task_fields(user, campaign: Campaign, data: dict, parent: Task | None) -> tuple[dict, list[Agency]]:
    """The checked fields of a task of ``campaign`` under ``parent``, and its cooperating agencies."""
    starts = _date(data.get("starts_on"), "starts_on", required=False)
    due = _date(data.get("due_on"), "due_on", required=False)
    if starts and due and due < starts:
        raise ValidationError({"due_on": _("The due day comes before the start.")})
    if starts and not (campaign.starts_on <= starts <= campaign.ends_on):
        raise ValidationError({"starts_on": _("The start lies within the campaign's period.")})
    if due and not (campaign.starts_on <= due <= campaign.ends_on):
        raise ValidationError({"due_on": _("The due day lies within the campaign's period.")})
    weight = _decimal(data.get("weight") or 1, "weight")
    if not Decimal("0.01") <= weight <= Decimal(1000):
        raise ValidationError({"weight": _("The weight lies between 0.01 and 1000.")})
    lead = _agency(data.get("lead"), "lead", campaign.region_path, user)
    cooperating = [_agency(a, "cooperating", campaign.region_path, user) for a in data.get("cooperating") or []]
    region = _region(data.get("region") or (parent.region_id if parent else campaign.region_id), "region",
                     parent.region_path if parent else campaign.region_path, scope(user, Region.objects.all()))
    fields = {"title": _text(data, "title", 300), "description": _text(data, "description", 5000, required=False),
              "lead": lead, "region": region, "starts_on": starts, "due_on": due,
              "roadmap": _text(data, "roadmap", 5000, required=False), "weight": weight}
    return fields, [a for a in cooperating if a.pk != lead.pk]


def _given_code(campaign: Campaign, code: str, parent: Task | None) -> str:
    """A code chosen by the caller (an imported plan): it must continue its parent's and be free."""
    head, _dot, last = code.rpartition(".")
    if head != (parent.code if parent else "") or not last.isdigit() or last.startswith("0"):
        raise ValidationError({"code": _("The code %(code)s does not follow its parent's.") % {"code": code}})
    if campaign.tasks.filter(code=code).exists():
        raise ValidationError({"code": _("The code %(code)s is taken.") % {"code": code}})
    return code


def add_task(user, campaign: Campaign, data: dict, parent: Task | None = None) -> Task:
    """Add a task under ``parent`` (or at the top). Its code is the next number among its siblings
    unless ``data`` gives one. A task added once the campaign is under way is marked as added later
    (动态更新)."""
    require_visible(user, Campaign.objects.all(), campaign.pk)
    _require_manager(user, campaign)
    if campaign.status == CampaignStatus.CLOSED:
        raise ValidationError(_("The campaign is closed."))
    if parent is not None and parent.campaign_id != campaign.pk:
        raise ValidationError({"parent": _("The parent task belongs to another campaign.")})
    if parent is not None and parent.depth + 1 >= MAX_DEPTH:
        raise ValidationError({"parent": _("Tasks nest at most %(n)d levels deep.") % {"n": MAX_DEPTH}})
    fields, cooperating = _task_fields(user, campaign, data, parent)
    with transaction.atomic():
        Campaign.objects.select_for_update().get(pk=campaign.pk)  # one code at a time
        code = _given_code(campaign, data["code"], parent) if data.get("code") else _next_code(campaign, parent)
        task = Task.objects.create(
            campaign=campaign, parent=parent, code=code, source=data.get("source"),
            added_later=campaign.status == CampaignStatus.ACTIVE and timezone.localdate() > campaign.starts_on,
            **fields,
        )
        task.cooperating.set(cooperating)
        for milestone in data.get("milestones") or []:
            when = _date(milestone.get("due_on"), "milestones")
            register_milestone(Milestone.objects.create(task=task, title=_text(milestone, "title", 200), due_on=when))
    return task


def update_task(user, task: Task, data: dict) -> Task:
    """Change a task's title, lead, cooperating agencies, dates, roadmap or weight (its code and
    place in the tree stay)."""
    require_visible(user, Task.objects.all(), task.pk)
    _require_manager(user, task.campaign)
    current = {"title": task.title, "description": task.description, "lead": task.lead, "region": task.region,
               "starts_on": task.starts_on, "due_on": task.due_on, "roadmap": task.roadmap, "weight": task.weight,
               "cooperating": list(task.cooperating.all())}
    fields, cooperating = _task_fields(user, task.campaign, {**current, **data}, task.parent)
    with transaction.atomic():
        for name, value in fields.items():
            setattr(task, name, value)
        task.save()
        task.cooperating.set(cooperating)
    return task


def counterpart(agency: Agency, region: Region) -> Agency:
    """The agency of ``region`` that does at the lower level what ``agency`` does above: the county's
    education bureau for the city's, the county's brigade for the detachment. ``agency`` itself
    when the region has none (or when it already works there)."""
    if _inside(agency.region_path, region.path):
        return agency
    kind = AgencyKind.BRIGADE if agency.kind == AgencyKind.DETACHMENT else agency.kind
    candidates = Agency.objects.filter(kind=kind, region=region)
    if agency.sector:
        candidates = candidates.filter(sector=agency.sector)
    found = candidates.order_by("id").first()
    if found is None and not _inside(region.path, agency.region_path):
        # An agency of another county (a street office): one of its kind within the region instead.
        found = (Agency.objects.filter(subtree_q("region_path", region.path), kind=kind, sector=agency.sector)
                 .order_by("region_path", "id").first())
    return found or agency


def derive(user, parent: Campaign, region: Region | int | None = None, name: str = "") -> Campaign:
    """The user's agency's own lists of ``parent`` (派生清单): every task whose region covers or lies
    in ``region`` is copied with its code, narrowed to ``region``, led by the lead agency's
    counterpart there, and linked to the task it came from; the phases are copied too."""
    require_visible(user, Campaign.objects.all(), parent.pk)
    _require_manager(user)
    agency = user.agency
    if agency is None:
        raise ValidationError(_("Only an agency derives its own lists."))
    region = _region(region or agency.region_id, "region", parent.region_path, scope(user, Region.objects.all()))
    if not user.is_system_admin and not _inside(region.path, agency.region_path):
        raise PermissionDenied
    if region.path == parent.region_path:
        raise ValidationError({"region": _("Derived lists cover a smaller region than the campaign's.")})
    if Campaign.objects.filter(parent=parent, region=region).exists():
        raise ValidationError({"region": _("%(region)s already has its lists of this campaign.") % {"region": region}})
    with transaction.atomic():
        child = Campaign.objects.create(
            name=name or f"{parent.name}（{region.name}）", kind=parent.kind, issuer=agency, region=region,
            starts_on=parent.starts_on, ends_on=parent.ends_on, description=parent.description, public=parent.public,
            parent=parent, created_by=user, hazard_categories=parent.hazard_categories,
            hazard_sources=parent.hazard_sources,
        )
        for phase in parent.phases.all():
            Phase.objects.create(campaign=child, name=phase.name, starts_on=phase.starts_on, ends_on=phase.ends_on)
        copied: dict[int, Task] = {}
        tasks = parent.tasks.select_related("lead").prefetch_related("cooperating", "milestones", "targets")
        for task in tasks.exclude(status=TaskStatus.CANCELLED).order_by("sort_key"):
            covers = _inside(region.path, task.region_path) or _inside(task.region_path, region.path)
            if not covers or (task.parent_id and task.parent_id not in copied):
                continue
            copy = Task.objects.create(
                campaign=child, parent=copied.get(task.parent_id), code=task.code, title=task.title,
                description=task.description, lead=counterpart(task.lead, region),
                region=region if _inside(region.path, task.region_path) else task.region, starts_on=task.starts_on,
                due_on=task.due_on, roadmap=task.roadmap, weight=task.weight, source=task,
            )
            copy.cooperating.set({counterpart(a, region) for a in task.cooperating.all()} - {copy.lead})
            for milestone in task.milestones.all():
                register_milestone(Milestone.objects.create(task=copy, title=milestone.title, due_on=milestone.due_on))
            for target in task.targets.all():  # computed targets then count over the lower region
                Target.objects.create(task=copy, label=target.label, indicator=target.indicator, params=target.params,
                                      unit=target.unit, direction=target.direction, steps=target.steps)
            copied[task.pk] = copy
    return child


def set_task_status(user, task: Task, status: str) -> Task:
    require_visible(user, Task.objects.all(), task.pk)
    _require_manager(user, task.campaign)
    if status not in TaskStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    task.status = status
    task.status_on = None if status == TaskStatus.OPEN else timezone.localdate()
    task.save(update_fields=["status", "status_on"])
    return task


# --------------------------------------------------------------------------- progress reports

def responsible(task: Task, agency: Agency | None) -> bool:
    """Whether ``agency`` leads or cooperates on ``task`` (and so reports on it)."""
    return agency is not None and (task.lead_id == agency.pk or task.cooperating.filter(pk=agency.pk).exists())


def save_report(user, task: Task, data: dict, report: ProgressReport | None = None) -> ProgressReport:
    """Create or edit the user's agency's report on ``task`` for a period (the current month by
    default). Only a draft or a returned report can be edited."""
    require_visible(user, Task.objects.all(), task.pk)
    if not can(user, "add", "campaigns.report"):
        raise PermissionDenied(_("Your role may not do this."))
    agency = report.agency if report else user.agency
    if not user.is_system_admin and (agency is None or user.agency_id != agency.pk):
        raise PermissionDenied(_("Only the reporting agency edits its report."))
    if not responsible(task, agency):
        raise PermissionDenied(_("Only the lead and cooperating agencies report on a task."))
    try:
        period = Period.parse(str(data.get("period") or period_of(timezone.localdate(), "month").key))
    except ValueError:
        raise ValidationError({"period": _("Give the period as YYYY-MM.")}) from None
    if period.kind != "month":
        raise ValidationError({"period": _("Give the period as YYYY-MM.")})
    percent = _decimal(data.get("percent"), "percent", _("Give the percent complete, 0 to 100."))
    if not Decimal(0) <= percent <= Decimal(100):
        raise ValidationError({"percent": _("Give the percent complete, 0 to 100.")})
    fields = {
        "done": _text(data, "done", 10000), "percent": percent,
        "difficulties": _text(data, "difficulties", 10000, required=False), "escalate": bool(data.get("escalate")),
    }
    with transaction.atomic():
        if report is None:
            report = ProgressReport.objects.select_for_update().filter(task=task, agency=agency, period=period.key).first()
        else:
            report = ProgressReport.objects.select_for_update().get(pk=report.pk)
        if report is not None and report.status not in EDITABLE:
            raise ValidationError(_("A submitted report cannot be changed."))
        if report is None:
            report = ProgressReport(task=task, agency=agency, period=period.key, author=user)
        for key, value in fields.items():
            setattr(report, key, value)
        report.save()
    return report


def report_step(user, report: ProgressReport, action: str, data: dict | None = None) -> ProgressReport:
    """Submit, accept or return a report (firegov.campaigns.lifecycle)."""
    data = data or {}
    with transaction.atomic():
        require_visible(user, ProgressReport.objects.all(), report.pk)
        report = ProgressReport.objects.select_for_update(of=("self",)).select_related(
            "task__campaign").get(pk=report.pk)
        step = check(REPORT_TRANSITIONS, action, report, user)
        note = str(data.get("note") or data.get("comment") or "").strip()
        if "note" in step.needs and not note:
            raise ValidationError({"note": _("Say what must change.")})
        campaign = report.task.campaign
        if action == "submit" and not acts_for(user, report.agency_id):
            raise PermissionDenied(_("Only the reporting agency submits its report."))
        if action in ("accept", "return") and not acts_for(user, campaign.issuer_id):
            raise PermissionDenied(_("Only the issuing agency reviews the reports."))
        before, now = report.status, timezone.now()
        report.status = step.target
        if action == "submit":
            report.submitted_at = now
            if report.agency_id == report.task.lead_id:
                deadlines.complete(report.task, f"{REPORT}:{report.period}")
        else:
            report.reviewed_by, report.reviewed_at = user, now
            report.comment = note
        report.save()
        ReportEvent.objects.create(report=report, action=action, from_status=before, to_status=report.status,
                                   actor=user, at=now, note=note)
    return report


# --------------------------------------------------------------------------- targets

MAX_STEPS = 20


def _steps(value, campaign: Campaign) -> list[dict]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_STEPS:
        raise ValidationError({"steps": _("Give 1 to %(n)d values, each with its date.") % {"n": MAX_STEPS}})
    steps = []
    for step in value:
        if not isinstance(step, dict):
            raise ValidationError({"steps": _("Give 1 to %(n)d values, each with its date.") % {"n": MAX_STEPS}})
        by = _date(step.get("by"), "steps")
        if not campaign.starts_on <= by <= campaign.ends_on:
            raise ValidationError({"steps": _("The date %(day)s lies outside the campaign's period.") % {"day": by}})
        steps.append({"by": by.isoformat(), "value": str(_decimal(step.get("value"), "steps"))})
    dates = [step["by"] for step in steps]
    if dates != sorted(set(dates)):
        raise ValidationError({"steps": _("Give the dates in order, each once.")})
    return steps


def add_target(user, task: Task, data: dict) -> Target:
    """A quantitative target of ``task``: computed by an indicator of firegov.campaigns.indicators, or
    reported by hand (no indicator), with its values by date."""
    require_visible(user, Task.objects.all(), task.pk)
    _require_manager(user, task.campaign)
    code = str(data.get("indicator") or "")
    params = data.get("params") or {}
    if code:
        try:
            params = indicators.check_params(code, params)
        except ValueError as exc:
            raise ValidationError({"indicator": str(exc)}) from None
    elif params:
        raise ValidationError({"params": _("A target reported by hand takes no indicator parameters.")})
    direction = data.get("direction") or Direction.AT_LEAST
    if direction not in Direction.values:
        raise ValidationError({"direction": _("Unknown direction.")})
    unit = "%" if code and indicators.INDICATORS[code].percent else _text(data, "unit", 20, required=False)
    return Target.objects.create(task=task, label=_text(data, "label", 200), indicator=code, params=params,
                                 unit=unit, direction=direction, steps=_steps(data.get("steps"), task.campaign))


def report_target_value(user, target: Target, data: dict, evidence=None) -> TargetValue:
    """The value of a manual target on a day, by the task's lead or cooperating agency, with evidence."""
    task = target.task
    require_visible(user, Task.objects.all(), task.pk)
    if target.indicator:
        raise ValidationError(_("This target is computed from the data; it takes no reported values."))
    if not (acts_for(user, task.campaign.issuer_id) or responsible(task, user.agency)):
        raise PermissionDenied(_("Only the lead and cooperating agencies report on a task."))
    on = _date(data.get("on") or timezone.localdate(), "on")
    if on > timezone.localdate() or on < task.campaign.starts_on:
        raise ValidationError({"on": _("The day lies between the campaign's start and today.")})
    with transaction.atomic():
        attachment = None
        if evidence is not None:
            with refused_as("evidence"):
                attachment = store_attachment(evidence, evidence.name, user, caption=target.label)
        return TargetValue.objects.create(target=target, on=on, value=_decimal(data.get("value"), "value"),
                                          note=_text(data, "note", 2000, required=False), evidence=attachment,
                                          reported_by=user)


def _meets(target: Target, achieved: Decimal | None, goal: Decimal) -> bool:
    if achieved is None:
        return False
    return achieved >= goal if target.direction == Direction.AT_LEAST else achieved <= goal


def achieved(target: Target, on: date, memo: dict | None = None) -> Decimal | None:
    """The target's value on ``on``: computed over the task's region since the campaign began, or
    the last value reported by hand up to that day (None when there is none)."""
    task = target.task
    if target.indicator:
        return indicators.value(target.indicator, task.region_path, task.campaign.starts_on, on, target.params, memo)
    last = target.values.filter(on__lte=on).order_by("-on", "-id").first()
    return last.value if last else None


def target_status(target: Target, on: date, memo: dict | None = None) -> dict:
    """What the target stands at on ``on``: the value, the next goal, and the goals missed by their date."""
    steps = [(date.fromisoformat(s["by"]), Decimal(s["value"])) for s in target.steps]
    missed = []
    for by, goal in steps:
        if by < on:
            then = achieved(target, by, memo)
            if not _meets(target, then, goal):
                missed.append({"label": target.label, "by": by, "goal": goal, "achieved": then})
    upcoming = next(((by, goal) for by, goal in steps if by >= on), None)
    now = achieved(target, on, memo)
    return {"target": target, "achieved": now, "next": upcoming, "missed": missed,
            "met": _meets(target, now, upcoming[1]) if upcoming else not missed}


# --------------------------------------------------------------------------- the hazard list

def _check_hazard_filters(data: dict) -> tuple[list[str], list[str]]:
    chosen = list(data.get("hazard_categories") or [])
    unknown = [c for c in chosen if not isinstance(c, str) or not categories.exists(c)]
    if unknown:
        raise ValidationError({"hazard_categories": _("Unknown hazard category: %(codes)s") % {"codes": unknown}})
    sources = list(data.get("hazard_sources") or [])
    if any(source not in HazardSource.values for source in sources):
        raise ValidationError({"hazard_sources": _("Unknown hazard source.")})
    return chosen, sources


def campaign_hazards(campaign: Campaign):
    """The campaign's hazard list (隐患清单): hazards of its region found within its period, of its
    categories and sources when it names some."""
    hazards = Hazard.objects.filter(subtree_q("region_path", campaign.region_path),
                                    found_at__gte=indicators.day_start(campaign.starts_on),
                                    found_at__lte=indicators.day_end(campaign.ends_on))
    if campaign.hazard_categories:
        hazards = hazards.filter(category__in=campaign.hazard_categories)
    if campaign.hazard_sources:
        hazards = hazards.filter(source__in=campaign.hazard_sources)
    return hazards


def hazard_list_counts() -> dict:
    """The counts of the campaign's hazard list (aggregates; overdue is judged now)."""
    return {
        "found": Count("id", filter=~Q(status=HazardStatus.INVALID)),
        "rectified": Count("id", filter=Q(closed_at__isnull=False)),
        "overdue": Count("id", filter=overdue_q()),
        "major": Count("id", filter=Q(severity=Severity.MAJOR)),
    }


def hazard_summary(user, campaign: Campaign) -> dict:
    """The campaign's own counts of found / rectified / overdue / major hazards, in all, by
    subdivision of its region and by sector, over the hazards the user may see."""
    hazards = scope(user, campaign_hazards(campaign))
    totals = hazards.aggregate(**hazard_list_counts())
    by_region = by_child_region(user, hazards, root=campaign.region, **hazard_list_counts())
    by_sector = list(hazards.values("sector").annotate(**hazard_list_counts()).order_by("sector"))
    labels = dict(Sector.choices)
    for row in by_sector:
        row["label"] = labels.get(row["sector"], _("Other"))
    return {"totals": totals, "by_region": by_region, "by_sector": by_sector}


# --------------------------------------------------------------------------- measures and accountability

MEASURE_ORDER = [MeasureStatus.DRAFTING, MeasureStatus.ISSUED, MeasureStatus.IN_FORCE]


def add_measure(user, campaign: Campaign, data: dict) -> Measure:
    """A measure of the campaign's measures list; one added once the campaign is under way is
    marked as added later (动态更新)."""
    require_visible(user, Campaign.objects.all(), campaign.pk)
    _require_manager(user, campaign)
    kind = data.get("kind")
    if kind not in MeasureKind.values:
        raise ValidationError({"kind": _("Choose the kind of measure.")})
    task = data.get("task")
    if task is not None and getattr(task, "campaign_id", None) != campaign.pk:
        raise ValidationError({"task": _("The task belongs to another campaign.")})
    return Measure.objects.create(
        campaign=campaign, task=task, title=_text(data, "title", 300), kind=kind,
        owner=_agency(data.get("owner"), "owner", campaign.region_path, user),
        due_on=_date(data.get("due_on"), "due_on", required=False),
        added_later=timezone.localdate() > campaign.starts_on,
    )


def advance_measure(user, measure: Measure, data: dict, document=None) -> Measure:
    """Drafting → issued (with the document number and date) → in force (from a date)."""
    require_visible(user, Measure.objects.all(), measure.pk)
    if not acts_for(user, measure.owner_id, measure.campaign.issuer_id):
        raise PermissionDenied(_("Only the owner or the issuing agency moves a measure on."))
    with transaction.atomic():
        measure = Measure.objects.select_for_update().get(pk=measure.pk)
        position = MEASURE_ORDER.index(measure.status)
        if position == len(MEASURE_ORDER) - 1:
            raise TransitionError(_("The measure is already in force."))
        target = MEASURE_ORDER[position + 1]
        day = _date(data.get("on") or timezone.localdate(), "on")
        if target == MeasureStatus.ISSUED:
            measure.document_number = _text(data, "document_number", 60)
            measure.issued_on = day
            if document is not None:
                with refused_as("document"):
                    measure.document = store_attachment(document, document.name, user, caption=measure.title)
        else:
            if day < measure.issued_on:
                raise ValidationError({"on": _("A measure comes into force after it is issued.")})
            measure.in_force_on = day
        measure.status = target
        measure.save()
    return measure


def hold_to_account(user, campaign: Campaign, data: dict) -> Accountability:
    """Record a warning, interview or circulated criticism of a lagging agency (推进不力)."""
    require_visible(user, Campaign.objects.all(), campaign.pk)
    _require_manager(user, campaign)
    kind = data.get("kind")
    if kind not in AccountabilityKind.values:
        raise ValidationError({"kind": _("Choose warning, interview or circulated criticism.")})
    tasks = list(data.get("tasks") or [])
    if any(getattr(t, "campaign_id", None) != campaign.pk for t in tasks):
        raise ValidationError({"tasks": _("The task belongs to another campaign.")})
    with transaction.atomic():
        record = Accountability.objects.create(
            campaign=campaign, agency=_agency(data.get("agency"), "agency", campaign.region_path, user), kind=kind,
            on=_date(data.get("on") or timezone.localdate(), "on"), reason=_text(data, "reason", 5000),
            follow_up_due=_date(data.get("follow_up_due"), "follow_up_due", required=False), created_by=user,
        )
        record.tasks.set(tasks)
        if record.follow_up_due:
            deadlines.register(record, FOLLOW_UP, f"{record.agency.name}：{record.get_kind_display()}整改落实",
                               _end_of(record.follow_up_due), "campaign-follow-up")
    return record


def record_follow_up(user, record: Accountability, data: dict) -> Accountability:
    """The agency held to account says what it did (整改落实情况)."""
    require_visible(user, Accountability.objects.all(), record.pk)
    if not acts_for(user, record.agency_id, record.campaign.issuer_id):
        raise PermissionDenied(_("Only the agency held to account or the issuing agency records the follow-up."))
    record.follow_up = _text(data, "follow_up", 5000)
    record.followed_up_on = _date(data.get("on") or timezone.localdate(), "on")
    with transaction.atomic():
        record.save(update_fields=["follow_up", "followed_up_on"])
        deadlines.complete(record, FOLLOW_UP)
    return record


# --------------------------------------------------------------------------- progress and lagging

def _family(campaign: Campaign) -> list[int]:
    """The campaign and every campaign derived from it, at any depth."""
    ids, frontier = [campaign.pk], [campaign.pk]
    while frontier:
        frontier = list(Campaign.objects.filter(parent__in=frontier).values_list("pk", flat=True))
        ids += frontier
    return ids


def _status_by(task: Task, on: date) -> str:
    """The task's status on ``on``: done or cancelled only from the day it became so."""
    if task.status != TaskStatus.OPEN and task.status_on is not None and task.status_on > on:
        return TaskStatus.OPEN
    return task.status


def tree(campaign: Campaign, on: date | None = None, memo: dict | None = None) -> list[dict]:
    """The campaign's tasks in tree order with their progress and judgement on ``on`` (today by
    default): copies in derived lists count towards the tasks they came from. Reproducible for a
    past day: only reports accepted by then count, and milestones done after it are not done."""
    on = on or timezone.localdate()
    memo = {} if memo is None else memo  # indicator values asked more than once
    family = _family(campaign)
    tasks = list(Task.objects.filter(campaign__in=family).select_related("lead", "region").prefetch_related("milestones"))
    copies: dict[int, list[int]] = {}
    for task in tasks:
        if task.source_id:
            copies.setdefault(task.source_id, []).append(task.pk)
    accepted = (ProgressReport.objects.filter(task__campaign__in=family, status=ReportStatus.ACCEPTED,
                                              reviewed_at__date__lte=on)
                .values("task_id", "agency_id", "period", "percent").order_by("task_id", "period", "reviewed_at"))
    lead_of = {t.pk: t.lead_id for t in tasks}
    reported: dict[int, float] = {}
    for row in accepted:
        if row["agency_id"] == lead_of.get(row["task_id"]):
            reported[row["task_id"]] = float(row["percent"])  # the latest period wins (ordered)
    last_period = period_of(on, "month").previous()
    # A report is due for last month only when the campaign was running then.
    reports_due = campaign.starts_on <= last_period.end and last_period.start <= campaign.ends_on
    reports_in = set(ProgressReport.objects.filter(task__campaign__in=family, period=last_period.key)
                     .exclude(status=ReportStatus.DRAFT).values_list("task_id", flat=True))
    status = {t.pk: _status_by(t, on) for t in tasks}
    nodes = {
        t.pk: rollup.Node(
            t.pk, t.parent_id, float(t.weight), status[t.pk] == TaskStatus.DONE, status[t.pk] == TaskStatus.CANCELLED,
            reported.get(t.pk), tuple(copies.get(t.pk, ())), t.starts_on or campaign.starts_on,
            t.due_on or campaign.ends_on,
            tuple((m.due_on, m.done_on) for m in t.milestones.all()),
        ) for t in tasks
    }
    values = rollup.progress(nodes)
    has_children = {t.parent_id for t in tasks if t.parent_id}
    targets_of: dict[int, list[Target]] = {}
    for target in Target.objects.filter(task__campaign=campaign).select_related("task__campaign"):
        targets_of.setdefault(target.task_id, []).append(target)
    rows = []
    for task in sorted((t for t in tasks if t.campaign_id == campaign.pk), key=lambda t: t.sort_key):
        leaf = task.pk not in has_children and not copies.get(task.pk)
        missing = reports_due and leaf and task.pk not in reports_in and status[task.pk] == TaskStatus.OPEN
        targets = [target_status(t, on, memo) for t in targets_of.get(task.pk, [])]
        missed = tuple(m for status in targets for m in status["missed"])
        judgement = rollup.judge(nodes[task.pk], values[task.pk], on, report_missing=missing, targets_missed=missed)
        rows.append({"task": task, "progress": round(values[task.pk], 1), "judgement": judgement, "targets": targets,
                     "colour": COLOURS[judgement.colour],
                     "reasons": [reason_text(code, facts) for code, facts in judgement.reasons]})
    return rows


def colour_counts(rows: list[dict]) -> dict[str, int]:
    """How many rows of a tree are red, yellow and green."""
    return {colour: sum(1 for r in rows if r["judgement"].colour == colour) for colour in ("red", "yellow", "green")}


def reason_text(code: str, facts: dict) -> str:
    if code == "overdue":
        return _("%(days)d days past the due day %(due)s") % facts
    if code == "milestone_overdue":
        return _("%(count)d milestone(s) past due since %(due)s") % facts
    if code == "far_behind":
        return _("far behind the schedule: %(achieved)s %% done, %(expected)s %% expected") % facts
    if code == "behind":
        return _("behind the schedule: %(achieved)s %% done, %(expected)s %% expected") % facts
    if code == "report_missing":
        return _("last month's progress report is missing")
    if code == "target_missed":
        return _("%(label)s: %(goal)s by %(by)s not reached (%(achieved)s)") % {
            **facts, "achieved": "—" if facts["achieved"] is None else facts["achieved"]}
    return code



# --------------------------------------------------------------------------- ranking (清单式晾晒)

def _overall(rows: list[dict]) -> float:
    """A list's completion: its top-level tasks' progress weighted by their weights."""
    top = [r for r in rows if r["task"].parent_id is None and r["task"].status != TaskStatus.CANCELLED]
    total = sum(float(r["task"].weight) for r in top)
    return round(sum(r["progress"] * float(r["task"].weight) for r in top) / total, 1) if total else 0.0


def ranking(campaign: Campaign, on: date | None = None, memo: dict | None = None) -> dict:
    """Who is ahead and who is behind (清单式晾晒): the campaign's completion; each lead agency's
    mean progress over the leaf tasks it leads in the campaign's lists and the derived ones, with
    its red tasks; each derived list's completion by region. Best first. Also the rows of each
    list (``trees``) and the leaf rows the agencies are ranked on (``leaves``)."""
    lists = [campaign, *Campaign.objects.filter(parent=campaign).select_related("region")]
    memo = {} if memo is None else memo  # indicator values, shared with the caller's document
    trees = {c.pk: tree(c, on, memo) for c in lists}
    by_agency: dict[int, dict] = {}
    leaves = []
    for rows in trees.values():
        for row in _leaves(rows):
            task = row["task"]
            leaves.append(row)
            entry = by_agency.setdefault(task.lead_id, {"agency": task.lead, "tasks": 0, "sum": 0.0, "red": 0})
            entry["tasks"] += 1
            entry["sum"] += row["progress"]
            entry["red"] += row["judgement"].colour == "red"
    agencies = sorted(({**e, "progress": round(e["sum"] / e["tasks"], 1)} for e in by_agency.values()),
                      key=lambda e: (-e["progress"], e["red"], e["agency"].name))
    regions = sorted(({"campaign": c, "region": c.region, "progress": _overall(trees[c.pk]),
                       "red": sum(r["judgement"].colour == "red" for r in _leaves(trees[c.pk]))} for c in lists[1:]),
                     key=lambda e: (-e["progress"], e["red"]))
    return {"overall": _overall(trees[campaign.pk]), "agencies": agencies, "regions": regions, "trees": trees,
            "leaves": leaves}


def sees_whole(user, campaign: Campaign) -> bool:
    """Whether the user sees the whole campaign: its region lies within the user's jurisdiction and
    the user is not a department officer (who sees the tasks it takes part in and the hazards of its
    sector). The dispatch sheet and the bulletin rank every agency and region on every task of the
    campaign and of its derived lists and count every hazard of its region, so they are for these
    users only: the issuer's side, not a department nor a county looking at its city's campaign."""
    if not can(user, "view", "campaigns.campaign") or user.role == Role.DEPARTMENT_OFFICER:
        return False
    root = user_region_path(user)
    return root is not None and campaign.region_path.startswith(root)


def visible_tree(user, campaign: Campaign, on: date | None = None) -> list[dict]:
    """The rows of ``tree`` the user may see: all of them for the issuer's side; for a department,
    the tasks it leads or cooperates on."""
    visible = set(scope(user, Task.objects.filter(campaign=campaign)).values_list("pk", flat=True))
    return [row for row in tree(campaign, on) if row["task"].pk in visible]


def timeline(campaign: Campaign, rows: list[dict], on: date | None = None) -> dict:
    """The Gantt chart of a tree's rows (挂图作战), as percentages of one axis: the campaign's period,
    widened to any task or milestone outside it. Each bar runs from the task's start (the campaign's
    when it has none) to the end of its due day (the template fills it to its progress), with a mark
    where the schedule expects it to be; milestones sit at the end of their due day, done if done by
    ``on``; the phases are bands on top; ``today`` is the end of ``on`` (None outside the axis), the
    moment the judgements describe (reports accepted that day count)."""
    on = on or timezone.localdate()
    phases = list(campaign.phases.all())
    spans = [(r["task"].starts_on or campaign.starts_on, r["task"].due_on or campaign.ends_on) for r in rows]
    days = [campaign.starts_on, campaign.ends_on, *(d for span in spans for d in span),
            *(p.starts_on for p in phases), *(p.ends_on for p in phases),
            *(m.due_on for r in rows for m in r["task"].milestones.all())]
    axis = gantt.Axis(min(days), max(days))
    bars = []
    for row, (start, end) in zip(rows, spans, strict=True):
        left, width = axis.span(start, end)
        expected = row["judgement"].expected
        bars.append({
            "row": row, "left": left, "width": width, "start": start, "end": end,
            "expected": None if expected is None else round(left + width * expected / 100, 3),
            "milestones": [{"milestone": m, "left": axis.at(m.due_on + timedelta(days=1)),
                            "done": m.done_on is not None and m.done_on <= on}
                           for m in row["task"].milestones.all()],
        })
    return {
        "axis": axis, "ticks": gantt.ticks(axis), "bars": bars,
        "phases": [{"phase": p, **dict(zip(("left", "width"), axis.span(p.starts_on, p.ends_on), strict=True))}
                   for p in phases],
        "today": axis.at(on + timedelta(days=1)) if axis.start <= on <= axis.end else None, "on": on,
    }


def _leaves(rows: list[dict]) -> list[dict]:
    """The rows without sub-tasks that were not cancelled on the day judged (grey)."""
    parents = {r["task"].parent_id for r in rows}
    return [r for r in rows if r["task"].pk not in parents and r["judgement"].colour != "grey"]


def region_progress(user, campaign: Campaign, on: date | None = None) -> list[dict]:
    """Progress by subdivision of the campaign's region (the map), for the subdivisions the user may
    see. A subdivision that derived its own lists is counted on their leaf tasks, with their
    completion as the ranking gives it; any other on the campaign's leaf tasks scoped inside it, with
    their mean progress (None without any). A department counts only the tasks it may see (those it
    leads or cooperates on), with their mean progress. Colour: red when any of those tasks is red,
    else yellow when any is, else green; grey without tasks."""
    board = ranking(campaign, on)  # the board's trees and list completions: the map agrees with it
    lists = {entry["region"].pk: entry for entry in board["regions"]}
    family = [campaign.pk, *(entry["campaign"].pk for entry in lists.values())]
    visible = set(scope(user, Task.objects.filter(campaign__in=family)).values_list("pk", flat=True))
    partly_hidden = set(Task.objects.filter(campaign__in=family).exclude(pk__in=visible)
                        .values_list("campaign_id", flat=True).distinct())
    own = [r for r in _leaves(board["trees"][campaign.pk]) if r["task"].pk in visible]
    result = []
    for child in scope(user, Region.objects.filter(parent=campaign.region_id)):
        entry = lists.get(child.pk)
        if entry is not None:
            leaves = [r for r in _leaves(board["trees"][entry["campaign"].pk]) if r["task"].pk in visible]
        else:
            leaves = [r for r in own if _inside(r["task"].region_path, child.path)]
        if entry is not None and leaves and entry["campaign"].pk not in partly_hidden:
            progress = entry["progress"]
        else:
            progress = round(sum(r["progress"] for r in leaves) / len(leaves), 1) if leaves else None
        counts = colour_counts(leaves)
        colour = next((c for c in ("red", "yellow") if counts[c]), "green" if leaves else "grey")
        result.append({"region": child, "list": entry["campaign"] if entry else None, "progress": progress,
                       "tasks": len(leaves), "counts": counts, "colour": colour})
    return result


def store_periodic_documents(today: date | None = None) -> int:
    """Store last month's dispatch sheet of every campaign running then, and at the start of a
    quarter last quarter's bulletin; a document already stored for its period is kept. Returns
    how many were stored."""
    from firegov.campaigns import documents  # documents build on this module

    today = today or timezone.localdate()
    month = period_of(today, "month").previous()
    wanted = [("dispatch", month)]
    if today.month in (1, 4, 7, 10):
        wanted.append(("bulletin", period_of(today, "quarter").previous()))
    stored = 0
    for campaign in Campaign.objects.exclude(status=CampaignStatus.DRAFT):
        for kind, period in wanted:
            if period.end < campaign.starts_on or period.start > campaign.ends_on:
                continue
            if CampaignDocument.objects.filter(campaign=campaign, kind=kind, period=period.key).exists():
                continue
            data, name = documents.generate(campaign, kind, period)
            upload = io.BytesIO(data)
            upload.name = name
            with transaction.atomic():
                attachment = store_attachment(upload, name, None, caption=name)
                CampaignDocument.objects.create(campaign=campaign, kind=kind, period=period.key, file=attachment)
            stored += 1
    return stored


# --------------------------------------------------------------------------- deadlines (the core engine)

def _agency_users(agency):
    return User.objects.filter(agency=agency, is_active=True) if agency else User.objects.none()


def _issuer_users(campaign: Campaign):
    return _agency_users(campaign.issuer).filter(role__in=[Role.DETACHMENT, Role.BRIGADE_SUPERVISOR])


def task_audience(task: Task, audience: str):
    return _agency_users(task.lead) if audience == "lead" else _issuer_users(task.campaign)


def milestone_audience(milestone: Milestone, audience: str):
    return task_audience(milestone.task, audience)


def accountability_audience(record: Accountability, audience: str):
    return _agency_users(record.agency) if audience == "agency" else _issuer_users(record.campaign)


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(17, 30)))


def register_milestone(milestone: Milestone) -> None:
    if milestone.done_on is None:
        deadlines.register(milestone, MILESTONE, f"{milestone.task.code} {milestone.title}"[:200],
                           _end_of(milestone.due_on), "campaign-milestone")


def complete_milestone(user, milestone: Milestone, on: date | None = None) -> Milestone:
    """The lead agency (or the issuer) says a milestone was reached; its deadline is done."""
    task = milestone.task
    require_visible(user, Task.objects.all(), task.pk)
    if not acts_for(user, task.lead_id, task.campaign.issuer_id):
        raise PermissionDenied(_("Only the lead agency or the issuing agency marks a milestone reached."))
    milestone.done_on = _date(on or timezone.localdate(), "on")
    if milestone.done_on > timezone.localdate():
        raise ValidationError({"on": _("A milestone is reached today or earlier.")})
    with transaction.atomic():
        milestone.save(update_fields=["done_on"])
        deadlines.complete(milestone, MILESTONE)
    return milestone


def reporting_tasks(campaign: Campaign):
    """The open tasks whose lead reports progress: no sub-tasks and no copies in derived lists
    (those take their progress from below)."""
    return campaign.tasks.filter(status=TaskStatus.OPEN, children__isnull=True, copies__isnull=True)


def register_report_deadlines(today: date | None = None) -> int:
    """For every open leaf task of a running campaign: last month's report of its lead is due on
    the 5th (the engine reminds the lead before and escalates to the issuer after). Called by the
    monthly job; a report submitted completes its deadline. Returns how many were registered."""
    today = today or timezone.localdate()
    month = period_of(today, "month").previous()
    due = _end_of(date(today.year, today.month, REPORT_DUE_DAY))
    registered = 0
    for campaign in Campaign.objects.filter(status=CampaignStatus.ACTIVE, starts_on__lte=month.end,
                                            ends_on__gte=month.start):
        tasks = reporting_tasks(campaign)
        done = set(ProgressReport.objects.filter(task__campaign=campaign, period=month.key)
                   .exclude(status=ReportStatus.DRAFT).values_list("task_id", "agency_id"))
        for task in tasks.select_related("lead"):
            if (task.pk, task.lead_id) in done:
                continue
            deadlines.register(task, f"{REPORT}:{month.key}", f"{task.code} {task.title}：{month.key} 推进情况"[:200],
                               due, "campaign-report")
            registered += 1
    return registered


def connect() -> None:
    for code, (name, steps) in POLICIES.items():
        deadlines.define_policy(code, name, steps)
    deadlines.register_audience("campaigns.milestone", milestone_audience)
    deadlines.register_audience("campaigns.task", task_audience)
    deadlines.register_audience("campaigns.accountability", accountability_audience)
