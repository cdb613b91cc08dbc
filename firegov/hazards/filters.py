"""Filtersets of hazards, major-hazard cases and public reports, shared by pages, exports and API."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from firegov.core.models import Sector
from firegov.core.scoping import scope
from firegov.hazards import categories
from firegov.hazards.models import (
    OPEN_STATUSES,
    CaseStatus,
    Hazard,
    HazardSource,
    HazardStatus,
    MajorHazardCase,
    PublicReport,
    ReportStatus,
    Severity,
    overdue_q,
)
from firegov.registry.filters import RegionFilter, ScopedFilterSet

HAZARD_ORDERING = {"-id": "-id", "id": "id", "due": "due_at", "-found": "-found_at", "found": "found_at"}


# The ledger page and API count at most this many rows ("more than 10,000"): an exact count of a
# city's millions of hazards costs 200-900 ms however it is indexed (docs/benchmarks.md).
LIST_COUNT_CAP = 10_000

class HazardFilter(ScopedFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.MultipleChoiceFilter(label=_("Status"), choices=HazardStatus.choices, distinct=False)
    open = django_filters.BooleanFilter(label=_("Open"), method="open_only")
    overdue = django_filters.BooleanFilter(label=_("Overdue"), method="overdue_only")
    category = django_filters.ChoiceFilter(label=_("Category"), choices=categories.choices, empty_label=_("All"))
    region = RegionFilter()
    sector = django_filters.ChoiceFilter(label=_("Department (sector)"), choices=Sector.choices,
                                         empty_label=_("All"))
    source = django_filters.ChoiceFilter(label=_("Source"), choices=HazardSource.choices, empty_label=_("All"))
    severity = django_filters.ChoiceFilter(label=_("Severity"), choices=Severity.choices, empty_label=_("All"))
    unit = django_filters.NumberFilter(label=_("Unit"), field_name="unit_id")
    campaign = django_filters.ModelChoiceFilter(label=_("Campaign"), queryset=None, empty_label=_("All"),
                                                method="in_campaign")
    found_after = django_filters.DateFilter(label=_("Found from"), field_name="found_at", lookup_expr="date__gte")
    found_before = django_filters.DateFilter(label=_("Found until"), field_name="found_at", lookup_expr="date__lte")
    o = django_filters.ChoiceFilter(label=_("Sort by"), method="sort", empty_label=_("Default"), choices=[
        ("-id", _("Newest first")), ("id", _("Oldest first")), ("due", _("Deadline")),
    ])

    class Meta:
        model = Hazard
        fields = ["q", "status", "open", "overdue", "category", "region", "sector", "source", "severity", "unit",
                  "campaign"]

    def __init__(self, *args, **kwargs):
        from firegov.campaigns.models import Campaign

        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        self.filters["campaign"].queryset = scope(user, Campaign.objects.all()).order_by("-starts_on", "name")

    def in_campaign(self, queryset, name, value):
        """The campaign's hazard list (隐患清单): its region, period, categories and sources."""
        from firegov.campaigns.services import campaign_hazards

        return queryset & campaign_hazards(value) if value else queryset

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if value.isdigit():
            return queryset.filter(pk=int(value))
        return queryset.filter(Q(unit__name__icontains=value) | Q(description__icontains=value))

    def open_only(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(status__in=OPEN_STATUSES) if value else queryset.exclude(status__in=OPEN_STATUSES)

    def overdue_only(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(overdue_q()) if value else queryset.exclude(overdue_q())

    def sort(self, queryset, name, value):
        return queryset.order_by(HAZARD_ORDERING.get(value, "-id"))


class CaseFilter(ScopedFilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=CaseStatus.choices, empty_label=_("All"))
    region = RegionFilter()

    class Meta:
        model = MajorHazardCase
        fields = ["status", "region"]


class ReportFilter(ScopedFilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ReportStatus.choices, empty_label=_("All"))
    urgent = django_filters.BooleanFilter(label=_("Urgent"))
    region = RegionFilter()

    class Meta:
        model = PublicReport
        fields = ["status", "urgent", "region"]
