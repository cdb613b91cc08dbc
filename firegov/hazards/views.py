"""Pages of the hazard ledger, major-hazard cases and public reports. Thin: services do the work."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.db.models.functions import TruncWeek
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from firegov.core.lifecycle import actions_from, role_of
from firegov.core.models import Agency, AgencyKind, Attachment, Region, RegionLevel
from firegov.core.roles import can
from firegov.core.scoping import as_pk, as_pks, scope
from firegov.core.views import (
    attempt,
    by_child_region,
    office_file,
    paginate,
    query_without_page,
    require_can,
)
from firegov.hazards import categories, documents, excel, judging, lifecycle, reports, services
from firegov.hazards.filters import LIST_COUNT_CAP, CaseFilter, HazardFilter, ReportFilter
from firegov.hazards.models import (
    DONE_STATUSES,
    OPEN_STATUSES,
    CaseStatus,
    Hazard,
    HazardDocument,
    HazardEvent,
    HazardStatus,
    ListingLevel,
    MajorHazardCase,
    PublicReport,
    RewardTier,
    overdue_q,
)
from firegov.inspections.services import officers_for
from firegov.registry.models import Unit

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
def visible_hazards(request):
    require_can(request.user, "view", "hazards.hazard")
    return scope(request.user, Hazard.objects.all())


@login_required
def hazard_list(request):
    filterset = HazardFilter(request.GET or None, queryset=visible_hazards(request), request=request)
    page = paginate(request, filterset.qs.select_related("unit", "notice"), count_cap=LIST_COUNT_CAP)
    context = {"filter": filterset, "page": page, "query": query_without_page(request),
               "can_export": can(request.user, "export", "hazards.hazard")}
    template = "hazards/_hazard_table.html" if request.headers.get("HX-Request") else "hazards/hazard_list.html"
    return render(request, template, context)


@login_required
def hazard_export(request):
    require_can(request.user, "export", "hazards.hazard")
    filterset = HazardFilter(request.GET or None, queryset=visible_hazards(request), request=request)
    return office_file(excel.export_hazards(filterset.qs), "hazards.xlsx")


@login_required
def hazard_stats(request):
    hazards = visible_hazards(request)
    # The last 12 whole weeks (Monday 00:00 local time), this one included, each on the axis even
    # without rows: a window cut at "now minus 12 weeks" drew a partial first week and skipped empty ones.
    monday = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    since = monday - timezone.timedelta(days=monday.weekday(), weeks=11)
    weeks = [(since + timezone.timedelta(weeks=i)).date() for i in range(12)]
    new, closed = _per_week(hazards, "found_at", since), _per_week(hazards, "closed_at", since)
    by_region = _closing_by_region(request.user, hazards)
    # Ties in the catalogue's order, the same on every database (ORDER BY n alone left them to chance).
    catalogue = {c.code: i for i, c in enumerate(categories.all())}
    top = sorted(hazards.order_by().values("category").annotate(n=Count("id")),
                 key=lambda t: (-t["n"], catalogue.get(t["category"], len(catalogue)), t["category"]))[:10]
    context = {
        "weeks": [w.isoformat() for w in weeks], "new": [new.get(w, 0) for w in weeks],
        "closed": [closed.get(w, 0) for w in weeks], "regions": by_region,
        "top": [{"name": categories.label(t["category"]), "n": t["n"]} for t in top],
        "totals": hazards.aggregate(total=Count("id"), open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
                                    overdue=Count("id", filter=overdue_q())),
    }
    return render(request, "hazards/hazard_stats.html", context)


def _per_week(hazards, field: str, since) -> dict:
    """Rows per week (its Monday) of ``field`` since ``since``."""
    rows = (hazards.filter(**{f"{field}__gte": since}).annotate(week=TruncWeek(field)).values("week")
            .annotate(n=Count("id")).values_list("week", "n"))
    return {week.date() if hasattr(week, "date") else week: n for week, n in rows}


def _closing_by_region(user, hazards):
    """Closing rate per subdivision of the user's jurisdiction (counties for a city, …)."""
    rows = by_child_region(user, hazards, total=Count("id"), done=Count("id", filter=Q(status__in=DONE_STATUSES)))
    return [{"name": region.name, "total": row["total"], "rate": round(100 * row["done"] / row["total"], 1)}
            for region, row in rows if row and row["total"]]


