"""Jurisdiction: the one function that decides which rows a user may see.

Every queryset that reaches a user — pages, exports, maps, counts, API — goes through :func:`scope`.
A model says how it is scoped with a ``SCOPE = ScopeSpec(...)`` class attribute:

- ``region_field``: a field holding the region path (digits; a prefix is an ancestor);
- ``sector_field``: the industry sector, for department officers (行业部门) who see only their sector;
- ``manager_field``: the relation to users who manage the premises (unit managers see only those);
- ``with_ancestors``: rows of the regions above the user's are visible too (a city's campaign to
  its counties);
- ``agency_fields``: department officers see the rows naming their agency in one of these fields
  (the tasks they lead or cooperate on) rather than the rows of their sector.

Subtree filters are written as a range on the path (``path >= p and path < successor(p)``) so that
SQLite and PostgreSQL both answer them from a plain b-tree index.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from firegov.core.models import Role
from firegov.core.scopespec import ScopeSpec

__all__ = ["ScopeSpec", "agencies_covering", "as_pk", "as_pks", "can_see", "path_successor", "prefixes", "require_visible", "scope",
           "spec_for", "subtree_q", "user_region_path"]


MAX_PK = 2**63 - 1


def as_pk(value) -> int | None:
    """A primary key sent from outside (query string, form field, JSON), or None when it is not a
    positive whole number that fits a bigint. Looking None up finds nothing, so a bad reference gets
    the same 404 or "unknown" answer as a missing one instead of a server error."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value.isascii() or not value.isdigit():
            return None
        value = int(value)
    if isinstance(value, int) and 0 < value <= MAX_PK:
        return value
    return None


def as_pks(values) -> list[int]:
    """The valid primary keys of a list sent from outside; the others are dropped."""
    if isinstance(values, (str, int)):
        values = [values]
    return [pk for pk in map(as_pk, values or ()) if pk is not None]


def path_successor(prefix: str) -> str | None:
    """Smallest digit string greater than every string that starts with ``prefix``."""
    stripped = prefix.rstrip("9")
    if not stripped:
        return None
    return stripped[:-1] + str(int(stripped[-1]) + 1)


def subtree_q(field: str, prefix: str) -> Q:
    upper = path_successor(prefix)
    q = Q(**{f"{field}__gte": prefix})
    if upper is not None:
        q &= Q(**{f"{field}__lt": upper})
    return q


def spec_for(model) -> ScopeSpec:
    spec = getattr(model, "SCOPE", None)
    if spec is None:
        raise TypeError(f"{model.__name__} declares no SCOPE; it cannot be shown to users")
    return spec


def scope(user, queryset: QuerySet, *, with_ancestors: bool | None = None) -> QuerySet:
    """Rows of ``queryset`` that ``user`` may see (region subtree × sector × role).

    ``with_ancestors=True`` adds the rows of the regions above the user's whatever the model
    declares: the agencies a county may name (its city's detachment and departments lead tasks of
    the county's lists too), although it does not administer them."""
    spec = spec_for(queryset.model)
    if with_ancestors is None:
        with_ancestors = spec.with_ancestors
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_system_admin:
        return queryset
    if user.role == Role.UNIT_MANAGER:
        if spec.manager_field is None:
            return queryset.none()
        return queryset.filter(**{spec.manager_field: user})
    agency = user.agency
    if agency is None or not user.role:
        return queryset.none()
    region = subtree_q(spec.region_field, agency.region_path)
    if with_ancestors:
        region |= Q(**{f"{spec.region_field}__in": prefixes(agency.region_path)})
    queryset = queryset.filter(region)
    if user.role == Role.DEPARTMENT_OFFICER:
        if spec.agency_fields:
            model = queryset.model
            named = Q()
            for field in spec.agency_fields:  # a subquery each: a many-to-many must not repeat rows
                named |= Q(pk__in=model._base_manager.filter(**{field: agency}).values("pk"))
            queryset = queryset.filter(named)
        elif spec.sector_field:
            queryset = queryset.filter(**{spec.sector_field: agency.sector})
    return queryset


def prefixes(region_path: str) -> list[str]:
    """Every prefix of a path: the paths of its ancestors (and its own), whatever the level lengths."""
    return [region_path[:i] for i in range(1, len(region_path) + 1)]


def user_region_path(user) -> str | None:
    """The root of the user's jurisdiction ('' for everything, None for nothing)."""
    if user.is_system_admin:
        return ""
    if user.agency_id is None:
        return None
    return user.agency.region_path


def can_see(user, queryset: QuerySet, pk) -> bool:
    """Whether row ``pk`` of ``queryset`` is in ``user``'s jurisdiction."""
    return scope(user, queryset.filter(pk=pk)).exists()


def require_visible(user, queryset: QuerySet, pk) -> None:
    """The services' guard: PermissionDenied without a message (the outside sees 404) unless ``user``
    may see row ``pk`` of ``queryset``."""
    if not can_see(user, queryset, pk):
        raise PermissionDenied


def known_agencies(user) -> QuerySet:
    """The agencies ``user`` may name (as a task's lead, a unit's department, an inspection's
    participant): those of the user's jurisdiction and those above it, such as the city's bureaus
    and detachment for a county. Any other is as unknown to the user as a missing one."""
    from firegov.core.models import Agency

    return scope(user, Agency.objects.all(), with_ancestors=True)


def agencies_covering(region_path: str, kind: str) -> QuerySet:
    """Agencies of ``kind`` whose region contains ``region_path`` (its ancestors and itself): the
    brigade or detachment responsible for a place. One indexed IN over the path's prefixes."""
    from firegov.core.models import Agency

    return Agency.objects.filter(kind=kind, region_path__in=prefixes(region_path))
