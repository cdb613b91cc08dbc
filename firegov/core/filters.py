"""Filtersets of the core resources, shared by pages and API."""

from __future__ import annotations

import django_filters

from firegov.core.models import Agency, AgencyKind, Region, Sector


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
