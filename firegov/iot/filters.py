"""Filtersets of devices and alarms, shared by the monitoring pages and the API."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from firegov.iot.models import Alarm, AlarmSeverity, AlarmType, Device, DeviceKind, Verdict
from firegov.registry.filters import RegionFilter, ScopedFilterSet

STATES = [("active", _("Active")), ("unacknowledged", _("Not acknowledged")), ("cleared", _("Cleared")),
          ("unverified", _("Fire alarms not verified")), ("overdue", _("Verification overdue"))]


class AlarmFilter(ScopedFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    type = django_filters.MultipleChoiceFilter(label=_("Type"), choices=AlarmType.choices, distinct=False)
    severity = django_filters.ChoiceFilter(label=_("Severity"), choices=AlarmSeverity.choices, empty_label=_("All"))
    state = django_filters.ChoiceFilter(label=_("State"), choices=STATES, method="in_state", empty_label=_("All"))
    verdict = django_filters.ChoiceFilter(label=_("Verdict"), choices=Verdict.choices, empty_label=_("All"))
    region = RegionFilter()
    unit = django_filters.NumberFilter(label=_("Unit"), field_name="unit_id")
    device = django_filters.NumberFilter(label=_("Device"), field_name="device_id")
    since = django_filters.DateFilter(label=_("From"), field_name="first_at", lookup_expr="date__gte")
    until = django_filters.DateFilter(label=_("Until"), field_name="first_at", lookup_expr="date__lte")

    class Meta:
        model = Alarm
        fields = ["q", "type", "severity", "state", "verdict", "region", "unit", "device", "since", "until"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if value.isdigit():
            return queryset.filter(pk=int(value))
        return queryset.filter(Q(unit__name__icontains=value) | Q(device__name__icontains=value)
                               | Q(point__label__icontains=value))

    def in_state(self, queryset, name, value):
        from django.utils import timezone

        return {
            "active": lambda: queryset.filter(cleared_at__isnull=True),
            "unacknowledged": lambda: queryset.filter(acknowledged_at__isnull=True, verdict=""),
            "cleared": lambda: queryset.filter(cleared_at__isnull=False),
            "unverified": lambda: queryset.filter(type=AlarmType.FIRE, verdict=""),
            "overdue": lambda: queryset.filter(type=AlarmType.FIRE, verdict="", verify_due_at__lt=timezone.now()),
        }.get(value, lambda: queryset)()


class DeviceFilter(ScopedFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=DeviceKind.choices, empty_label=_("All"))
    online = django_filters.BooleanFilter(label=_("Online"))
    active = django_filters.BooleanFilter(label=_("In service"))
    region = RegionFilter()
    unit = django_filters.NumberFilter(label=_("Unit"), field_name="unit_id")

    class Meta:
        model = Device
        fields = ["q", "kind", "online", "active", "region", "unit"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value) | Q(unit__name__icontains=value))
