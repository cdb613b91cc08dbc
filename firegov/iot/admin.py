"""Administration: devices and their points are registered here (with their limits); alarms and
events are read only (alarms change through their lifecycle, events are the record)."""

from django.contrib import admin

from firegov.hazards.admin import ReadOnlyAdmin
from firegov.iot.models import Alarm, Device, Event, Point


class PointInline(admin.TabularInline):
    model = Point
    extra = 0
    fields = ["key", "label", "building", "floor", "room", "quantity", "unit_of_measure", "low", "high", "hold_s",
              "repeat_n"]


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "unit", "address", "online", "last_seen_at"]
    list_filter = ["kind", "online", "active"]
    search_fields = ["name", "code", "unit__name"]
    raw_id_fields = ["unit", "building"]
    readonly_fields = ["online", "last_seen_at", "software_version", "clock_offset_s"]
    inlines = [PointInline]


@admin.register(Alarm)
class AlarmAdmin(ReadOnlyAdmin):
    list_display = ["pk", "type", "severity", "unit", "point", "count", "first_at", "last_at", "cleared_at"]
    list_filter = ["type", "severity"]


admin.site.register(Event, ReadOnlyAdmin)
