"""Filtersets of the core resources, shared by pages and API."""

from __future__ import annotations

import django_filters
import django_filters.rest_framework
from django.db import models

from firegov.core.models import Agency, AgencyKind, Region, Sector
from firegov.core.scoping import as_pk


class RegionFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=Region._meta.get_field("level").choices)
    parent = django_filters.NumberFilter()
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = Region
        fields = ["level", "parent", "q"]


class AgencyFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=AgencyKind.choices)
    sector = django_filters.ChoiceFilter(choices=Sector.choices)
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = Agency
        fields = ["kind", "sector", "q"]


class IdFilter(django_filters.CharFilter):
    """An id from the query string: one that is not a positive whole number (or does not fit a
    bigint) finds nothing rather than raising or being rounded."""

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        pk = as_pk(value)
        return qs.none() if pk is None else qs.filter(**{self.field_name: pk})


class ByIdFilterSet(django_filters.rest_framework.FilterSet):
    """Relations filter by id as plain numbers. A choice filter answers "not a valid choice" for an
    id that does not exist but an empty list for one outside the user's jurisdiction, which tells the
    user that the hidden object exists; here both find nothing."""

    FILTER_DEFAULTS = {
        **django_filters.rest_framework.FilterSet.FILTER_DEFAULTS,
        models.ForeignKey: {"filter_class": IdFilter},
        models.OneToOneField: {"filter_class": IdFilter},
        models.ManyToManyField: {"filter_class": IdFilter},
    }


def by_id(model_class, fields: list[str]) -> type[ByIdFilterSet]:
    """A ByIdFilterSet of ``model_class`` over ``fields`` (what ``filterset_fields`` would give)."""
    meta = type("Meta", (), {"model": model_class, "fields": fields})
    return type(f"{model_class.__name__}ByIdFilter", (ByIdFilterSet,), {"Meta": meta})
