"""Filtersets shared by the pages, the exports, the map and the API."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from firegov.core.models import Agency, AgencyKind, Region, Sector
from firegov.core.scoping import scope, subtree_q
from firegov.core.widgets import FastSelect, FastSelectMultiple
from firegov.registry import search
from firegov.registry.forms import RegionFilterField
from firegov.registry.models import CLASSIFICATION_FLAGS, Community, Unit, UnitStatus, place_type_choices

UNIT_ORDERING = {
    "name": "name", "-name": "-name", "updated": "updated_at", "-updated": "-updated_at",
    "id": "id", "-id": "-id", "type": "place_type", "-type": "-place_type",
}


class RegionFilter(django_filters.ModelChoiceFilter):
    """A region and everything below it; the choices are indented by level."""

    field_class = RegionFilterField

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Region"))
        kwargs.setdefault("queryset", Region.objects.none())
        kwargs.setdefault("empty_label", _("All"))
        super().__init__(method=self.in_region, **kwargs)

    def in_region(self, queryset, name, value):
        field = getattr(self, "region_field", "region_path")
        return queryset.filter(subtree_q(field, value.path)) if value else queryset


class ScopedFilterSet(django_filters.FilterSet):
    """A filterset whose choice lists only offer what the user may see (rendered by fast widgets)."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        for f in self.filters.values():
            if isinstance(f, django_filters.MultipleChoiceFilter):
                f.extra["widget"] = FastSelectMultiple
            elif isinstance(f, django_filters.ChoiceFilter | django_filters.ModelChoiceFilter):
                f.extra["widget"] = FastSelect
        user = getattr(request, "user", None)
        if "region" in self.filters:
            self.filters["region"].queryset = scope(user, Region.objects.all()).order_by("path")
        if "department" in self.filters:
            self.filters["department"].queryset = scope(user, Agency.objects.filter(kind=AgencyKind.DEPARTMENT))


class UnitFilter(ScopedFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    region = RegionFilter()
    place_type = django_filters.MultipleChoiceFilter(label=_("Place type"), choices=place_type_choices,
                                                     distinct=False)
    classification = django_filters.ChoiceFilter(label=_("Classification"), choices=CLASSIFICATION_FLAGS,
                                                 method="flagged", empty_label=_("All"))
    department = django_filters.ModelChoiceFilter(label=_("Supervising department"),
                                                  queryset=Agency.objects.none(), empty_label=_("All"))
    sector = django_filters.ChoiceFilter(label=_("Sector"), choices=Sector.choices, empty_label=_("All"))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=UnitStatus.choices, empty_label=_("All"))
    o = django_filters.ChoiceFilter(label=_("Sort by"), method="sort", empty_label=_("Default"), choices=[
        ("-id", _("Newest first")), ("id", _("Oldest first")), ("name", _("Name")),
        ("-updated", _("Recently changed")), ("type", _("Place type")),
    ])

    class Meta:
        model = Unit
        fields = ["q", "region", "place_type", "classification", "department", "sector", "status"]

    def search(self, queryset, name, value):
        return search.matching(queryset, value)

    def flagged(self, queryset, name, value):
        return queryset.filter(**{value: True}) if value else queryset

    def sort(self, queryset, name, value):
        return queryset.order_by(UNIT_ORDERING.get(value, "-id"))


class CommunityFilter(ScopedFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    region = RegionFilter()
    old = django_filters.BooleanFilter(label=_("Old community (built before 2000)"), method="old_only")

    class Meta:
        model = Community
        fields = ["q", "region", "old"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(address__icontains=value)) if value else queryset

    def old_only(self, queryset, name, value):
        if value is None:
            return queryset
        old = Q(built_year__lt=Community.OLD_BEFORE_YEAR)
        return queryset.filter(old) if value else queryset.exclude(old)
