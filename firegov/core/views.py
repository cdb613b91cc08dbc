"""Pages of the core: dashboard, inbox, regions, agencies, and the history tab of any object."""

from __future__ import annotations

from urllib.parse import quote

from auditlog.models import LogEntry
from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from firegov.core import notify
from firegov.core.models import Agency, Notification, Region
from firegov.core.pagination import LateRowPaginator
from firegov.core.roles import can
from firegov.core.scoping import scope
from firegov.kernels.place_types import PLACE_TYPES

# Models whose history a user may open, with the permission resource that guards them.
HISTORY_MODELS = {
    "registry.unit": "registry.unit",
    "registry.community": "registry.community",
    "core.region": "core.region",
    "core.agency": "core.agency",
    "iot.alarm": "iot.alarm",
    "iot.device": "iot.device",
}


def paginate(request, queryset, per_page=50, count_cap=None):
    paginator = LateRowPaginator(queryset, per_page, count_cap=count_cap)
    return paginator.get_page(request.GET.get("page"))


OFFICE_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def office_file(data: bytes, filename: str) -> HttpResponse:
    """An .xlsx or .docx download, its name (Chinese included) encoded for every browser."""
    response = HttpResponse(data, content_type=OFFICE_TYPES[filename.rsplit(".", 1)[1]])
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def require_can(user, action: str, resource: str) -> None:
    """A page's role check: 404, never confirming that something exists to someone who may not see it."""
    if not can(user, action, resource):
        raise Http404


def attempt(request, call, *args, **kwargs):
    """Run a service call from a page. A refusal becomes an error message and (None, False); a
    refusal without a message (outside the user's jurisdiction) becomes 404."""
    from django.contrib import messages
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.http import Http404

    from firegov.core.lifecycle import TransitionError

    try:
        return call(*args, **kwargs), True
    except TransitionError as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        groups = exc.message_dict.values() if hasattr(exc, "message_dict") else [exc.messages]
        for errors in groups:
            messages.error(request, "; ".join(str(e) for e in errors))
    except PermissionDenied as exc:
        if not str(exc):
            raise Http404 from exc
        messages.error(request, str(exc))
    return None, False


def query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
def home(request):
    from firegov.registry.models import CLASSIFICATION_FLAGS, Unit

    units = scope(request.user, Unit.objects.alive())
    shown = CLASSIFICATION_FLAGS[:4]
    totals = units.aggregate(total=Count("id"), **{name: Count("id", filter=Q(**{name: True})) for name, _l in shown})
    by_region = [{"name": region.name, "value": row["n"] if row else 0}
                 for region, row in by_child_region(request.user, units, n=Count("id"))]
    by_type = [{"label": PLACE_TYPES[row["place_type"]].zh if row["place_type"] in PLACE_TYPES else row["place_type"],
                "n": row["n"]}
               for row in units.values("place_type").annotate(n=Count("id")).order_by("-n")[:10]]
    return render(request, "core/home.html", {
        "total": totals["total"],
        "flags": [(label, totals[name]) for name, label in shown],
        "by_region": by_region,
        "by_type": by_type,
        "notifications": Notification.objects.filter(recipient=request.user)[:5],
    })


def by_child_region(user, queryset, root=None, **aggregates) -> list[tuple[Region, dict | None]]:
    """``aggregates`` of ``queryset`` (rows with a ``region_path``) for each subdivision of ``root``
    (default: the user's jurisdiction) that the user may see, in one GROUP BY over the children's
    code prefix (all children have paths of one length); None for a child without rows."""
    root = root or _jurisdiction_root(user)
    children = list(scope(user, Region.objects.filter(parent=root))) if root else []
    if not children:
        return []
    width = len(children[0].path)
    rows = {row["prefix"]: row for row in queryset.annotate(prefix=Substr("region_path", 1, width))
            .values("prefix").annotate(**aggregates)}
    return [(child, rows.get(child.path)) for child in children]


def _jurisdiction_root(user):
    """The region whose subdivisions the overview compares: the user's own, or for an administrator
    the first region of the tree that has more than one subdivision (the city, not the province)."""
    if user.agency_id and not user.is_system_admin:
        return user.agency.region
    if not user.is_system_admin:
        return None
    root = Region.objects.order_by("path").first()
    while root is not None:
        children = list(Region.objects.filter(parent=root)[:2])
        if len(children) != 1:
            return root
        root = children[0]
    return None


@login_required
def inbox(request):
    page = paginate(request, Notification.objects.filter(recipient=request.user))
    return render(request, "core/inbox.html", {"page": page})


@login_required
@require_POST
def inbox_read(request):
    ids = request.POST.getlist("id")
    notify.mark_read(request.user, [int(i) for i in ids if i.isdigit()] if ids else None)
    return redirect("inbox")


@login_required
def region_list(request):
    require_can(request.user, "view", "core.region")
    regions = scope(request.user, Region.objects.all())
    parent_id = request.GET.get("parent")
    if parent_id and parent_id.isdigit():
        parent = get_object_or_404(regions, pk=parent_id)
        regions = regions.filter(parent=parent)
    else:
        parent = None
        root = _jurisdiction_root(request.user)
        regions = regions.filter(pk=root.pk) if root else regions.none()
    regions = regions.annotate(n_children=Count("children"))
    return render(request, "core/region_list.html", {"regions": regions, "parent": parent})


@login_required
def agency_list(request):
    require_can(request.user, "view", "core.agency")
    agencies = scope(request.user, Agency.objects.select_related("region"))
    kind = request.GET.get("kind")
    if kind:
        agencies = agencies.filter(kind=kind)
    return render(request, "core/agency_list.html", {
        "page": paginate(request, agencies), "kind": kind, "kinds": Agency._meta.get_field("kind").choices,
        "query": query_without_page(request),
    })


@login_required
def history(request, model, pk):
    resource = HISTORY_MODELS.get(model)
    if resource is None or not can(request.user, "view", resource):
        raise Http404
    model_cls = apps.get_model(model)
    # Soft-deleted records keep their history, and it stays readable within the jurisdiction.
    obj = get_object_or_404(scope(request.user, model_cls.objects.all()), pk=pk)
    entries = LogEntry.objects.get_for_object(obj).select_related("actor")
    return render(request, "core/history.html", {"object": obj, "entries": paginate(request, entries)})
