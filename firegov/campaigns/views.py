"""Campaign pages: the list of campaigns a user takes part in, and a campaign's task tree with
progress and red / yellow / green against the schedule (挂图作战), as of any day."""

from __future__ import annotations

import secrets
from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from firegov.campaigns import documents, excel, services
from firegov.campaigns.api import RegionProgressSerializer
from firegov.campaigns.models import Campaign, ProgressReport, Task
from firegov.core.attachments import open_stored
from firegov.core.roles import can
from firegov.core.scoping import as_pk, scope
from firegov.core.views import attempt, office_file, paginate, require_can
from firegov.kernels.periods import Period, period_of
from firegov.registry.excel import ImportFileError, read_sheet
from firegov.registry.forms import ImportUploadForm


@login_required
def campaign_list(request):
    require_can(request.user, "view", "campaigns.campaign")
    campaigns = scope(request.user, Campaign.objects.select_related("issuer", "region", "parent"))
    return render(request, "campaigns/campaign_list.html", {"page": paginate(request, campaigns)})


def _day(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@login_required
def campaign_detail(request, pk):
    require_can(request.user, "view", "campaigns.campaign")
    campaign = get_object_or_404(scope(request.user, Campaign.objects.select_related("issuer", "region")), pk=pk)
    tab = request.GET.get("tab", "tasks")
    context = {"campaign": campaign, "tab": tab, "phases": campaign.phases.all(),
               "derived": scope(request.user, campaign.derived.select_related("region")),
               "may_derive": _may_derive(request.user, campaign),
               "may_import": services.acts_for(request.user, campaign.issuer_id),
               "whole": services.sees_whole(request.user, campaign)}
    if tab == "hazards":
        context["hazards"] = services.hazard_summary(request.user, campaign)
    elif tab == "measures":
        context["measures"] = scope(request.user, campaign.measures.select_related("owner", "document"))
    elif tab == "documents" and context["whole"]:
        today = timezone.localdate()
        context.update(stored=campaign.documents.select_related("file"),
                       last_month=period_of(today, "month").previous().key,
                       last_quarter=period_of(today, "quarter").previous().key)
    elif tab == "accountability":
        context["records"] = scope(request.user, campaign.accountability.select_related("agency").prefetch_related(
            Prefetch("tasks", queryset=scope(request.user, Task.objects.all()))))  # only the tasks it may see
    elif tab == "map":
        on = _day(request.GET.get("on"))
        context.update(on=on, regions=services.region_progress(request.user, campaign, on))
        context["points"] = [  # the API's figures, with a link to the derived list
            {**point, "url": reverse("campaigns:detail", args=[point["derived_campaign"]])
             if point["derived_campaign"] else None}
            for point in RegionProgressSerializer(context["regions"], many=True).data
            if point["lat"] is not None and point["lng"] is not None]
    else:
        on = _day(request.GET.get("on"))
        rows = services.visible_tree(request.user, campaign, on)
        context.update(rows=rows, on=on, counts=services.colour_counts(rows))
        if tab == "timeline":
            context["chart"] = services.timeline(campaign, rows, on)
    return render(request, "campaigns/campaign_detail.html", context)


def _may_derive(user, campaign: Campaign) -> bool:
    """Whether the derive button is offered: a manager of an agency below the campaign's region
    whose region has no lists of it yet (the service checks again)."""
    agency = user.agency
    return (can(user, "add", "campaigns.campaign") and agency is not None
            and agency.region_path.startswith(campaign.region_path) and agency.region_path != campaign.region_path
            and not campaign.derived.filter(region_id=agency.region_id).exists())


@login_required
def campaign_derive(request, pk):
    require_can(request.user, "add", "campaigns.campaign")
    campaign = get_object_or_404(scope(request.user, Campaign.objects.all()), pk=pk)
    if request.method == "POST":
        child, ok = attempt(request, services.derive, request.user, campaign)
        if ok:
            return redirect(child)
    return redirect(campaign)


@login_required
def task_detail(request, pk):
    require_can(request.user, "view", "campaigns.campaign")
    task = get_object_or_404(scope(request.user, Task.objects.select_related("campaign", "lead", "region")), pk=pk)
    reports = scope(request.user, ProgressReport.objects.filter(task=task).select_related("agency"))
    may_report = can(request.user, "add", "campaigns.report") and services.responsible(task, request.user.agency)
    if request.method == "POST":  # the services decide who may save, submit, accept or return
        action = request.POST.get("action")
        if action == "save":
            _report, ok = attempt(request, services.save_report, request.user, task, request.POST)
        elif action == "milestone":
            milestone = get_object_or_404(task.milestones, pk=as_pk(request.POST.get("milestone")))
            _milestone, ok = attempt(request, services.complete_milestone, request.user, milestone)
        elif action == "target":
            target = get_object_or_404(task.targets, pk=as_pk(request.POST.get("target")))
            _value, ok = attempt(request, services.report_target_value, request.user, target, request.POST,
                                 request.FILES.get("evidence"))
        else:
            report = get_object_or_404(reports, pk=as_pk(request.POST.get("report")))
            _report, ok = attempt(request, services.report_step, request.user, report, action, request.POST)
        if ok:
            return redirect("campaigns:task", pk=task.pk)
    return render(request, "campaigns/task_detail.html", {
        "task": task, "reports": reports, "may_report": may_report,
        "may_review": services.acts_for(request.user, task.campaign.issuer_id),
        "may_mark": services.acts_for(request.user, task.lead_id, task.campaign.issuer_id),
        "milestones": task.milestones.all(),
        "targets": [services.target_status(t, timezone.localdate()) for t in task.targets.all()],
    })


def public_campaigns(request):
    """Campaigns their issuers made public, for anyone (清单式晾晒)."""
    campaigns = Campaign.objects.filter(public=True, parent=None).select_related("issuer", "region")
    return render(request, "campaigns/public_list.html", {"campaigns": campaigns})


def public_board(request, pk):
    """The public ranking board of a campaign: no login; 404 unless the campaign is public."""
    campaign = get_object_or_404(Campaign.objects.filter(public=True, parent=None).select_related("issuer"), pk=pk)
    return render(request, "campaigns/public_board.html", {"campaign": campaign, "board": services.ranking(campaign)})


def _whole_campaign(user, pk) -> Campaign:
    """The campaign, if the user sees all of it (services.sees_whole); 404 otherwise."""
    campaign = get_object_or_404(scope(user, Campaign.objects.all()), pk=pk)
    if not services.sees_whole(user, campaign):
        raise Http404
    return campaign


@login_required
def campaign_document(request, pk, kind):
    """A dispatch sheet (?period=YYYY-MM) or bulletin (?period=YYYY-Qn), generated for that period."""
    require_can(request.user, "view", "campaigns.campaign")
    campaign = _whole_campaign(request.user, pk)
    try:
        data, name = documents.generate(campaign, kind, Period.parse(request.GET.get("period", "")))
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))
    return office_file(data, name)


