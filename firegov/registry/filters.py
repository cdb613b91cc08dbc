"""Filtersets shared by the pages, the exports, the map and the API."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from firegov.core.models import Agency, AgencyKind, Region, Sector
from firegov.core.scoping import scope, subtree_q
from firegov.registry.models import CLASSIFICATION_FLAGS, Community, Unit, UnitStatus, place_type_choices

UNIT_ORDERING = {
    "name": "name", "-name": "-name", "updated": "updated_at", "-updated": "-updated_at",
    "id": "id", "-id": "-id", "type": "place_type", "-type": "-place_type",
}


class ScopedFilterSet(django_filters.FilterSet):
    """A filterset whose choice lists only offer what the user may see."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        user = getattr(request, "user", None)
        if "region" in self.filters:
            self.filters["region"].queryset = scope(user, Region.objects.all())
        if "department" in self.filters:
            self.filters["department"].queryset = scope(user, Agency.objects.filter(kind=AgencyKind.DEPARTMENT))


class UnitFilter(ScopedFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    region = django_filters.ModelChoiceFilter(label=_("Region"), queryset=Region.objects.none(),
                                              method="in_region")
    place_type = django_filters.MultipleChoiceFilter(label=_("Place type"), choices=place_type_choices)
    classification = django_filters.ChoiceFilter(label=_("Classification"), choices=CLASSIFICATION_FLAGS,
                                                 method="flagged")
    department = django_filters.ModelChoiceFilter(label=_("Supervising department"),
                                                  queryset=Agency.objects.none())
    sector = django_filters.ChoiceFilter(label=_("Sector"), choices=Sector.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=UnitStatus.choices)
    o = django_filters.ChoiceFilter(label=_("Sort by"), method="sort", choices=[
        ("-id", _("Newest first")), ("id", _("Oldest first")), ("name", _("Name")),
        ("-updated", _("Recently changed")), ("type", _("Place type")),
    ])

    class Meta:
        model = Unit
        fields = ["q", "region", "place_type", "classification", "department", "sector", "status"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(uscc__startswith=value.upper())
                               | Q(address__icontains=value))

    def in_region(self, queryset, name, value):
        return queryset.filter(subtree_q("region_path", value.path)) if value else queryset

    def flagged(self, queryset, name, value):
        return queryset.filter(**{value: True}) if value else queryset

    def sort(self, queryset, name, value):
        return queryset.order_by(UNIT_ORDERING.get(value, "-id"))


class CommunityFilter(ScopedFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    region = django_filters.ModelChoiceFilter(label=_("Region"), queryset=Region.objects.none(),
                                              method="in_region")
    old = django_filters.BooleanFilter(label=_("Old community (built before 2000)"), method="old_only")

    class Meta:
        model = Community
        fields = ["q", "region", "old"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(address__icontains=value)) if value else queryset

    def in_region(self, queryset, name, value):
        return queryset.filter(subtree_q("region_path", value.path)) if value else queryset

    def old_only(self, queryset, name, value):
        if value is None:
            return queryset
        old = Q(built_year__lt=Community.OLD_BEFORE_YEAR)
        return queryset.filter(old) if value else queryset.exclude(old)
