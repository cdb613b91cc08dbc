"""Pages of inspections: list, open, the phone-friendly checklist form, completion, the printed record
and the public random-check results (一公开). Thin: services do the work."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from firegov.core.lifecycle import role_of
from firegov.core.models import Agency, Role
from firegov.core.scoping import as_pk, as_pks, scope
from firegov.core.views import attempt, paginate, query_without_page, require_can
from firegov.inspections import draws, record, services
from firegov.inspections.filters import InspectionFilter
from firegov.inspections.models import Draw, DrawPlan, Inspection, InspectionKind, InspectionStatus
from firegov.registry.models import Unit

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def visible(request):
    require_can(request.user, "view", "inspections.inspection")
    return scope(request.user, Inspection.objects.all())


@login_required
def inspection_list(request):
    filterset = InspectionFilter(request.GET or None, queryset=visible(request), request=request)
    page = paginate(request, filterset.qs.select_related("unit", "agency"))
    return render(request, "inspections/inspection_list.html", {
        "filter": filterset, "page": page, "query": query_without_page(request)})


def kinds_for(user) -> list[tuple[str, str]]:
    role = role_of(user)
    return [(k, label) for k, label in InspectionKind.choices if role in services.KIND_ROLES[k]]


@login_required
def inspection_create(request):
    require_can(request.user, "add", "inspections.inspection")
    unit = get_object_or_404(scope(request.user, Unit.objects.alive()), pk=as_pk(request.GET.get("unit")))
    officers = services.officers_for(request.user)
    if request.method == "POST":
        people = list(officers.filter(pk__in=as_pks(request.POST.getlist("inspectors"))))
        agencies = list(scope(request.user, Agency.objects.filter(pk__in=as_pks(request.POST.getlist("agencies")))))
        inspection, ok = attempt(
            request, services.create_inspection, request.user, unit, request.POST.get("kind", ""),
            inspectors=people, agencies=agencies, planned_for=request.POST.get("planned_for") or None,
            checklist=request.POST.get("checklist") or None, experts=request.POST.get("experts", ""))
        if ok:
            return redirect("inspections:inspection-detail", pk=inspection.pk)
    templates = services.checklists.templates_for(unit.place_type, services.unit_flags(unit), "routine")
    return render(request, "inspections/inspection_form.html", {
        "unit": unit, "kinds": kinds_for(request.user), "officers": officers, "templates": templates,
        "agencies": scope(request.user, Agency.objects.all()).order_by("kind", "name")[:300],
        "all_templates": services.checklists.templates(), "law_kinds": sorted(services.LAW_ENFORCEMENT_KINDS)})


def _inspection(request, pk) -> Inspection:
    return get_object_or_404(visible(request).select_related("unit", "agency", "signature"), pk=pk)


@login_required
def inspection_detail(request, pk):
    inspection = _inspection(request, pk)
    open_ = inspection.status in (InspectionStatus.PLANNED, InspectionStatus.IN_PROGRESS)
    member = services.is_member(request.user, inspection)
    return render(request, "inspections/inspection_detail.html", {
        "inspection": inspection, "answers": inspection.answers.all(), "photos": services.item_photos(inspection),
        "editable": open_ and member, "hazards": scope(request.user, inspection.hazards.all()),
        "inspectors": inspection.inspectors.all(), "can_publish": (
            inspection.kind == InspectionKind.RANDOM and inspection.status == InspectionStatus.COMPLETED
            and inspection.published_at is None and role_of(request.user) in services.lc.FIRE_OFFICERS),
        "is_unit": request.user.role == Role.UNIT_MANAGER})


def _answers_from_post(request, inspection) -> tuple[dict, dict]:
    answers, photos = {}, {}
    for answer in inspection.answers.all():
        result = request.POST.get(f"result_{answer.item}")
        if result is not None:
            answers[answer.item] = {"result": result, "note": request.POST.get(f"note_{answer.item}", "")}
        files = request.FILES.getlist(f"photo_{answer.item}")
        if files:
            photos[answer.item] = files
    return answers, photos


@login_required
@require_POST
def inspection_answers(request, pk):
    inspection = _inspection(request, pk)
    answers, photos = _answers_from_post(request, inspection)
    _r, ok = attempt(request, services.record_answers, request.user, inspection, answers, photos)
    if ok:
        messages.success(request, _("Saved."))
    return redirect("inspections:inspection-detail", pk=inspection.pk)


@login_required
@require_POST
def inspection_complete(request, pk):
    inspection = _inspection(request, pk)
    answers, photos = _answers_from_post(request, inspection)
    if answers or photos:
        _r, ok = attempt(request, services.record_answers, request.user, inspection, answers, photos)
        if not ok:
            return redirect("inspections:inspection-detail", pk=inspection.pk)
    data = {k: request.POST.get(k, "") for k in ("findings", "signed_by", "refusal_note", "lat", "lng")}
    data["lat"], data["lng"] = data["lat"] or None, data["lng"] or None
    data["refused_to_sign"] = bool(request.POST.get("refused_to_sign"))
    _r, ok = attempt(request, services.complete, request.user, inspection, data, request.FILES.get("signature"))
    if ok:
        messages.success(request, _("The inspection is complete."))
    return redirect("inspections:inspection-detail", pk=inspection.pk)


@login_required
@require_POST
def inspection_action(request, pk):
    inspection = _inspection(request, pk)
    action = request.POST.get("action")
    if action == "start":
        _r, ok = attempt(request, services.start, request.user, inspection)
    elif action == "cancel":
        _r, ok = attempt(request, services.cancel, request.user, inspection, request.POST.get("note", ""))
    elif action == "publish":
        _r, ok = attempt(request, services.publish, request.user, inspection)
    else:
        raise Http404
    if ok:
        messages.success(request, _("Done."))
    return redirect("inspections:inspection-detail", pk=inspection.pk)


@login_required
def inspection_record(request, pk):
    """The printed inspection record (消防监督检查记录), with the photos' hashes."""
    inspection = _inspection(request, pk)
    if request.GET.get("format") == "docx":
        response = HttpResponse(record.render(inspection, services.item_photos(inspection)), content_type=DOCX)
        response["Content-Disposition"] = f"attachment; filename=inspection-{inspection.pk}.docx"
        return response
    return render(request, "inspections/inspection_record.html", {
        "inspection": inspection, "answers": inspection.answers.all(), "photos": services.item_photos(inspection),
        "inspectors": inspection.inspectors.all(), "hazards": inspection.hazards.all()})