def labelled(events, transitions=lifecycle.HAZARD_TRANSITIONS, statuses=HazardStatus, first=None):
    """Events with their action and status in the reader's language (``first``: the label of the
    event that opened the record, "reported" for a hazard)."""
    events = list(events)
    for event in events:
        step = transitions.get(event.action)
        if event.action == "device_recovered":
            event.action_label = _("Device recovered")
        else:
            event.action_label = step.label if step else (first or _("Reported"))
        event.status_label = statuses(event.to_status).label if event.to_status in statuses.values else ""
    return events


def _hazard(request, pk) -> Hazard:
    return get_object_or_404(visible_hazards(request).select_related("unit", "notice", "inspection", "agency"),
                             pk=pk)


@login_required
def hazard_detail(request, pk):
    hazard = _hazard(request, pk)
    role = role_of(request.user)
    evidence = Attachment.objects.filter(content_type__model="hazard", content_type__app_label="hazards",
                                         object_id=str(hazard.pk)).order_by("id")
    context = {
        "hazard": hazard, "events": labelled(hazard.events.select_related("actor", "document")),
        "actions": services.available_actions(request.user, hazard), "evidence": evidence,
        "category": categories.get_or_none(hazard.category), "today": date.today().isoformat(),
        "documents": HazardDocument.objects.filter(pk__in=hazard.events.exclude(document=None)
                                                   .values("document")).order_by("issued_at"),
        "cases": hazard.major_cases.all(),
        "can_propose": role in lifecycle.FIRE_OFFICERS and hazard.is_open,
    }
    return render(request, "hazards/hazard_detail.html", context)


@login_required
@require_POST
def hazard_action(request, pk):
    hazard = _hazard(request, pk)
    data = {"note": request.POST.get("note", ""), "passed": request.POST.get("passed"),
            "due": _date(request.POST.get("due"))}
    _result, ok = attempt(request, services.transition, request.user, hazard, request.POST.get("action", ""), data,
                          files=request.FILES.getlist("photos"))
    if ok:
        messages.success(request, _("Done."))
    return redirect("hazards:hazard-detail", pk=hazard.pk)


def _date(value):
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return "invalid"


@login_required
def hazard_create(request):
    require_can(request.user, "add", "hazards.hazard")
    unit = get_object_or_404(scope(request.user, Unit.objects.alive()), pk=as_pk(request.GET.get("unit")))
    if request.method == "POST":
        data = {k: request.POST.get(k, "") for k in ("category", "description", "location", "lat", "lng")}
        data["lat"], data["lng"] = data["lat"] or None, data["lng"] or None
        data["gb35181"] = request.POST.getlist("gb35181")
        data["fixable_at_once"] = bool(request.POST.get("fixable_at_once"))
        hazard, ok = attempt(request, services.report_hazard, request.user, unit, data,
                             source=services.manual_sources(request.user)[0],
                             photos=request.FILES.getlist("photos"))
        if ok:
            messages.success(request, _("The hazard is recorded."))
            return redirect("hazards:hazard-detail", pk=hazard.pk)
    return render(request, "hazards/hazard_form.html", {"unit": unit, "categories": categories.all(),
                                                        "gb_items": judging.item_choices()})


@login_required
def document_detail(request, pk):
    document = get_object_or_404(scope(request.user, HazardDocument.objects.select_related("unit", "agency")), pk=pk)
    if request.GET.get("format") == "docx":
        response = HttpResponse(documents.render(document), content_type=DOCX)
        name = quote(f"{document.number}.docx")
        response["Content-Disposition"] = f"attachment; filename=document-{document.pk}.docx; filename*=UTF-8''{name}"
        return response
    return render(request, "hazards/document.html", {"document": document, "hazards": document.items})


# --------------------------------------------------------------------------- major hazard cases


@login_required
def case_list(request):
    require_can(request.user, "view", "hazards.case")
    filterset = CaseFilter(request.GET or None, queryset=scope(request.user, MajorHazardCase.objects.all()),
                           request=request)
    page = paginate(request, filterset.qs.select_related("unit"))
    return render(request, "hazards/case_list.html", {"filter": filterset, "page": page,
                                                      "query": query_without_page(request)})


