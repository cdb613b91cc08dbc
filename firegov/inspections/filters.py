"""Filtersets of inspections and draws, shared by pages and API."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from firegov.inspections.models import Inspection, InspectionKind, InspectionResult, InspectionStatus
from firegov.registry.filters import RegionFilter, ScopedFilterSet


class InspectionFilter(ScopedFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=InspectionKind.choices, empty_label=_("All"))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=InspectionStatus.choices, empty_label=_("All"))
    result = django_filters.ChoiceFilter(label=_("Result"), choices=InspectionResult.choices, empty_label=_("All"))
    region = RegionFilter()
    unit = django_filters.NumberFilter(label=_("Unit"), field_name="unit_id")
    mine = django_filters.BooleanFilter(label=_("Mine"), method="mine_only")
    publication_overdue = django_filters.BooleanFilter(label=_("Publication overdue"), method="publication")

    class Meta:
        model = Inspection
        fields = ["q", "kind", "status", "result", "region", "unit"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(unit__name__icontains=value)) if value else queryset

    def mine_only(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        return queryset.filter(inspectors=user) if value and user else queryset

    def publication(self, queryset, name, value):
        if value is None:
            return queryset
        late = Q(published_at__isnull=True, publish_due__lt=timezone.localdate())
        return queryset.filter(late) if value else queryset.exclude(late)