def public_results(request):
    """Published random-check results (双随机、一公开): unit, date, inspectors, result."""
    results = (Inspection.objects.filter(kind=InspectionKind.RANDOM, published_at__isnull=False)
               .select_related("unit", "agency").prefetch_related("inspectors").order_by("-completed_at"))
    page = paginate(request, results, per_page=30)
    return render(request, "inspections/public_results.html", {"page": page, "query": ""})


# --------------------------------------------------------------------------- random draws (双随机)


DIGEST_LABELS = (("units", "units.json"), ("inspectors", "inspectors.json"), ("rules", "rules.json"))


def _plans(request):
    require_can(request.user, "view", "inspections.draw")
    return scope(request.user, DrawPlan.objects.select_related("agency"))


@login_required
def draw_plan_list(request):
    plans = _plans(request)
    can_add = role_of(request.user) in services.lc.FIRE_LEADERS
    if request.method == "POST" and can_add:
        plan, ok = attempt(request, draws.create_plan, request.user, request.POST.get("agency"),
                           request.POST.get("year"), request.POST.get("name", ""), request.POST.get("rules", ""),
                           request.POST.get("publish_within_workdays") or 20)
        if ok:
            return redirect("inspections:draw-plan", pk=plan.pk)
    brigades = scope(request.user, Agency.objects.filter(kind="brigade"))
    return render(request, "inspections/draw_plans.html", {
        "plans": plans.order_by("-year", "agency__name"), "can_add": can_add, "brigades": brigades,
        "example": json.dumps(draws.EXAMPLE_RULES, ensure_ascii=False, indent=2)})


@login_required
def draw_plan_detail(request, pk):
    plan = get_object_or_404(_plans(request), pk=pk)
    if request.method == "POST":
        draw, ok = attempt(request, draws.commit, request.user, plan, request.POST.get("period", ""))
        if ok:
            messages.success(request, _("The inputs are frozen, and their SHA-256 digests are published with the "
                                        "seed's. Make the draw when ready."))
            return redirect("inspections:draw", pk=draw.pk)
    return render(request, "inspections/draw_plan.html", {
        "plan": plan, "draws": plan.draws.order_by("-period"),
        "rules": json.dumps(plan.rules, ensure_ascii=False, indent=2),
        "can_draw": role_of(request.user) in services.lc.FIRE_LEADERS})


@login_required
def draw_detail(request, pk):
    require_can(request.user, "view", "inspections.draw")
    draw = get_object_or_404(scope(request.user, Draw.objects.select_related("plan__agency")), pk=pk)
    if request.method == "POST":
        _r, ok = attempt(request, draws.run, request.user, draw)
        if ok:
            messages.success(request, _("Drawn."))
        return redirect("inspections:draw", pk=draw.pk)
    return _draw_page(request, draw, public=False)


def _draw_page(request, draw, public: bool):
    if request.GET.get("file") in ("commitment", "units", "inspectors", "rules", "result"):
        body = draws.files(draw).get(request.GET["file"])
        if body is None:
            raise Http404
        response = JsonResponse(body, safe=False, json_dumps_params={"ensure_ascii": False, "indent": 1})
        response["Content-Disposition"] = f"attachment; filename={request.GET['file']}.json"
        return response
    units = {}
    if draw.state == "drawn":
        ids = [int(a["unit"]) for a in draw.result.get("assignments", [])]
        units = dict(Unit.objects.filter(pk__in=ids).values_list("pk", "name"))
    names = {str(i["id"]): i.get("name", i["id"]) for i in draw.inspectors}
    rows = [{"order": a["order"], "stratum": a["stratum"], "unit": units.get(int(a["unit"]), a["unit"]),
             "inspectors": [names.get(str(i), i) for i in a["inspectors"]]}
            for a in draw.result.get("assignments", [])]
    # Digests published at the commit; a draw committed before that has only those of its result.
    digests = draw.inputs_sha256 or draw.result.get("inputs_sha256") or {}
    return render(request, "inspections/draw.html", {
        "draw": draw, "rows": rows, "public": public, "strata": draw.result.get("strata", []),
        "digests": [(label, digests[name]) for name, label in DIGEST_LABELS if name in digests],
        "digests_at_commit": bool(draw.inputs_sha256),
        "shortfalls": draw.result.get("shortfalls", []),
        "can_run": not public and draw.state == "committed" and role_of(request.user) in services.lc.FIRE_LEADERS,
        "verification": draws.verify(draw) if draw.state == "drawn" else None})


def public_draws(request):
    """Every draw with its commitment; once drawn, the seed and the files to re-run it (一公开)."""
    return render(request, "inspections/public_draws.html", {
        "draws": Draw.objects.select_related("plan__agency").order_by("-committed_at")[:200]})


def public_draw(request, pk):
    return _draw_page(request, get_object_or_404(Draw, pk=pk), public=True)