@login_required
def case_create(request):
    require_can(request.user, "add", "hazards.case")
    unit = get_object_or_404(scope(request.user, Unit.objects.alive()), pk=as_pk(request.GET.get("unit")))
    open_hazards = scope(request.user, unit.hazards.filter(status__in=OPEN_STATUSES))
    if request.method == "POST":
        chosen = list(open_hazards.filter(pk__in=as_pks(request.POST.getlist("hazards"))))
        data = {"items": request.POST.getlist("items"), "direct_items": request.POST.getlist("direct_items"),
                "exemptions": request.POST.getlist("exemptions"), "place_kinds": request.POST.getlist("place_kinds"),
                "note": request.POST.get("note", "")}
        case, ok = attempt(request, services.propose_case, request.user, unit, chosen, data)
        if ok:
            return redirect("hazards:case-detail", pk=case.pk)
    preset = {i for h in open_hazards if not h.fixable_at_once for i in h.gb35181}  # GB 35181-2017 5.1.2
    return render(request, "hazards/case_form.html", {
        "unit": unit, "hazards": open_hazards, "items": judging.item_choices(), "preset": preset,
        "exemptions": judging.exemption_choices(), "kinds": judging.place_kind_choices(),
        "derived": judging.place_kinds_of(unit)})


@login_required
def case_detail(request, pk):
    require_can(request.user, "view", "hazards.case")
    case = get_object_or_404(scope(request.user, MajorHazardCase.objects.select_related("unit", "notice")), pk=pk)
    role = role_of(request.user)
    return render(request, "hazards/case_detail.html", {
        "case": case, "hazards": case.hazards.all(),
        "events": labelled(case.events.select_related("actor"), lifecycle.CASE_TRANSITIONS, CaseStatus,
                           _("Proposed")),
        "actions": [a for a in actions_from(lifecycle.CASE_TRANSITIONS, case.status, role)
                    if not (a.action == "serve" and (case.notice_served_at or not case.notice_id))],
        "levels": ListingLevel.choices})


@login_required
@require_POST
def case_action(request, pk):
    require_can(request.user, "view", "hazards.case")
    case = get_object_or_404(scope(request.user, MajorHazardCase.objects.all()), pk=pk)
    data = {k: request.POST.get(k, "") for k in ("note", "conclusion", "participants", "experts",
                                                 "experts_agreeing", "listing_level", "listing_authority", "plan",
                                                 "funds", "rectify_due", "officials", "received_by")}
    data["funds"] = data["funds"] or None
    _result, ok = attempt(request, services.case_transition, request.user, case, request.POST.get("action", ""),
                          data)
    if ok:
        messages.success(request, _("Done."))
    return redirect("hazards:case-detail", pk=case.pk)


# --------------------------------------------------------------------------- public reports (staff side)


@login_required
def report_list(request):
    require_can(request.user, "view", "hazards.report")
    filterset = ReportFilter(request.GET or None, queryset=scope(request.user, PublicReport.objects.all()),
                             request=request)
    page = paginate(request, filterset.qs.select_related("region", "agency"))
    return render(request, "hazards/report_list.html", {"filter": filterset, "page": page,
                                                        "query": query_without_page(request)})


@login_required
def report_detail(request, pk):
    require_can(request.user, "view", "hazards.report")
    report = get_object_or_404(scope(request.user, PublicReport.objects.select_related(
        "region", "agency", "unit", "inspection__unit", "duplicate_of")), pk=pk)
    photos = Attachment.objects.filter(content_type__model="publicreport", object_id=str(report.pk))
    return render(request, "hazards/report_detail.html", {
        "report": report, "photos": photos, "categories": categories.all(),
        "units": scope(request.user, Unit.objects.alive()).filter(region_path__startswith=report.region.path)
        .order_by("name")[:200] if report.status == "assigned" else [],
        "agencies": scope(request.user, Agency.objects.filter(kind__in=[AgencyKind.BRIGADE, AgencyKind.STATION])),
        "officers": officers_for(request.user) if report.status == "assigned" else [],
        "inspection_open": bool(report.inspection and report.inspection.status in reports.OPEN_INSPECTION),
        "may_open_inspection": not report.inspection or report.inspection.status == "cancelled",
        "tiers": RewardTier.objects.all(), "first_valid": reports.first_valid(report)})


