"""Pages of the premises registry. Thin: scoping, filters and services do the work."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from firegov.core.attachments import UploadRejected
from firegov.core.attachments import store as store_attachment
from firegov.core.models import Attachment, Deadline
from firegov.core.roles import can
from firegov.core.scoping import scope
from firegov.core.views import office_file, paginate, query_without_page, require_can
from firegov.kernels.place_types import ATTRIBUTES
from firegov.registry import excel, search, services
from firegov.registry.filters import CommunityFilter, UnitFilter
from firegov.registry.forms import CHILD_FORMS, CommunityForm, ImportUploadForm, UnitForm
from firegov.registry.models import Community, Unit

MAP_POINT_LIMIT = 5000


def visible_units(request):
    require_can(request.user, "view", "registry.unit")
    return scope(request.user, Unit.objects.alive())


def filtered_units(request):
    filterset = UnitFilter(request.GET or None, queryset=visible_units(request), request=request)
    return filterset, filterset.qs


@login_required
def unit_list(request):
    filterset, units = filtered_units(request)
    searching = bool(request.GET.get("q", "").strip())
    page = paginate(request, units.select_related("region__parent", "department"),
                    count_cap=search.COUNT_CAP if searching else None)
    context = {"filter": filterset, "page": page, "query": query_without_page(request),
               "can_add": can(request.user, "add", "registry.unit"),
               "can_import": can(request.user, "import", "registry.unit"),
               "can_export": can(request.user, "export", "registry.unit")}
    template = "registry/_unit_table.html" if request.headers.get("HX-Request") else "registry/unit_list.html"
    return render(request, template, context)


@login_required
def unit_export(request):
    require_can(request.user, "export", "registry.unit")
    _filterset, units = filtered_units(request)
    data = excel.export_units(units, settings.FIREGOV["EXPORT_MAX_ROWS"])
    return office_file(data, f"units-{excel.stamp()}.xlsx")


@login_required
def unit_map(request):
    filterset, units = filtered_units(request)
    return render(request, "registry/unit_map.html", {"filter": filterset, "query": query_without_page(request),
                                                      "total": units.count(), "limit": MAP_POINT_LIMIT})


@login_required
def unit_geojson(request):
    _filterset, units = filtered_units(request)
    located = units.filter(lat__isnull=False, lng__isnull=False)
    rows = located.values_list("id", "name", "lat", "lng", "place_type", "key_unit")[:MAP_POINT_LIMIT]
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lng, lat]},
         "properties": {"id": pk, "name": name, "type": place_type, "key": key,
                        "url": f"/units/{pk}/"}}
        for pk, name, lat, lng, place_type, key in rows
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features,
                         "total": located.count(), "limit": MAP_POINT_LIMIT})


@login_required
def unit_detail(request, pk):
    unit = get_object_or_404(visible_units(request).select_related("region", "department"), pk=pk)
    tab = request.GET.get("tab", "overview")
    attributes = [(ATTRIBUTES[name], value) for name, value in (unit.attributes or {}).items() if name in ATTRIBUTES]
    context = {
        "unit": unit, "tab": tab, "attributes": attributes,
        "can_change": can(request.user, "change", "registry.unit"),
        "can_delete": can(request.user, "delete", "registry.unit"),
        "buildings": unit.buildings.all(), "lanes": unit.fire_lanes.all(), "stations": unit.micro_stations.all(),
        "attachments": Attachment.objects.filter(content_type__model="unit", content_type__app_label="registry",
                                                 object_id=str(unit.pk)),
        "deadlines": Deadline.objects.filter(content_type__model="unit", content_type__app_label="registry",
                                             object_id=str(unit.pk)).order_by("-created_at")[:10],
        "region_names": " / ".join(r.name for r in unit.region.ancestors()) + " / " + unit.region.name,
    }
    return render(request, "registry/unit_detail.html", context)


def run_service(request, form, call):
    """Run a service call for a valid form; its validation errors land on the form's fields.

    Returns what the call returned, or None when it refused the values. A refusal for want of
    permission or jurisdiction answers 404, like any object the user may not see.
    """
    try:
        result = call()
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return None
    except PermissionDenied as exc:
        raise Http404 from exc
    messages.success(request, _("Saved."))
    return result


def _unit_form_view(request, unit=None):
    action = "change" if unit else "add"
    require_can(request.user, action, "registry.unit")
    form = UnitForm(request.POST or None, instance=unit, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = run_service(request, form, lambda: services.save_unit(request.user, form.unit_data(), unit))
        if saved is not None:
            return redirect(saved)
    return render(request, "registry/unit_form.html", {"form": form, "unit": unit})


@login_required
def unit_create(request):
    return _unit_form_view(request)


@login_required
def unit_edit(request, pk):
    unit = get_object_or_404(visible_units(request), pk=pk)
    return _unit_form_view(request, unit)


@login_required
@require_POST
def unit_delete(request, pk):
    unit = get_object_or_404(visible_units(request), pk=pk)
    try:
        services.delete_unit(request.user, unit)
    except PermissionDenied as exc:
        raise Http404 from exc
    messages.success(request, _("The unit was removed from the registry; its record and history are kept."))
    return redirect("registry:unit-list")


@login_required
@require_POST
def unit_attach(request, pk):
    unit = get_object_or_404(visible_units(request), pk=pk)
    require_can(request.user, "change", "registry.unit")
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file."))
    else:
        try:
            lat = float(request.POST["lat"]) if request.POST.get("lat") else None
            lng = float(request.POST["lng"]) if request.POST.get("lng") else None
            store_attachment(upload, upload.name, request.user, subject=unit, lat=lat, lng=lng,
                             caption=request.POST.get("caption", ""))
            messages.success(request, _("The file was stored as evidence."))
        except (UploadRejected, ValueError) as exc:
            messages.error(request, str(exc))
    return redirect(f"{unit.get_absolute_url()}?tab=files")


# ---------------------------------------------------------------- import

def _import_dir():
    path = settings.DATA_DIR / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _load_upload(request, token):
    if not token or not token.isalnum() or request.session.get("import_token") != token:
        raise Http404
    return excel.read_sheet((_import_dir() / f"{token}.xlsx").read_bytes(), settings.FIREGOV["IMPORT_MAX_ROWS"])


@login_required
def unit_import_template(request):
    return office_file(excel.import_template(), "units-template.xlsx")


@login_required
def unit_import(request):
    require_can(request.user, "import", "registry.unit")
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"].read(settings.UPLOAD_MAX_BYTES + 1)
        try:
            if len(data) > settings.UPLOAD_MAX_BYTES:
                raise excel.ImportFileError(_("The file is too large."))
            sheet = excel.read_sheet(data, settings.FIREGOV["IMPORT_MAX_ROWS"])
        except excel.ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            token = secrets.token_hex(16)
            (_import_dir() / f"{token}.xlsx").write_bytes(data)
            request.session["import_token"] = token
            return render(request, "registry/import_mapping.html", {
                "token": token, "sheet": sheet, "columns": excel.COLUMNS,
                "mapping": excel.guess_mapping(sheet.headers), "sample": sheet.rows[:5],
            })
    return render(request, "registry/import_upload.html", {"form": form})


def _session_mapping(request):
    """The column mapping confirmed at the preview, as kept in the session."""
    saved = request.session.get("import_mapping", {})
    return {key: saved.get(key) for key, *_rest in excel.COLUMNS}


def _mapping_from_post(request, sheet):
    mapping = {}
    for key, *_rest in excel.COLUMNS:
        value = request.POST.get(f"map:{key}", "")
        mapping[key] = int(value) if value.isdigit() and int(value) < len(sheet.headers) else None
    return mapping


@login_required
@require_POST
def unit_import_preview(request):
    require_can(request.user, "import", "registry.unit")
    token = request.POST.get("token", "")
    sheet = _load_upload(request, token)
    mapping = _mapping_from_post(request, sheet)
    results = excel.preview(request.user, sheet, mapping)
    request.session["import_mapping"] = {k: v for k, v in mapping.items() if v is not None}
    errors = [r for r in results if r.errors]
    return render(request, "registry/import_preview.html", {
        "token": token, "results": results, "errors": errors, "mapping": mapping,
        "inserts": sum(r.action == "insert" for r in results), "updates": sum(r.action == "update" for r in results),
    })


@login_required
@require_POST
def unit_import_commit(request):
    require_can(request.user, "import", "registry.unit")
    token = request.POST.get("token", "")
    sheet = _load_upload(request, token)
    mapping = _session_mapping(request)
    ok, results = excel.commit(request.user, sheet, mapping)
    if not ok:
        errors = [r for r in results if r.errors]
        messages.error(request, ngettext("Nothing was imported: %(n)d row has errors.",
                                         "Nothing was imported: %(n)d rows have errors.", len(errors)) % {"n": len(errors)})
        return render(request, "registry/import_preview.html", {"token": token, "results": results,
                                                                 "errors": errors, "mapping": mapping})
    (_import_dir() / f"{token}.xlsx").unlink(missing_ok=True)
    request.session.pop("import_token", None)
    messages.success(request, ngettext("Imported %(n)d row.", "Imported %(n)d rows.", len(results))
                     % {"n": len(results)})
    return redirect("registry:unit-list")


@login_required
@require_POST
def unit_import_errors(request):
    require_can(request.user, "import", "registry.unit")
    sheet = _load_upload(request, request.POST.get("token", ""))
    mapping = _session_mapping(request)
    results = excel.preview(request.user, sheet, mapping)
    return office_file(excel.error_report(sheet, results), f"import-errors-{excel.stamp()}.xlsx")


# ---------------------------------------------------------------- buildings, fire lanes, micro stations

CHILD_KINDS = {  # kind -> the parents it may belong to (its form is forms.CHILD_FORMS[kind])
    "buildings": ("unit",),
    "lanes": ("unit", "community"),
    "stations": ("unit", "community"),
}


def _parent(request, parent_kind, parent_pk):
    if parent_kind == "unit":
        return get_object_or_404(visible_units(request), pk=parent_pk)
    return get_object_or_404(visible_communities(request), pk=parent_pk)


@login_required
def child_form(request, parent_kind, parent_pk, kind, pk=None):
    if parent_kind not in CHILD_KINDS.get(kind, ()):
        raise Http404
    parent = _parent(request, parent_kind, parent_pk)
    form_class = CHILD_FORMS[kind]
    model = form_class._meta.model
    relation = "unit" if parent_kind == "unit" else "community"
    child = get_object_or_404(model, pk=pk, **{relation: parent}) if pk else None
    resource = "registry.unit" if parent_kind == "unit" else "registry.community"
    require_can(request.user, "change", resource)
    form = form_class(request.POST or None, instance=child)
    back = f"{parent.get_absolute_url()}?tab=buildings" if parent_kind == "unit" else parent.get_absolute_url()
    if request.method == "POST" and request.POST.get("delete") and child is not None:
        try:
            services.delete_child(request.user, parent, child)
        except PermissionDenied as exc:
            raise Http404 from exc
        messages.success(request, _("Deleted."))
        return redirect(back)
    if request.method == "POST" and form.is_valid():
        saved = run_service(request, form,
                            lambda: services.save_child(request.user, parent, model, form.cleaned_data, child))
        if saved is not None:
            return redirect(back)
    return render(request, "registry/child_form.html", {
        "form": form, "parent": parent, "child": child, "title": model._meta.verbose_name, "back": back})


# ---------------------------------------------------------------- communities

def visible_communities(request):
    require_can(request.user, "view", "registry.community")
    return scope(request.user, Community.objects.all())


@login_required
def community_list(request):
    filterset = CommunityFilter(request.GET or None, queryset=visible_communities(request), request=request)
    page = paginate(request, filterset.qs.select_related("region"))
    return render(request, "registry/community_list.html", {
        "filter": filterset, "page": page, "query": query_without_page(request),
        "can_add": can(request.user, "add", "registry.community")})


@login_required
def community_detail(request, pk):
    community = get_object_or_404(visible_communities(request), pk=pk)
    return render(request, "registry/community_detail.html", {
        "community": community, "lanes": community.fire_lanes.all(), "stations": community.micro_stations.all(),
        "can_change": can(request.user, "change", "registry.community")})


def _community_form_view(request, community=None):
    require_can(request.user, "change" if community else "add", "registry.community")
    form = CommunityForm(request.POST or None, instance=community, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        saved = run_service(request, form, lambda: services.save_community(request.user, data, community))
        if saved is not None:
            return redirect(saved)
    return render(request, "registry/community_form.html", {"form": form, "community": community})


@login_required
def community_create(request):
    return _community_form_view(request)


@login_required
def community_edit(request, pk):
    return _community_form_view(request, get_object_or_404(visible_communities(request), pk=pk))