@login_required
def stored_document(request, pk, document):
    require_can(request.user, "view", "campaigns.campaign")
    campaign = _whole_campaign(request.user, pk)
    stored = get_object_or_404(campaign.documents.select_related("file"), pk=document)
    return FileResponse(open_stored(stored.file), as_attachment=True, filename=stored.file.original_name,
                        content_type=stored.file.mime_type)


# --------------------------------------------------------------------------- the plan in Excel

def _import_file(token: str):
    return settings.DATA_DIR / "imports" / f"plan-{token}.xlsx"


@login_required
def plan_export(request, pk):
    require_can(request.user, "view", "campaigns.campaign")
    campaign = get_object_or_404(scope(request.user, Campaign.objects.all()), pk=pk)
    tasks = scope(request.user, campaign.tasks.all())  # a department: the tasks it takes part in
    return office_file(excel.export_plan(tasks), f"{campaign.name}-任务清单.xlsx")


@login_required
def plan_import(request, pk):
    """Upload a plan (the export's template): preview every row, then import all rows or none."""
    require_can(request.user, "change", "campaigns.campaign")
    campaign = get_object_or_404(scope(request.user, Campaign.objects.all()), pk=pk)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    context = {"campaign": campaign, "form": form}
    if request.method == "POST" and request.POST.get("token"):  # the confirmed preview
        token = request.POST["token"]
        if not token.isalnum() or request.session.get("plan_import") != token or not _import_file(token).exists():
            raise Http404
        sheet = read_sheet(_import_file(token).read_bytes(), settings.FIREGOV["IMPORT_MAX_ROWS"])
        outcome, _checked = attempt(request, excel.commit, request.user, campaign, sheet)
        ok, results = outcome or (False, [])
        if ok:
            _import_file(token).unlink(missing_ok=True)
            request.session.pop("plan_import", None)
            messages.success(request, ngettext("Imported %(n)d row.", "Imported %(n)d rows.", len(results))
                             % {"n": len(results)})
            return redirect(campaign)
        context.update(results=results, errors=[r for r in results if r.errors])
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"].read(settings.UPLOAD_MAX_BYTES + 1)
        try:
            if len(data) > settings.UPLOAD_MAX_BYTES:
                raise ImportFileError(_("The file is too large."))
            sheet = read_sheet(data, settings.FIREGOV["IMPORT_MAX_ROWS"])
        except ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            token = secrets.token_hex(16)
            _import_file(token).parent.mkdir(parents=True, exist_ok=True)
            _import_file(token).write_bytes(data)
            request.session["plan_import"] = token
            results, _checked = attempt(request, excel.preview, request.user, campaign, sheet)
            results = results or []  # a sheet without the template's columns: the message says why
            context.update(token=token, results=results, errors=[r for r in results if r.errors])
    return render(request, "campaigns/plan_import.html", context)