@login_required
@require_POST
def report_action(request, pk):
    require_can(request.user, "change", "hazards.report")
    report = get_object_or_404(scope(request.user, PublicReport.objects.all()), pk=pk)
    act = request.POST.get("action")
    if act in ("confirm", "reject"):
        unit = None
        if request.POST.get("unit"):
            unit = get_object_or_404(scope(request.user, Unit.objects.alive()), pk=as_pk(request.POST["unit"]))
        _r, ok = attempt(request, reports.conclude, request.user, report, act == "confirm",
                         request.POST.get("result", ""), unit, request.POST.get("category", ""))
    elif act == "inspect":
        unit = get_object_or_404(scope(request.user, Unit.objects.alive()), pk=as_pk(request.POST.get("unit")))
        people = list(officers_for(request.user).filter(pk__in=as_pks(request.POST.getlist("inspectors"))))
        _r, ok = attempt(request, reports.open_inspection, request.user, report, unit, people)
    elif act == "duplicate":
        original = scope(request.user, PublicReport.objects.all()).filter(
            tracking_code=request.POST.get("duplicate_of", "").strip().upper()).first()
        _r, ok = attempt(request, reports.mark_duplicate, request.user, report, original)
    elif act == "assign":
        agency = Agency.objects.filter(pk=as_pk(request.POST.get("agency"))).first()
        _r, ok = attempt(request, reports.assign, request.user, report, agency, request.POST.get("category"))
    elif act == "award":
        tier = get_object_or_404(RewardTier, code=request.POST.get("tier", ""))
        _r, ok = attempt(request, reports.award, request.user, report, tier)
    elif act == "pay":
        _r, ok = attempt(request, reports.record_payment, request.user, report, request.POST.get("reference", ""))
    else:
        raise Http404
    if ok:
        messages.success(request, _("Done."))
    return redirect("hazards:report-detail", pk=report.pk)


# --------------------------------------------------------------------------- public pages (no login)


def public_report(request):
    regions = Region.objects.filter(level__in=[RegionLevel.COUNTY, RegionLevel.STREET]).order_by("path")
    errors, values = {}, {}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("place", "address", "description", "category",
                                                       "contact_name", "contact_phone", "region")}
        data = dict(values, region=regions.filter(pk=values["region"] or 0).first() if values["region"].isdigit()
                    else None)
        try:
            report = reports.submit(data, request.FILES.getlist("photos"), request.META.get("REMOTE_ADDR", ""))
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            return render(request, "hazards/public_report_done.html", {"report": report})
    general = errors.pop("__all__", [])
    return render(request, "hazards/public_report.html", {
        "regions": regions, "categories": categories.all(), "errors": errors, "general": general, "values": values})


def public_track(request):
    code = request.GET.get("code", "")
    report = reports.track(code) if code else None
    return render(request, "hazards/public_track.html", {"code": code, "report": report, "searched": bool(code)})


def public_major_hazards(request):
    cases = (MajorHazardCase.objects.filter(status__in=[CaseStatus.LISTED, CaseStatus.RECTIFIED, CaseStatus.ACCEPTED])
             .select_related("unit").order_by("-listed_at"))
    return render(request, "hazards/public_major.html", {"cases": cases})


__all__ = ["HazardStatus"]


@login_required
def unit_timeline(request, pk):
    """A unit's inspections and hazard steps, newest first (the unit page's timeline tab)."""
    from firegov.inspections.models import Inspection

    unit = get_object_or_404(scope(request.user, Unit.objects.alive()), pk=pk)
    require_can(request.user, "view", "hazards.hazard")
    entries = [{"at": i.completed_at or i.created_at, "kind": "inspection", "inspection": i}
               for i in scope(request.user, Inspection.objects.filter(unit=unit)).select_related("agency")[:200]]
    events = (HazardEvent.objects.filter(hazard__in=scope(request.user, Hazard.objects.filter(unit=unit)))
              .select_related("hazard", "actor", "document").order_by("-at")[:400])
    entries += [{"at": e.at, "kind": "event", "event": e} for e in labelled(events)]
    entries.sort(key=lambda e: e["at"], reverse=True)
    return render(request, "hazards/unit_timeline.html", {"unit": unit, "entries": entries,
                                                          "labels": dict(categories.choices())})
